"""Generate the student version of the lab with nbgrader, record it in the gradebook, publish it.

    from mlpkit.releasing.generate import release
    release(course)            # generate_assignment (force) + leak check + roster + exchange
    compare_with_fresh_release(course)   # what `mlpkit release --check` reports

Runs nbgrader's generate_assignment in-process (this also records the assignment, its
cells and hidden tests in gradebook.db, with the due date of `c.AssignmentSchedule.duedate`),
strips outputs and execution counts, then checks release/ for leaks (leaks.py); any leak fails
loudly, naming the cell. The course's `roster.csv` (mlpkit/gradebook/roster.py) is recorded
too. Only a leak-free release is published, with nbgrader's release_assignment, to the
exchange of the config (`c.Exchange.root`, course-local by default): that is what makes the
formgrader show the assignment as "released" rather than "draft".
"""
import json
import shutil
import tempfile
from pathlib import Path

from nbgrader.utils import parse_utc
from traitlets import Unicode
from traitlets.config import Configurable

from mlpkit import notebook
from mlpkit.course import Course, CourseError, run_api
from mlpkit.gradebook.roster import default_roster, import_roster
from mlpkit.releasing.leaks import leak_check


class AssignmentSchedule(Configurable):
    """Dates of the assignment, set in nbgrader_config.py (`c.AssignmentSchedule.duedate`)."""

    duedate = Unicode("", help="Due date recorded in the gradebook, e.g. '2026-12-18 23:59:00 UTC' "
                               "(any format nbgrader.utils.parse_utc reads); '' for none").tag(config=True)


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
    roster = default_roster(course)
    try:
        return import_roster(course, roster) if roster else {}
    except CourseError as exc:
        raise ReleaseError(str(exc)) from None


def generate(course, **overrides):
    """nbgrader generate_assignment (force); records the source's cells and the due date in gradebook.db."""
    exchange_root(course)   # nbgrader's API checks the exchange as it starts
    result = run_api(course.api(**overrides), "generate_assignment", course.assignment, force=True, create=True)
    if not result.get("success"):
        log = "\n".join((result.get("log") or "").strip().splitlines()[-30:])
        raise ReleaseError(f"nbgrader generate_assignment failed:\n{log}\n{result.get('error') or ''}")
    record_duedate(course)
    course.mark_gradebook_synced()


def record_duedate(course):
    """Write `c.AssignmentSchedule.duedate` to the gradebook's assignment (None when unset)."""
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


def compare_with_fresh_release(course):
    """Differences between the committed release/ and a regeneration in a scratch course."""
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
