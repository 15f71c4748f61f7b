"""The formgrader shows what needs a TA: notebooks that failed to execute, timed out or look
tampered with are flagged in the gradebook (nbgrader's SubmittedNotebook.flagged), with the
reason in a TA-only cell at the top of the autograded notebook; a full solution is not.
Both on `mlpkit autograde` (the session's graded_class) and on `nbgrader autograde`, which the
formgrader's Autograde button runs (mlpkit/preprocessors/flag_for_ta.py).

Run: python -m pytest tests/test_flag_for_ta.py -q
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HANGER, KERNEL_KILLER, make_submission, new_course, released, toy_answers
from nbformat.v4 import new_code_cell, new_notebook

from mlpkit import notebook
from mlpkit.preprocessors.flag_for_ta import FLAG_HEADING, reasons

FLAGGED = {"kernel_dies": "kernel died", "hangs": "timeout", "tampering": "tampering suspected"}


def flagged_in_gradebook(course):
    with course.gradebook() as gb:
        return {s.student.id: s.flagged for s in gb.find_assignment("mlp_lab").submissions
                for s in s.notebooks}


def top_cell(course, student):
    return notebook.read(course.autograded_path(student)).cells[0]


@pytest.mark.fast
def test_reasons_name_the_cell_and_the_failure():
    nb = new_notebook(cells=[new_code_cell("x = 1", metadata={"nbgrader": {"grade_id": "task0_a"}}),
                             new_code_cell("y = 2")])
    events = [{"cell": 0, "kind": "timeout", "message": "cell timed out after 15 s\nmore"},
              {"cell": 1, "kind": "error", "message": "ValueError: student's own error"}]
    assert reasons(nb, events) == ["failed to execute: `task0_a` (cell 0): timeout: cell timed out after 15 s"]
    assert reasons(nb, []) == []
    nb.cells[1].source = "import numpy as np\nnp.allclose = lambda *a, **k: True"
    found = reasons(nb, [])
    assert len(found) == 1 and found[0].startswith("tampering suspected:")


@pytest.mark.slow
def test_mlpkit_autograde_flags_failed_and_tampered_notebooks_only(graded_class):
    course, _ = graded_class
    flags = flagged_in_gradebook(course)
    assert {s for s, f in flags.items() if f} == set(FLAGGED), flags
    for student, why in FLAGGED.items():
        cell = top_cell(course, student)
        assert cell.source.startswith(FLAG_HEADING) and why in cell.source, cell.source
    assert FLAG_HEADING not in top_cell(course, "full").source


@pytest.mark.slow
def test_the_flag_never_reaches_student_feedback(feedback_class):
    course, done, _ = feedback_class
    for student in FLAGGED:
        assert student in done
        assert "Flagged for a TA" not in course.feedback_path(student).read_text()


@pytest.mark.slow
def test_nbgrader_autograde_flags_the_crashed_and_hung_notebooks(tmp_path):
    """What the formgrader's Autograde button runs: plain nbgrader with the course's config."""
    course = released(new_course(tmp_path / "course"))
    ok = toy_answers(course)
    augment = ok["task3_augment_solution"]
    make_submission(course, "full", ok)
    make_submission(course, "kernel_dies", dict(ok, task3_augment_solution=KERNEL_KILLER + augment))
    make_submission(course, "hangs", dict(ok, task3_augment_solution=HANGER + augment))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    run = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "autograde", "mlp_lab", "--force"],
                         cwd=course.root, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert flagged_in_gradebook(course) == {"full": False, "kernel_dies": True, "hangs": True}
    assert "kernel died" in top_cell(course, "kernel_dies").source
    assert "timeout" in top_cell(course, "hangs").source
