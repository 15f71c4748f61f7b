"""What the class did, as tables: scores, item analysis, likely causes, flagged students, grading time.

    tables = class_tables(course)     # {name: pandas.DataFrame}, the names below
    tables["items"]                    # one row per autograded cell

Read by `mlpkit report` (report.py draws and writes them). Sources: the grade table
(scores.py: gradebook.db and grading/*.json, so manual grades count), each cell's score from
the gradebook through nbgrader's Gradebook API (bonus cells at their source points, totals.py),
nbgrader's lateness of each submission, and grading/<student>.json for the likely causes
(mlpkit/judging/causes.py), the flags and the timings.

- `students`: the grade table plus `late_minutes`;
- `items`: per autograded cell: task, points, `pass_rate` (share of graded students with full
  points: the item's difficulty) and `discrimination`, the point-biserial correlation between
  passing the cell and the student's total over the *other* autograded cells of its kind, core or
  bonus (the corrected item-total correlation: near 0 or below, the cell does not separate strong
  from weak students);
  empty when every student passed or every student failed (no variance, nothing to separate);
- `causes`: per likely cause, its task, how many students it was matched for and who;
- `flagged`: students who failed to execute, are suspected of tampering, or handed in late;
- `timing`: per student the seconds of each grading step (`record` is nbgrader's whole autograde,
  `execute` the part of it that ran the notebook) and `total_seconds` (normalize + record).
"""
import numpy as np
import pandas as pd
from nbgrader.api import MissingEntry

from mlpkit import statuses
from mlpkit.course import NOTEBOOK
from mlpkit.gradebook import results
from mlpkit.gradebook.scores import collect_scores, columns
from mlpkit.notebook import autograded_ids, is_bonus, task_of

FLAGS = (statuses.FAILED_TO_EXECUTE, statuses.TAMPERING_SUSPECTED)


def class_tables(course):
    """{students, items, causes, flagged, timing}: see the module docstring."""
    students = collect_scores(course)
    cells, late = cell_scores(course)
    students["late_minutes"] = students["student"].map(late).fillna(0.0).round(1)
    stored = {s: results.load(course, s) for s in students["student"]}
    return {"students": students, "items": item_analysis(cells), "causes": cause_counts(stored),
            "flagged": flagged(students, stored), "timing": timing(stored)}


def cell_scores(course):
    """(DataFrame student x autograded cell of points, with `max` in .attrs; {student: minutes late})."""
    _, _, _, maxima = columns(course)
    autograded = autograded_ids(course.source_notebook())
    rows, late = {}, {}
    with course.gradebook() as gb:
        for student in sorted(s.id for s in gb.students):
            try:
                sub = gb.find_submission(course.assignment, student)
                nb = gb.find_submission_notebook(NOTEBOOK, course.assignment, student)
            except MissingEntry:
                continue
            late[student] = (sub.total_seconds_late or 0) / 60
            rows[student] = {g.name: g.score or 0.0 for g in nb.grades if g.name in autograded}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=autograded).fillna(0.0)
    table.attrs["max"] = {g: maxima[g] for g in autograded}
    return table, late


def item_analysis(cells):
    """One row per cell: task, points, pass rate, discrimination (module docstring)."""
    maxima = cells.attrs.get("max", {})
    rows = []
    for gid in cells.columns:
        passed = (cells[gid] >= maxima[gid]).astype(float) if len(cells) else pd.Series(dtype=float)
        # The rest score counts the other cells of the same kind: the bonus is optional, so whether a
        # student tried Task 3 must not decide who is "strong" on a core cell (nor the reverse).
        rest = cells[[g for g in cells.columns if g != gid and is_bonus(g) == is_bonus(gid)]].sum(axis=1)
        usable = len(cells) > 2 and passed.std() > 0 and rest.std() > 0
        rows.append({"cell": gid, "task": task_of(gid), "points": maxima[gid],
                     "pass_rate": round(passed.mean(), 3) if len(cells) else np.nan,
                     "discrimination": round(float(np.corrcoef(passed, rest)[0, 1]), 3) if usable else np.nan})
    return pd.DataFrame(rows, columns=["cell", "task", "points", "pass_rate", "discrimination"])


def cause_counts(stored):
    """One row per likely cause: task, cause, count, students (most frequent first)."""
    seen = {}
    for student, res in stored.items():
        for c in (res.likely_causes if res else []):
            seen.setdefault((c["task"], c["cause"]), []).append(student)
    rows = [{"task": task, "cause": cause, "count": len(who), "students": ", ".join(sorted(who))}
            for (task, cause), who in seen.items()]
    table = pd.DataFrame(rows, columns=["task", "cause", "count", "students"])
    return table.sort_values(["count", "task"], ascending=[False, True], ignore_index=True)


def flagged(students, stored):
    """One row per student who failed to execute, is suspected of tampering or was late, with why."""
    rows = []
    for _, row in students.iterrows():
        res = stored.get(row["student"])
        flags = [f for f in FLAGS if f in row["status"]]
        if row["late_minutes"] > 0:
            flags.append(f"late ({row['late_minutes']:g} min)")
        if flags:
            rows.append({"student": row["student"], "flags": "; ".join(flags),
                         "why": results.why_failed(res) if res else ""})
    return pd.DataFrame(rows, columns=["student", "flags", "why"])


def timing(stored):
    """Seconds per grading step and their sum, per student (cache hits did not execute)."""
    rows = []
    for student, res in stored.items():
        if res is None:
            continue
        steps = {k: float(v) for k, v in res.timings.items() if isinstance(v, (int, float))}
        # record covers nbgrader's whole autograde, execute included: normalize + record is the whole
        total = steps.get("normalize", 0.0) + steps.get("record", 0.0)
        rows.append({"student": student, **steps, "total_seconds": round(total, 3),
                     "cached": bool(res.cached)})
    return pd.DataFrame(rows).fillna(0.0) if rows else pd.DataFrame(columns=["student", "total_seconds"])
