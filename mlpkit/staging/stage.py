"""Stage one submission for grading: normalize it, copy its files, scan its code.

Step 1 of the autograde pipeline (docs/design.md). The repaired notebook (normalize.py)
and the student's other files go to grading/normalized/<student>/mlp_lab/ (nbgrader's
submitted_directory while mlpkit grades), and its code is scanned for tampering (scan.py);
submitted/ is never touched.

    from mlpkit.staging.stage import stage
    folder = stage(course, "alice", course.release_notebook(), result)   # fills result.status/notes/tampering
"""
import copy
import os
import shutil

from mlpkit import notebook
from mlpkit.course import NOTEBOOK
from mlpkit.staging.normalize import normalize
from mlpkit.staging.scan import scan_notebook
from mlpkit.statuses import INVALID_NOTEBOOK


def stage(course, student, release_nb, res):
    """Normalize the submission into grading/normalized/<student>/mlp_lab/ and return that folder."""
    src_dir = course.submitted_dir / student / course.assignment
    dest = course.staged_dir(student)
    if dest.exists():
        shutil.rmtree(dest)
    if src_dir.is_dir():
        shutil.copytree(src_dir, dest, ignore=_ignore_notebooks_and_links)
    dest.mkdir(parents=True, exist_ok=True)
    norm = normalize(course.submission_path(student), release_nb)
    res.status += [f for f in norm.flags if f not in res.status]
    res.notes += norm.notes
    notebook.write(norm.nb, dest / f"{NOTEBOOK}.ipynb")
    try:
        res.tampering = scan_findings(norm.nb) if INVALID_NOTEBOOK not in norm.flags else []
    except Exception as exc:  # the scan is advice for the instructor; grading goes on without it
        res.notes.append(f"tampering scan failed: {type(exc).__name__}: {exc}")
    return dest


def _ignore_notebooks_and_links(folder, names):
    # A symlink in a submission could pull any file of the grader's machine into grading.
    return {n for n in names if n.endswith(".ipynb") or n == ".ipynb_checkpoints"
            or os.path.islink(os.path.join(folder, n))}


def scan_findings(nb):
    """mlpkit.staging.scan findings for the student's code: solution cells and cells the student added."""
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and not notebook.grade_id(cell):
            cell.metadata["nbgrader"] = {"solution": True, "grade_id": f"added cell {index}"}
    return [dict(cell_grade_id=f.cell_grade_id, line=f.line, reason=f.reason) for f in scan_notebook(nb)]
