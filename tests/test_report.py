"""`mlpkit report`: one self-contained HTML file with embedded figures, and a CSV of its tables.

Built from the graded bad-input class (tests/conftest.py `graded_class`: failures to execute,
tampering, a missing and an invalid notebook), read-only; the report goes to a temporary folder.
The example class's likely causes in the report: tests/test_dry_run.py.

Run: .venv/bin/python -m pytest tests/test_report.py -q
"""
import re

import pandas as pd
import pytest

from mlpkit.cli import main

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
    assert set(tables["table"]) == {"students", "items", "flagged", "timing"}
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
