"""A course folder: its paths, its nbgrader config, and nbgrader run in this process.

A *course* is a folder holding `nbgrader_config.py` and `source/mlp_lab/`. Every
command drives nbgrader through `nbgrader.apps.NbGraderAPI` in this process,
with the course's config loaded (no `nbgrader` subprocess, no 1.75 s start-up).

    from mlpkit.course import Course
    course = Course("/path/to/course")
    api = course.api()                       # NbGraderAPI with the course config
    nb = course.source_notebook()            # see mlpkit/notebook.py for what a cell is
    cfg = course.load_config()               # e.g. GradingLimits(config=cfg)

Which folder is the course: mlpkit.paths.course_root, the one place that finds it. What the
kit caches for a course lives in the kit's cache (`course.cache_dir`, see mlpkit/paths.py);
the course itself holds only `.mlpkit.lock`, taken while `mlpkit autograde` runs.

Not a command: imported by every command that works on a course.
"""
import hashlib
import logging
import os
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import chdir
from sqlalchemy.exc import SAWarning
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from mlpkit import notebook, paths

ASSIGNMENT = "mlp_lab"   # nbgrader's assignment id (the folder under source/, release/, submitted/)
NOTEBOOK = "mlp_lab"     # nbgrader's notebook id: the file is f"{NOTEBOOK}.ipynb"
STAGED = "grading/normalized"   # nbgrader's submitted_directory while mlpkit autogrades


class Course:
    """Paths of one course directory (root holds nbgrader_config.py)."""

    def __init__(self, root, assignment=ASSIGNMENT):
        self.root = Path(root).resolve()
        self.assignment = assignment
        self.config_file = self.root / paths.CONFIG_FILE
        self.source_dir = self.root / "source" / assignment
        self.release_dir = self.root / "release" / assignment
        self.submitted_dir = self.root / "submitted"
        self.autograded_dir = self.root / "autograded"
        self.feedback_dir = self.root / "feedback"
        self.grading_dir = self.root / "grading"
        self.lock_path = self.root / ".mlpkit.lock"   # held by a running `mlpkit autograde`
        self.gradebook_path = self.root / "gradebook.db"
        # This course's folder of the kit's cache: runs, reports in transit, the scratch release.
        self.cache_dir = paths.course_cache_dir(self.root)
        self.run_cache_dir = self.cache_dir / "runs"
        self.reports_dir = self.cache_dir / "reports"
        self.scratch_release_root = self.cache_dir / "release"   # nbgrader's release_directory for syncs
        self.db_url = "sqlite:///" + str(self.gradebook_path)

    def __repr__(self):
        return f"Course({str(self.root)!r})"

    @property
    def source_nb_path(self):
        return self.source_dir / f"{NOTEBOOK}.ipynb"

    @property
    def release_nb_path(self):
        return self.release_dir / f"{NOTEBOOK}.ipynb"

    def release_nb_paths(self):
        """Where the release notebook is: the committed release/, else the scratch release that
        the last gradebook sync generated."""
        return [self.release_nb_path, self.scratch_release_root / self.assignment / f"{NOTEBOOK}.ipynb"]

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

    def staged_dir(self, student):
        """The normalized copy of a submission that nbgrader grades (submitted/ is never touched)."""
        return self.root / STAGED / student / self.assignment

    def source_notebook(self):
        return notebook.read(self.source_nb_path)

    def release_notebook(self):
        return notebook.read(self.release_nb_path)

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
        loader = PyFileConfigLoader(self.config_file.name, path=str(self.root))
        cfg = loader.load_config() if self.config_file.exists() else Config()
        cfg.CourseDirectory.root = str(self.root)
        for dotted, value in overrides.items():
            section, name = dotted.rsplit(".", 1)
            setattr(cfg[section], name, value)
        return cfg

    def api(self, **overrides):
        """An `NbGraderAPI` for this course, config loaded, logging quiet."""
        cfg = self.load_config(**overrides)
        cfg.NbGraderAPI.log_level = logging.WARNING
        with chdir(self.root), venv_bin_on_path():
            coursedir = CourseDirectory(config=cfg)
            return NbGraderAPI(coursedir=coursedir, config=cfg)

    def gradebook(self):
        """nbgrader's Gradebook on this course's database (use as a context manager)."""
        course_id = self.load_config().CourseDirectory.get("course_id", "")
        return Gradebook(self.db_url, course_id)


class CourseError(Exception):
    """A problem with the course folder the user can fix (printed, exit 2)."""


def path_with_venv_bin():
    """$PATH with this interpreter's bin folder first: nbgrader runs `alembic` by name
    when it creates or upgrades the gradebook, and alembic lives in the venv."""
    bindir = str(Path(sys.executable).parent)
    old = os.environ.get("PATH", "")
    return old if bindir in old.split(os.pathsep) else bindir + os.pathsep + old


@contextmanager
def venv_bin_on_path():
    # Not nbgrader.utils.setenv: 0.9.6 saves os.environ.get(value) instead of the old value
    # and so deletes the variable on exit.
    old = os.environ.get("PATH", "")
    os.environ["PATH"] = path_with_venv_bin()
    try:
        yield
    finally:
        os.environ["PATH"] = old


def run_api(api, method, *args, **kwargs):
    """Call an NbGraderAPI method from the course root with the venv on PATH."""
    with chdir(api.coursedir.root), venv_bin_on_path(), warnings.catch_warnings():
        # nbgrader 0.9.6 triggers harmless SQLAlchemy autoflush warnings on every autograde.
        warnings.simplefilter("ignore", SAWarning)
        return getattr(api, method)(*args, **kwargs)


def sha256_file(path):
    """SHA-256 of a file's bytes, or None when it does not exist."""
    path = Path(path)
    if not path.exists():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()
