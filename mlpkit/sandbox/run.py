"""Execute a notebook safely: in the bubblewrap sandbox, with limits; student faults never raise.

    python -m mlpkit.sandbox.run path/to/notebook.ipynb [--out executed.ipynb] [--sandbox require]

`run_notebook(nb, workdir, *, limits, sandbox, env, course_root, reuse) -> (executed_nb, report)`
runs one notebook with the working files of `workdir`, in a cold sandbox
(mlpkit/sandbox/cold.py) or this process's warm one (mlpkit/sandbox/warm.py, reuse=True);
mlpkit/sandbox/run_cache.py runs it through the run cache, and
`mlpkit.preprocessors.sandboxed_execute.SandboxedExecute` is the nbgrader step around them.
Timeouts and limits come from a `mlpkit.limits.GradingLimits`.

The notebook goes to the runner (mlpkit/sandbox/inside/runner.py) on stdin (it holds the
hidden tests, so it is never a file inside the sandbox); the working files are copied into a
fresh scratch folder, which is all the student code sees of the course (docs/sandbox.md).
`report = {"sandboxed": bool, "events": [{"cell": i, "kind": "error|timeout|kernel_died|
output_truncated|limit", "message": str}], "seconds": float}` plus `uid_separation`,
`seccomp`, `warm`, `limits`, `timings` (runner start, kernel start, total) and `complete`
(False when the run broke down for reasons outside the notebook; such runs are not cached).
"""
import argparse
import copy
import json
import logging
import os
import sys
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_output

from mlpkit import paths
from mlpkit.limits import GradingLimits
from mlpkit.sandbox import warm
from mlpkit.sandbox.cold import ColdSandbox

log = logging.getLogger(__name__)

SANDBOX_MODES = ("auto", "require", "off")
IGNORED_FILES = (".ipynb_checkpoints", "__pycache__", ".DS_Store")


def working_files(workdir):
    """The notebook's working files under `workdir`: no notebooks, caches or symlinks
    (a submitted symlink would otherwise copy whatever it points to on the host)."""
    if workdir is None or not Path(workdir).is_dir():
        return []
    files = []
    for folder, dirs, names in os.walk(workdir):  # does not follow symlinked folders
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_FILES and not os.path.islink(os.path.join(folder, d)))
        for name in sorted(names):
            path = Path(folder) / name
            if name in IGNORED_FILES or path.suffix == ".ipynb" or path.is_symlink() or not path.is_file():
                continue
            files.append(path)
    return files


def run_notebook(nb, workdir, *, limits, sandbox="auto", env=None, course_root=None, reuse=False):
    """Execute `nb` (a NotebookNode) with the files of `workdir`; return (executed_nb, report).

    limits: a GradingLimits (timeouts, output caps, resource limits).
    sandbox: "auto" (bubblewrap if usable, else unsandboxed with a loud warning),
    "require" (raise plan.SandboxUnavailable if bubblewrap is unusable) or "off".
    env: extra variables for the notebook (e.g. {"NBGRADER_EXECUTION": "validate"}).
    course_root: hidden from the notebook; default: the course holding `workdir`
    (mlpkit.paths.course_root).
    reuse: run in this process's warm sandbox (mlpkit/sandbox/warm.py) where the machine
    allows it (uid separation); the results are the same as a cold run's.
    """
    if sandbox not in SANDBOX_MODES:
        raise ValueError(f"sandbox must be one of {SANDBOX_MODES}, not {sandbox!r}")
    start = time.monotonic()
    env = dict(env or {})
    nbgrader_execution = env.pop("NBGRADER_EXECUTION", os.environ.get("NBGRADER_EXECUTION") or "autograde")
    if course_root is None and workdir is not None:
        course_root = paths.course_root(near=workdir)
    nb_in = nbformat.from_dict(copy.deepcopy(nb))
    payload = json.dumps(nb_in).encode("utf-8")
    wall = limits.notebook_timeout + limits.wall_slack
    settings = dict(limits=limits, course_root=course_root, nbgrader_execution=nbgrader_execution,
                    env_extra=env, mode=sandbox)
    files = [(path.relative_to(workdir), path) for path in working_files(workdir)]
    box = warm.get(**settings) if reuse and sandbox != "off" else None
    is_warm = box is not None
    if is_warm:
        out, err, returncode, timed_out = box.run(payload, files, wall)
        if out is None and not timed_out:
            # The warm sandbox broke without an answer (e.g. its zygote was killed): once more
            # in a fresh one, so that a fault of the sandbox does not cost the student.
            box = warm.get(**settings) or box
            out, err, returncode, timed_out = box.run(payload, files, wall)
        out, err = out or b"", err.encode()
    else:
        box = ColdSandbox(**settings)
        out, err, returncode, timed_out = box.run(payload, files, wall)
    plan = box.plan
    events = []
    if timed_out:
        events.append({"cell": None, "kind": "limit",
                       "message": f"the whole run passed the wall-clock limit ({wall:g} s) and was killed"})
    executed, timings, complete = _read_result(out, err, returncode, nb_in, events)
    report = {"sandboxed": plan.sandboxed, "uid_separation": plan.uid_separation, "seccomp": bool(plan.seccomp),
              "warm": is_warm, "events": events, "seconds": round(time.monotonic() - start, 3),
              "limits": plan.limits, "complete": complete, "timings": timings}
    return executed, report


def _fail_all_cells(nb, ename, message):
    """Mark every code cell failed: a run we could not read must never earn points."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [new_output("error", ename=ename, evalue=message,
                                       traceback=[f"\x1b[0;31m{ename}\x1b[0m: {message}"])]


def _read_result(out, err, returncode, nb_in, events):
    """(executed notebook, timings, complete) from the runner's answer; `events` gets its events.
    No usable answer: every code cell fails."""
    try:
        result = json.loads(out.decode("utf-8"))
        executed = nbformat.from_dict(result["notebook"])
        events[:0] = result["events"]
        complete = not events or all(e["kind"] != "limit" or e["cell"] is not None for e in events)
        return executed, result.get("timings", {}), complete
    except (ValueError, KeyError, UnicodeDecodeError):
        tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        log.error("notebook runner gave no usable result (exit %s): %s", returncode, " | ".join(tail))
        _fail_all_cells(nb_in, "DeadKernelError", "The notebook could not be executed (the run was killed or crashed).")
        events.append({"cell": None, "kind": "kernel_died",
                       "message": f"runner gave no usable result (exit status {returncode})"})
        return nb_in, {}, False


def main(argv=None):
    """Run one notebook with the files of its folder; print the report as JSON."""
    p = argparse.ArgumentParser(prog="python -m mlpkit.sandbox.run", description=main.__doc__)
    p.add_argument("notebook", type=Path)
    p.add_argument("--out", type=Path, help="write the executed notebook here")
    p.add_argument("--sandbox", choices=SANDBOX_MODES, default="auto")
    p.add_argument("--timeout", type=int, help="seconds per cell (default: GradingLimits.cell_timeout)")
    p.add_argument("--notebook-timeout", type=int, help="default: GradingLimits.notebook_timeout")
    args = p.parse_args(argv)
    nb = nbformat.read(str(args.notebook), as_version=4)
    given = {"cell_timeout": args.timeout, "notebook_timeout": args.notebook_timeout}
    limits = GradingLimits(**{k: v for k, v in given.items() if v is not None})
    executed, report = run_notebook(nb, args.notebook.parent, limits=limits, sandbox=args.sandbox)
    if args.out:
        nbformat.write(executed, str(args.out))
    print(json.dumps(report, indent=1))
    return 0 if report["complete"] else 1


if __name__ == "__main__":
    sys.exit(main())
