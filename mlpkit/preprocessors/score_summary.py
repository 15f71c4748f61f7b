"""The feedback's score story: core points out of the core maximum, bonus out of the bonus maximum.

The gradebook holds the Task 3 bonus as extra credit (mlpkit/gradebook/save.py): each bonus cell
with max_score 0 and the points earned as extra credit. Left alone, nbgrader's feedback would
show the header as core plus bonus out of the core points ("32.0 / 22.0") and each bonus cell
as "Score: 2.0 / 0.0". Two GenerateFeedback steps (nbgrader_config.py) tell it as grades.csv
and `mlpkit autograde` do:
- ScoreSummary (after ScrubFeedback): a first cell, read from the gradebook through
  mlpkit.gradebook.scores.collect_scores,

      Score: 16 / 22 core points, plus 17 / 17 bonus points (Task 3). ...

- BonusOutOfItsMaximum (after nbgrader's GetGrades): the header shows the core points out of
  the core maximum, and each bonus cell its points out of its own maximum (the source's).
No score in the feedback is above its maximum.
"""
from nbformat.v4 import new_markdown_cell
from nbgrader.api import Gradebook

from mlpkit import paths, statuses
from mlpkit.course import Course
from mlpkit.gradebook.scores import collect_scores
from mlpkit.gradebook.totals import bonus_points, totals
from mlpkit.preprocessors.scrub_feedback import FeedbackStep


def summary_text(row):
    """The cell's markdown for one row of mlpkit.gradebook.scores.collect_scores."""
    text = (f"**Score: {row['core_total']:g} / {row['core_max']:g} core points, plus "
            f"{row['bonus_total']:g} / {row['bonus_max']:g} bonus points (Task 3).** "
            "The score at the top counts the core points; each Task 3 test shows its bonus points.")
    if statuses.NEEDS_MANUAL_GRADING in row["status"]:
        text += " Some written answers are not graded yet."
    return text


class ScoreSummary(FeedbackStep):
    """GenerateFeedback step: insert the score summary as the first cell."""

    def preprocess(self, nb, resources):
        table = collect_scores(Course(paths.course_root(config=self.config))).set_index("student", drop=False)
        student = resources["nbgrader"]["student"]
        if student in table.index:
            cell = new_markdown_cell(summary_text(table.loc[student]), metadata={"mlpkit": {"score_summary": True}})
            nb.cells.insert(0, cell)
        return nb, resources


class BonusOutOfItsMaximum(FeedbackStep):
    """GenerateFeedback step after GetGrades: core score in the header, bonus cells out of their own points."""

    def preprocess(self, nb, resources):
        bonus = bonus_points(Course(paths.course_root(config=self.config)).source_notebook())
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade_id") in bonus and "points" in meta:   # max_score 0 in the gradebook
                meta["points"] = bonus[meta["grade_id"]]
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            grades = gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"]).grades
            got = totals((g.name, g.score, bonus.get(g.name, g.max_score)) for g in grades)
        info["score"] = max(0.0, got.core_total - float(info.get("late_penalty") or 0))
        info["max_score"] = got.core_max
        return nb, resources
