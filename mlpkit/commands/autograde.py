"""`mlpkit autograde`: grade submissions into gradebook.db, in parallel, sandboxed.

    mlpkit autograde                      # every student under submitted/
    mlpkit autograde --student alice      # one (repeatable)
    mlpkit autograde --jobs 1             # strictly sequential (same results; default: cores + 1 workers)
    mlpkit autograde --changed-only       # skip students whose notebook and the source are unchanged
    mlpkit autograde --sandbox require    # fail rather than run student code unsandboxed
    mlpkit autograde --dry-run [--student S]   # preview: grade a scratch copy, print what would change
    mlpkit autograde --dry-run --catalogue     # preview the catalogue: does every mutant still lose its points?

The pipeline is mlpkit/pipeline/grade.py's `grade_all` (docs/design.md): stage each
submission, then workers record one student at a time through nbgrader, each notebook run in
the worker's warm sandbox; grading/<student>.json is written as each comes back.
"""
import sys

from mlpkit.course import CourseError
from mlpkit.gradebook import results
from mlpkit.gradebook.results import summary_table
from mlpkit.paths import KIT_CHECKOUT
from mlpkit.pipeline.dry_run import dry_run, format_changes
from mlpkit.pipeline.grade import grade_all


def add_arguments(parser):
    parser.add_argument("--student", action="append", metavar="S",
                        help="grade only this student (repeatable); default: everyone under submitted/")
    parser.add_argument("--jobs", type=int, default=None,
                        help="grading workers (default: one per core, plus one; 1 = sequential)")
    parser.add_argument("--sandbox", choices=["auto", "require", "off"], default="auto",
                        help="auto: bubblewrap if available, else warn loudly; require: refuse without it")
    parser.add_argument("--changed-only", action="store_true",
                        help="skip students whose notebook and the source notebook are unchanged "
                             "since their last grading")
    parser.add_argument("--force", action="store_true",
                        help="ignore the cached runs of the selected students and execute their notebooks again")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--dry-run", action="store_true",
                        help="grade a scratch copy of the course and print per student and per cell what "
                             "would change in the autograded cells (manual grades left out); "
                             "gradebook.db, grading/ and feedback/ are not touched")
    parser.add_argument("--catalogue", action="store_true",
                        help="with --dry-run: grade the catalogue's mutants (tests/variants/) instead of the "
                             "students, and check each still loses exactly its points and keeps its cause")


def run(args):
    if args.catalogue and not args.dry_run:
        print("autograde: --catalogue is a preview: use it with --dry-run", file=sys.stderr)
        return 2
    if args.dry_run:
        return preview(args)
    try:
        graded = grade_all(args.course, students=args.student, jobs=args.jobs, sandbox=args.sandbox,
                           progress=not args.quiet, changed_only=args.changed_only, force=args.force)
    except CourseError as exc:
        print(f"autograde: {exc}", file=sys.stderr)
        return 2
    print(summary_table(graded))
    unsandboxed = sorted(s for s, r in graded.items() if r.sandboxed is False and not r.skipped)
    if unsandboxed and args.sandbox != "off":
        print(f"\nWARNING: {len(unsandboxed)} notebook(s) ran UNSANDBOXED: {', '.join(unsandboxed)}",
              file=sys.stderr)
    return 1 if results.report_grader_faults(graded) else 0


def preview(args):
    """--dry-run: the students (or, with --catalogue, the mutants) graded in a scratch course."""
    try:
        if args.catalogue:
            if str(KIT_CHECKOUT) not in sys.path:
                sys.path.append(str(KIT_CHECKOUT))
            # Developer tooling of the kit's checkout: the mutants' code lives there, not in a course.
            from devtools.causes import recheck_catalogue
            ok, report = recheck_catalogue(args.course, jobs=args.jobs, sandbox=args.sandbox)
            print(report)
            return 0 if ok else 1
        changes = dry_run(args.course, students=args.student, jobs=args.jobs, sandbox=args.sandbox,
                          progress=not args.quiet)
    except CourseError as exc:
        print(f"autograde: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(f"autograde: --catalogue needs the kit's checkout (devtools/, tests/variants/): {exc}",
              file=sys.stderr)
        return 2
    print(format_changes(changes))
    return 0
