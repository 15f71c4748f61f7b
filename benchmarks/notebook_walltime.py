"""Wall time of the whole lab notebook, in student mode and in grading mode, with the slowest cells.

    PYTHONPATH=. python benchmarks/notebook_walltime.py           # student mode, then grading mode
    PYTHONPATH=. python benchmarks/notebook_walltime.py --small   # grading mode only (CI)

Runs the SOURCE notebook (reference solutions, hidden tests included) top to bottom
with nbclient in a scratch copy of source/mlp_lab/, the way a student's Jupyter would:
- student mode: `NBGRADER_EXECUTION` and `MLP_LAB_SUBSET` unset, so every experiment
  of the lab runs on full MNIST (needs the cache, see docs/data.md); cell timeout
  `--timeout` (default one hour: nbgrader's 30 s would stop the training cells);
- grading mode: `NBGRADER_EXECUTION=autograde`, as under nbgrader (subset data,
  1 epoch, 1 learning rate, 1 run), without the sandbox (grading_throughput.py
  measures that).
Prints per mode: total wall time, kernel start-up (wall time not spent in cells),
the sum over cells, the cells that raised, and the `--top` slowest cells (from
nbclient's per-cell timestamps).
Target (issue 6): student mode under 3 minutes; grading mode a few seconds.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mlpkit import notebook  # noqa: E402

TARGET_STUDENT_SECONDS = 180


@contextmanager
def kernel_environment(grading):
    """os.environ as the kernel should inherit it for this mode (restored afterwards)."""
    saved = dict(os.environ)
    for var in ("NBGRADER_EXECUTION", "MLP_LAB_SUBSET"):
        os.environ.pop(var, None)
    if grading:
        os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _seconds(cell):
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not start or not end:
        return 0.0
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def cell_kind(cell, first_code):
    if notebook.is_autograded_test(cell):
        return "test cells"
    if notebook.is_solution(cell):
        return "solution cells"
    return "set-up cell (imports, data)" if first_code else "other cells (given code, experiments)"


def run_cells(nb, workdir, grading, timeout, progress=True):
    """Execute `nb` (modified in place) with nbclient in `workdir`; return figures and per-cell times."""
    from nbclient import NotebookClient
    started = time.perf_counter()

    def report(cell, cell_index, **_):
        # On stderr as it goes, so a run that is stopped early still says where the time went.
        gid = notebook.grade_id(cell) or "-"
        print(f"  [{time.perf_counter() - started:7.1f} s] cell {cell_index:3d} {gid:38s} {_seconds(cell):7.2f} s",
              file=sys.stderr, flush=True)

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            record_timing=True, resources={"metadata": {"path": str(workdir)}},
                            on_cell_executed=report if progress else None)
    with kernel_environment(grading):
        t0 = time.perf_counter()
        client.execute()
        wall = time.perf_counter() - t0
    cells, by_kind = [], {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        first = next((line for line in cell.source.splitlines() if line.strip()), "")
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        kind = cell_kind(cell, not cells)
        cells.append({"index": i, "grade_id": notebook.grade_id(cell) or "-", "seconds": _seconds(cell),
                      "first": first, "error": errors[0]["ename"] if errors else None, "kind": kind})
        by_kind[kind] = by_kind.get(kind, 0.0) + cells[-1]["seconds"]
    in_cells = sum(c["seconds"] for c in cells)
    return {"wall": wall, "in_cells": in_cells, "overhead": wall - in_cells, "cells": cells,
            "by_kind": by_kind, "errors": [c for c in cells if c["error"]]}


def run_mode(source_dir, grading, timeout):
    """Execute the source notebook once in a scratch copy of its folder."""
    import nbformat
    nb = nbformat.read(str(source_dir / "mlp_lab.ipynb"), as_version=4)
    with tempfile.TemporaryDirectory(prefix="mlpkit-walltime-") as tmp:
        work = Path(tmp) / "mlp_lab"
        shutil.copytree(source_dir, work, ignore=shutil.ignore_patterns("*.ipynb", "__pycache__",
                                                                       ".ipynb_checkpoints"))
        return run_cells(nb, work, grading, timeout)


def print_mode(name, result, top):
    print(f"{name}: {result['wall']:.1f} s wall ({result['in_cells']:.1f} s in {len(result['cells'])} code cells, "
          f"{result['overhead']:.1f} s kernel start-up and shutdown)")
    print("  by kind: " + ", ".join(f"{kind} {sec:.1f} s" for kind, sec in result["by_kind"].items()))
    errors = result["errors"]
    raised = ", ".join(f"{c['index']} {c['grade_id']} ({c['error']})" for c in errors)
    print(f"  cells that raised: {raised or 'none'}")
    print(f"  {'cell':>4}  {'grade_id':50s}  {'seconds':>8s}  {'share':>5s}  first line")
    for c in sorted(result["cells"], key=lambda c: -c["seconds"])[:top]:
        share = 100 * c["seconds"] / max(result["wall"], 1e-9)
        print(f"  {c['index']:4d}  {c['grade_id']:50s}  {c['seconds']:8.2f}  {share:4.0f}%  {c['first'][:50]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", type=Path, default=REPO, help="course root (default: this repo)")
    parser.add_argument("--small", action="store_true", help="grading mode only (for CI)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell (student mode)")
    parser.add_argument("--top", type=int, default=8, help="how many of the slowest cells to list")
    args = parser.parse_args(argv)
    source_dir = args.course.resolve() / "source" / "mlp_lab"
    if not (source_dir / "mlp_lab.ipynb").is_file():
        print(f"no source notebook at {source_dir / 'mlp_lab.ipynb'}", file=sys.stderr)
        return 2

    print(f"notebook wall time: {source_dir / 'mlp_lab.ipynb'} executed with nbclient (no sandbox)\n")
    status = 0
    if not args.small:
        sys.path.insert(0, str(source_dir))
        from mnist_loader import cache_path
        if not Path(cache_path()).is_file():
            print(f"student mode: skipped, no full MNIST cache at {cache_path()} (`mlpkit data fetch`)\n")
        else:
            student = run_mode(source_dir, grading=False, timeout=args.timeout)
            print_mode("student mode (full MNIST, every experiment)", student, args.top)
            met = student["wall"] < TARGET_STUDENT_SECONDS
            print(f"  target < {TARGET_STUDENT_SECONDS} s: {'met' if met else 'NOT met'}\n")
    grading = run_mode(source_dir, grading=True, timeout=args.timeout)
    print_mode("grading mode (NBGRADER_EXECUTION=autograde, subset data)", grading, args.top)
    if grading["errors"]:
        print("  note: the reference solution should pass every test; the cells above raised")
        status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
