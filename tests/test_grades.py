"""mlpkit grades: per-task columns, core and bonus totals and a status per student."""
import shutil

import pandas as pd
import pytest

from mlpkit.cli import main
from mlpkit.course import Course
from mlpkit.gradebook.scores import collect_scores

pytestmark = pytest.mark.slow

COLUMNS = ["student", "task0", "task3", "task1_reflection", "core_total", "core_max",
           "bonus_total", "bonus_max", "total", "status"]


@pytest.fixture(scope="module")
def table(graded_class):
    course, _ = graded_class
    return collect_scores(course).set_index("student")


def test_columns_and_maxima(table):
    assert ["student", *table.columns] == COLUMNS
    assert (table.core_max == 4).all() and (table.bonus_max == 1).all()


@pytest.mark.parametrize("student, task0, task3, core, bonus", [
    ("full", 2, 1, 2, 1),             # the reflection (2 points) waits for a human
    ("buggy_softmax", 0, 1, 0, 1),    # loses points in its own task only
    ("deleted_cells", 2, 0, 2, 0),
    ("kernel_dies", 2, 0, 2, 0),
    ("untouched", 0, 0, 0, 0),
])
def test_points_per_task_and_totals(table, student, task0, task3, core, bonus):
    row = table.loc[student]
    assert (row.task0, row.task3, row.core_total, row.bonus_total) == (task0, task3, core, bonus)


@pytest.mark.parametrize("student, status", [
    ("full", "needs manual grading"),
    ("untouched", "ok"),
    ("invalid_json", "invalid notebook"),
    ("missing", "missing"),
    ("hangs", "failed to execute; needs manual grading"),
    ("tampering", "tampering suspected; needs manual grading"),
    ("edited_test", "test cell edited; needs manual grading"),
])
def test_status_column(table, student, status):
    assert table.loc[student].status == status


def test_manual_grades_count_and_clear_the_flag(graded_class, tmp_path):
    course = Course(shutil.copytree(graded_class[0].root, tmp_path / "copy"))
    with course.gradebook() as gb:
        grade = gb.find_grade("task1_reflection", "mlp_lab", "mlp_lab", "full")
        grade.manual_score = 1.5            # what formgrader does when a TA enters a score
        grade.needs_manual_grade = False
        gb.db.commit()
    row = collect_scores(course).set_index("student").loc["full"]
    assert (row.task1_reflection, row.core_total, row.status) == (1.5, 3.5, "ok")


def test_cli_writes_the_csv_and_prints_the_table(graded_class, tmp_path, capsys):
    course, _ = graded_class
    out = tmp_path / "marks.csv"
    assert main(["--course", str(course.root), "grades", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    csv = pd.read_csv(out)
    assert list(csv.columns) == COLUMNS and len(csv) == 11
    assert "buggy_softmax" in printed and "core_total" in printed


def test_cli_without_a_gradebook_says_what_to_do(toy_course, capsys):
    assert main(["--course", str(toy_course.root), "grades"]) == 2
    assert "mlpkit release" in capsys.readouterr().err


def _nbgrader_totals(course, student):
    """(score, max_score) of a submission as nbgrader's formgrader lists it."""
    from mlpkit.course import run_api
    rows = run_api(course.api(), "get_submissions", "mlp_lab")
    row = next(r for r in rows if r["student"] == student)
    return row["score"], row["max_score"]


def test_generate_assignment_alone_already_counts_the_bonus_as_extra_credit(toy_course):
    # The formgrader's Generate button runs nbgrader's generate_assignment with the config.
    from mlpkit.course import run_api
    assert run_api(toy_course.api(), "generate_assignment", "mlp_lab", force=True, create=True)["success"]
    with toy_course.gradebook() as gb:
        assert gb.find_grade_cell("task3_augment_shape", "mlp_lab", "mlp_lab").max_score == 0
        assert gb.find_grade_cell("task0_softmax_axis", "mlp_lab", "mlp_lab").max_score == 1


def test_the_bonus_is_nbgrader_extra_credit_and_every_view_agrees(graded_class, table):
    course, _ = graded_class
    with course.gradebook() as gb:
        assert gb.find_grade_cell("task3_augment_shape", "mlp_lab", "mlp_lab").max_score == 0
        grade = gb.find_grade("task3_augment_shape", "mlp_lab", "mlp_lab", "buggy_softmax")
        assert (grade.auto_score, grade.extra_credit, grade.score) == (0, 1, 1)
    for student in ("full", "buggy_softmax", "untouched"):
        row = table.loc[student]
        # The formgrader: core + bonus out of the core points; grades.csv: the same, split.
        assert _nbgrader_totals(course, student) == (row.total, row.core_max), student
        assert row.total == row.core_total + row.bonus_total


@pytest.fixture(scope="module")
def graded_without_the_bonus_step(tmp_path_factory):
    from conftest import make_submission, new_course, released, toy_answers
    from mlpkit.pipeline.grade import grade_all
    course = new_course(tmp_path_factory.mktemp("stock-bonus") / "course")
    with open(course.config_file, "a") as f:
        f.write("\nc.Autograde.autograde_preprocessors = [step.replace('mlpkit.preprocessors.save_autogrades.AtomicSaveAutoGrades',\n"
                "    'nbgrader.preprocessors.SaveAutoGrades') for step in c.Autograde.autograde_preprocessors]\n"
                "c.GenerateAssignment.post_convert_hook = None\n")
    released(course)
    make_submission(course, "full", toy_answers(course))
    grade_all(course, jobs=1, progress=False)
    return course


def test_without_the_step_nbgrader_lumps_bonus_and_core_together(graded_without_the_bonus_step):
    # The check above can fail: stock nbgrader counts the bonus into the maximum.
    assert _nbgrader_totals(graded_without_the_bonus_step, "full") == (3, 5)
