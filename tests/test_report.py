"""`mlpkit report`: one self-contained HTML file with embedded figures, and a CSV of its tables.

Built from the graded bad-input class (tests/conftest.py `graded_class`: failures to execute,
tampering, a missing and an invalid notebook), read-only; the report goes to a temporary folder.
The example class's likely causes in the report: tests/test_dry_run.py. Each rule of the item
analysis is shown to change the numbers: blank submissions (missing, unreadable, nothing written)
are left out and counted on their own, an optional Task 3 part a student did not attempt is left
out of that cell, and a reflection not graded yet is left out of its mean (and counted).

Run: .venv/bin/python -m pytest tests/test_report.py -q
"""
import re

import numpy as np
import pandas as pd
import pytest

from mlpkit.cli import main
from mlpkit.course import NOTEBOOK
from mlpkit.gradebook.analysis import (cell_scores, class_tables, item_analysis, leave_out_not_attempted,
                                       manual_summary, not_attempted)

pytestmark = pytest.mark.slow

EMBEDDED = re.compile(r"<img [^>]*src='data:image/png;base64,[A-Za-z0-9+/=]{200,}'")


def remote_references(text):
    """Everything in an HTML text that would make a browser fetch something from elsewhere."""
    return re.findall(r"(?:https?:)?//[\w.-]+\.\w+|<script|<link|@import|url\(", text)


def test_remote_reference_check_catches_a_planted_link():
    assert remote_references("<p>fine</p>") == []
    for planted in ("<a href='https://example.org/x'>", "<script src='x.js'></script>",
                    "<img src='//cdn.example.org/a.png'>", "<link rel=stylesheet href=a.css>"):
        assert remote_references(planted), planted


@pytest.fixture(scope="module")
def report(graded_class, tmp_path_factory):
    course, _ = graded_class
    out = tmp_path_factory.mktemp("report")
    code = main(["--course", str(course.root), "report", "--out", str(out)])
    assert code == 0
    return out / "mlp_lab_report.html", out / "mlp_lab_report.csv"


def test_report_is_self_contained_with_embedded_figures(report):
    html = report[0].read_text()
    assert len(EMBEDDED.findall(html)) >= 3, "fewer than 3 embedded figures"
    assert remote_references(html) == [], remote_references(html)[:5]


def test_report_tables_cover_the_class(report, graded_class):
    course, results = graded_class
    tables = pd.read_csv(report[1])
    # (the toy course has no catalogue of causes: that table is empty, and an empty table has no rows)
    assert set(tables["table"]) == {"students", "items", "blank", "manual", "flagged", "timing"}
    students = tables[tables["table"] == "students"]
    assert set(students["student"]) >= set(results)
    items = tables[tables["table"] == "items"]
    assert set(items["cell"]) == {"task0_softmax_sums_to_one", "task0_softmax_axis", "task3_augment_shape"}
    assert items["pass_rate"].between(0, 1).all()
    flagged = tables[tables["table"] == "flagged"].set_index("student")
    assert "failed to execute" in flagged.loc["kernel_dies", "flags"]
    assert "failed to execute" in flagged.loc["hangs", "flags"]
    assert "tampering suspected" in flagged.loc["tampering", "flags"]
    assert "full" not in flagged.index
    html = report[0].read_text()
    for heading in ("Scores", "Item analysis", "Likely causes", "Flagged students", "Grading time"):
        assert f"<h2>{heading}</h2>" in html


def test_report_prints_its_path_and_refuses_an_ungraded_course(graded_class, tmp_path, capsys):
    course, _ = graded_class
    assert main(["--course", str(course.root), "report", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "mlp_lab_report.html")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "nbgrader_config.py").write_text(course.config_file.read_text())
    (tmp_path / "empty" / "source" / "mlp_lab").mkdir(parents=True)
    (tmp_path / "empty" / "source" / "mlp_lab" / "mlp_lab.ipynb").write_text(course.source_nb_path.read_text())
    assert main(["--course", str(tmp_path / "empty"), "report"]) == 2
    assert "run `mlpkit autograde` first" in capsys.readouterr().err


# ------------------------------------------------------------ who counts in the item analysis

def planted_class():
    """Six students; d and e left the optional part task3_b as released (NaN), a passes it."""
    cells = pd.DataFrame({"task0_x": [1, 1, 1, 0, 0, 1.0], "task3_a": [2, 2, 2, 0, 2, 0.0],
                          "task3_b": [1, 0, 1, np.nan, np.nan, 0]}, index=list("abcdef"))
    cells.attrs["max"] = {"task0_x": 1, "task3_a": 2, "task3_b": 1}
    return cells


def test_a_part_not_attempted_is_left_out_of_its_cell_only():
    cells = planted_class()
    items = item_analysis(cells).set_index("cell")
    as_failures = item_analysis(cells.fillna(0.0)).set_index("cell")   # the old rule: 0 points
    assert items.loc["task3_b", "pass_rate"] == 0.5 and as_failures.loc["task3_b", "pass_rate"] == pytest.approx(0.333)
    assert (items.loc["task3_b", "students"], items.loc["task3_b", "not_attempted"]) == (4, 2)
    assert (items.loc["task3_b", "discrimination"], as_failures.loc["task3_b", "discrimination"]) == (0.577, 0.5)
    assert items.loc["task3_a", "students"] == 6 and items.loc["task0_x", "not_attempted"] == 0
    marked = leave_out_not_attempted(cells.fillna(0.0), {"d": {"task3_b"}, "e": {"task3_b"}, "a": set()})
    assert marked["task3_b"].isna().tolist() == [False, False, False, True, True, False]
    assert marked.attrs["max"] == cells.attrs["max"]


def test_reflections_not_graded_yet_are_counted_and_left_out_of_the_mean():
    manual = pd.DataFrame({"task1_reflection": [2.0, np.nan, 1.0], "task4_reflection": [np.nan] * 3})
    table = manual_summary(manual).set_index("cell")
    assert table.loc["task1_reflection"].tolist() == [2, 1, 1.5]   # not (2 + 0 + 1) / 3
    assert table.loc["task4_reflection", "waiting"] == 3 and np.isnan(table.loc["task4_reflection", "mean"])


def test_blank_submissions_are_left_out_of_the_item_analysis_and_named(graded_class, report):
    course, _ = graded_class
    tables = class_tables(course)
    blank = tables["blank"].set_index("student")["why"].to_dict()
    assert blank == {"untouched": "nothing written", "missing": "missing", "invalid_json": "invalid notebook"}, blank
    cells, _, _ = cell_scores(course)
    everyone = item_analysis(cells).set_index("cell")          # the old rule: a blank one fails every cell
    items = tables["items"].set_index("cell")
    assert items.loc["task0_softmax_sums_to_one", "students"] == len(cells) - 3
    assert items.loc["task0_softmax_sums_to_one", "pass_rate"] > everyone.loc["task0_softmax_sums_to_one", "pass_rate"]
    assert "<b>3 blank submission(s)</b>" in report[0].read_text()
    assert "untouched (nothing written)" in report[0].read_text()
    assert not tables["students"].set_index("student").loc["full", "blank"]


def test_a_graded_notebook_tells_which_optional_parts_were_not_attempted(graded_class):
    course, _ = graded_class
    assert "task3_augment_shape" in not_attempted(course, "untouched")   # the stub raises NotImplementedError
    assert not_attempted(course, "full") == set() and not_attempted(course, "buggy_softmax") == set()


def test_report_counts_the_reflections_waiting_for_a_ta(graded_class, tmp_path):
    course, _ = graded_class
    def waiting():
        return class_tables(course)["manual"].set_index("cell").loc["task1_reflection"]
    before = waiting()
    with course.gradebook() as gb:   # what the formgrader does when a TA types a score (its apihandlers.py)
        grade = gb.find_grade("task1_reflection", NOTEBOOK, course.assignment, "full")
        grade.manual_score, grade.needs_manual_grade = 2.0, False
        gb.db.commit()
    try:
        after = waiting()
        assert main(["--course", str(course.root), "report", "--out", str(tmp_path)]) == 0
        html = (tmp_path / "mlp_lab_report.html").read_text()
    finally:
        with course.gradebook() as gb:
            grade = gb.find_grade("task1_reflection", NOTEBOOK, course.assignment, "full")
            grade.manual_score, grade.needs_manual_grade = None, True
            gb.db.commit()
    assert (before["graded"], after["graded"]) == (0, 1) and after["waiting"] == before["waiting"] - 1
    assert after["mean"] == 2.0
    assert f"<b>{int(after['waiting'])} manually graded cell(s) not graded yet</b>" in html
