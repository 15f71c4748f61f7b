"""`mlpkit grades`: export the gradebook as a CSV with per-task columns, totals and status.

    mlpkit grades                       # writes grades.csv at the course root, prints the table
    mlpkit grades --out marks.csv

One row per student (everyone in the gradebook or graded under grading/):
`student`, one column per task with its autograded points (`task0` ... `task4`),
one per manually graded reflection (`task1_reflection`, ...), `core_total`,
`core_max`, `bonus_total` and `bonus_max` (Task 3, `task3_*`, is the bonus),
`total` (core + bonus: the score nbgrader's formgrader shows, out of `core_max`,
because the bonus is recorded as extra credit, mlpkit/preprocessors/bonus_extra_credit.py)
and `status` (`;`-joined flags, docs/design.md). Scores come from nbgrader's
Gradebook API (so manual grades entered in formgrader count), statuses from
grading/<student>.json; "needs manual grading" is re-read from the gradebook.

Python API: `collect_scores(course) -> pandas.DataFrame` (same columns).
"""
import sys
from pathlib import Path

from mlpkit import results
from mlpkit.course import NOTEBOOK, Course, CourseError
from mlpkit.notebook import is_bonus, task_of


def add_arguments(parser):
    parser.add_argument("--out", type=Path, default=None, help="CSV path (default: <course>/grades.csv)")


def run(args):
    course = Course(args.course)
    try:
        course.check()
        if not course.gradebook_path.exists():
            raise CourseError("no gradebook.db yet: run `mlpkit release` and `mlpkit autograde` first")
        df = collect_scores(course)
    except CourseError as exc:
        print(f"grades: {exc}", file=sys.stderr)
        return 2
    out = args.out or course.root / "grades.csv"
    df.to_csv(out, index=False)
    print(format_table(df))
    print(f"\nwrote {out}")
    return 0


def columns(course):
    """(task columns, reflection columns, {grade_id: column}, {column: max points}) from the gradebook."""
    from nbgrader.api import MissingEntry
    from mlpkit.preprocessors.bonus_extra_credit import bonus_points
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
        maxima[col] = maxima.get(col, 0) + max_score
    tasks = sorted(c for c in set(column_of.values()) if not c.endswith("_reflection") and c in maxima)
    reflections = sorted(c for c in set(column_of.values()) if c.endswith("_reflection"))
    return tasks, reflections, column_of, maxima


def collect_scores(course):
    """One row per student; see the module docstring for the columns."""
    import pandas as pd
    from nbgrader.api import MissingEntry
    course = course if isinstance(course, Course) else Course(course)
    tasks, reflections, column_of, maxima = columns(course)
    core_max = sum(m for col, m in maxima.items() if not is_bonus(col + "_"))
    bonus_max = sum(m for col, m in maxima.items() if is_bonus(col + "_"))
    stored = results.statuses(course)
    rows = []
    with course.gradebook() as gb:
        students = sorted({s.id for s in gb.students} | set(stored))
        for student in students:
            row = {"student": student, **{c: 0.0 for c in tasks + reflections}}
            flags = [f for f in stored.get(student, []) if f not in ("ok", "needs manual grading")]
            try:
                submission = gb.find_submission_notebook(NOTEBOOK, course.assignment, student)
                grades = list(submission.grades)
            except MissingEntry:
                grades = []
                if "grading error" not in flags and "missing" not in flags:
                    flags.append("missing")
            for g in grades:
                col = column_of.get(g.name)
                if col is not None:
                    row[col] += g.score or 0.0
            if any(g.needs_manual_grade for g in grades):
                flags.append("needs manual grading")
            row["core_total"] = round(sum(row[c] for c in tasks + reflections if not is_bonus(c + "_")), 3)
            row["core_max"] = core_max
            row["bonus_total"] = round(sum(row[c] for c in tasks if is_bonus(c + "_")), 3)
            row["bonus_max"] = bonus_max
            row["total"] = round(row["core_total"] + row["bonus_total"], 3)
            row["status"] = "; ".join(dict.fromkeys(flags)) or "ok"
            rows.append(row)
    cols = ["student", *tasks, *reflections, "core_total", "core_max", "bonus_total", "bonus_max", "total", "status"]
    return pd.DataFrame(rows, columns=cols)


def format_table(df):
    """The grade table as printed by `mlpkit grades` and `mlpkit demo`."""
    import pandas as pd
    with pd.option_context("display.max_columns", None, "display.width", 200,
                           "display.max_colwidth", 60):
        return df.to_string(index=False, float_format=lambda x: f"{x:g}")
