"""Shared fixtures: temporary courses and submissions built from the release notebook.

Courses (the repo's nbgrader_config.py, cell timeout cut to 5 s, plus a source):
- `toy_course` / `released_toy_course`: a fresh course in tmp_path with a small toy
  source notebook that follows the lab's conventions (a locked set-up cell with a
  private `_grader`, solution cells, graded tests with hidden regions, a bonus
  task3 test, a manually graded reflection with a mark scheme). Seconds to grade.
- `shared_toy_course`: one released toy course per session, for tests that only
  read it or add their own students.
- `pure_toy_course`: one toy course per session whose release/ nbgrader's own preprocessors
  made in this process (`release_in_process`: no gradebook, no exchange, a second or two),
  for the fast lane's tests of pure functions (tests/test_release.py checks it is the same
  release as nbgrader's generate_assignment writes).
- `graded_class`: the toy course with one submission per bad input of issue 3
  (`bad_input_class`), graded once per session; `feedback_class` adds feedback.
- `new_course(root, source="real")` copies the repo's real source/ instead.
Helpers: `make_submission(course, student, replace={grade_id: source}, ...)` writes
submitted/<student>/mlp_lab/mlp_lab.ipynb from the release notebook;
`toy_answers(course, **overrides)` are correct answers; `gradebook_scores` reads
grades back through nbgrader's Gradebook.
"""
import atexit
import copy
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# nbgrader calls `alembic` by name.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
# The kit's cache (mlpkit/paths.py), one per test session: every course of the suite caches its
# runs there, not in the developer's ~/.cache/mlpkit, and no run finds another session's.
_CACHE = tempfile.mkdtemp(prefix="mlpkit-test-cache-")
os.environ["MLPKIT_CACHE"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

from mlpkit.course import Course  # noqa: E402
from mlpkit.notebook import grade_id  # noqa: E402
from mlpkit.notebook import write as write_notebook  # noqa: E402


def _meta(gid, *, grade=False, solution=False, locked=False, points=0):
    meta = {"grade": grade, "grade_id": gid, "locked": locked, "schema_version": 3, "solution": solution}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


TOY_SETUP = '''\
import os
import numpy as np
from helper import double

# Private references captured before any student code runs.
class _grader:
    allclose = staticmethod(np.allclose)
GRADING = bool(os.environ.get("NBGRADER_EXECUTION"))'''

TOY_SOFTMAX_SOLUTION = '''\
def stable_softmax(x, axis=-1):
    """Softmax along `axis`, stable for large inputs."""
    ### BEGIN SOLUTION
    shifted_logits = np.asarray(x, dtype=float) - np.max(x, axis=axis, keepdims=True)
    exponentials = np.exp(shifted_logits)
    return exponentials / exponentials.sum(axis=axis, keepdims=True)
    ### END SOLUTION'''

TOY_TEST_SUMS = '''\
"""Check that stable_softmax rows sum to one."""
p = stable_softmax(np.array([[1.0, 2.0, 3.0]]))
assert _grader.allclose(p.sum(axis=-1), 1.0), "rows of stable_softmax must sum to 1"
### BEGIN HIDDEN TESTS
q_hidden_large = stable_softmax(np.array([[1000.0, 1000.0]]))
assert _grader.allclose(q_hidden_large, 0.5), "stable_softmax overflows for large inputs"
### END HIDDEN TESTS'''

TOY_TEST_AXIS = '''\
"""Check that stable_softmax respects its axis argument."""
### BEGIN HIDDEN TESTS
r_hidden_axis = stable_softmax(np.ones((2, 3)), axis=0)
assert _grader.allclose(r_hidden_axis, 0.5), "stable_softmax ignores its axis argument"
### END HIDDEN TESTS'''

TOY_AUGMENT_SOLUTION = '''\
def augment(x, rng):
    """Add noise of scale zero (the toy bonus task)."""
    ### BEGIN SOLUTION
    noise_scale_for_toy = double(0.0)
    return x + noise_scale_for_toy * rng.normal(size=x.shape)
    ### END SOLUTION'''

TOY_TEST_AUGMENT = '''\
"""Check that augment keeps the shape."""
assert augment(np.zeros((2, 4)), np.random.default_rng(0)).shape == (2, 4)
### BEGIN HIDDEN TESTS
assert augment(np.zeros((3, 5)), np.random.default_rng(1)).shape == (3, 5), "augment changes the shape"
### END HIDDEN TESTS'''

TOY_REFLECTION = '''\
Subtracting the maximum keeps exp from overflowing for large logits.
### BEGIN MARK SCHEME
Full marks for naming overflow of the exponential function.
### END MARK SCHEME'''


def toy_source_notebook():
    import nbformat.v4 as v4
    cells = [
        v4.new_markdown_cell("# Toy lab\nWrite `stable_softmax` and `augment`."),
        v4.new_code_cell(TOY_SETUP, metadata=_meta("setup", locked=True)),
        v4.new_code_cell(TOY_SOFTMAX_SOLUTION, metadata=_meta("task0_stable_softmax_solution", solution=True)),
        v4.new_code_cell(TOY_TEST_SUMS, metadata=_meta("task0_softmax_sums_to_one", grade=True, locked=True, points=1)),
        v4.new_code_cell(TOY_TEST_AXIS, metadata=_meta("task0_softmax_axis", grade=True, locked=True, points=1)),
        v4.new_markdown_cell("Why subtract the maximum?"),
        v4.new_markdown_cell(TOY_REFLECTION, metadata=_meta("task1_reflection", grade=True, solution=True, points=2)),
        v4.new_code_cell(TOY_AUGMENT_SOLUTION, metadata=_meta("task3_augment_solution", solution=True)),
        v4.new_code_cell(TOY_TEST_AUGMENT, metadata=_meta("task3_augment_shape", grade=True, locked=True, points=1)),
    ]
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


# Test courses time out hanging cells fast; everything else is the repo's config.
TEST_CONFIG = """
c.GradingLimits.cell_timeout = 5
c.GradingLimits.notebook_timeout = 60
"""


def new_course(root, *, source="toy"):
    """A course in `root`: the repo's nbgrader_config.py plus a toy or the real source."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    with open(root / "nbgrader_config.py", "a") as f:
        f.write(TEST_CONFIG)
    course = Course(root)
    if source == "toy":
        course.source_dir.mkdir(parents=True)
        (course.source_dir / "helper.py").write_text("def double(x):\n    return 2 * x\n")
        write_notebook(toy_source_notebook(), course.source_nb_path)
    else:
        shutil.copytree(REPO / "source", root / "source")
        shutil.copytree(REPO / "judges", root / "judges")  # the real lab's probes need their judges
    return course


def lab_exists():
    return (REPO / "source" / "mlp_lab" / "mlp_lab.ipynb").is_file()


def released(course):
    from mlpkit.releasing.generate import release
    release(course)
    return course


def release_in_process(course):
    """Write release/ as nbgrader's generate_assignment does, with its own preprocessors, minus
    the one that writes the gradebook (SaveCells); the given files are copied beside it."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import SaveCells
    config = course.load_config()
    nb = course.source_notebook()
    resources = {"nbgrader": {"notebook": "mlp_lab", "assignment": course.assignment, "student": "."},
                 "metadata": {"path": str(course.source_dir)}}
    for step in GenerateAssignment.class_traits()["preprocessors"].default():
        if step is not SaveCells:
            nb, resources = step(config=config).preprocess(nb, resources)
    shutil.copytree(course.source_dir, course.release_dir, ignore=shutil.ignore_patterns("*.ipynb"))
    write_notebook(nb, course.release_nb_path)
    return course


@pytest.fixture(scope="session")
def pure_toy_course(tmp_path_factory):
    """The toy course with release/ made in this process (`release_in_process`): no gradebook."""
    return release_in_process(new_course(tmp_path_factory.mktemp("pure") / "course"))


@pytest.fixture(scope="session")
def shared_toy_course(tmp_path_factory):
    """One released toy course for tests that only read it or add their own students."""
    return released(new_course(tmp_path_factory.mktemp("shared") / "course"))


@pytest.fixture
def toy_course(tmp_path):
    return new_course(tmp_path / "course")


@pytest.fixture
def released_toy_course(toy_course):
    return released(toy_course)


def make_submission(course, student, replace=None, *, transform=None, raw=None):
    """Write submitted/<student>/mlp_lab/mlp_lab.ipynb.

    replace: {grade_id: new source} applied to the release notebook's cells;
    transform: f(nb) -> nb for structural edits (delete, reorder, ...);
    raw: bytes/str written as-is (for invalid notebooks).
    """
    path = course.submission_path(student)
    path.parent.mkdir(parents=True, exist_ok=True)
    if raw is not None:
        path.write_bytes(raw if isinstance(raw, bytes) else raw.encode())
        return path
    nb = copy.deepcopy(course.release_notebook())
    for cell in nb.cells:
        if grade_id(cell) in (replace or {}):
            cell.source = replace[grade_id(cell)]
    if transform:
        nb = transform(nb) or nb
    write_notebook(nb, path)
    return path


def solution_source(course, gid):
    """The source notebook's cell `gid` with the solution markers removed (a correct answer)."""
    from devtools.variants import reference_solutions
    return reference_solutions(course.source_notebook())[gid]


def toy_answers(course, **overrides):
    """Correct answers for every toy solution cell, with `overrides` replacing some."""
    answers = {gid: solution_source(course, gid)
               for gid in ("task0_stable_softmax_solution", "task3_augment_solution")}
    answers["task1_reflection"] = "exp overflows, so we subtract the max."
    answers.update(overrides)
    return answers


TOY_BUGGY_SOFTMAX = '''\
def stable_softmax(x, axis=-1):
    e = np.exp(np.asarray(x, dtype=float))
    return e / e.sum(axis=-1, keepdims=True)'''


def gradebook_scores(course, student):
    """{grade_id: score} read back through nbgrader's Gradebook (proves the db is readable)."""
    with course.gradebook() as gb:
        nb = gb.find_submission_notebook("mlp_lab", "mlp_lab", student)
        return {g.name: g.score for g in nb.grades}


def all_gradebook_scores(course):
    with course.gradebook() as gb:
        out = {}
        for sub in gb.assignment_submissions("mlp_lab"):
            for nb in sub.notebooks:
                out[sub.student.id] = {g.name: g.score for g in nb.grades}
        return out


# ---------------------------------------------------------------------------
# One graded class of toy submissions, each named by what it shows; shared by
# the autograde, feedback and grades tests so the suite grades it only once.
def _delete_cells(*gids):
    def transform(nb):
        nb.cells = [c for c in nb.cells if grade_id(c) not in gids]
    return transform


def _move_augment_to_top(nb):
    i = next(i for i, c in enumerate(nb.cells) if grade_id(c) == "task3_augment_solution")
    nb.cells.insert(0, nb.cells.pop(i))


KERNEL_KILLER = "import os\nos._exit(1)\n"
HANGER = "while True:\n    pass\n"
TAMPER = "import numpy\nnumpy.allclose = lambda *args, **kwargs: True\n"


def bad_input_class(course):
    """Write the toy class under submitted/; returns {student: what it shows}."""
    ok = toy_answers(course)
    buggy = toy_answers(course, task0_stable_softmax_solution=TOY_BUGGY_SOFTMAX)
    augment = ok["task3_augment_solution"]
    make_submission(course, "full", ok)
    make_submission(course, "buggy_softmax", buggy)
    make_submission(course, "untouched")
    make_submission(course, "invalid_json", raw=b'{"cells": [ {"cell_type": "code", ')
    make_submission(course, "deleted_cells", ok, transform=_delete_cells("task0_softmax_axis", "task3_augment_solution"))
    make_submission(course, "reordered_cells", ok, transform=_move_augment_to_top)
    make_submission(course, "edited_test", dict(buggy, task0_softmax_sums_to_one="pass  # always passes"))
    make_submission(course, "kernel_dies", dict(ok, task3_augment_solution=KERNEL_KILLER + augment))
    make_submission(course, "hangs", dict(ok, task3_augment_solution=HANGER + augment))
    make_submission(course, "tampering", dict(buggy, task0_stable_softmax_solution=TAMPER + TOY_BUGGY_SOFTMAX))
    (course.submitted_dir / "missing" / "mlp_lab").mkdir(parents=True)
    return sorted(p.name for p in course.submitted_dir.iterdir())


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """(course, {student: StudentResult}) for the bad-input class, graded with 2 workers."""
    from mlpkit.pipeline.grade import grade_all
    course = released(new_course(tmp_path_factory.mktemp("graded") / "course"))
    bad_input_class(course)
    return course, grade_all(course, jobs=2, progress=False)


@pytest.fixture(scope="session")
def feedback_class(graded_class):
    """The graded class with feedback generated for everyone: (course, done, failed)."""
    from mlpkit.gradebook.feedback import generate_all
    course, _ = graded_class
    done, failed = generate_all(course)
    return course, done, failed
