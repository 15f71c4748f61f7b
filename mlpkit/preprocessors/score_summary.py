"""ScoreSummary: a first feedback cell with the core and bonus points, as grades.csv has them.

nbgrader's feedback header shows the total with the Task 3 bonus as extra credit
(e.g. 32.5 / 22: core plus bonus, out of the core points; see bonus_extra_credit.py).
This cell says the same in the kit's terms, read from the gradebook through
mlpkit.gradebook.scores.collect_scores, so the feedback, the formgrader and grades.csv agree:

    Score: 16 / 22 core points, plus 16.5 / 16.5 bonus points (Task 3). ...

nbgrader_config.py puts it in `c.GenerateFeedback.preprocessors` after ScrubFeedback.
"""
from nbformat.v4 import new_markdown_cell

from mlpkit import paths, statuses
from mlpkit.course import Course
from mlpkit.gradebook.scores import collect_scores
from mlpkit.preprocessors.scrub_feedback import FeedbackStep


def summary_text(row):
    """The cell's markdown for one row of mlpkit.gradebook.scores.collect_scores."""
    text = (f"**Score: {row['core_total']:g} / {row['core_max']:g} core points, plus "
            f"{row['bonus_total']:g} / {row['bonus_max']:g} bonus points (Task 3).** "
            f"nbgrader counts the bonus as extra credit, so the total it shows is "
            f"{row['total']:g} / {row['core_max']:g}.")
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
