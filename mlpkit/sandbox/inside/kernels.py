"""The kernel as the runner starts, stops and restarts it: lean, silent, as the submission's own uid,
or forked warm; what it leaves running is killed.

Inside the sandbox, beside runner.py (no mlpkit imports). The runner imports this module only
after its zygote is forked: the zygote must start before zmq or any thread exists.
"""
import json
import os
import signal
import subprocess
import sys
import time
from queue import Empty

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from nbformat import from_dict
from traitlets import default

MAX_MESSAGE_BYTES = 256 * 2**20  # one kernel message; bigger ones drop the iopub connection
# `python -m ipykernel_launcher`, with two changes. The working folder goes LAST on
# sys.path (IPython would put it before site-packages): a submitted numpy.py must not
# replace the numpy the hidden tests capture. And no debugger: importing debugpy costs
# ~0.13 s per kernel start and grading never debugs.
KERNEL_LAUNCHER = ("import sys; sys.modules['debugpy'] = None\n"
                   "if sys.path and sys.path[0] == '': del sys.path[0]\n"
                   "sys.path.append('')\n"
                   "from ipykernel import kernelapp; kernelapp.launch_new_instance()")
KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:", "--HistoryManager.enabled=False",
               "--InteractiveShellApp.extensions=[]"]


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
    """Starts this interpreter's ipykernel (see KERNEL_LAUNCHER), lean and silent: as `kernel_uid`
    when set, or forked by `zygote` when set. `kernel_manager_for` makes the class of one run."""
    kernel_uid = kernel_gid = zygote = None

    @default("client_factory")
    def _ready_client(self):
        return ReadyClient

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = [sys.executable, "-c", KERNEL_LAUNCHER, "-f", self.connection_file] + KERNEL_ARGS
        if self.kernel_uid is not None:
            # Drop to the unprivileged uid with no capabilities and no way back.
            cmd = ["setpriv", f"--reuid={self.kernel_uid}", f"--regid={self.kernel_gid}", "--clear-groups",
                   "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"] + cmd
        return cmd

    def client(self, **kw):
        kc = super().client(**kw)
        # A hostile kernel could send one huge message; libzmq drops the peer instead
        # of handing it to us (outputs beyond the caps are dropped anyway).
        kc.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        return kc

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if self.zygote is not None:
            with open(self.connection_file) as f:
                connection = f.read()
            pid = self.zygote.ask(op="kernel", connection=connection, argv=KERNEL_ARGS)["pid"]
            p = self.provisioner
            p.process, p.pid, p.pgid = ForkedKernel(pid), pid, pid
            self._reconcile_connection_info(p.connection_info)
            return
        if self.kernel_uid is not None:
            os.chown(self.connection_file, self.kernel_uid, self.kernel_gid)
        # The kernel must never write to our stdout (it carries the result JSON).
        kw["stdout"] = kw["stderr"] = kw["stdin"] = subprocess.DEVNULL
        return await super()._async_launch_kernel(kernel_cmd, **kw)


def kernel_manager_for(kernel_uid, kernel_gid, zygote=None):
    """The kernel manager class nbclient instantiates for one notebook (it takes a class, not
    arguments): kernels as `kernel_uid`, or forked by `zygote`."""
    return type("SandboxKernelManager", (SandboxKernelManager,),
                {"kernel_uid": kernel_uid, "kernel_gid": kernel_gid, "zygote": zygote})


class KernelLifecycle:
    """A notebook's kernel: started, killed with everything it left running, restarted with the
    cells that had succeeded replayed. execution.Runner adds the notebook's cell loop (and the
    nbclient client, `self.client`)."""

    def __init__(self, nb, args, zygote=None):
        self.nb = nb
        self.args = args
        self.zygote = zygote
        self.events = []
        self.deadline = time.monotonic() + args.notebook_timeout
        self.succeeded = []  # indices of cells that ran without error (replayed after a restart)
        self.kernel_pid = None
        self.client = None

    def event(self, cell, kind, message):
        self.events.append({"cell": cell, "kind": kind, "message": message})

    def _cell_timeout(self):
        return max(1, int(min(self.args.cell_timeout, self.deadline - time.monotonic()) + 0.999))

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
        await self._shut_down_client()

    async def _shut_down_client(self):
        c = self.client
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
