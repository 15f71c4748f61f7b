"""A regrade preview: grade into a scratch copy of the course and compare with the recorded grades.

    changes = dry_run(course, students=None, jobs=None, sandbox="auto")   # {student: StudentChange}
    print(format_changes(changes))

After a change to the notebook, the judges or a tolerance, `mlpkit autograde --dry-run` shows
what a real re-grade would change, per student and per cell, before anything is recorded. The
course's nbgrader_config.py, source/, judges/, release/, submitted/ and gradebook.db are copied
into a temporary folder (taken under the course's lock, so no autograde writes them meanwhile);
`grade_all` grades the copy; the recorded grades are read from the course's own
grading/<student>.json. Nothing of the course is written: gradebook.db, grading/, feedback/ and
autograded/ stay byte-identical (tests/test_dry_run.py hashes them). The course's cached runs are
copied too (a run is keyed by the code it ran, so it stays valid): a change to the judges or to
points re-judges every student without executing a notebook; a change to a test's code runs
every notebook again, as a real re-grade would.
"""
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from mlpkit.course import Course
from mlpkit.gradebook import results
from mlpkit.pipeline.grade import exclusive, grade_all

COPIED = ("source", "judges", "release", "submitted")


@dataclass
class StudentChange:
    student: str
    before: float = None         # recorded total (None: never graded)
    after: float = None          # total in the preview
    cells: dict = field(default_factory=dict)   # grade_id -> (recorded score, preview score), changed only
    status: tuple = ((), ())     # (recorded flags, preview flags)
    causes: tuple = ((), ())     # (recorded likely causes, preview likely causes), by "task: cause"

    @property
    def changed(self):
        return bool(self.cells) or self.before != self.after or set(self.status[0]) != set(self.status[1]) \
            or self.causes[0] != self.causes[1]


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
    with tempfile.TemporaryDirectory(prefix="mlpkit-dry-run-") as tmp:
        scratch = Course(Path(tmp) / course.root.name)
        try:
            copy_course(course, scratch)
            graded = grade_all(scratch, students=students, jobs=jobs, sandbox=sandbox, progress=progress)
        finally:
            shutil.rmtree(scratch.cache_dir, ignore_errors=True)   # the scratch course's cache folder
    return {s: compare(results.load(course, s), graded[s]) for s in sorted(graded)}


def _cause_lines(res):
    return tuple(f"{c['task']}: {c['cause']}" for c in (res.likely_causes if res else []))


def compare(recorded, preview):
    """The StudentChange between a recorded result (or None) and the preview's."""
    old = {g: s["score"] for g, s in (recorded.scores if recorded else {}).items()}
    new = {g: s["score"] for g, s in preview.scores.items()}
    cells = {g: (old.get(g), new.get(g)) for g in sorted(set(old) | set(new)) if old.get(g) != new.get(g)}
    return StudentChange(preview.student, recorded.total if recorded else None, preview.total, cells,
                         (tuple(recorded.status) if recorded else (), tuple(preview.status)),
                         (_cause_lines(recorded), _cause_lines(preview)))


def _points(value):
    return "-" if value is None else f"{value:g}"


def format_changes(changes):
    """Per student a line (recorded total -> preview total), then each changed cell, status and cause."""
    lines = []
    for change in changes.values():
        mark = "CHANGED" if change.changed else "same"
        lines.append(f"{change.student}: {_points(change.before)} -> {_points(change.after)}  {mark}")
        for gid, (old, new) in change.cells.items():
            lines.append(f"    {gid}: {_points(old)} -> {_points(new)}")
        if set(change.status[0]) != set(change.status[1]):
            lines.append(f"    status: {'; '.join(change.status[0]) or '-'} -> {'; '.join(change.status[1])}")
        if change.causes[0] != change.causes[1]:
            lines.append(f"    likely causes: {' | '.join(change.causes[0]) or '-'} -> "
                         f"{' | '.join(change.causes[1]) or '-'}")
    n = sum(c.changed for c in changes.values())
    lines.append(f"{n} of {len(changes)} student(s) would change; nothing was recorded (dry run)")
    return "\n".join(lines)
