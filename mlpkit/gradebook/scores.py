"""The grade table: one row per student with per-task columns, totals and status (grades.csv).

    df = collect_scores(course)        # pandas.DataFrame, the columns below
    print(format_table(df))

One row per student (everyone in the gradebook or graded under grading/):
`student`, one column per task with its autograded points (`task0` ... `task4`),
one per manually graded reflection (`task1_reflection`, ...), `core_total`,
`core_max`, `bonus_total` and `bonus_max` (Task 3, `task3_*`, is the bonus; totals.py),
`total` (core + bonus: the score nbgrader's formgrader shows, out of `core_max`,
because the bonus is recorded as extra credit, save.py) and `status` (`;`-joined flags,
mlpkit/statuses.py). Scores come from nbgrader's Gradebook API (so manual grades entered in
formgrader count), statuses from grading/<student>.json; "needs manual grading" is re-read
from the gradebook. `mlpkit grades`, `mlpkit demo` and the feedback's score line
(mlpkit/preprocessors/score_summary.py) all read this table.
"""
import pandas as pd
from nbgrader.api import MissingEntry

from mlpkit import statuses
from mlpkit.course import NOTEBOOK, Course, CourseError
from mlpkit.gradebook import results
from mlpkit.gradebook.totals import bonus_points, totals
from mlpkit.notebook import task_of


def columns(course):
    """(task columns, reflection columns, {grade_id: column}, {grade_id: max points}) from the gradebook."""
    bonus = bonus_points(course.source_notebook())
    with course.gradebook() as gb:
        try:
            notebook = gb.find_notebook(NOTEBOOK, course.assignment)
        except MissingEntry:
            raise CourseError("the gradebook has no mlp_lab yet: run `mlpkit release` and `mlpkit autograde`")
        # Bonus cells have max_score 0 in the gradebook (extra credit); their points are the source's.
        cells = [(c.name, bonus.get(c.name, c.max_score), c.cell_type) for c in notebook.grade_cells]
    column_of, maxima = {}, {}
    for name, max_score, cell_type in cells:
        col = task_of(name) or "other"
        if cell_type == "markdown" and not name.endswith("_reflection"):
            col = name
        column_of[name] = col
        maxima[name] = max_score
    tasks = sorted(c for c in set(column_of.values()) if not c.endswith("_reflection"))
    reflections = sorted(c for c in set(column_of.values()) if c.endswith("_reflection"))
    return tasks, reflections, column_of, maxima


def collect_scores(course):
    """One row per student; see the module docstring for the columns."""
    course = course if isinstance(course, Course) else Course(course)
    tasks, reflections, column_of, maxima = columns(course)
    most = totals((name, None, m) for name, m in maxima.items())
    stored = results.statuses(course)
    with course.gradebook() as gb:
        students = sorted({s.id for s in gb.students} | set(stored))
        rows = [_row(gb, course, student, stored.get(student, []), tasks + reflections, column_of, most)
                for student in students]
    cols = ["student", *tasks, *reflections, "core_total", "core_max", "bonus_total", "bonus_max", "total", "status"]
    return pd.DataFrame(rows, columns=cols)


def _row(gb, course, student, stored_flags, all_columns, column_of, most):
    """One student's row: points per column, the totals, the status."""
    row = {"student": student, **{c: 0.0 for c in all_columns}}
    flags = [f for f in stored_flags if f not in (statuses.OK, statuses.NEEDS_MANUAL_GRADING)]
    try:
        grades = list(gb.find_submission_notebook(NOTEBOOK, course.assignment, student).grades)
    except MissingEntry:
        grades = []
        if statuses.GRADING_ERROR not in flags and statuses.MISSING not in flags:
            flags.append(statuses.MISSING)
    grades = [g for g in grades if g.name in column_of]
    for g in grades:
        row[column_of[g.name]] += g.score or 0.0
    if any(g.needs_manual_grade for g in grades):
        flags.append(statuses.NEEDS_MANUAL_GRADING)
    got = totals(((g.name, g.score, None) for g in grades), zero=0.0)
    row.update(core_total=got.core_total, core_max=most.core_max, bonus_total=got.bonus_total,
               bonus_max=most.bonus_max, total=got.total, status="; ".join(dict.fromkeys(flags)) or statuses.OK)
    return row


def format_table(df):
    """The grade table as printed by `mlpkit grades` and `mlpkit demo`."""
    with pd.option_context("display.max_columns", None, "display.width", 200,
                           "display.max_colwidth", 60):
        return df.to_string(index=False, float_format=lambda x: f"{x:g}")
