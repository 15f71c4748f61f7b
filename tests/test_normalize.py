"""mlpkit.staging.normalize: submissions repaired against the release notebook, with flags (no execution)."""
import copy

import nbformat.v4 as v4
import pytest

from conftest import make_submission
from mlpkit.notebook import grade_id
from mlpkit.staging.normalize import normalize
from mlpkit.statuses import CELLS_REPAIRED as REPAIRED, INVALID_NOTEBOOK as INVALID, MISSING, \
    TEST_CELL_EDITED as TEST_EDITED

pytestmark = pytest.mark.fast   # a release made in this process (conftest.pure_toy_course), no nbgrader run


def ids(nb):
    return [grade_id(c) for c in nb.cells if grade_id(c)]


def sources(nb):
    return [c.source for c in nb.cells]


@pytest.fixture
def release_nb(pure_toy_course):
    return pure_toy_course.release_notebook()


def test_untouched_release_is_left_alone_without_flags(pure_toy_course, release_nb):
    path = make_submission(pure_toy_course, "untouched")
    result = normalize(path, release_nb)
    assert result.flags == []
    assert sources(result.nb) == sources(release_nb)


def test_missing_submission_is_graded_as_the_release(tmp_path, release_nb):
    result = normalize(tmp_path / "nothing.ipynb", release_nb)
    assert result.flags == [MISSING]
    assert sources(result.nb) == sources(release_nb)


@pytest.mark.parametrize("raw", [b'{"cells": [', b"\x00\xff garbage", b'{"nbformat": 4, "cells": "no"}',
                                 b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"x": 1}]}'])
def test_unreadable_notebook_is_graded_as_the_release_and_kept(pure_toy_course, release_nb, raw):
    path = make_submission(pure_toy_course, "broken", raw=raw)
    result = normalize(path, release_nb)
    assert result.flags == [INVALID]
    assert sources(result.nb) == sources(release_nb)
    assert path.read_bytes() == raw  # the original is never modified


def test_deleted_nbgrader_cells_are_reinserted_in_place(pure_toy_course, release_nb):
    def delete(nb):
        nb.cells = [c for c in nb.cells if grade_id(c) not in ("task0_softmax_axis", "setup")]
    path = make_submission(pure_toy_course, "deleter", {"task0_stable_softmax_solution": "MINE = 1"},
                           transform=delete)
    result = normalize(path, release_nb)
    assert result.flags == [REPAIRED]
    assert ids(result.nb) == ids(release_nb)
    assert any("task0_softmax_axis" in n for n in result.notes)
    solution = next(c for c in result.nb.cells if grade_id(c) == "task0_stable_softmax_solution")
    assert solution.source == "MINE = 1"  # the student's answer survives the repair


def test_reordered_cells_go_back_to_release_order_with_their_followers(pure_toy_course, release_nb):
    def reorder(nb):
        # Move the augment answer (and a cell the student added after it) to the top.
        i = next(i for i, c in enumerate(nb.cells) if grade_id(c) == "task3_augment_solution")
        nb.cells.insert(i + 1, v4.new_code_cell("print('my own check')"))
        moved = nb.cells[i:i + 2]
        del nb.cells[i:i + 2]
        nb.cells[0:0] = moved
    path = make_submission(pure_toy_course, "reorderer", transform=reorder)
    result = normalize(path, release_nb)
    assert result.flags == [REPAIRED]
    assert ids(result.nb) == ids(release_nb)
    srcs = sources(result.nb)
    augment = next(i for i, c in enumerate(result.nb.cells) if grade_id(c) == "task3_augment_solution")
    assert srcs[augment + 1] == "print('my own check')"


def test_student_added_cells_stay_after_the_cell_they_followed(pure_toy_course, release_nb):
    def add(nb):
        i = next(i for i, c in enumerate(nb.cells) if grade_id(c) == "task0_stable_softmax_solution")
        nb.cells.insert(i + 1, v4.new_code_cell("helper = 42"))
    path = make_submission(pure_toy_course, "adder", transform=add)
    result = normalize(path, release_nb)
    assert result.flags == []
    srcs = sources(result.nb)
    i = next(i for i, c in enumerate(result.nb.cells) if grade_id(c) == "task0_stable_softmax_solution")
    assert srcs[i + 1] == "helper = 42"
    assert len(srcs) == len(release_nb.cells) + 1


def test_duplicated_cells_keep_one_nbgrader_copy(pure_toy_course, release_nb):
    def duplicate(nb):
        test = next(c for c in nb.cells if grade_id(c) == "task0_softmax_sums_to_one")
        answer = next(c for c in nb.cells if grade_id(c) == "task3_augment_solution")
        second = copy.deepcopy(answer)
        second.source = "def augment(x, rng):\n    return x"
        nb.cells += [copy.deepcopy(test), second]
    path = make_submission(pure_toy_course, "duplicator", transform=duplicate)
    result = normalize(path, release_nb)
    assert result.flags == [REPAIRED]
    assert ids(result.nb) == ids(release_nb)  # each grade_id exactly once
    # The duplicated answer is kept as the student's own code, the duplicated test is dropped.
    assert "def augment(x, rng):\n    return x" in sources(result.nb)
    assert len(result.nb.cells) == len(release_nb.cells) + 1


def test_edited_test_cell_is_flagged(pure_toy_course, release_nb):
    path = make_submission(pure_toy_course, "editor", {"task0_softmax_sums_to_one": "pass  # trust me"})
    result = normalize(path, release_nb)
    assert result.flags == [TEST_EDITED]
    assert any("task0_softmax_sums_to_one" in n for n in result.notes)


def test_whitespace_only_changes_to_a_test_cell_are_not_flagged(pure_toy_course, release_nb):
    test = next(c for c in release_nb.cells if grade_id(c) == "task0_softmax_sums_to_one")
    path = make_submission(pure_toy_course, "spacer", {"task0_softmax_sums_to_one": test.source + "\n   \n"})
    assert normalize(path, release_nb).flags == []


def test_stripped_nbgrader_metadata_is_restored(pure_toy_course, release_nb):
    def strip(nb):
        cell = next(c for c in nb.cells if grade_id(c) == "task0_softmax_axis")
        cell.metadata.nbgrader["points"] = 100
    path = make_submission(pure_toy_course, "pointer", transform=strip)
    result = normalize(path, release_nb)
    assert REPAIRED in result.flags
    cell = next(c for c in result.nb.cells if grade_id(c) == "task0_softmax_axis")
    assert cell.metadata.nbgrader["points"] == 1


def test_code_added_above_the_setup_cell_moves_below_it(pure_toy_course, release_nb):
    # Run first, it could patch numpy before the set-up cell captures `_grader`.
    patch = "import numpy as np\nnp.allclose = lambda *a, **k: True"
    path = make_submission(pure_toy_course, "early_bird",
                           transform=lambda nb: nb.cells.insert(0, v4.new_code_cell(patch)))
    result = normalize(path, release_nb)
    assert result.flags == [REPAIRED]
    srcs = sources(result.nb)
    setup = next(i for i, c in enumerate(result.nb.cells) if grade_id(c) == "setup")
    assert srcs.index(patch) == setup + 1
    assert srcs[0] == release_nb.cells[0].source       # the title stays on top
