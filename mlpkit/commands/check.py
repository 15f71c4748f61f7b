"""`mlpkit check <notebook>`: run the visible tests of one notebook (for students and TAs).

    mlpkit check release/mlp_lab/mlp_lab.ipynb
    python -m mlpkit check mlp_lab.ipynb --sandbox off

Executes the notebook as it is, in its own folder (so the files next to it,
mnist_loader.py and mnist_subset.npz, are used), in grading mode
(`NBGRADER_EXECUTION=validate`: subset data, one epoch; a few seconds), then
prints one summary line per task (`task0: 2/3 visible tests pass; failing:
task0_softmax_no_overflow`), then one line per test cell, PASS, FAIL with the
failure message, or SKIP for an optional part left as released ("not attempted",
the lab's `optional_part`). Exits 1 when a test fails, a cell raises, or the
notebook does not run to the end; 0 otherwise, unattempted optional parts included
(unlike `nbgrader validate`, which exits 0 either way).
"""
import shutil
import sys
import tempfile
from pathlib import Path

from mlpkit import notebook, paths
from mlpkit.course import Course
from mlpkit.limits import GradingLimits
from mlpkit.notebook import grade_id, is_autograded_test
from mlpkit.preprocessors.validate_summary import task_summary
from mlpkit.sandbox.inside.protocol import NOT_ATTEMPTED
from mlpkit.sandbox.run import run_notebook

# Why check's limits differ from the course's (GradingLimits in nbgrader_config.py): it runs
# one notebook on a student's or TA's own, often slower, machine, where a timeout would only
# hide the test results the student came for; the grader's tight limits protect a queue of
# hundreds of notebooks on the grading server, which check does not have.
CHECK_LIMITS = {"cell_timeout": 60, "notebook_timeout": 600}
LAB_HELPERS = "lab_checks.py"   # the visible checks' helpers, handed out beside the notebook


def imports_lab_helpers(nb):
    stem = LAB_HELPERS.removesuffix(".py")
    return any(c.cell_type == "code" and stem in c.source for c in nb.cells)



def add_arguments(parser):
    parser.add_argument("notebook", type=Path, help="the notebook to check")
    parser.add_argument("--sandbox", choices=["auto", "require", "off"], default="auto",
                        help="run in bubblewrap if available (auto), always (require) or never (off)")
    parser.add_argument("--timeout", type=int, default=CHECK_LIMITS["cell_timeout"],
                        help=f"seconds per cell (default {CHECK_LIMITS['cell_timeout']})")


def run(args):
    path = args.notebook.resolve()
    try:
        nb = notebook.read(path)
    except Exception as exc:
        print(f"check: cannot read {args.notebook}: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="mlpkit-check-") as tmp:
        workdir, borrowed = working_folder(path, Path(args.course), Path(tmp))
        if imports_lab_helpers(nb) and not (workdir / LAB_HELPERS).is_file():
            # Without it every check fails with a NameError, and the real cause is one line among many.
            print(f"check: {LAB_HELPERS} is not next to {args.notebook}, so its checks cannot run. Keep the "
                  "notebook in the folder it came in (with lab_checks.py, mnist_loader.py and "
                  "mnist_subset.npz), or copy those files beside it.", file=sys.stderr)
            return 2
        if borrowed:
            print(f"note: using {', '.join(borrowed)} from the course's release folder "
                  "(not next to the notebook)", file=sys.stderr)
        results, problems = check_notebook(nb, workdir, sandbox=args.sandbox, cell_timeout=args.timeout)
    for line in task_summary(results):
        print(line)
    if results:
        print()
    width = max([len(r["test"]) for r in results] + [4])
    for r in results:
        label = "SKIP" if r.get("not_attempted") else "PASS" if r["passed"] else "FAIL"
        line = f"{label}  {r['test'].ljust(width)}"
        if not r["passed"] or r.get("not_attempted"):
            line += f"  {r['message']}"
        print(line)
    for p in problems:
        print(f"ERROR {p}")
    failed = sum(not r["passed"] for r in results)
    skipped = sum(bool(r.get("not_attempted")) for r in results)
    print(f"\n{len(results) - failed - skipped}/{len(results)} visible tests passed"
          + (f", {skipped} not attempted (optional)" if skipped else "")
          + (f", {len(problems)} other problem(s)" if problems else "") + ".")
    return 1 if failed or problems else 0


def working_folder(notebook, course_root, scratch):
    """The notebook's own folder; when given files are missing there (a TA checking
    submitted/<student>/mlp_lab/), a scratch copy completed from the course's release/: the
    course holding the notebook, else `course_root` (the --course one)."""
    folder = notebook.parent
    course = next((Course(root) for root in (paths.course_root(near=folder), course_root)
                   if root is not None and Course(root).config_file.is_file()), None)
    if course is None:
        return folder, []
    given_dir = course.release_dir if course.release_dir.is_dir() else course.source_dir
    given = [p for p in given_dir.iterdir() if p.is_file() and p.suffix != ".ipynb"] if given_dir.is_dir() else []
    missing = [p for p in given if not (folder / p.name).exists()]
    if not missing:
        return folder, []
    work = scratch / "work"
    shutil.copytree(folder, work, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
    for p in missing:
        shutil.copy2(p, work / p.name)
    return work, [p.name for p in missing]


def _not_attempted(cell):
    """True when the cell's checks printed the lab's "not attempted" line (an optional part left as released)."""
    return any(o.get("output_type") == "stream" and NOT_ATTEMPTED in "".join(o.get("text", ""))
               for o in cell.get("outputs", []))


def check_notebook(nb, workdir, *, sandbox="auto", cell_timeout=CHECK_LIMITS["cell_timeout"],
                   notebook_timeout=CHECK_LIMITS["notebook_timeout"]):
    """Execute `nb` in `workdir`; returns ([{test, passed, message}], [problem strings])."""
    limits = GradingLimits(cell_timeout=cell_timeout, notebook_timeout=notebook_timeout)
    executed, report = run_notebook(nb, workdir, limits=limits,
                                    sandbox=sandbox, env={"NBGRADER_EXECUTION": "validate"})
    results, problems = [], []
    for index, cell in enumerate(executed.cells):
        if cell.cell_type != "code":
            continue
        error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
        message = ": ".join(x for x in (error.get("ename"), error.get("evalue")) if x) if error else ""
        gid = grade_id(cell)
        if gid and is_autograded_test(cell):
            ran = cell.get("execution_count") is not None or error is not None
            skipped = error is None and _not_attempted(cell)
            results.append({"test": gid, "passed": ran and error is None, "not_attempted": skipped,
                            "message": NOT_ATTEMPTED if skipped else message if ran
                            else "did not run (an earlier cell stopped the notebook)"})
        elif error is not None:
            problems.append(f"cell {index} ({gid or 'no grade_id'}) raised {message}")
    for event in report.get("events", []):
        if event.get("kind") != "error":
            problems.append(f"cell {event.get('cell')}: {event.get('kind')}: {event.get('message')}")
    if not report.get("sandboxed") and sandbox != "off":
        print("note: ran without the sandbox (bubblewrap not available)", file=sys.stderr)
    return results, problems
