"""`mlpkit feedback`: per-student HTML feedback that teaches without leaking.

    mlpkit feedback                     # everyone graded under autograded/
    mlpkit feedback --student alice     # one (repeatable)

Writes feedback/<student>/mlp_lab/mlp_lab.html with nbgrader's generate_feedback and
the course's config, whose first GenerateFeedback step is the kit's scrubber
(mlpkit/preprocessors/scrub_feedback.py: no hidden tests, instructor solutions, mark
schemes, traceback lines or environment dumps). `nbgrader generate_feedback` and
the formgrader's "Generate Feedback" button run the very same step, so all three
write the same file. A course whose config lacks the step is refused.
The work is mlpkit/gradebook/feedback.py's.
"""
import sys

from mlpkit.course import Course, CourseError
from mlpkit.gradebook.feedback import generate_all


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
