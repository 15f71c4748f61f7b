"""Execute a notebook safely: in the bubblewrap sandbox, with limits, cached by code.

    python -m mlpkit.execute path/to/notebook.ipynb [--out executed.ipynb] [--sandbox require]

- `run_notebook(nb, workdir, ...) -> (executed_nb, report)` runs one notebook;
- `run_notebook_cached(nb, workdir, cache_dir, ...)` the same, through a cache keyed
  by `cache_key(nb)` (the code cells' sources);
(`mlpkit.sandboxed_execute.SandboxedExecute` is the nbgrader preprocessor around them.)
Timeouts and limits come from a `mlpkit.limits.GradingLimits`.

The notebook goes to mlpkit/_runner.py on stdin (it holds the hidden tests, so it is
never a file inside the sandbox); the working files of `workdir` are copied into a
fresh scratch folder, which is all the student code sees of the course (see
mlpkit/sandbox.py and docs/sandbox.md). `report = {"sandboxed": bool, "events":
[{"cell": i, "kind": "error|timeout|kernel_died|output_truncated|limit", "message":
str}], "seconds": float}` plus `uid_separation`, `seccomp`, `limits`, `timings`
(runner start, kernel start, total) and `complete` (False when the run broke down
for reasons outside the notebook; such runs are not cached).
Student faults never raise.
"""
import argparse
import copy
import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import nbformat
from nbformat.v4 import new_output

from mlpkit import __version__
from mlpkit import sandbox as _sandbox
from mlpkit import warm_sandbox
from mlpkit.limits import GradingLimits

log = logging.getLogger(__name__)

# Bump when the runner's semantics change: cached runs of older kits are then ignored.
CACHE_SALT = f"mlpkit-execute-{__version__}-runner-2"
SANDBOX_MODES = ("auto", "require", "off")
IGNORED_FILES = (".ipynb_checkpoints", "__pycache__", ".DS_Store")

UNSANDBOXED_WARNING = ("mlpkit: running student code UNSANDBOXED ({detail}). It can read the "
                       "course files, the gradebook and the network. Install bubblewrap, or "
                       "pass sandbox='require' to refuse to grade without it.")


def _course_root_of(workdir):
    """The course root holding `workdir`: the nearest parent with nbgrader_config.py, else
    the folder above nbgrader's autograded/ or submitted/ (e.g. <root>/autograded/<s>/<a>)."""
    folder = Path(workdir).resolve()
    for parent in [folder, *folder.parents]:
        if (parent / "nbgrader_config.py").is_file():
            return parent
    for parent in folder.parents:
        if parent.name in ("autograded", "submitted") and parent.parent != Path("/"):
            return parent.parent
    return None


def _working_files(workdir):
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


def _stage_files(workdir, staging):
    """Copy the notebook's working files into `staging`."""
    staging.mkdir()
    for path in _working_files(workdir):
        target = staging / path.relative_to(workdir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def _fail_all_cells(nb, ename, message):
    """Mark every code cell failed: a run we could not read must never earn points."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [_error_output(ename, message)]


def _error_output(ename, message):
    return new_output("error", ename=ename, evalue=message,
                      traceback=[f"\x1b[0;31m{ename}\x1b[0m: {message}"])


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass


def run_notebook(nb, workdir, *, limits, sandbox="auto", env=None, course_root=None, reuse=False):
    """Execute `nb` (a NotebookNode) with the files of `workdir`; return (executed_nb, report).

    limits: a GradingLimits (timeouts, output caps, resource limits).
    sandbox: "auto" (bubblewrap if usable, else unsandboxed with a loud warning),
    "require" (raise sandbox.SandboxUnavailable if bubblewrap is unusable) or "off".
    env: extra variables for the notebook (e.g. {"NBGRADER_EXECUTION": "validate"}).
    course_root: hidden from the notebook; default: the parent of `workdir` holding
    nbgrader_config.py.
    reuse: run in this process's warm sandbox (mlpkit/warm_sandbox.py) where the machine
    allows it (uid separation); the results are the same as a cold run's.
    """
    if sandbox not in SANDBOX_MODES:
        raise ValueError(f"sandbox must be one of {SANDBOX_MODES}, not {sandbox!r}")
    start = time.monotonic()
    env = dict(env or {})
    nbgrader_execution = env.pop("NBGRADER_EXECUTION", os.environ.get("NBGRADER_EXECUTION") or "autograde")
    if course_root is None and workdir is not None:
        course_root = _course_root_of(workdir)
    nb_in = nbformat.from_dict(copy.deepcopy(nb))
    payload = json.dumps(nb_in).encode("utf-8")
    wall = limits.notebook_timeout + limits.wall_slack
    settings = dict(limits=limits, course_root=course_root, nbgrader_execution=nbgrader_execution,
                    env_extra=env, mode=sandbox)
    box = warm_sandbox.get(**settings) if reuse and sandbox != "off" else None
    if box is not None:
        files = [(path.relative_to(workdir), path) for path in _working_files(workdir)]
        out, err, returncode, timed_out = box.run(payload, files, wall)
        if out is None and not timed_out:
            # The warm sandbox broke without an answer (e.g. its zygote was killed): once more
            # in a fresh one, so that a fault of the sandbox does not cost the student.
            box = warm_sandbox.get(**settings) or box
            out, err, returncode, timed_out = box.run(payload, files, wall)
        plan, out, err = box.plan, out or b"", err.encode()
    else:
        with tempfile.TemporaryDirectory(prefix="mlpkit-run-") as tmp:
            staging = Path(tmp) / "given"
            _stage_files(workdir, staging)
            plan = _sandbox.build_command(runner_args=limits.runner_args(), staging=staging, **settings)
            if not plan.sandboxed and sandbox != "off":
                message = UNSANDBOXED_WARNING.format(detail=_sandbox.probe()[1])
                log.warning(message)
                warnings.warn(message, RuntimeWarning, stacklevel=2)
            out, err, returncode, timed_out = _run_cold(plan, payload, wall)
    events = []
    if timed_out:
        events.append({"cell": None, "kind": "limit",
                       "message": f"the whole run passed the wall-clock limit ({wall:g} s) and was killed"})
    executed, timings, complete = _read_result(out, err, returncode, nb_in, events)
    report = {"sandboxed": plan.sandboxed, "uid_separation": plan.uid_separation, "seccomp": bool(plan.seccomp),
              "warm": box is not None, "events": events, "seconds": round(time.monotonic() - start, 3),
              "limits": plan.limits, "complete": complete, "timings": timings}
    return executed, report


def _run_cold(plan, payload, wall):
    """One sandbox for one notebook: (stdout, stderr, exit status, timed out)."""
    try:
        proc = plan.start(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:  # e.g. bwrap vanished: a fault of the machine, not of the student
        return b"", str(e).encode(), None, False
    timed_out = False
    try:
        out, err = proc.communicate(payload, timeout=wall)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        timed_out = True
    finally:
        _kill_group(proc)  # nothing of the run outlives it
    return out, err, proc.returncode, timed_out


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


def cache_key(nb):
    """SHA-256 over the code cells' sources, in order, salted with the kit's version."""
    h = hashlib.sha256(CACHE_SALT.encode())
    for cell in nb.cells:
        if cell.cell_type == "code":
            source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
            h.update(b"\x00cell\x00" + source.encode("utf-8"))
    return h.hexdigest()


def _files_digest(workdir):
    """Digest of the working files, so a changed data file invalidates cached runs."""
    h = hashlib.sha256()
    for path in _working_files(workdir):
        h.update(str(path.relative_to(workdir)).encode() + b"\x00")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _code_cell_indices(nb):
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def _graft(nb, executed, report):
    """Copy outputs of `executed` onto the code cells of `nb` (same code, maybe other markdown)."""
    target = copy.deepcopy(nb)
    src_idx, dst_idx = _code_cell_indices(executed), _code_cell_indices(target)
    for s, d in zip(src_idx, dst_idx):
        target.cells[d].outputs = nbformat.from_dict(copy.deepcopy(executed.cells[s].get("outputs", [])))
        target.cells[d].execution_count = executed.cells[s].get("execution_count")
    mapping = dict(zip(src_idx, dst_idx))
    report = copy.deepcopy(report)
    for event in report["events"]:
        if event.get("cell") is not None:
            event["cell"] = mapping.get(event["cell"], event["cell"])
    return target, report


def run_notebook_cached(nb, workdir, cache_dir, refresh=False, **kw):
    """`run_notebook` through `cache_dir/<cache_key(nb)>.json`; returns (executed_nb, report).

    A hit needs the same code, the same working files and the same limits and sandbox
    mode; `report["cached"]` says whether it was one. Incomplete runs are not stored.
    refresh: run even on a hit (and store the new run).
    """
    if not cache_dir:
        executed, report = run_notebook(nb, workdir, **kw)
        report["cached"] = False
        return executed, report
    cache_dir = Path(cache_dir)
    path = cache_dir / f"{cache_key(nb)}.json"
    params = {"limits": kw["limits"].key(), "sandbox": kw.get("sandbox", "auto"), "env": kw.get("env") or {},
              "files": _files_digest(workdir)}
    if path.is_file() and not refresh:
        try:
            entry = json.loads(path.read_text())
            if entry.get("params") == params:
                executed, report = _graft(nb, nbformat.from_dict(entry["notebook"]), entry["report"])
                report["cached"] = True
                return executed, report
        except (ValueError, KeyError, OSError):
            log.warning("ignoring unreadable cache entry %s", path)
    executed, report = run_notebook(nb, workdir, **kw)
    report["cached"] = False
    if report.get("complete"):
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps({"params": params, "notebook": executed, "report": report}))
        os.replace(tmp, path)  # atomic: parallel workers never read half an entry
    return executed, report


def main(argv=None):
    """Run one notebook with the files of its folder; print the report as JSON."""
    p = argparse.ArgumentParser(prog="python -m mlpkit.execute", description=main.__doc__)
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
