"""mlpkit demo: release -> autograde -> feedback -> grades in one command (on the toy course)."""
import pandas as pd
import pytest

from conftest import TOY_BUGGY_SOFTMAX, make_submission, new_course, toy_answers
from mlpkit.cli import main

pytestmark = pytest.mark.slow


def test_demo_runs_the_whole_loop_and_prints_the_grade_table(tmp_path, capsys):
    course = new_course(tmp_path / "course")
    from mlpkit.releasing.generate import release
    release(course)                       # the examples are built from the release notebook
    make_submission(course, "full", toy_answers(course))
    make_submission(course, "buggy", toy_answers(course, task0_stable_softmax_solution=TOY_BUGGY_SOFTMAX))
    assert main(["--course", str(course.root), "demo", "--quiet"]) == 0
    out = capsys.readouterr().out
    for section in ("== release", "== autograde", "== feedback", "== grades"):
        assert section in out
    grades = pd.read_csv(course.root / "grades.csv").set_index("student")
    assert grades.loc["full", "task0"] == 2 and grades.loc["buggy", "task0"] == 0
    assert course.feedback_path("buggy").is_file()


def test_demo_without_submissions_says_what_to_do(tmp_path, capsys):
    course = new_course(tmp_path / "course")
    assert main(["--course", str(course.root), "demo", "--quiet"]) == 1
    assert "devtools.examples --update" in capsys.readouterr().err
