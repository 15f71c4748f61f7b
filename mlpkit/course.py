"""Shared helpers for the instructor commands: course paths, nbgrader in-process, notebooks.

A *course* is a folder holding `nbgrader_config.py` and `source/mlp_lab/`. Every
command drives nbgrader through `nbgrader.apps.NbGraderAPI` in this process,
with the course's config loaded (no `nbgrader` subprocess, no 1.75 s start-up).

    from mlpkit.course import Course
    course = Course("/path/to/course")
    api = course.api()                       # NbGraderAPI with the course config
    nb = course.source_notebook()            # nbformat NotebookNode
    cells = cells_by_grade_id(nb)            # {grade_id: cell}

Not a command: imported by release, collect, normalize, autograde, feedback,
grades, check and demo.
"""
import hashlib
import json
import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path

ASSIGNMENT = "mlp_lab"
NOTEBOOK = "mlp_lab"  # the one notebook of the assignment: mlp_lab.ipynb

# nbgrader's region markers (source notebook only; none may survive in release/).
MARKER_RE = re.compile(r"(BEGIN|END) (SOLUTION|HIDDEN TESTS|MARK SCHEME)")
# Matched as substrings, like nbgrader's delimiters.
_REGIONS = {
    "solution": ("BEGIN SOLUTION", "END SOLUTION"),
    "hidden": ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
    "mark_scheme": ("BEGIN MARK SCHEME", "END MARK SCHEME"),
}


class Course:
    """Paths of one course directory (root holds nbgrader_config.py)."""

    def __init__(self, root, assignment=ASSIGNMENT):
        self.root = Path(root).resolve()
        self.assignment = assignment
        self.config_file = self.root / "nbgrader_config.py"
        self.source_dir = self.root / "source" / assignment
        self.release_dir = self.root / "release" / assignment
        self.submitted_dir = self.root / "submitted"
        self.autograded_dir = self.root / "autograded"
        self.feedback_dir = self.root / "feedback"
        self.grading_dir = self.root / "grading"
        self.cache_dir = self.root / ".mlpkit-cache"
        self.gradebook_path = self.root / "gradebook.db"
        self.db_url = "sqlite:///" + str(self.gradebook_path)

    def __repr__(self):
        return f"Course({str(self.root)!r})"

    @property
    def source_nb_path(self):
        return self.source_dir / f"{NOTEBOOK}.ipynb"

    @property
    def release_nb_path(self):
        return self.release_dir / f"{NOTEBOOK}.ipynb"

    @property
    def gradebook_stamp(self):
        """SHA-256 of the source notebook whose cells and hidden tests gradebook.db holds."""
        return self.cache_dir / "gradebook-source.sha256"

    def mark_gradebook_synced(self):
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.gradebook_stamp.write_text(sha256_file(self.source_nb_path))

    def gradebook_in_sync(self):
        stamp = self.gradebook_stamp
        return (self.gradebook_path.exists() and stamp.exists()
                and stamp.read_text() == sha256_file(self.source_nb_path))

    def submission_path(self, student):
        return self.submitted_dir / student / self.assignment / f"{NOTEBOOK}.ipynb"

    def autograded_path(self, student):
        return self.autograded_dir / student / self.assignment / f"{NOTEBOOK}.ipynb"

    def feedback_path(self, student):
        return self.feedback_dir / student / self.assignment / f"{NOTEBOOK}.html"

    def result_path(self, student):
        return self.grading_dir / f"{student}.json"

    def source_notebook(self):
        return read_notebook(self.source_nb_path)

    def release_notebook(self):
        return read_notebook(self.release_nb_path)

    def check(self):
        """Raise a clear error when this is not a course directory."""
        if not self.config_file.is_file():
            raise CourseError(f"{self.root} is not a course: no nbgrader_config.py (use --course)")
        if not self.source_nb_path.is_file():
            raise CourseError(f"no source notebook at {self.source_nb_path}")
        return self

    def submitted_students(self):
        """Student ids with a folder under submitted/ (sorted)."""
        if not self.submitted_dir.is_dir():
            return []
        return sorted(p.name for p in self.submitted_dir.iterdir()
                      if p.is_dir() and not p.name.startswith("."))

    def load_config(self, **overrides):
        """The course's nbgrader config (a traitlets Config), root set to this course.

        `overrides` are dotted names, e.g. `{"CourseDirectory.submitted_directory": "x"}`.
        """
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader
        loader = PyFileConfigLoader(self.config_file.name, path=str(self.root))
        cfg = loader.load_config() if self.config_file.exists() else Config()
        cfg.CourseDirectory.root = str(self.root)
        for dotted, value in overrides.items():
            section, name = dotted.rsplit(".", 1)
            setattr(cfg[section], name, value)
        return cfg

    def api(self, **overrides):
        """An `NbGraderAPI` for this course, config loaded, logging quiet."""
        import logging
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        cfg = self.load_config(**overrides)
        cfg.NbGraderAPI.log_level = logging.WARNING
        with working_directory(self.root), venv_bin_on_path():
            coursedir = CourseDirectory(config=cfg)
            return NbGraderAPI(coursedir=coursedir, config=cfg)

    def gradebook(self):
        """nbgrader's Gradebook on this course's database (use as a context manager)."""
        from nbgrader.api import Gradebook
        course_id = self.load_config().CourseDirectory.get("course_id", "")
        return Gradebook(self.db_url, course_id)


class CourseError(Exception):
    """A problem with the course folder the user can fix (printed, exit 2)."""


@contextmanager
def working_directory(path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


@contextmanager
def venv_bin_on_path():
    # nbgrader runs `alembic` by name when it creates or upgrades the gradebook.
    bindir = str(Path(sys.executable).parent)
    old = os.environ.get("PATH", "")
    if bindir not in old.split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + old
    try:
        yield
    finally:
        os.environ["PATH"] = old


def run_api(api, method, *args, **kwargs):
    """Call an NbGraderAPI method from the course root with the venv on PATH."""
    import warnings
    from sqlalchemy.exc import SAWarning
    with working_directory(api.coursedir.root), venv_bin_on_path(), warnings.catch_warnings():
        # nbgrader 0.9.6 triggers harmless SQLAlchemy autoflush warnings on every autograde.
        warnings.simplefilter("ignore", SAWarning)
        return getattr(api, method)(*args, **kwargs)


# ---------------------------------------------------------------- notebooks

def read_notebook(path):
    import nbformat
    return nbformat.read(str(path), as_version=4)


def write_notebook(nb, path):
    import nbformat
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def sha256_file(path):
    path = Path(path)
    if not path.exists():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell):
    return nbgrader_meta(cell).get("grade_id")


def is_graded(cell):
    return bool(nbgrader_meta(cell).get("grade"))


def is_solution(cell):
    return bool(nbgrader_meta(cell).get("solution"))


def is_locked(cell):
    m = nbgrader_meta(cell)
    return bool(m.get("locked")) or (bool(m.get("grade")) and not m.get("solution"))


def cells_by_grade_id(nb):
    """{grade_id: cell} for the nbgrader cells of `nb` (first occurrence wins)."""
    out = {}
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid and gid not in out:
            out[gid] = cell
    return out


def task_of(gid):
    """`task1_softmax_grad` -> `task1`; reflections keep their name; others -> None."""
    if gid.endswith("_reflection"):
        return gid
    m = re.match(r"(task\d+)_", gid)
    return m.group(1) if m else None


def is_bonus(gid):
    return gid.startswith("task3_")


def regions(source, kind):
    """Lines strictly inside the `kind` regions (solution|hidden|mark_scheme) of a cell source."""
    begin, end = _REGIONS[kind]
    inside, out = False, []
    for line in source.splitlines():
        if begin in line:
            inside = True
            continue
        if end in line:
            inside = False
            continue
        if inside:
            out.append(line)
    return out


def outside_regions(source):
    """Lines outside every solution, hidden-test and mark-scheme region (markers excluded)."""
    depth, out = 0, []
    for line in source.splitlines():
        if any(begin in line for begin, _ in _REGIONS.values()):
            depth += 1
        elif any(end in line for _, end in _REGIONS.values()):
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(line)
    return out


def is_trivial_line(line):
    """Lines too common to count as leaked text (blank, brackets, pass, short comments, prints)."""
    s = line.strip()
    if len(s) < 8:
        return True
    if s.startswith("#") and len(s) < 20:
        return True
    return s in {"return None", "return out", "return self", "else:", "try:", "finally:",
                 "pass", "continue", "break", "raise NotImplementedError()", "YOUR ANSWER HERE",
                 "# YOUR CODE HERE"}


def secret_lines(source_nb):
    """Non-trivial lines the students must never see: {stripped line: grade_id of its cell}.

    Lines of solution regions (or of whole solution cells without markers, such
    as model answers), hidden-test regions and mark-scheme regions, minus lines
    the source also shows outside those regions (those are public anyway).
    """
    secrets, public = {}, set()
    for cell in source_nb.cells:
        gid = grade_id(cell) or "(no grade_id)"
        src = cell.source
        hidden = regions(src, "solution") + regions(src, "hidden") + regions(src, "mark_scheme")
        if is_solution(cell) and "BEGIN SOLUTION" not in src:
            # nbgrader replaces a solution cell without a solution region by the stub:
            # all of it (e.g. a reflection's model answer) is instructor text.
            hidden = src.splitlines()
        if not (is_solution(cell) and "BEGIN SOLUTION" not in src):
            public.update(line.strip() for line in outside_regions(src))
        for line in hidden:
            if not is_trivial_line(line) and not MARKER_RE.search(line):
                secrets.setdefault(line.strip(), gid)
    return {line: gid for line, gid in secrets.items() if line not in public}


def _atomic_save_autogrades_class():
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades

    class AtomicSaveAutoGrades(SaveAutoGrades):
        """nbgrader's SaveAutoGrades, but all grades of a notebook in ONE transaction.

        Stock SaveAutoGrades commits after every cell, so a crash mid-notebook
        leaves some grades new and some old. Here per-cell commits become
        flushes and the notebook commits once (or rolls back on any error).
        """

        def preprocess(self, nb, resources):
            self.notebook_id = resources["nbgrader"]["notebook"]
            self.assignment_id = resources["nbgrader"]["assignment"]
            self.student_id = resources["nbgrader"]["student"]
            self.db_url = resources["nbgrader"]["db_url"]
            self.gradebook = Gradebook(self.db_url)
            with self.gradebook:
                session = self.gradebook.db
                real_commit = session.commit
                session.commit = session.flush
                try:
                    nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
                    _crash_hook(self.student_id)
                except BaseException:
                    session.rollback()
                    raise
                finally:
                    session.commit = real_commit
                session.commit()
            return nb, resources

    return AtomicSaveAutoGrades


def _crash_hook(student_id):
    """Test hook: MLPKIT_CRASH_AFTER_GRADES=<student> raises after that student's grades are
    staged but not committed; `<student>:kill` ends the whole process there instead."""
    target = os.environ.get("MLPKIT_CRASH_AFTER_GRADES", "")
    if target == student_id:
        raise RuntimeError(f"simulated crash while saving grades of {student_id}")
    if target == student_id + ":kill":
        os._exit(70)


def __getattr__(name):
    # Built lazily so that importing mlpkit.course stays standard-library only.
    if name == "AtomicSaveAutoGrades":
        cls = _atomic_save_autogrades_class()
        globals()[name] = cls
        return cls
    raise AttributeError(name)
