"""A regrade preview: grade into a scratch copy of the course and compare with the recorded grades.

    changes = dry_run(course, students=None, jobs=None, sandbox="auto")   # {student: StudentChange}
    print(format_changes(changes))

After a change to the notebook, the judges or a tolerance, `mlpkit autograde --dry-run` shows
what a real re-grade would change, per student and per cell, before anything is recorded. The
course's nbgrader_config.py, source/, judges/, release/, submitted/ and gradebook.db are copied
into a temporary folder (taken under the course's lock, so no autograde writes them meanwhile);
`grade_all` grades the copy. Like is compared with like: the autograded cells (all a change to
the notebook, the judges or a tolerance can move) in the preview against what gradebook.db
records for them now (a TA's override included); manual grades (the reflections) are the TA's,
not the grader's, so they are left out of both totals, and the header says so. A failing cell
whose message changed (a judge's wording) is shown too: the student's feedback would change.
Flags and likely causes are compared with grading/<student>.json ("needs manual grading"
left out: it is the TA's to clear). Nothing of the course is written: gradebook.db, grading/, feedback/ and
autograded/ stay byte-identical (tests/test_dry_run.py hashes them). The course's cached runs are
copied too (a run is keyed by the code it ran, so it stays valid): a change to the judges or to
points re-judges every student without executing a notebook; a change to a test's code runs
every notebook again, as a real re-grade would.
"""
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import MissingEntry

from mlpkit import notebook
from mlpkit.course import NOTEBOOK, Course
from mlpkit.gradebook import results
from mlpkit.judging.causes import failures
from mlpkit.pipeline.grade import exclusive, grade_all
from mlpkit.statuses import NEEDS_MANUAL_GRADING

COPIED = ("source", "judges", "release", "submitted")
HEADER = ("Autograded cells only, compared with what gradebook.db records now; manual grades "
          "(reflections) are the TA's and left out of both totals.")


@dataclass
class StudentChange:
    student: str
    before: float = None         # recorded points of the autograded cells (None: never graded)
    after: float = None          # the same in the preview
    cells: dict = field(default_factory=dict)   # grade_id -> (recorded score, preview score), changed only
    messages: dict = field(default_factory=dict)   # grade_id -> (recorded, preview) failure message, changed only
    status: tuple = ((), ())     # (recorded flags, preview flags)
    causes: tuple = ((), ())     # (recorded likely causes, preview likely causes), by "task: cause"

    @property
    def changed(self):
        return bool(self.cells or self.messages) or self.before != self.after \
            or set(self.status[0]) != set(self.status[1]) or self.causes[0] != self.causes[1]


def copy_course(course, scratch):
    """Copy what grading reads into `scratch` (a Course), under the course's lock."""
    with exclusive(course):
        scratch.root.mkdir(parents=True, exist_ok=True)
        shutil.copy2(course.config_file, scratch.config_file)
        for name in COPIED:
            if (course.root / name).is_dir():
                shutil.copytree(course.root / name, scratch.root / name, symlinks=True,
                                ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        if course.gradebook_path.exists():
            shutil.copy2(course.gradebook_path, scratch.gradebook_path)
        if course.run_cache_dir.is_dir():
            shutil.copytree(course.run_cache_dir, scratch.run_cache_dir, dirs_exist_ok=True)


def dry_run(course, students=None, jobs=None, sandbox="auto", progress=True):
    """{student: StudentChange} of a re-grade of `students` (default: everyone), see the module docstring."""
    course = course if isinstance(course, Course) else Course(course)
    course.check()
    autograded = notebook.autograded_ids(course.source_notebook())
    with tempfile.TemporaryDirectory(prefix="mlpkit-dry-run-") as tmp:
        scratch = Course(Path(tmp) / course.root.name)
        try:
            copy_course(course, scratch)
            graded = grade_all(scratch, students=students, jobs=jobs, sandbox=sandbox, progress=progress)
            said = {s: messages(scratch, s) for s in graded}   # read before the scratch course goes
        finally:
            shutil.rmtree(scratch.cache_dir, ignore_errors=True)   # the scratch course's cache folder
    recorded = recorded_cells(course, graded, autograded)
    return {s: compare(results.load(course, s), graded[s], recorded.get(s), autograded,
                       (messages(course, s), said[s])) for s in sorted(graded)}


def recorded_cells(course, students, autograded):
    """{student: {grade_id: score}} of the autograded cells in the course's gradebook (read only)."""
    out = {}
    if not course.gradebook_path.exists():
        return out
    with course.gradebook() as gb:
        for student in students:
            try:
                nb = gb.find_submission_notebook(NOTEBOOK, course.assignment, student)
            except MissingEntry:
                continue
            out[student] = {g.name: g.score for g in nb.grades if g.name in autograded}
    return out


def messages(course, student):
    """{grade_id: failure message} of the student's autograded notebook in `course` ({} if none)."""
    path = course.autograded_path(student)
    try:
        return failures(notebook.read(path)) if path.exists() else {}
    except (OSError, ValueError):
        return {}


def _cause_lines(res):
    return tuple(f"{c['task']}: {c['cause']}" for c in (res.likely_causes if res else []))


def _flags(res):
    return tuple(f for f in (res.status if res else ()) if f != NEEDS_MANUAL_GRADING)


def _sum(scores):
    return None if scores is None else round(sum(v or 0.0 for v in scores.values()), 3)


def compare(recorded, preview, old=None, autograded=None, said=({}, {})):
    """The StudentChange between the recorded grades and the preview's, over the autograded cells.

    `old`: {grade_id: score} the gradebook records (None: never graded); `autograded`: the grade_ids
    compared (default: every cell of the preview); `said`: (recorded, preview) failure messages."""
    keep = set(autograded) if autograded is not None else set(preview.scores)
    new = {g: s["score"] for g, s in preview.scores.items() if g in keep}
    had = old or {}
    cells = {g: (had.get(g), new.get(g)) for g in sorted(set(had) | set(new)) if had.get(g) != new.get(g)}
    before, now = said
    texts = {g: (before.get(g), now.get(g)) for g in sorted(set(before) & set(now) & keep)
             if before[g] != now[g] and g not in cells}
    return StudentChange(preview.student, _sum(old), _sum(new), cells, texts,
                         (_flags(recorded), _flags(preview)), (_cause_lines(recorded), _cause_lines(preview)))


def _texts(old, new, width=60):
    """The two messages on one line each, from a little before where they first differ."""
    old, new = (" ".join((t or "-").split()) for t in (old, new))
    same = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
    start = max(0, same - 15)
    def cut(t):
        t = ("…" if start else "") + t[start:]
        return t if len(t) <= width else t[:width - 1] + "…"
    return cut(old), cut(new)


def _points(value):
    return "-" if value is None else f"{value:g}"


def format_changes(changes):
    """Per student a line (recorded total -> preview total), then each changed cell, status and cause."""
    lines = [HEADER]
    for change in changes.values():
        mark = "CHANGED" if change.changed else "same"
        lines.append(f"{change.student}: {_points(change.before)} -> {_points(change.after)}  {mark}")
        for gid, (old, new) in change.cells.items():
            lines.append(f"    {gid}: {_points(old)} -> {_points(new)}")
        for gid, (old, new) in change.messages.items():
            lines.append("    {}: message changed: {!r} -> {!r}".format(gid, *_texts(old, new)))
        if set(change.status[0]) != set(change.status[1]):
            lines.append(f"    status: {'; '.join(change.status[0]) or '-'} -> {'; '.join(change.status[1])}")
        if change.causes[0] != change.causes[1]:
            lines.append(f"    likely causes: {' | '.join(change.causes[0]) or '-'} -> "
                         f"{' | '.join(change.causes[1]) or '-'}")
    n = sum(c.changed for c in changes.values())
    lines.append(f"{n} of {len(changes)} student(s) would change; nothing was recorded (dry run)")
    return "\n".join(lines)
