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
(names for the formgrader, see mlpkit/collect.py) is recorded too. Only a
leak-free release is published, with nbgrader's release_assignment, to the
exchange of the config (`c.Exchange.root`, course-local by default): that is what
makes the formgrader show the assignment as "released" rather than "draft".
"""
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from traitlets import Unicode
from traitlets.config import Configurable

from mlpkit import notebook
from mlpkit.course import ASSIGNMENT, Course, CourseError
from mlpkit.notebook import MARKER_RE, grade_id, secret_lines


class AssignmentSchedule(Configurable):
    """Dates of the assignment, set in nbgrader_config.py (`c.AssignmentSchedule.duedate`)."""

    duedate = Unicode("", help="Due date recorded in the gradebook, e.g. '2026-12-18 23:59:00 UTC' "
                               "(any format nbgrader.utils.parse_utc reads); '' for none").tag(config=True)


@dataclass
class Leak:
    file: str
    cell: str      # grade_id, or "cell <index>" for cells without one
    text: str
    why: str

    def __str__(self):
        return f"{self.file} [{self.cell}]: {self.why}: {self.text!r}"


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


class ReleaseError(Exception):
    pass


def release(course, publish=True):
    """Generate release/ from source/ (force), strip outputs, leak-check, then (publish=True)
    copy it to the exchange. Returns the exchange folder or None. Raises ReleaseError."""
    generate(course)
    strip_outputs(course.release_nb_path)
    leaks = leak_check(course)
    if leaks:
        raise ReleaseError("the release leaks instructor material:\n" + "\n".join(f"  {x}" for x in leaks))
    register_roster(course)
    return publish_to_exchange(course) if publish else None


def register_roster(course):
    """The course's roster.csv (if any) into the gradebook, so the formgrader shows names."""
    from mlpkit.collect import default_roster, import_roster
    roster = default_roster(course)
    try:
        return import_roster(course, roster) if roster else {}
    except CourseError as exc:
        raise ReleaseError(str(exc)) from None


def generate(course, **overrides):
    """nbgrader generate_assignment (force); records the source's cells and the due date in gradebook.db."""
    from mlpkit.course import run_api
    exchange_root(course)   # nbgrader's API checks the exchange as it starts
    result = run_api(course.api(**overrides), "generate_assignment", course.assignment, force=True, create=True)
    if not result.get("success"):
        log = "\n".join((result.get("log") or "").strip().splitlines()[-30:])
        raise ReleaseError(f"nbgrader generate_assignment failed:\n{log}\n{result.get('error') or ''}")
    record_duedate(course)
    course.mark_gradebook_synced()


def record_duedate(course):
    """Write `c.AssignmentSchedule.duedate` to the gradebook's assignment (None when unset)."""
    from nbgrader.utils import parse_utc
    text = AssignmentSchedule(config=course.load_config()).duedate.strip()
    try:
        duedate = parse_utc(text) if text else None
    except (ValueError, OverflowError) as exc:
        raise ReleaseError(f"c.AssignmentSchedule.duedate = {text!r} is not a date nbgrader reads "
                           f"(e.g. '2026-12-18 23:59:00 UTC'): {exc}") from None
    with course.gradebook() as gb:
        gb.update_or_create_assignment(course.assignment, duedate=duedate)
    return duedate


def exchange_root(course):
    """The configured exchange folder, created (world-writable, as nbgrader wants) when missing
    and inside the course; a shared exchange elsewhere is the JupyterHub admin's to create."""
    root = course.load_config().Exchange.get("root")
    if not root:
        return None
    root = Path(root)
    if not root.exists() and course.root in root.resolve().parents:
        root.mkdir(parents=True)
        root.chmod(0o777)
    return root


def publish_to_exchange(course):
    """nbgrader release_assignment (force) into the exchange; returns its outbound folder."""
    from mlpkit.course import run_api
    root = exchange_root(course)
    if root is None or not root.is_dir():
        raise ReleaseError(f"the exchange {root} does not exist: create it (docs/instructor.md) "
                           "or use --no-exchange")
    api = course.api(**{"ExchangeReleaseAssignment.force": True})
    result = run_api(api, "release_assignment", course.assignment)
    if not result.get("success"):
        log = "\n".join((result.get("log") or "").strip().splitlines()[-10:])
        raise ReleaseError(f"nbgrader release_assignment failed:\n{log}\n{result.get('error') or ''}")
    return root / api.coursedir.course_id / "outbound" / course.assignment


def strip_outputs(nb_path):
    nb = notebook.read(nb_path)
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
            cell.outputs, cell.execution_count, changed = [], None, True
    if changed:
        notebook.write(nb, nb_path)


def leak_check(course, release_dir=None):
    """Every leak of source secrets into `release_dir` (default: the course's release/)."""
    release_dir = Path(release_dir or course.release_dir)
    secrets = secret_lines(course.source_notebook())
    leaks = []
    for path in sorted(release_dir.rglob("*")):
        if not path.is_file():
            continue
        rel = str(path.relative_to(release_dir.parent.parent))
        if path.suffix == ".ipynb":
            for index, cell in enumerate(notebook.read(path).cells):
                texts = [cell.source] + [_output_text(o) for o in cell.get("outputs", [])]
                name = grade_id(cell) or f"cell {index}"
                leaks += _leaks_in("\n".join(texts), secrets, rel, name)
        elif path.suffix in (".py", ".md", ".txt", ".json", ".csv"):
            # Given files ship to students too: a reference solution left in source/ is a leak.
            leaks += _leaks_in(path.read_text(errors="replace"), secrets, rel, "file")
    return leaks


def _leaks_in(text, secrets, file, cell):
    found = []
    for line in text.splitlines():
        if MARKER_RE.search(line):
            found.append(Leak(file, cell, line.strip(), "nbgrader region marker"))
        elif line.strip() in secrets:
            found.append(Leak(file, cell, line.strip(), f"text of {secrets[line.strip()]} in source"))
    return found


def _output_text(output):
    text = output.get("text", "")
    for value in output.get("data", {}).values():
        if isinstance(value, str):
            text += "\n" + value
    return text + "\n".join(output.get("traceback", []))


def compare_with_fresh_release(course):
    """Differences between the committed release/ and a regeneration in a scratch course."""
    import json
    import shutil
    diffs = []
    with tempfile.TemporaryDirectory(prefix="mlpkit-release-") as tmp:
        scratch = Course(tmp, course.assignment)
        shutil.copy2(course.config_file, scratch.config_file)
        shutil.copytree(course.source_dir, scratch.source_dir)
        generate(scratch)
        strip_outputs(scratch.release_nb_path)
        fresh_files = {p.relative_to(scratch.release_dir) for p in scratch.release_dir.rglob("*") if p.is_file()}
        committed = ({p.relative_to(course.release_dir) for p in course.release_dir.rglob("*") if p.is_file()}
                     if course.release_dir.is_dir() else set())
        for rel in sorted(fresh_files - committed):
            diffs.append(f"missing from release/: {rel}")
        for rel in sorted(committed - fresh_files):
            diffs.append(f"not generated from source/: {rel}")
        for rel in sorted(fresh_files & committed):
            a, b = scratch.release_dir / rel, course.release_dir / rel
            if rel.suffix == ".ipynb":
                same = json.loads(a.read_text()) == json.loads(b.read_text())
            else:
                same = a.read_bytes() == b.read_bytes()
            if not same:
                diffs.append(f"differs from a fresh generation: {rel}")
        diffs += [f"leak: {x}" for x in leak_check(course)] if not diffs else []
    return diffs
