"""`mlpkit demo`: the main job. Release the lab, grade the example submissions, report.

    mlpkit demo                 # release -> autograde submitted/ -> feedback -> grades.csv
    mlpkit demo --jobs 1 --sandbox off

Prints the autograde summary and the grade table, and writes grades.csv,
feedback/ and grading/. Exit code 0 when every submission ran and was recorded in
the gradebook (buggy or broken examples are supposed to lose points, not fail the demo).
"""
import sys
import time

from mlpkit.course import Course, CourseError
from mlpkit.gradebook import results
from mlpkit.gradebook.feedback import generate_all
from mlpkit.gradebook.scores import collect_scores, format_table
from mlpkit.pipeline.grade import grade_all
from mlpkit.releasing.generate import ReleaseError, release


def add_arguments(parser):
    parser.add_argument("--jobs", type=int, default=None, help="parallel executions (default: all cores)")
    parser.add_argument("--sandbox", choices=["auto", "require", "off"], default="auto")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args):
    course = Course(args.course)
    t0 = time.perf_counter()
    try:
        course.check()
        if not course.submitted_students():
            raise CourseError("no submissions under submitted/ (run `python -m devtools.examples --update`)")
        print("== release", flush=True)
        release(course)
        print(f"released {course.release_nb_path.relative_to(course.root)}; leak check passed")
        print("\n== autograde", flush=True)
        graded = grade_all(course, jobs=args.jobs, sandbox=args.sandbox, progress=not args.quiet)
        print(results.summary_table(graded))
        print("\n== feedback", flush=True)
        done, failed = generate_all(course)
        print(f"{len(done)} feedback file(s) under feedback/" + (f"; FAILED: {failed}" if failed else ""))
        print("\n== grades", flush=True)
        df = collect_scores(course)
        df.to_csv(course.root / "grades.csv", index=False)
        print(format_table(df))
    except (CourseError, ReleaseError) as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    print(f"\nwrote grades.csv, feedback/, grading/ in {time.perf_counter() - t0:.0f} s")
    if failed:
        print(f"feedback failed: {list(failed)}", file=sys.stderr)
    return 1 if results.report_grader_faults(graded) or failed else 0
