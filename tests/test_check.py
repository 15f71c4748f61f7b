"""mlpkit check: visible tests of one notebook, with a useful exit code."""
import shutil

import pytest

from conftest import REPO, TOY_BUGGY_SOFTMAX, lab_exists, make_submission, solution_source, toy_answers
from mlpkit.cli import main


@pytest.fixture(scope="module")
def student_copies(shared_toy_course, tmp_path_factory):
    """Student working folders: a copy of release/mlp_lab/ with their notebook in it."""
    course = shared_toy_course
    folders = {}
    for name, answers in [("full", toy_answers(course)),
                          ("buggy", toy_answers(course, task0_stable_softmax_solution=TOY_BUGGY_SOFTMAX)),
                          ("untouched", {})]:
        folder = tmp_path_factory.mktemp(name) / "mlp_lab"
        shutil.copytree(course.release_dir, folder)
        src = make_submission(course, f"check_{name}", answers)
        shutil.copy(src, folder / "mlp_lab.ipynb")
        folders[name] = folder / "mlp_lab.ipynb"
    return folders


def test_a_complete_notebook_passes(student_copies, capsys):
    assert main(["check", str(student_copies["full"])]) == 0
    out = capsys.readouterr().out
    assert ["PASS", "task0_softmax_sums_to_one"] in _rows(out) and "3/3 visible tests passed" in out


def test_a_buggy_notebook_fails_with_the_message_of_its_visible_test(student_copies, capsys):
    # The buggy softmax passes the visible sum test; only hidden tests catch it, and
    # check runs visible tests only. So break it visibly as well:
    nb_path = student_copies["buggy"]
    text = nb_path.read_text().replace("e / e.sum(axis=-1, keepdims=True)", "e")
    nb_path.write_text(text)
    assert main(["check", str(nb_path)]) == 1
    rows = _rows(capsys.readouterr().out)
    assert "FAIL task0_softmax_sums_to_one AssertionError: rows of stable_softmax must sum to 1".split() in rows
    assert ["PASS", "task3_augment_shape"] in rows


def _rows(out):
    return [line.split() for line in out.splitlines()]


def test_the_untouched_release_fails_on_the_unfinished_functions(student_copies, capsys):
    assert main(["check", str(student_copies["untouched"])]) == 1
    rows = _rows(capsys.readouterr().out)
    assert ["FAIL", "task0_softmax_sums_to_one", "NotImplementedError"] in rows
    assert ["FAIL", "task3_augment_shape", "NotImplementedError"] in rows
    assert ["PASS", "task0_softmax_axis"] in rows      # its visible part is only the docstring


def test_the_release_notebook_in_place_uses_its_working_files(shared_toy_course, capsys):
    # helper.py next to the notebook is imported by the set-up cell; without it the cell fails.
    assert main(["check", str(shared_toy_course.release_nb_path)]) == 1
    out = capsys.readouterr().out
    assert "ModuleNotFoundError" not in out


def test_a_submission_inside_a_course_borrows_the_given_files(shared_toy_course, capsys):
    # A TA checks submitted/<student>/mlp_lab/mlp_lab.ipynb, where helper.py is not.
    path = make_submission(shared_toy_course, "check_in_course", toy_answers(shared_toy_course))
    assert not (path.parent / "helper.py").exists()
    assert main(["check", str(path)]) == 0
    assert "using helper.py from the course's release folder" in capsys.readouterr().err


def test_missing_working_file_is_reported(student_copies, tmp_path, capsys):
    lonely = tmp_path / "mlp_lab.ipynb"
    shutil.copy(student_copies["full"], lonely)
    assert main(["check", str(lonely)]) == 1
    assert "ERROR cell 1 (setup) raised ModuleNotFoundError" in capsys.readouterr().out


@pytest.mark.skipif(not lab_exists(), reason="the lab notebook is not written yet")
def test_the_lab_away_from_its_helpers_gets_one_clear_error(tmp_path, capsys, monkeypatch):
    """A student's copy saved outside its folder: one line saying where lab_checks.py must be,
    not a NameError per check with the cause at the bottom."""
    lonely = tmp_path / "my_copy.ipynb"
    shutil.copy(REPO / "release" / "mlp_lab" / "mlp_lab.ipynb", lonely)
    monkeypatch.chdir(tmp_path)       # a student's machine: no course around to borrow them from
    assert main(["check", str(lonely)]) == 2
    captured = capsys.readouterr()
    assert "lab_checks.py is not next to" in captured.err and "FAIL" not in captured.out


def test_unreadable_notebook(tmp_path, capsys):
    bad = tmp_path / "x.ipynb"
    bad.write_text("{")
    assert main(["check", str(bad)]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(not lab_exists(), reason="the lab notebook is not written yet")
def test_the_real_lab_release_and_a_full_solution_in_a_student_folder(tmp_path, capsys):
    from mlpkit.course import Course
    from mlpkit.notebook import grade_id, is_solution
    from mlpkit.notebook import write as write_notebook
    repo = Course(REPO)
    folder = tmp_path / "mlp_lab"
    shutil.copytree(repo.release_dir, folder)
    # As handed out: every test fails on the unfinished functions, the data still loads.
    assert main(["check", str(folder / "mlp_lab.ipynb")]) == 1
    out = capsys.readouterr().out
    assert "FAIL  task0_softmax_matches_reference" in out and "ModuleNotFoundError" not in out
    # The optional Task 3, left as released, is "not attempted", never a failure.
    assert "SKIP  task3_adamw_trajectory" in out and "FAIL  task3_" not in out
    assert "task3: 0/16 visible tests pass, 16 not attempted (optional, 0 bonus points)" in out
    # Tasks 0-2 done, Task 3 skipped: check passes.
    nb = repo.release_notebook()
    for cell in nb.cells:
        if is_solution(cell) and cell.cell_type == "code" and not grade_id(cell).startswith("task3_"):
            cell.source = solution_source(repo, grade_id(cell))
    write_notebook(nb, folder / "mlp_lab.ipynb")
    assert main(["check", str(folder / "mlp_lab.ipynb")]) == 0, capsys.readouterr().out
    assert "16 not attempted (optional)" in capsys.readouterr().out
    # Filled in with the reference solution: everything passes.
    nb = repo.release_notebook()
    for cell in nb.cells:
        if is_solution(cell) and cell.cell_type == "code":
            cell.source = solution_source(repo, grade_id(cell))
    write_notebook(nb, folder / "mlp_lab.ipynb")
    assert main(["check", str(folder / "mlp_lab.ipynb")]) == 0, capsys.readouterr().out


def test_the_output_starts_with_one_summary_line_per_task(student_copies, capsys):
    assert main(["check", str(student_copies["untouched"])]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["task0: 1/2 visible tests pass; failing: task0_softmax_sums_to_one",
                         "task3: 0/1 visible tests pass; failing: task3_augment_shape"]

