"""Run All in student mode is never stopped by an optional part (Task 3).

The release notebook with Tasks 0, 1, 2 done (the reference solutions) and Task 3, or one part of
it, left as released is run top to bottom as JupyterLab's Run All does: student mode (no
NBGRADER_EXECUTION: ten epochs, three learning rates, tables and plots), stopping at the first
error. MLP_LAB_SUBSET=1 gives it the shipped subset instead of the full MNIST download, which
keeps the run at a minute. It must reach the last cell; each unattempted part's checks say
"not attempted", and a part that is attempted and wrong still stops Run All at its check.

Run: PYTHONPATH=. python -m pytest tests/test_run_all.py -q   (marked slow)
"""
import os
import shutil

import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from conftest import REPO
from devtools import variants as V
from mlpkit import notebook

LAB = REPO / "source" / "mlp_lab"
PARTS = {"task3_adamw_solution": "Task 3a (AdamW)", "task3_adagrad_solution": "Task 3b (Adagrad)",
         "task3_dropout_solution": "Task 3c (Dropout)", "task3_augment_solution": "Task 3d (augment)"}
NOT_ATTEMPTED = "not attempted (optional, 0 bonus points)"


def _student_notebook(unattempted, replacements=None):
    """The release, every code solution cell filled in except the `unattempted` ones (left as released)."""
    release, source = V.course_notebooks(REPO)
    as_released = {notebook.grade_id(c): c.source for c in release.cells if notebook.grade_id(c) in unattempted}
    return V.build_submission(release, source, {**as_released, **(replacements or {})})


def _run_all(nb, tmp_path):
    """Execute like Run All: stop at the first cell that raises. Returns (executed nb, error or None)."""
    for name in ("lab_checks.py", "mnist_loader.py", "mnist_subset.npz"):
        shutil.copy2(REPO / "release" / "mlp_lab" / name, tmp_path / name)
    env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
    env["MLP_LAB_SUBSET"] = "1"
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=300, allow_errors=False, resources={"metadata": {"path": str(tmp_path)}}).execute()
    except CellExecutionError as error:
        return nb, error
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb, None


def _printed(cell):
    return "".join("".join(o.get("text", "")) for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def _ran(cell):
    return cell.cell_type != "code" or cell.get("execution_count") is not None


@pytest.mark.slow
@pytest.mark.parametrize("unattempted", [tuple(PARTS), ("task3_adamw_solution",), ("task3_dropout_solution",),
                                         ("task3_augment_solution",)], ids=["all of task3", "3a", "3c", "3d"])
def test_run_all_reaches_the_last_cell_with_task3_unattempted(unattempted, tmp_path):
    nb, error = _run_all(_student_notebook(unattempted), tmp_path)
    assert error is None, f"Run All stopped: {str(error)[-1500:]}"
    assert all(_ran(cell) for cell in nb.cells), "a code cell did not run"
    for gid, label in PARTS.items():
        checks = [c for c in nb.cells if notebook.is_autograded_test(c) and notebook.grade_id(c).startswith(gid[:-len("_solution")])]
        said = [f"{label}: {NOT_ATTEMPTED}" in _printed(c) for c in checks]
        assert checks and all(said) == (gid in unattempted) and any(said) == (gid in unattempted), (gid, said)


@pytest.mark.slow
def test_an_attempted_wrong_part_still_stops_run_all_at_its_check(tmp_path):
    wrong = "def augment(x, rng):\n    return x * 2.0\n"  # attempted: values above 1, so its check fails
    nb, error = _run_all(_student_notebook((), {"task3_augment_solution": wrong}), tmp_path)
    assert error is not None and "augment" in str(error)
    stopped = next(c for c in nb.cells if not _ran(c))
    assert notebook.grade_id(stopped) != "task3_augment_shape_and_range"
    assert nb.cells.index(stopped) > next(i for i, c in enumerate(nb.cells)
                                          if notebook.grade_id(c) == "task3_augment_shape_and_range")
