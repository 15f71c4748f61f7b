"""`mlpkit feedback`: per-student HTML feedback that teaches without leaking.

    mlpkit feedback                     # everyone graded under autograded/
    mlpkit feedback --student alice     # one (repeatable)

Writes feedback/<student>/mlp_lab/mlp_lab.html with nbgrader's generate_feedback and
the course's config, whose first GenerateFeedback step is the kit's scrubber
(mlpkit/preprocessors/scrub_feedback.py: no hidden tests, instructor solutions, mark
schemes, traceback lines or environment dumps). `nbgrader generate_feedback` and
the formgrader's "Generate Feedback" button run the very same step, so all three
write the same file. A course whose config lacks the step is refused.
"""
import sys

from mlpkit.course import NOTEBOOK, Course, CourseError
# The scrubber lives with its preprocessor; re-exported for callers of the kit.
from mlpkit.preprocessors.scrub_feedback import REDACTED, Scrubber  # noqa: F401

SCRUB_STEP = "mlpkit.preprocessors.scrub_feedback.ScrubFeedback"


def add_arguments(parser):
    parser.add_argument("--student", action="append", metavar="S",
                        help="only this student (repeatable); default: everyone autograded")


def run(args):
    course = Course(args.course)
    try:
        course.check()
        done, failed = generate_all(course, args.student)
    except CourseError as exc:
        print(f"feedback: {exc}", file=sys.stderr)
        return 2
    if not done and not failed:
        print("feedback: nothing autograded yet (run `mlpkit autograde`)", file=sys.stderr)
        return 1
    for student in done:
        print(f"{student}: {course.feedback_path(student).relative_to(course.root)}")
    for student, error in failed.items():
        print(f"{student}: feedback FAILED: {error}", file=sys.stderr)
    return 1 if failed else 0


def generate_all(course, students=None):
    """Render feedback through nbgrader; returns ([students done], {student: error})."""
    from mlpkit.course import run_api
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
