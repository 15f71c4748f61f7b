"""Notebook runner that executes inside the sandbox (a standalone script, no mlpkit imports).

    python _runner.py [options] < notebook.ipynb > result.json

Reads a notebook (JSON) on stdin, executes its code cells one by one with nbclient
in the current directory, and writes ``{"notebook": ..., "events": [...]}`` on stdout.
mlpkit/execute.py starts it (inside bubblewrap, see mlpkit/sandbox.py); it only
needs the standard library, nbformat, nbclient and jupyter_client.

Semantics (nbgrader's ``allow_errors``, made robust):
- an error in a cell is recorded in its outputs and execution goes on;
- a cell that runs past ``--cell-timeout``, or kills its kernel (``os._exit``,
  segfault, memory-limit kill, ignored SIGINT), gets an error output
  (``CellTimeoutError`` / ``DeadKernelError``); the kernel is killed hard, a new one
  is started, the earlier cells that had succeeded are silently replayed (their
  outputs are kept) and execution continues with the next cell;
- outputs are capped per cell and in total (``output_truncated`` event);
- past ``--notebook-timeout`` the remaining cells get a timeout error output;
- with ``--kernel-uid`` (sandbox, runner started as root) the kernel runs as that
  unprivileged uid, so student code can neither signal, trace nor write to this
  runner; processes a cell leaves behind are killed after the cell;
- with ``--serve`` (sandbox with uid separation) the runner stays up for many notebooks,
  each a length-prefixed JSON frame ``{"notebook", "uid"}`` on stdin answered by one on
  stdout, and forks each kernel from a pre-imported zygote (mlpkit/_zygote.py) into the
  submission's own uid, /tmp, namespaces and limits.

Event kinds: error, timeout, kernel_died, output_truncated, limit.
"""
import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time

STARTED = time.monotonic()
# jsonschema (pulled in by nbformat) imports this optional URI checker if installed, and
# building its grammar costs about a second per run; the runner validates no URIs.
sys.modules.setdefault("rfc3987_syntax", None)
RESULT_FD = None  # private duplicate of the original stdout; fd 1 itself goes to stderr

MAX_MESSAGE_BYTES = 256 * 2**20  # one kernel message; bigger ones drop the iopub connection
STRAY_LIMIT_EVENT = 8  # this many leftover processes after a cell looks like a fork bomb
# `python -m ipykernel_launcher`, with two changes. The working folder goes LAST on
# sys.path (IPython would put it before site-packages): a submitted numpy.py must not
# replace the numpy the hidden tests capture. And no debugger: importing debugpy costs
# ~0.13 s per kernel start and grading never debugs.
KERNEL_LAUNCHER = ("import sys; sys.modules['debugpy'] = None\n"
                   "if sys.path and sys.path[0] == '': del sys.path[0]\n"
                   "sys.path.append('')\n"
                   "from ipykernel import kernelapp; kernelapp.launch_new_instance()")
# The probes' private output type (lab_checks.OBSERVATIONS_MIME, mlpkit/observations.py) and
# its budget per notebook; this script runs in the sandbox, where mlpkit is not importable.
OBSERVATIONS_MIME = "application/vnd.mlp-lab.observations+json"
MAX_OBSERVATION_CHARS = 16_000_000
SHORT_TEXT = 2000  # characters kept of a grade-deciding output past the output cap
AFTER_RESTART = ("Later cells were run in a fresh kernel after re-running the earlier cells "
                 "that had succeeded.")


def _parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # The limits have no defaults here: mlpkit.limits.GradingLimits is their one home.
    p.add_argument("--cell-timeout", type=float, required=True)
    p.add_argument("--notebook-timeout", type=float, required=True)
    p.add_argument("--startup-timeout", type=float, default=30.0)
    p.add_argument("--max-cell-output", type=int, required=True, help="characters kept per cell")
    p.add_argument("--max-total-output", type=int, required=True, help="characters kept in total")
    p.add_argument("--kernel-uid", type=int, default=None, help="run the kernel as this uid (needs root)")
    p.add_argument("--kernel-gid", type=int, default=None)
    p.add_argument("--seed-from", default=None, help="copy this folder's files into the working dir first")
    p.add_argument("--mpl-cache-from", default=None, help="copy matplotlib's font list from here")
    p.add_argument("--rlimits", default="{}", help='JSON {"AS": bytes, "CPU": s, "FSIZE": bytes, '
                   '"NOFILE": n, "NPROC": n} applied to this process and inherited by the kernel')
    p.add_argument("--kill-strays", action="store_true",
                   help="sandbox only: kill processes a cell leaves behind (uses the pid namespace)")
    p.add_argument("--serve", action="store_true",
                   help="sandbox with uid separation only: run notebooks framed on stdin until EOF, "
                        "kernels forked from a zygote (the frame gives each notebook's uid)")
    p.add_argument("--tmp-bytes", type=int, default=None, help="--serve: size of each submission's /tmp")
    p.add_argument("--keep-in-tmp", default="[]",
                   help="--serve: JSON list of folders under /tmp to bind, read-only, into each submission's /tmp")
    return p.parse_args(argv)


def _apply_rlimits(limits):
    for name, value in limits.items():
        res = getattr(resource, "RLIMIT_" + name)
        _, hard = resource.getrlimit(res)
        value = int(value)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        if name == "CPU":
            # SIGXCPU at the soft limit, SIGKILL one second later at the hard one.
            resource.setrlimit(res, (value, value + 1))
        else:
            resource.setrlimit(res, (value, value))


def _error_output(ename, message):
    from nbformat.v4 import new_output
    return new_output("error", ename=ename, evalue=message,
                      traceback=[f"\x1b[0;31m{ename}\x1b[0m: {message}"])


def _output_size(out):
    if out.get("output_type") == "stream":
        return len(out.get("text", ""))
    if out.get("output_type") == "error":
        return len(out.get("evalue", "")) + sum(len(t) for t in out.get("traceback", []))
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in out.get("data", {}).values())


def _shorten(out, room, outs):
    """The part of an over-cap output worth keeping, or None."""
    kind = out.get("output_type")
    if kind == "error":
        out["evalue"] = str(out.get("evalue", ""))[:SHORT_TEXT]
        out["traceback"] = [str(t)[:SHORT_TEXT] for t in out.get("traceback", [])[-5:]]
        return out
    if kind == "stream":
        if room > 0:
            out["text"] = out["text"][:room]
            return out
        if out.get("name") == "stderr" and not any(
                o.get("output_type") == "stream" and o.get("name") == "stderr" for o in outs):
            out["text"] = out["text"][:SHORT_TEXT]
            return out
        return None
    if kind == "execute_result":
        text = out.get("data", {}).get("text/plain", "")
        out["data"] = {"text/plain": (text if isinstance(text, str) else "".join(text))[:SHORT_TEXT]}
        return out
    return None


class ForkedKernel:
    """The part of subprocess.Popen jupyter_client's provisioner uses, for a kernel the
    zygote's session forked (not our child: liveness is read from /proc)."""
    stdin = stdout = stderr = None

    def __init__(self, pid):
        self.pid = pid
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            try:
                with open(f"/proc/{self.pid}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                state = "X"
            if state in ("Z", "X"):
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout=None):
        deadline = time.monotonic() + (timeout if timeout is not None else 1e9)
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum):
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:", "--HistoryManager.enabled=False",
               "--InteractiveShellApp.extensions=[]"]


def _make_client_classes(kernel_uid, kernel_gid, zygote=None):
    from queue import Empty

    import zmq
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from traitlets import default

    class ReadyClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout=None):
            """jupyter_client's wait, less its last step: 0.2 s of IOPub silence to flush
            messages that nbclient ignores anyway (it reads only replies to its own requests)."""
            deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
            while True:
                self.kernel_info()
                try:
                    msg = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    msg = None
                if msg is not None and msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub is connected once anything arrives on it
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        return
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    class SandboxKernelManager(AsyncKernelManager):
        """Starts this interpreter's ipykernel (see KERNEL_LAUNCHER), lean and silent."""

        @default("client_factory")
        def _ready_client(self):
            return ReadyClient

        def format_kernel_cmd(self, extra_arguments=None):
            cmd = [sys.executable, "-c", KERNEL_LAUNCHER, "-f", self.connection_file] + KERNEL_ARGS
            if kernel_uid is not None:
                # Drop to the unprivileged uid with no capabilities and no way back.
                cmd = ["setpriv", f"--reuid={kernel_uid}", f"--regid={kernel_gid}", "--clear-groups",
                       "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"] + cmd
            return cmd

        def client(self, **kw):
            kc = super().client(**kw)
            # A hostile kernel could send one huge message; libzmq drops the peer instead
            # of handing it to us (outputs beyond the caps are dropped anyway).
            kc.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
            return kc

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if zygote is not None:
                with open(self.connection_file) as f:
                    connection = f.read()
                pid = zygote.ask(op="kernel", connection=connection, argv=KERNEL_ARGS)["pid"]
                p = self.provisioner
                p.process, p.pid, p.pgid = ForkedKernel(pid), pid, pid
                self._reconcile_connection_info(p.connection_info)
                return
            if kernel_uid is not None:
                os.chown(self.connection_file, kernel_uid, kernel_gid)
            # The kernel must never write to our stdout (it carries the result JSON).
            kw["stdout"] = kw["stderr"] = kw["stdin"] = subprocess.DEVNULL
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    class CappedClient(NotebookClient):
        """nbclient with output caps; the runner drives it cell by cell."""

        def __init__(self, *a, max_cell_output, max_total_output, **kw):
            super().__init__(*a, **kw)
            self.max_cell_output = max_cell_output
            self.max_total_output = max_total_output
            self.cell_chars = {}
            self.total_chars = 0
            self.truncated_cells = set()
            self.observation_chars = 0
            self.discard_outputs = False  # replay: run silently

        def output(self, outs, msg, display_id, cell_index):
            if self.discard_outputs:
                return None
            out = super().output(outs, msg, display_id, cell_index)
            if out is None:
                return None
            if OBSERVATIONS_MIME in (out.get("data") or {}):
                # A hidden test's observations have a budget of their own: the output caps are
                # for what students print. Past it they are dropped, and the judge fails the
                # cell as "observations missing" (mlpkit/observations.py).
                self.observation_chars += _output_size(out)
                if self.observation_chars <= MAX_OBSERVATION_CHARS:
                    return out
                outs.pop()
                return None
            size = _output_size(out)
            used = self.cell_chars.get(cell_index, 0)
            room = min(self.max_cell_output - used, self.max_total_output - self.total_chars)
            if cell_index not in self.truncated_cells and size <= room:
                self.cell_chars[cell_index] = used + size
                self.total_chars += size
                return out
            # Over the cap. Outputs that decide the grade survive in short form: an error
            # (no credit), stderr (no credit) and an execute_result (partial credit).
            outs.pop()
            kept = _shorten(out, max(room, 0), outs)
            if kept is not None:
                outs.append(kept)
                self.cell_chars[cell_index] = used + _output_size(kept)
                self.total_chars += _output_size(kept)
            if cell_index not in self.truncated_cells:
                self.truncated_cells.add(cell_index)
                from nbformat.v4 import new_output
                # stdout, not stderr: the note itself must not change the cell's grade.
                outs.append(new_output("stream", name="stdout",
                                       text="\n[output truncated: this cell printed too much]\n"))
            return kept

    return SandboxKernelManager, CappedClient


class Runner:
    def __init__(self, nb, args, zygote=None):
        self.nb = nb
        self.args = args
        self.zygote = zygote
        self.events = []
        self.deadline = time.monotonic() + args.notebook_timeout
        self.succeeded = []  # indices of cells that ran without error (replayed after a restart)
        self.finished = set()  # indices of cells with their final outputs
        km_class, client_class = _make_client_classes(args.kernel_uid, args.kernel_gid, zygote)
        self.client = client_class(
            nb, timeout=args.cell_timeout, startup_timeout=args.startup_timeout,
            allow_errors=True, interrupt_on_timeout=False, error_on_timeout=None,
            kernel_name="python3", kernel_manager_class=km_class, record_timing=False,
            shutdown_kernel="immediate", resources={"metadata": {"path": os.getcwd()}},
            max_cell_output=args.max_cell_output, max_total_output=args.max_total_output)
        self.kernel_pid = None
        self.timings = {"runner_start": round(time.monotonic() - STARTED, 3)}

    def event(self, cell, kind, message):
        self.events.append({"cell": cell, "kind": kind, "message": message})

    # -- kernel life cycle ----------------------------------------------------------------
    async def start_kernel(self):
        c = self.client
        c.km = c.create_kernel_manager()
        if hasattr(c.km, "transport_encryption"):
            c.km.transport_encryption = "disabled"  # own loopback: encryption buys nothing
        await c.async_start_new_kernel(env=dict(os.environ))
        await c.async_start_new_kernel_client()
        self.kernel_pid = c.km.provisioner.pid if c.km.provisioner else None

    async def kill_kernel(self):
        c = self.client
        if self.zygote is not None:
            # The zygote and the session share the pid namespace: kill the submission's uid only.
            if self.kernel_pid:
                try:
                    os.kill(self.kernel_pid, signal.SIGKILL)
                except OSError:
                    pass
            self.kill_strays()
        elif self.args.kill_strays:
            # In the sandbox's pid namespace everything but us and pid 1 is the kernel's.
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
        try:
            if c.km is not None and c.km.has_kernel:
                await c.km.shutdown_kernel(now=True)
        except Exception:
            pass
        try:
            if c.kc is not None:
                c.kc.stop_channels()
        except Exception:
            pass
        try:
            if c.km is not None:
                await c.km._async_cleanup_resources()
        except Exception:
            pass
        c.kc = None
        c.km = None
        self.kernel_pid = None

    def kernel_side_pids(self):
        """Processes of the kernel's uid other than the kernel itself (sandbox only)."""
        if not self.args.kill_strays or self.args.kernel_uid is None:
            return []
        pids = []
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) in (1, os.getpid(), self.kernel_pid):
                continue
            try:
                if os.stat(f"/proc/{name}").st_uid != self.args.kernel_uid:
                    continue
                with open(f"/proc/{name}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state not in ("Z", "X"):  # zombies are already dead; only their parent can reap them
                pids.append(int(name))
        return pids

    def kill_strays(self):
        """Kill processes a cell left behind (daemons, fork bombs); return how many."""
        killed = set()
        for _ in range(200):
            strays = self.kernel_side_pids()
            if not strays:
                break
            for pid in strays:
                try:
                    # Stop first: a stopped process cannot fork while we sweep.
                    os.kill(pid, signal.SIGSTOP)
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
                killed.add(pid)
            time.sleep(0.01)
        return len(killed)

    async def restart_and_replay(self, upto):
        await self.kill_kernel()
        try:
            await self.start_kernel()
        except Exception as e:  # noqa: BLE001 - report, then the next cells fail visibly
            self.event(upto, "kernel_died", f"could not restart the kernel: {e}")
            return False
        from nbformat import from_dict
        c = self.client
        c.discard_outputs = True
        try:
            for i in self.succeeded:
                if time.monotonic() >= self.deadline:
                    return False
                original = self.nb.cells[i]
                scratch = from_dict(json.loads(json.dumps(original)))
                c.timeout = self._cell_timeout()
                try:
                    await c.async_execute_cell(scratch, i, store_history=False)
                except Exception as e:  # noqa: BLE001
                    self.event(i, "kernel_died", f"replay after a restart failed at this cell: "
                                                 f"{type(e).__name__}")
                    return False
                finally:
                    # nbclient stores the executed cell back into the notebook; keep the original.
                    self.nb.cells[i] = original
            return True
        finally:
            c.discard_outputs = False

    def _cell_timeout(self):
        return max(1, int(min(self.args.cell_timeout, self.deadline - time.monotonic()) + 0.999))

    # -- main loop ------------------------------------------------------------------------
    async def run(self):
        c = self.client
        c.reset_execution_trackers()
        t0 = time.monotonic()
        try:
            await self.start_kernel()
            self.timings["kernel_start"] = round(time.monotonic() - t0, 3)
        except Exception as e:  # noqa: BLE001
            self.event(None, "kernel_died", f"the kernel did not start: {e}")
            for i, cell in enumerate(self.nb.cells):
                if cell.cell_type == "code" and cell.source.strip():
                    cell.outputs = [_error_output("DeadKernelError", "The kernel did not start.")]
            return
        try:
            for i, cell in enumerate(self.nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                if time.monotonic() >= self.deadline:
                    cell.outputs = [_error_output(
                        "CellTimeoutError",
                        f"Not run: the notebook's time limit ({self.args.notebook_timeout:g} s) was reached.")]
                    self.event(i, "timeout", "not run: notebook time limit reached")
                    self.finished.add(i)
                    continue
                if c.kc is None:  # a restart failed earlier
                    cell.outputs = [_error_output("DeadKernelError", "Not run: the kernel could not be restarted.")]
                    self.event(i, "kernel_died", "not run: no kernel")
                    self.finished.add(i)
                    continue
                c.timeout = self._cell_timeout()
                await self.run_cell(i, cell)
                self.finished.add(i)
        finally:
            await self.kill_kernel()

    async def run_cell(self, i, cell):
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        c = self.client
        failure = None
        try:
            await c.async_execute_cell(cell, i)
        except CellTimeoutError:
            failure = ("timeout", "CellTimeoutError",
                       f"This cell did not finish within {c.timeout:g} s and was stopped. {AFTER_RESTART}")
        except DeadKernelError:
            failure = ("kernel_died", "DeadKernelError",
                       "The kernel died while running this cell (it exited, crashed or hit a memory "
                       f"or process limit). {AFTER_RESTART}")
        except Exception as e:  # noqa: BLE001 - e.g. a protocol error from a hostile kernel
            failure = ("kernel_died", "DeadKernelError",
                       f"The kernel stopped answering while running this cell ({type(e).__name__}). "
                       f"{AFTER_RESTART}")
        if failure is None:
            if any(o.get("output_type") == "error" for o in cell.outputs):
                err = next(o for o in cell.outputs if o.get("output_type") == "error")
                self.event(i, "error", f"{err.get('ename', '')}: {str(err.get('evalue', ''))[:200]}")
            else:
                self.succeeded.append(i)
            if i in c.truncated_cells:
                self.event(i, "output_truncated", "output over the limit was dropped")
            killed = self.kill_strays()
            if killed >= STRAY_LIMIT_EVENT:
                # A fork bomb: its killed children stay zombies of the kernel and use up the
                # process limit, so the kernel is replaced too.
                message = (f"This cell started too many processes ({killed}) and reached the "
                           "process limit; they were killed and the kernel restarted.")
                cell.outputs.append(_error_output("ProcessLimitError", message))
                self.event(i, "limit", message)
                if i in self.succeeded:
                    self.succeeded.remove(i)
                await self.restart_and_replay(i)
            return
        kind, ename, message = failure
        crowd = len(self.kernel_side_pids())
        if crowd >= STRAY_LIMIT_EVENT:
            message = (f"This cell started too many processes ({crowd} alive, fork bomb?) and was "
                       f"stopped at the process limit. {AFTER_RESTART}")
            self.event(i, "limit", f"process limit: {crowd} processes")
        cell.setdefault("outputs", [])
        cell.outputs.append(_error_output(ename, message))
        self.event(i, kind, message.split(". ")[0])
        if i in c.truncated_cells:
            self.event(i, "output_truncated", "output over the limit was dropped")
        await self.restart_and_replay(i)


class _ReplyErrorHook:
    """on_cell_executed hook: add an error output when the reply says error but none was shown.

    nbgrader's own Execute does the same, so a student who silences tracebacks still
    leaves an error output on a failing test cell.
    """

    def __call__(self, cell, cell_index, execute_reply, **_):
        content = (execute_reply or {}).get("content", {})
        if content.get("status") != "error":
            return
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return
        cell.outputs.append(_error_output(content.get("ename") or "Error",
                                          str(content.get("evalue") or "the cell raised an error")))


def _seed_font_cache(source, mplconfigdir, uid, gid):
    """Copy matplotlib's font list so the kernel's first matplotlib import does not rebuild it."""
    try:
        os.makedirs(mplconfigdir, exist_ok=True)
        for name in os.listdir(source):
            if name.startswith("fontlist-") and name.endswith(".json"):
                shutil.copy(os.path.join(source, name), mplconfigdir)
        if uid is not None:  # the kernel's matplotlib must be able to write there
            for folder, _, files in os.walk(os.path.dirname(mplconfigdir)):
                os.chown(folder, uid, gid)
                for name in files:
                    os.chown(os.path.join(folder, name), uid, gid)
    except OSError:
        pass  # matplotlib rebuilds the list itself


def _clear_outputs(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            # Outputs come only from this run: stale or forged outputs never reach the grader.
            cell.outputs = []
            cell.execution_count = None


def run_one(nb, args, zygote=None):
    """Execute `nb`; return (result dict for the caller, exit status)."""
    runner = Runner(nb, args, zygote)
    runner.client.on_cell_executed = _ReplyErrorHook()
    status = 0
    try:
        asyncio.run(runner.run())
    except Exception as e:  # noqa: BLE001 - report what we have
        runner.event(None, "limit", f"runner error: {type(e).__name__}: {e}")
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and i not in runner.finished:
                # No outputs would mean full marks for a test cell: fail what did not run.
                cell.outputs = [_error_output("DeadKernelError", "Not run: the notebook runner failed.")]
        status = 1
    return {"notebook": nb, "events": runner.events, "timings": runner.timings}, status


def _read_frame(stream):
    header = stream.read(8)
    if len(header) < 8:
        return None
    size = int.from_bytes(header, "big")
    data = stream.read(size)
    return data if len(data) == size else None


def serve(args):
    """--serve: notebooks in, results out, one frame each, until stdin closes."""
    import _zygote
    zygote = _zygote.Zygote.start()  # first: before any thread or zmq socket exists here
    import nbformat
    seed = os.path.abspath(args.seed_from)
    mpl = os.path.abspath(args.mpl_cache_from) if args.mpl_cache_from else None
    out = os.fdopen(RESULT_FD, "wb")
    served = 0
    while True:
        frame = _read_frame(sys.stdin.buffer)
        if frame is None:
            return 0
        t0 = time.monotonic()
        request = json.loads(frame)
        nb = nbformat.from_dict(request["notebook"])
        _clear_outputs(nb)
        one = argparse.Namespace(**vars(args))
        one.kernel_uid = one.kernel_gid = int(request["uid"])
        served += 1
        try:
            zygote.ask(op="session", uid=one.kernel_uid, gid=one.kernel_gid, rlimits=json.loads(args.rlimits),
                       tmp_bytes=args.tmp_bytes, seed=seed, mpl_cache=mpl, keep=json.loads(args.keep_in_tmp))
        except RuntimeError as e:
            # A fault of this sandbox, not of the notebook: no answer, so the caller starts a
            # fresh sandbox and runs the notebook again there.
            print(f"runner: {e}", file=sys.stderr)
            return 3
        result, _ = run_one(nb, one, zygote)
        try:
            zygote.ask(op="end")
        except RuntimeError as e:
            print(f"runner: {e}; this sandbox stops after this notebook", file=sys.stderr)
            served = -1
        result["timings"].update(runner_start=round(t0 - STARTED, 3) if served == 1 else 0.0,
                                 served=served, total=round(time.monotonic() - t0, 3))
        payload = json.dumps(result).encode("utf-8")
        out.write(len(payload).to_bytes(8, "big") + payload)
        out.flush()
        if served < 0:
            return 3


def main(argv=None):
    global RESULT_FD
    args = _parse_args(argv)
    # Keep the result channel private: anything printed to fd 1 later goes to stderr.
    RESULT_FD = os.dup(1)
    os.dup2(2, 1)
    if args.serve:
        return serve(args)
    raw = sys.stdin.buffer.read()
    import nbformat
    nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    if args.seed_from:
        shutil.copytree(args.seed_from, ".", dirs_exist_ok=True)
        if args.kernel_uid is not None:  # the student's working copy is theirs to change
            for folder, _, files in os.walk("."):
                for path in [folder] + [os.path.join(folder, f) for f in files]:
                    os.chown(path, args.kernel_uid, args.kernel_gid)
    if args.mpl_cache_from and os.environ.get("MPLCONFIGDIR"):
        _seed_font_cache(args.mpl_cache_from, os.environ["MPLCONFIGDIR"], args.kernel_uid, args.kernel_gid)
    _apply_rlimits(json.loads(args.rlimits))
    _clear_outputs(nb)
    result, status = run_one(nb, args)
    result["timings"]["total"] = round(time.monotonic() - STARTED, 3)
    with os.fdopen(RESULT_FD, "wb") as out:
        out.write(json.dumps(result).encode("utf-8"))
    return status


if __name__ == "__main__":
    sys.exit(main())
