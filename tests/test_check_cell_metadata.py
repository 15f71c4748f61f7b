"""The kit's CheckCellMetadata accepts and rejects exactly what nbgrader's own does.

It only builds the jsonschema validator once (mlpkit/preprocessors/check_cell_metadata.py);
each corruption below must fail in both, and the lab's own notebook pass in both.
"""
import copy

import pytest
from nbgrader.nbgraderformat import ValidationError
from nbgrader.preprocessors import CheckCellMetadata as Stock

from conftest import REPO
from mlpkit import notebook
from mlpkit.preprocessors.check_cell_metadata import CheckCellMetadata as Kit

pytestmark = pytest.mark.fast   # pure: one preprocessor on notebooks in memory

LAB = notebook.read(REPO / "source" / "mlp_lab" / "mlp_lab.ipynb")


def _first(nb, predicate):
    return next(c for c in nb.cells if predicate(c.metadata.get("nbgrader", {})))


def _set(key, value):
    def corrupt(nb):
        _first(nb, lambda m: m.get("grade"))["metadata"]["nbgrader"][key] = value
    return corrupt


def _drop(key):
    def corrupt(nb):
        del _first(nb, lambda m: m.get("grade"))["metadata"]["nbgrader"][key]
    return corrupt


def _markdown_grade_not_solution(nb):
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade"))
    cell.metadata["nbgrader"]["solution"] = False


def _duplicate_grade_id(nb):
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    cells[1].metadata["nbgrader"]["grade_id"] = cells[0].metadata["nbgrader"]["grade_id"]


CORRUPTIONS = {
    "points_not_a_number": _set("points", "ten"),
    "grade_id_not_a_string": _set("grade_id", 7),
    "grade_missing": _drop("grade"),
    "schema_too_new": _set("schema_version", 4),
    "markdown_grade_not_solution": _markdown_grade_not_solution,
    "duplicate_grade_id": _duplicate_grade_id,
    "points_missing": _drop("points"),
}


@pytest.mark.parametrize("checker", [Stock, Kit], ids=["nbgrader", "kit"])
def test_the_lab_notebook_validates(checker):
    checker()(copy.deepcopy(LAB), {})


def _outcome(checker, corrupt):
    nb = copy.deepcopy(LAB)
    corrupt(nb)
    try:
        checker()(nb, {})
    except Exception as exc:  # noqa: BLE001 - the type is what is compared
        return type(exc)
    return None


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_each_corruption_fails_in_both_with_the_same_error(name):
    stock = _outcome(Stock, CORRUPTIONS[name])
    assert stock is not None, "the corruption should make nbgrader's own check fail"
    assert _outcome(Kit, CORRUPTIONS[name]) is stock
    if name != "schema_too_new":   # nbgrader lets its schema-version errors through unwrapped
        assert issubclass(stock, ValidationError)
