"""Saving a notebook's grades: all of them in ONE transaction, the Task 3 bonus as extra credit.

nbgrader's AtomicSaveAutoGrades step (mlpkit/preprocessors/save_autogrades.py) saves through
here. Stock SaveAutoGrades commits after every cell, so a crash mid-notebook leaves some
grades new and some old. Inside `one_transaction` the per-cell commits become flushes and
the notebook commits once at the end, or rolls back on any error: a killed grader leaves
the notebook's previous grades, never a mix (SQLite's journal makes the commit atomic).

nbgrader adds a grade's `extra_credit` to its score but not to the maximum, which is the
sum of the grade cells' `max_score`. So every autograded bonus cell (totals.bonus_points) is
recorded with `max_score` 0 and the points the student earned as `extra_credit` (with
`auto_score` 0), in the same transaction as the grades. The formgrader then shows e.g.
32.5 / 22 (core + bonus out of core), each Task 3 cell "0 / 0 + 1.5 (extra credit)", and
`mlpkit grades` the same numbers split into core and bonus columns. `zero_bonus_maxima`
also runs right after generate_assignment (mlpkit/preprocessors/bonus_extra_credit.py).
"""
import copy
from contextlib import contextmanager

from nbformat import from_dict
from nbgrader.api import MissingEntry
from nbgrader.utils import compute_checksum, determine_grade

from mlpkit.notebook import grade_id


@contextmanager
def one_transaction(session):
    """Everything committed inside (SaveAutoGrades commits per cell) is staged, then committed
    once when the block ends, or rolled back if it raises."""
    real_commit = session.commit
    session.commit = session.flush
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    finally:
        session.commit = real_commit
    session.commit()


def zero_bonus_maxima(gb, notebook, assignment, points):
    """Bonus grade cells count nothing towards nbgrader's maximum.

    nbgrader's cell checksum includes the points, and its autograder refuses a locked
    cell whose checksum disagrees with the gradebook's, so the stored checksum is
    recomputed for 0 points too.
    """
    for gid in points:
        try:
            grade_cell = gb.find_grade_cell(gid, notebook, assignment)
            source_cell = gb.find_source_cell(gid, notebook, assignment)
        except MissingEntry:
            continue
        grade_cell.max_score = 0.0
        meta = {"grade": True, "solution": False, "locked": source_cell.locked, "grade_id": gid, "points": 0.0}
        source_cell.checksum = compute_checksum(from_dict(
            {"cell_type": source_cell.cell_type, "source": source_cell.source, "metadata": {"nbgrader": meta}}))


def move_bonus_to_extra_credit(gb, nb, info, points, log=None):
    """In the open gradebook `gb`: every bonus cell's earned points become extra credit (auto_score
    0), its maximum 0. Called inside the transaction that saves the grades, so a grader killed
    at any moment leaves both or neither."""
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid not in points:
            continue
        # nbgrader's own rule (error or stderr output: 0, else full points), applied with
        # the source's points: the gradebook's are 0 once the bonus is extra credit.
        full = copy.deepcopy(cell)
        full.metadata.nbgrader["points"] = points[gid]
        earned, _ = determine_grade(full, log)
        grade = gb.find_grade(gid, info["notebook"], info["assignment"], info["student"])
        grade.auto_score = 0.0
        grade.extra_credit = earned
        cell.metadata.nbgrader["points"] = 0.0
    zero_bonus_maxima(gb, info["notebook"], info["assignment"], points)
