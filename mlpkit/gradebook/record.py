"""Record students in gradebook.db through nbgrader's own autograde (the only gradebook writer).

What each grading worker does per student (mlpkit/pipeline/workers.py, docs/design.md):

    from mlpkit.gradebook import record
    record.sync_gradebook(course)                  # gradebook holds the current source's cells
    api = record.grading_api(course, sandbox="auto")
    record.record(course, api, result)             # NbGraderAPI.autograde for one student

nbgrader's execute step (`SandboxedExecute`) runs the notebook sandboxed, through the run
cache (an unchanged notebook is not run again). Each notebook's grades are saved in one
transaction (save.py): a grader killed at any moment leaves each student's previous grades
or the new ones, never a mix.
"""
import json
import shutil
import time
from pathlib import Path

from nbgrader.api import MissingEntry

from mlpkit import notebook
from mlpkit.course import NOTEBOOK, STAGED, run_api
from mlpkit.judging.causes import recorded_causes
from mlpkit.gradebook.totals import bonus_points
from mlpkit.releasing.generate import generate


def sync_gradebook(course):
    """Make sure gradebook.db holds the current source notebook (cells, hidden tests).

    nbgrader restores test cells from the gradebook, not from source/, so after a test
    fix the gradebook must be refreshed. Regenerates into a scratch release folder
    (`course.scratch_release_root`, in the kit's cache) so the committed release/ is untouched.
    True if it did.
    """
    if course.gradebook_in_sync() and _assignment_in_gradebook(course):
        return False
    generate(course, **{"CourseDirectory.release_directory": str(course.scratch_release_root)})
    return True


def _assignment_in_gradebook(course):
    with course.gradebook() as gb:
        try:
            gb.find_notebook(NOTEBOOK, course.assignment)
            return True
        except MissingEntry:
            return False


def gradebook_students(course):
    """Student ids in gradebook.db (none when there is no gradebook yet)."""
    if not course.gradebook_path.exists():
        return set()
    with course.gradebook() as gb:
        return {s.id for s in gb.students}


def grading_api(course, sandbox):
    """NbGraderAPI that grades the staged copies, executing through the run cache."""
    api = course.api(**{"CourseDirectory.submitted_directory": STAGED})
    cfg = api.config
    cfg.SandboxedExecute.cache_dir = str(course.run_cache_dir)
    cfg.SandboxedExecute.sandbox = sandbox
    api.update_config(cfg)
    return api


def record_one(course, api, res):
    """`record`, with failure handled: the error is recorded and half-created entries undone."""
    t0 = time.perf_counter()
    try:
        record(course, api, res)
    except Exception:
        res.fail("nbgrader autograde")
        drop_partial_submission(course, res.student)
    res.timings["record"] = round(time.perf_counter() - t0, 3)


def record(course, api, res):
    """nbgrader autograde for `res.student`; fills res.scores (raises when nbgrader fails)."""
    report_dir = course.reports_dir / res.student
    api.config.SandboxedExecute.report_dir = str(report_dir)   # read by the app nbgrader creates
    out = run_api(api, "autograde", course.assignment, res.student, force=True, create=True)
    if not out.get("success"):
        # nbgrader's own error is a generic "see the log"; the cause is in the log.
        log = "\n".join((out.get("log") or "").strip().splitlines()[-40:])
        raise RuntimeError(f"nbgrader autograde failed:\n{log}\n{out.get('error') or ''}")
    _merge_execute_report(res, report_dir)
    res.scores = read_scores(course, res.student)
    res.likely_causes = read_likely_causes(course, res.student)


def read_likely_causes(course, student):
    """What the LikelyCauses step stored in the autograded notebook ([] if none or unreadable)."""
    try:
        return recorded_causes(notebook.read(course.autograded_path(student)))
    except (OSError, ValueError):
        return []


def _merge_execute_report(res, report_dir):
    """What SandboxedExecute reported of the run nbgrader graded (a cache hit: an earlier run
    of exactly this code and these files)."""
    path = Path(report_dir) / f"{res.student}.exec.json"
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        res.notes.append("no execution report from nbgrader's execute step")
        return
    finally:
        shutil.rmtree(report_dir, ignore_errors=True)
    res.cached = bool(report.get("cached"))
    res.executed = not res.cached
    res.events = list(report.get("events", []))
    res.sandboxed = report.get("sandboxed")
    if not res.cached:
        res.timings["execute"] = report.get("seconds")


def read_scores(course, student):
    """{grade_id: {...}} for one student, read through nbgrader's Gradebook API.

    A bonus cell's max_score is its points in the source notebook: the gradebook holds 0 for it,
    because nbgrader counts bonus points as extra credit (save.py)."""
    full = bonus_points(course.source_notebook())
    with course.gradebook() as gb:
        nb = gb.find_submission_notebook(NOTEBOOK, course.assignment, student)
        return {g.name: {"score": g.score, "max_score": full.get(g.name, g.max_score), "auto_score": g.auto_score,
                         "manual_score": g.manual_score, "needs_manual_grade": bool(g.needs_manual_grade),
                         "cell_type": g.cell.cell_type}
                for g in nb.grades}


def drop_partial_submission(course, student):
    """After a failed recording, leave no submission whose grades were never written."""
    try:
        with course.gradebook() as gb:
            try:
                sub = gb.find_submission(course.assignment, student)
            except MissingEntry:
                return
            if all(g.auto_score is None and g.manual_score is None for nb in sub.notebooks for g in nb.grades):
                gb.remove_submission(course.assignment, student)
    except Exception:  # best effort: the error is already recorded
        pass
