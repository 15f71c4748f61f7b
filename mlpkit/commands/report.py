"""`mlpkit report`: the class report, one self-contained HTML file and a CSV of its tables.

    mlpkit report                 # <course>/reports/mlp_lab_report.html and .csv; prints the HTML's path
    mlpkit report --out DIR

Score distributions per task (core and bonus), item analysis per autograded cell (pass rate and
point-biserial discrimination), the likely causes by count with their students, the flagged
students (failed to execute, tampering, late) and the grading time; figures embedded, nothing
linked (mlpkit/gradebook/report.py, analysis.py). Run it after `mlpkit autograde`.
"""
import sys
from pathlib import Path

from mlpkit.course import Course, CourseError
from mlpkit.gradebook.report import write_report


def add_arguments(parser):
    parser.add_argument("--out", type=Path, default=None, help="folder for the report (default: <course>/reports)")


def run(args):
    try:
        course = Course(args.course).check()
        if not course.gradebook_path.exists():
            raise CourseError("no gradebook.db yet: run `mlpkit autograde` first")
        html_path, csv_path = write_report(course, args.out)
    except CourseError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    print(f"tables: {csv_path}", file=sys.stderr)
    print(html_path)
    return 0
