"""The course's habits are caught by the VISIBLE tests, the checks a student runs in plain JupyterLab.

Nielsen's book, which the course follows, has backprop return (nabla_b, nabla_w) and counts
num_layers = len(sizes); this course returns (grads_w, grads_b) and has num_layers == len(weights).
A student who carries a habit over must learn it from the test cells they can run, before any
hidden test or judge: for each habit mutant, the submission built from the RELEASE notebook (no
hidden tests) is run in grading mode, and a visible test cell of that task must fail with a
message that names the convention. The full solution must pass every visible test cell.

One notebook run per case, two at a time: PYTHONPATH=. python -m pytest tests/test_visible_habits.py -q
"""
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from devtools import variants as V

REPO = Path(__file__).resolve().parents[1]
LAB = REPO / "source" / "mlp_lab"
RELEASE_NB = REPO / "release" / "mlp_lab" / "mlp_lab.ipynb"
LAB_FILES = ("lab_checks.py", "mnist_loader.py", "mnist_subset.npz")

# habit mutant -> (a visible test cell that must fail, a regex its error must match)
HABITS = {
    "mutant_momentum_unpacks_grads_b_first": (
        {"task2_trajectory_matches_sgd", "task2_biases_not_decayed"}, r"unpack grads_w, grads_b"),
    "mutant_backprop_returns_b_then_w": (
        {"task1_backprop_shapes", "task1_backprop_matches_finite_differences"}, r"\(grads_w, grads_b\)"),
    "mutant_backprop_num_layers_off_by_one": (
        {"task1_backprop_matches_finite_differences", "task4_backprop_deep_matches_finite_differences"}, r"num_layers"),
    "mutant_backprop_transposed_weight_gradient": (
        {"task1_backprop_shapes", "task1_backprop_matches_finite_differences"}, r"transpose"),
}
FULL = "full_solution"

pytestmark = pytest.mark.skipif(not (LAB / "mlp_lab.ipynb").is_file() or not RELEASE_NB.is_file(),
                                reason="the lab notebook or its release does not exist")


def _test_cells(nb):
    """grade_id -> cell, for the autograded test cells."""
    ids = set(V.autograded_ids(nb))
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade_id") in ids}


def _error(cell):
    """The error a cell's outputs show, or None if it ran cleanly."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"
    return None


def _run(name, cells, tmp_root):
    """Run the release-based submission with `cells` swapped in; grade_id -> error (or None)."""
    import nbformat
    from nbclient import NotebookClient
    release = nbformat.read(RELEASE_NB, as_version=4)
    source = nbformat.read(LAB / "mlp_lab.ipynb", as_version=4)
    nb = V.build_submission(release, source, cells)
    work = tmp_root / name
    work.mkdir()
    for file in LAB_FILES:
        shutil.copy2(LAB / file, work / file)
    env = dict(os.environ, NBGRADER_EXECUTION="autograde", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    client = NotebookClient(nb, timeout=120, allow_errors=True, resources={"metadata": {"path": str(work)}})
    client.execute(env=env)
    return {gid: _error(cell) for gid, cell in _test_cells(nb).items()}


@pytest.fixture(scope="module")
def visible_results(tmp_path_factory):
    """name -> {visible test cell: error or None}, for the full solution and every habit mutant."""
    variants = {v.name: v for v in V.load_variants(REPO, list(HABITS))}
    cases = {FULL: {}, **{name: variants[name].cells for name in HABITS}}
    tmp_root = tmp_path_factory.mktemp("visible")
    with ThreadPoolExecutor(2) as pool:
        futures = {name: pool.submit(_run, name, cells, tmp_root) for name, cells in cases.items()}
        return {name: future.result() for name, future in futures.items()}


def test_release_has_no_hidden_tests():
    import nbformat
    release = nbformat.read(RELEASE_NB, as_version=4)
    hidden = [gid for gid, cell in _test_cells(release).items() if "BEGIN HIDDEN TESTS" in cell.source]
    assert not hidden, f"the release shows hidden tests in {hidden}"


def test_full_solution_passes_every_visible_test(visible_results):
    results = visible_results[FULL]
    assert results, "no visible test cell ran"
    failed = {gid: error for gid, error in results.items() if error}
    assert not failed, f"the full solution fails visible tests: {failed}"


@pytest.mark.parametrize("habit", list(HABITS))
def test_habit_is_caught_visibly_with_a_message_naming_the_convention(visible_results, habit):
    cells, pattern = HABITS[habit]
    results = visible_results[habit]
    failed = {gid: error for gid, error in results.items() if error}
    assert failed, f"{habit}: every visible test passed"
    named = {gid: error for gid, error in failed.items() if gid in cells and re.search(pattern, error)}
    assert named, (f"{habit}: no visible test of {sorted(cells)} failed with a message matching {pattern!r}; "
                   f"the visible failures were {failed}")
