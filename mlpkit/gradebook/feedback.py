"""Feedback files: nbgrader's generate_feedback, whose first step is the kit's scrubber.

    done, failed = generate_all(course, students=None)   # ([students], {student: error})

Writes feedback/<student>/mlp_lab/mlp_lab.html with the course's config, whose first
GenerateFeedback step is mlpkit/preprocessors/scrub_feedback.py (no hidden tests, instructor
solutions, mark schemes, traceback lines or environment dumps). `nbgrader generate_feedback`
and the formgrader's "Generate Feedback" button run the very same step, so all three write
the same file. A course whose config lacks the step, or the hook that keeps links out of
feedback/ (mlpkit/preprocessors/own_files.py), is refused.
"""
from mlpkit.course import NOTEBOOK, CourseError, run_api

SCRUB_STEP = "mlpkit.preprocessors.scrub_feedback.ScrubFeedback"
# Keeps links and special files in autograded/ out of feedback/ (mlpkit/preprocessors/own_files.py).
FILES_HOOK = "mlpkit.preprocessors.own_files.before_feedback"


def generate_all(course, students=None):
    """Render feedback through nbgrader; returns ([students done], {student: error})."""
    check_scrubbed(course)
    students = students or sorted(p.parent.parent.name for p in
                                  course.autograded_dir.glob(f"*/{course.assignment}/{NOTEBOOK}.ipynb"))
    api = course.api()
    done, failed = [], {}
    for student in students:
        try:
            src = course.autograded_path(student)
            if not src.exists():
                raise FileNotFoundError(f"no autograded notebook at {src}")
            out = run_api(api, "generate_feedback", course.assignment, student, force=True)
            if not out.get("success"):
                raise RuntimeError((out.get("error") or out.get("log") or "").strip().splitlines()[-1])
            done.append(student)
        except Exception as exc:  # one student's failure never stops the others
            failed[student] = f"{type(exc).__name__}: {exc}"
    return done, failed


def check_scrubbed(course):
    """Refuse a course whose GenerateFeedback would hand hidden tests to students."""
    steps = course.load_config().GenerateFeedback.get("preprocessors", [])
    names = [s if isinstance(s, str) else f"{s.__module__}.{s.__name__}" for s in steps]
    if not names or names[0] != SCRUB_STEP:
        raise CourseError(
            "nbgrader_config.py does not scrub feedback, so it would show hidden tests: its first "
            f"`c.GenerateFeedback.preprocessors` entry must be {SCRUB_STEP!r} (see docs/instructor.md)")
    hook = course.load_config().GenerateFeedback.get("pre_convert_hook")
    if hook != FILES_HOOK and getattr(hook, "__module__", "") + "." + getattr(hook, "__name__", "") != FILES_HOOK:
        raise CourseError(
            "nbgrader_config.py lets symbolic links in autograded/ reach the feedback: set "
            f"`c.GenerateFeedback.pre_convert_hook = {FILES_HOOK!r}` (see docs/instructor.md)")
