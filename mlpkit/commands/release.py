"""`mlpkit release`: generate the student version of the lab and prove it leaks nothing.

    mlpkit release                # generate_assignment (force) + leak check + publish to the exchange
    mlpkit release --no-exchange  # the same without publishing
    mlpkit release --check        # only verify release/ equals a fresh regeneration

Runs nbgrader's generate_assignment in-process (this also records the
assignment, its cells and hidden tests in gradebook.db, with the due date of
`c.AssignmentSchedule.duedate`), strips outputs and execution counts, then
compares every line of release/ against the source notebook's solution,
hidden-test and mark-scheme regions and model answers. Any surviving marker or
non-trivial secret line fails loudly, naming the cell. The course's `roster.csv`
(names for the formgrader, see mlpkit/commands/collect.py) is recorded too. Only a
leak-free release is published, with nbgrader's release_assignment, to the
exchange of the config (`c.Exchange.root`, course-local by default): that is what
makes the formgrader show the assignment as "released" rather than "draft".
The work is mlpkit/releasing/'s.
"""
import sys

from mlpkit.course import ASSIGNMENT, Course, CourseError
from mlpkit.releasing.generate import ReleaseError, compare_with_fresh_release, release


def add_arguments(parser):
    parser.add_argument("--check", action="store_true",
                        help="only verify that release/ equals a fresh regeneration (no writes)")
    parser.add_argument("--no-exchange", action="store_true",
                        help="do not publish the release to the exchange (c.Exchange.root)")


def run(args):
    course = Course(args.course)
    try:
        course.check()
        if args.check:
            diffs = compare_with_fresh_release(course)
            if diffs:
                print("release/ is out of date with source/ (run `mlpkit release`):")
                for d in diffs:
                    print("  " + d)
                return 1
            print(f"release/{ASSIGNMENT} is up to date with source/ and leaks nothing.")
            return 0
        published = release(course, publish=not args.no_exchange)
    except (CourseError, ReleaseError) as exc:
        print(f"release failed: {exc}", file=sys.stderr)
        return 1
    print(f"released {course.release_nb_path.relative_to(course.root)}: no solution, hidden test "
          "or mark scheme text found.")
    if published:
        print(f"published to the exchange: {published}")
    return 0
