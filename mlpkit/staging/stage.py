"""Stage one submission for grading: normalize it, copy its files, scan its code.

Step 1 of the autograde pipeline (docs/design.md). The repaired notebook (normalize.py)
and the student's other files (only their own regular files: mlpkit/staging/beside.py) go to
grading/normalized/<student>/mlp_lab/ (nbgrader's submitted_directory while mlpkit grades), and
its code is scanned for tampering (scan.py); submitted/ is never touched. A single notebook
under another name (`MLP_Lab (1).ipynb`) is graded, and the record names it.

    from mlpkit.staging.stage import stage
    folder = stage(course, "alice", course.release_notebook(), result)   # fills result.status/notes/tampering
"""
import copy
import os
import shutil

from mlpkit import notebook
from mlpkit.course import NOTEBOOK
from mlpkit.limits import GradingLimits
from mlpkit.staging import beside
from mlpkit.staging.normalize import normalize
from mlpkit.staging.scan import scan_notebook
from mlpkit.statuses import INVALID_NOTEBOOK


def stage(course, student, release_nb, res):
    """Normalize the submission into grading/normalized/<student>/mlp_lab/ and return that folder."""
    src_dir = course.submitted_dir / student / course.assignment
    dest = course.staged_dir(student)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if src_dir.is_dir() and not src_dir.is_symlink():
        kept, refused = beside.sort_folder(src_dir, GradingLimits(config=course.load_config()))
        beside.copy_kept(src_dir, kept, dest)
        res.notes += beside.describe(refused)
    norm = normalize(_submission(course, student, res), release_nb)
    res.status += [f for f in norm.flags if f not in res.status]
    res.notes += norm.notes
    notebook.write(norm.nb, dest / f"{NOTEBOOK}.ipynb")
    try:
        res.tampering = scan_findings(norm.nb) if INVALID_NOTEBOOK not in norm.flags else []
    except Exception as exc:  # the scan is advice for the instructor; grading goes on without it
        res.notes.append(f"tampering scan failed: {type(exc).__name__}: {exc}")
    return dest


def _submission(course, student, res):
    """The notebook to grade (beside.find_submission); a path that does not exist when none."""
    expected = course.submission_path(student)
    found, notes = beside.find_submission(expected)
    res.notes += notes
    if found is not None and found != expected:
        res.graded_file = found.name
    return found or expected.parent / "refused-or-missing.ipynb"   # never exists: graded as missing


def scan_findings(nb):
    """mlpkit.staging.scan findings for the student's code: solution cells and cells the student added."""
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and not notebook.grade_id(cell):
            cell.metadata["nbgrader"] = {"solution": True, "grade_id": f"added cell {index}"}
    return [dict(cell_grade_id=f.cell_grade_id, line=f.line, reason=f.reason) for f in scan_notebook(nb)]
