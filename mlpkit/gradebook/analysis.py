"""What the class did, as tables: scores, item analysis, likely causes, flagged students, grading time.

    tables = class_tables(course)     # {name: pandas.DataFrame}, the names below
    tables["items"]                    # one row per autograded cell

Read by `mlpkit report` (report.py draws and writes them). Sources: the grade table
(scores.py: gradebook.db and grading/*.json, so manual grades count), each cell's score from
the gradebook through nbgrader's Gradebook API (bonus cells at their source points, totals.py),
nbgrader's lateness of each submission, and grading/<student>.json for the likely causes
(mlpkit/judging/causes.py), the flags and the timings.

- `students`: the grade table plus `late_minutes` and `blank` (nothing written, see below);
- `items`: per autograded cell: task, points, `students` (how many it was computed over),
  `not_attempted` (Task 3: students who left the cell's optional part as released, left out of
  it), `pass_rate` (share of those students with full points: the item's difficulty) and
  `discrimination`, the point-biserial correlation between passing the cell and the student's
  total over the *other* autograded cells of its kind, core or bonus (the corrected item-total
  correlation: near 0 or below, the cell does not separate strong from weak students);
  empty when every student passed or every student failed (no variance, nothing to separate).
  Blank submissions are left out of it: a student who wrote nothing fails every cell and would
  make every cell look hard and discriminating;
- `blank`: the blank submissions (missing, unreadable, or every answer cell as released);
- `manual`: per manually graded cell (reflection), how many are `graded` and `waiting`, and the
  `mean` score over the graded ones only (a waiting cell counts 0 in the totals);
- `causes`: per likely cause, its task, how many students it was matched for and who;
- `flagged`: students who failed to execute, are suspected of tampering, or handed in late;
- `timing`: per student the seconds of each grading step (`record` is nbgrader's whole autograde,
  `execute` the part of it that ran the notebook) and `total_seconds` (normalize + record).
"""
import numpy as np
import pandas as pd
from nbgrader.api import MissingEntry

from mlpkit import notebook, statuses
from mlpkit.course import NOTEBOOK
from mlpkit.gradebook import results
from mlpkit.gradebook.scores import collect_scores, columns
from mlpkit.judging.causes import failures, part_of
from mlpkit.notebook import autograded_ids, grade_id, is_bonus, is_solution, task_of
from mlpkit.sandbox.inside.protocol import NOT_ATTEMPTED

FLAGS = (statuses.FAILED_TO_EXECUTE, statuses.TAMPERING_SUSPECTED)
# Graded as the untouched release (mlpkit/staging/normalize.py): nothing of the student's was read.
GRADED_AS_RELEASE = (statuses.MISSING, statuses.INVALID_NOTEBOOK)
# What a Task 3 check says of a part left as released (the lab prints the first, nbgrader the second).
NOT_ATTEMPTED_SIGNS = (NOT_ATTEMPTED, "NotImplementedError")


def class_tables(course):
    """{students, items, blank, manual, causes, flagged, timing}: see the module docstring."""
    students = collect_scores(course)
    cells, manual, late = cell_scores(course)
    students["late_minutes"] = students["student"].map(late).fillna(0.0).round(1)
    stored = {s: results.load(course, s) for s in students["student"]}
    blank = blank_submissions(course, students)
    students["blank"] = students["student"].isin(blank["student"])
    attempted = cells.drop(index=[s for s in blank["student"] if s in cells.index])
    attempted = leave_out_not_attempted(attempted, {s: not_attempted(course, s) for s in attempted.index})
    return {"students": students, "items": item_analysis(attempted), "blank": blank,
            "manual": manual_summary(manual.drop(index=[s for s in blank["student"] if s in manual.index])),
            "causes": cause_counts(stored), "flagged": flagged(students, stored), "timing": timing(stored)}


def cell_scores(course):
    """(student x autograded cell points, `max` in .attrs; student x manual cell points, NaN while
    a TA has not graded it; {student: minutes late})."""
    _, _, _, maxima = columns(course)
    autograded = autograded_ids(course.source_notebook())
    rows, manual, late = {}, {}, {}
    with course.gradebook() as gb:
        for student in sorted(s.id for s in gb.students):
            try:
                sub = gb.find_submission(course.assignment, student)
                nb = gb.find_submission_notebook(NOTEBOOK, course.assignment, student)
            except MissingEntry:
                continue
            late[student] = (sub.total_seconds_late or 0) / 60
            rows[student] = {g.name: g.score or 0.0 for g in nb.grades if g.name in autograded}
            manual[student] = {g.name: np.nan if g.needs_manual_grade else (g.score or 0.0)
                               for g in nb.grades if g.name not in autograded}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=autograded).fillna(0.0)
    table.attrs["max"] = {g: maxima[g] for g in autograded}
    return table, pd.DataFrame.from_dict(manual, orient="index"), late


def _answers(nb):
    return {grade_id(c): c.source.strip() for c in nb.cells if is_solution(c) and grade_id(c)}


def blank_submissions(course, students):
    """The students who wrote nothing: graded as the release (missing, unreadable), or every answer
    cell of their graded notebook as released. Columns student, why."""
    released = _answers(course.release_notebook())
    rows = []
    for _, row in students.iterrows():
        why = next((f for f in GRADED_AS_RELEASE if f in row["status"]), None)
        path = course.autograded_path(row["student"])
        if why is None and path.exists() and released:
            answers = _answers(notebook.read(path))
            why = "nothing written" if all(answers.get(g, text) == text for g, text in released.items()) else None
        if why:
            rows.append({"student": row["student"], "why": why})
    return pd.DataFrame(rows, columns=["student", "why"])


def not_attempted(course, student):
    """The Task 3 cells of the optional parts `student` left as released (their checks say so)."""
    path = course.autograded_path(student)
    if not path.exists():
        return set()
    failed = failures(notebook.read(path))
    parts = {part_of(g) for g, message in failed.items()
             if is_bonus(g) and any(sign in message for sign in NOT_ATTEMPTED_SIGNS)}
    return {g for g in failed if part_of(g) in parts} | parts


def leave_out_not_attempted(cells, skipped):
    """`cells` with NaN where the student did not attempt the cell's optional part ({student: set})."""
    out = cells.copy()
    for student, gids in skipped.items():
        for gid in out.columns:
            if gid in gids or part_of(gid) in gids:
                out.loc[student, gid] = np.nan
    out.attrs = cells.attrs
    return out


def item_analysis(cells):
    """One row per cell: task, points, students, not attempted, pass rate, discrimination (module
    docstring). A NaN in `cells` (a part not attempted) leaves that student out of that cell."""
    maxima = cells.attrs.get("max", {})
    rows = []
    for gid in cells.columns:
        took = cells[gid].notna()
        passed = (cells.loc[took, gid] >= maxima[gid]).astype(float)
        # The rest score counts the other cells of the same kind: the bonus is optional, so whether a
        # student tried Task 3 must not decide who is "strong" on a core cell (nor the reverse).
        rest = cells.loc[took, [g for g in cells.columns if g != gid and is_bonus(g) == is_bonus(gid)]].sum(axis=1)
        usable = len(passed) > 2 and passed.std() > 0 and rest.std() > 0
        rows.append({"cell": gid, "task": task_of(gid), "points": maxima[gid], "students": int(took.sum()),
                     "not_attempted": int((~took).sum()),
                     "pass_rate": round(passed.mean(), 3) if len(passed) else np.nan,
                     "discrimination": round(float(np.corrcoef(passed, rest)[0, 1]), 3) if usable else np.nan})
    return pd.DataFrame(rows, columns=["cell", "task", "points", "students", "not_attempted", "pass_rate",
                                       "discrimination"])


def manual_summary(manual):
    """Per manually graded cell: how many are graded, how many wait, the mean of the graded ones."""
    rows = [{"cell": gid, "graded": int(manual[gid].notna().sum()), "waiting": int(manual[gid].isna().sum()),
             "mean": round(manual[gid].mean(), 2) if manual[gid].notna().any() else np.nan}
            for gid in sorted(manual.columns)]
    return pd.DataFrame(rows, columns=["cell", "graded", "waiting", "mean"])


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
