"""Core and bonus points: which cells are the bonus, and the totals, counted in this one place.

Task 3 (`task3_*`, mlpkit.notebook.is_bonus) is the bonus; everything else counts to the core.
nbgrader records a bonus cell with max_score 0 and its points as extra credit (save.py), so
its full points are the source notebook's (`bonus_points`). grading/<student>.json
(results.py), grades.csv (scores.py) and the feedback's score line all add up with `totals`.

    bonus_points(course.source_notebook())         # {grade_id: full points} of the bonus tests
    t = totals([("task0_x", 1.0, 1.0), ("task3_y", 0.5, 1.5)])
    t.core_total, t.core_max, t.bonus_total, t.bonus_max, t.total, t.max_total
"""
from dataclasses import dataclass

from mlpkit.notebook import grade_id, is_bonus, is_grade, is_solution, nbgrader_meta


def bonus_points(source_nb):
    """{grade_id: points} of the autograded bonus cells (tests, not answers) of the source."""
    return {grade_id(c): float(nbgrader_meta(c).get("points") or 0) for c in source_nb.cells
            if grade_id(c) and is_bonus(grade_id(c)) and is_grade(c) and not is_solution(c)}


@dataclass(frozen=True)
class Totals:
    core_total: float    # rounded to 3 decimals
    core_max: float
    bonus_total: float   # rounded to 3 decimals
    bonus_max: float

    @property
    def total(self):
        """Core plus bonus: the score nbgrader's formgrader shows (out of core_max)."""
        return round(self.core_total + self.bonus_total, 3)

    @property
    def max_total(self):
        return round(self.core_max + self.bonus_max, 3)


def totals(points, zero=0):
    """The Totals of `points`, an iterable of (grade_id, score, max_score); None counts as 0.
    zero: where the sums start (0.0 for a float even without points, as a CSV column wants)."""
    sums = {(bonus, kind): zero for bonus in (False, True) for kind in ("score", "max")}
    for gid, score, max_score in points:
        sums[is_bonus(gid), "score"] += score or 0
        sums[is_bonus(gid), "max"] += max_score or 0
    return Totals(core_total=round(sums[False, "score"], 3), core_max=sums[False, "max"],
                  bonus_total=round(sums[True, "score"], 3), bonus_max=sums[True, "max"])
