"""`mlpkit grades`: export the gradebook as a CSV with per-task columns, totals and status.

    mlpkit grades                       # writes grades.csv at the course root, prints the table
    mlpkit grades --out marks.csv

One row per student (everyone in the gradebook or graded under grading/):
`student`, one column per task with its autograded points (`task0` ... `task4`),
one per manually graded reflection (`task1_reflection`, ...), `core_total`,
`core_max`, `bonus_total` and `bonus_max` (Task 3, `task3_*`, is the bonus),
`total` (core + bonus: the score nbgrader's formgrader shows, out of `core_max`,
because the bonus is recorded as extra credit, mlpkit/gradebook/save.py)
and `status` (`;`-joined flags, docs/design.md). Scores come from nbgrader's
Gradebook API (so manual grades entered in formgrader count), statuses from
grading/<student>.json; "needs manual grading" is re-read from the gradebook.

Python API: `mlpkit.gradebook.scores.collect_scores(course) -> pandas.DataFrame` (same columns).
"""
import sys
from pathlib import Path

from mlpkit.course import Course, CourseError
from mlpkit.gradebook.scores import collect_scores, format_table


def add_arguments(parser):
    parser.add_argument("--out", type=Path, default=None, help="CSV path (default: <course>/grades.csv)")


def run(args):
    course = Course(args.course)
    try:
        course.check()
        if not course.gradebook_path.exists():
            raise CourseError("no gradebook.db yet: run `mlpkit release` and `mlpkit autograde` first")
        df = collect_scores(course)
    except CourseError as exc:
        print(f"grades: {exc}", file=sys.stderr)
        return 2
    out = args.out or course.root / "grades.csv"
    df.to_csv(out, index=False)
    print(format_table(df))
    print(f"\nwrote {out}")
    return 0
