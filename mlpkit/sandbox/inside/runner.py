"""Notebook runner that executes inside the sandbox (a standalone script, no mlpkit imports).

    python runner.py [options] < notebook.ipynb > result.json

Reads a notebook (JSON) on stdin, executes its code cells one by one with nbclient
in the current directory, and writes ``{"notebook": ..., "events": [...]}`` on stdout.
mlpkit/sandbox/run.py starts it (inside bubblewrap, see mlpkit/sandbox/plan.py, which binds
this folder at protocol.RUNNER_DIR); it only needs the standard library, nbformat, nbclient
and jupyter_client, and its sibling modules: protocol.py (what both sides of the wall share),
execution.py (the cell loop), kernels.py, outputs.py and zygote.py.

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
  each a request frame on stdin answered by a result frame on stdout (protocol.py), and
  forks each kernel from a pre-imported zygote (zygote.py) into the submission's own uid,
  /tmp, namespaces and limits.

Event kinds: protocol.EVENT_KINDS. Every limit comes from the caller (mlpkit.limits.GradingLimits).
"""
import argparse
import json
import os
import resource
import shutil
import sys
import time

STARTED = time.monotonic()
# jsonschema (pulled in by nbformat) imports this optional URI checker if installed, and
# building its grammar costs about a second per run; the runner validates no URIs.
sys.modules.setdefault("rfc3987_syntax", None)

import protocol  # noqa: E402  (a sibling module: standard library only)

RESULT_FD = None  # private duplicate of the original stdout; fd 1 itself goes to stderr


def _parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # The limits have no defaults here: mlpkit.limits.GradingLimits is their one home.
    p.add_argument("--cell-timeout", type=float, required=True)
    p.add_argument("--notebook-timeout", type=float, required=True)
    p.add_argument("--startup-timeout", type=float, required=True)
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


def _seed_working_folder(args):
    """The notebook's files into the working folder, the student's own to change."""
    shutil.copytree(args.seed_from, ".", dirs_exist_ok=True)
    if args.kernel_uid is not None:
        for folder, _, files in os.walk("."):
            for path in [folder] + [os.path.join(folder, f) for f in files]:
                os.chown(path, args.kernel_uid, args.kernel_gid)


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


def serve(args):
    """--serve: notebooks in, results out, one frame each, until stdin closes."""
    import zygote  # lazy: only --serve forks a zygote, and before anything below is imported
    kernels = zygote.Zygote.start()  # first: before any thread or zmq socket exists here
    import nbformat  # lazy, as what follows: only once the zygote is forked
    from execution import run_one  # lazy: nbclient and zmq only once the zygote is forked
    seed = os.path.abspath(args.seed_from)
    mpl = os.path.abspath(args.mpl_cache_from) if args.mpl_cache_from else None
    out = os.fdopen(RESULT_FD, "wb")
    served = 0
    while True:
        payload = protocol.read_frame(sys.stdin.buffer)
        if payload is None:
            return 0
        t0 = time.monotonic()
        uid, notebook = protocol.parse_request(payload)
        nb = nbformat.from_dict(notebook)
        _clear_outputs(nb)
        one = argparse.Namespace(**vars(args))
        one.kernel_uid = one.kernel_gid = uid
        served += 1
        try:
            kernels.ask(op="session", uid=uid, gid=uid, rlimits=json.loads(args.rlimits),
                        tmp_bytes=args.tmp_bytes, seed=seed, mpl_cache=mpl, keep=json.loads(args.keep_in_tmp))
        except RuntimeError as e:
            # A fault of this sandbox, not of the notebook: no answer, so the caller starts a
            # fresh sandbox and runs the notebook again there.
            print(f"runner: {e}", file=sys.stderr)
            return 3
        result, _ = run_one(nb, one, STARTED, kernels)
        try:
            kernels.ask(op="end")
        except RuntimeError as e:
            print(f"runner: {e}; this sandbox stops after this notebook", file=sys.stderr)
            served = -1
        result["timings"].update(runner_start=round(t0 - STARTED, 3) if served == 1 else 0.0,
                                 served=served, total=round(time.monotonic() - t0, 3))
        out.write(protocol.frame(json.dumps(result).encode("utf-8")))
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
    import nbformat  # lazy, as in serve(): nothing but the standard library before the notebook is in
    nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    if args.seed_from:
        _seed_working_folder(args)
    if args.mpl_cache_from and os.environ.get("MPLCONFIGDIR"):
        _seed_font_cache(args.mpl_cache_from, os.environ["MPLCONFIGDIR"], args.kernel_uid, args.kernel_gid)
    _apply_rlimits(json.loads(args.rlimits))
    _clear_outputs(nb)
    from execution import run_one  # lazy: nbclient and zmq are imported under the limits just applied
    result, status = run_one(nb, args, STARTED)
    result["timings"]["total"] = round(time.monotonic() - STARTED, 3)
    with os.fdopen(RESULT_FD, "wb") as out:
        out.write(json.dumps(result).encode("utf-8"))
    return status


if __name__ == "__main__":
    sys.exit(main())
