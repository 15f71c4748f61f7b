"""`mlpkit autograde --dry-run`: a regrade preview that writes nothing, and the example class's causes.

A course with three of the example submissions (submitted/: full_solution and two bug_*
students), graded for real once. Then a judge is changed, as an instructor would, and the
dry run must print the change per student and per cell, full_solution included, and a judge's
changed message, while gradebook.db, grading/, feedback/ and autograded/ stay byte-identical
(hashed). Manual grades a TA entered since (through nbgrader's Gradebook API, as the formgrader
does) are no change: the preview compares the autograded cells with the gradebook. `--catalogue`
re-grades the catalogue's mutants in a scratch course and names a mutant whose expected cells
no longer hold. The report of the example class shows its likely causes.

Run: .venv/bin/python -m pytest tests/test_dry_run.py -q
"""
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from mlpkit import notebook
from mlpkit.cli import main
from mlpkit.course import NOTEBOOK, Course
from mlpkit.gradebook.feedback import generate_all
from mlpkit.pipeline.grade import grade_all

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
STUDENTS = ("full_solution", "bug_softmax_overflow", "bug_ce_not_batch_mean")
OLD_WORDING = "exp overflows for entries above about 709"   # bug_softmax_overflow's message
NEW_WORDING = "PREVIEW: exp overflows past 709"
PLANTED_JUDGE = '''

def task0_softmax_input_unchanged(seen, expected):   # planted by tests/test_dry_run.py
    raise Failed("a stricter rule: planted")
'''


@pytest.fixture(scope="module")
def example_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("dry_run") / "course"
    root.mkdir()
    for name in ("source", "judges", "release"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "nbgrader_config.py", root)
    for student in STUDENTS:
        shutil.copytree(REPO / "submitted" / student, root / "submitted" / student)
    course = Course(root)
    results = grade_all(course, jobs=2, progress=False)
    done, failed = generate_all(course)
    assert not failed and set(done) == set(STUDENTS)
    return course, results


def fingerprint(course):
    """SHA-256 of every file of what a dry run must not touch."""
    files = [course.gradebook_path]
    for folder in (course.grading_dir, course.feedback_dir, course.autograded_dir):
        files += sorted(p for p in folder.rglob("*") if p.is_file())
    return {str(p.relative_to(course.root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_example_class_likely_causes_land_in_grading_json_and_the_feedback(example_class):
    course, results = example_class
    assert results["full_solution"].likely_causes == []
    for student in ("bug_softmax_overflow", "bug_ce_not_batch_mean"):
        (cause,) = results[student].likely_causes
        assert cause["matches"] == "mutant_" + student.split("_", 1)[1].replace("softmax_overflow", "softmax_no_shift")
        html = course.feedback_path(student).read_text()
        assert "Likely causes" in html and cause["cause"].split(",")[0] in html
        ta_view = notebook.read(course.autograded_path(student)).cells[0]   # what the formgrader shows
        assert ta_view.metadata["mlpkit"]["likely_causes"] and cause["cause"] in ta_view.source
    assert "Likely causes" not in course.feedback_path("full_solution").read_text()


def test_dry_run_after_a_judge_change_prints_the_changes_and_writes_nothing(example_class, capsys):
    course, _ = example_class
    before = fingerprint(course)
    assert main(["--course", str(course.root), "autograde", "--dry-run", "--quiet"]) == 0
    same = capsys.readouterr().out
    assert "0 of 3 student(s) would change" in same, same
    judges = course.root / "judges" / "mlp_lab.py"
    original = judges.read_text()
    assert OLD_WORDING in original
    judges.write_text(original.replace(OLD_WORDING, NEW_WORDING) + PLANTED_JUDGE)
    try:
        assert main(["--course", str(course.root), "autograde", "--dry-run", "--quiet"]) == 0
        out = capsys.readouterr().out
        only = main(["--course", str(course.root), "autograde", "--dry-run", "--quiet", "--student", "full_solution"])
        out_one = capsys.readouterr().out
    finally:
        judges.write_text(original)
    assert "full_solution: 33 -> 32.5  CHANGED" in out, out
    changed = [line for line in out.splitlines() if "message changed" in line]
    assert any(line.startswith("    task0_softmax_no_overflow: message changed:") and "above about 709" in line
               and "PREVIEW" in line for line in changed), out
    assert "    task0_softmax_input_unchanged: 0.5 -> 0" in out
    assert "3 of 3 student(s) would change" in out
    assert only == 0 and "bug_" not in out_one and "full_solution: 33 -> 32.5" in out_one
    assert fingerprint(course) == before, "the dry run changed the course's grades, results or feedback"


def set_manual_grade(course, student, gid, score):
    """What the formgrader does when a TA types a score (nbgrader's formgrader/apihandlers.py)."""
    with course.gradebook() as gb:
        grade = gb.find_grade(gid, NOTEBOOK, course.assignment, student)
        grade.manual_score, grade.needs_manual_grade = score, score is None
        gb.db.commit()


def test_dry_run_after_manual_grading_with_no_change_prints_no_change(example_class, capsys):
    course, _ = example_class
    set_manual_grade(course, "full_solution", "task1_reflection", 2.0)
    set_manual_grade(course, "bug_softmax_overflow", "task4_reflection", 1.5)
    try:
        before = fingerprint(course)
        assert main(["--course", str(course.root), "autograde", "--dry-run", "--quiet"]) == 0
        out = capsys.readouterr().out
        assert fingerprint(course) == before
    finally:
        set_manual_grade(course, "full_solution", "task1_reflection", None)
        set_manual_grade(course, "bug_softmax_overflow", "task4_reflection", None)
    assert "CHANGED" not in out and "0 of 3 student(s) would change" in out, out
    assert "full_solution: 33 -> 33  same" in out and "manual grades (reflections)" in out


def test_report_of_the_example_class_counts_its_causes(example_class, tmp_path):
    course, results = example_class
    assert main(["--course", str(course.root), "report", "--out", str(tmp_path)]) == 0
    tables = pd.read_csv(tmp_path / "mlp_lab_report.csv")
    causes = tables[tables["table"] == "causes"]
    assert set(causes["students"]) == {"bug_softmax_overflow", "bug_ce_not_batch_mean"}
    assert set(causes["task"]) == {"task0", "task1"}


def test_catalogue_preview_names_a_mutant_that_no_longer_loses_its_points(tmp_path, capsys):
    course = tmp_path / "course"
    for name in ("source", "judges"):
        shutil.copytree(REPO / name, course / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "nbgrader_config.py", course)
    (course / "tests" / "variants").mkdir(parents=True)
    for name in ("mutant_softmax_no_shift", "mutant_l2_on_biases"):
        shutil.copy2(REPO / "tests" / "variants" / f"{name}.py", course / "tests" / "variants")
    wrong = course / "tests" / "variants" / "mutant_l2_on_biases.py"
    wrong.write_text(wrong.read_text().replace('"task2_biases_not_decayed"]', '"task2_default_hyperparameters"]'))
    code = main(["--course", str(course), "autograde", "--dry-run", "--catalogue", "--quiet"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "mutant_softmax_no_shift: ok (own cause)" in out
    assert "mutant_l2_on_biases: WRONG" in out and "full_solution: no cause" in out
    assert not (course / "gradebook.db").exists() and not (course / "grading").exists()
