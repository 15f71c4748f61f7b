"""Task 3 as extra credit from the start: its maxima at 0 in the gradebook and in what is graded.

- after_generate_assignment: Task 3's maxima to 0 as soon as generate_assignment records the cells;
- BonusPointsAsRecorded: an Autograde sanitize step, the same maxima in the submitted notebook.

nbgrader_config.py puts the first in `c.GenerateAssignment.post_convert_hook`, so `mlpkit release`,
the formgrader's Generate button and `nbgrader generate_assignment` all record the bonus as
extra credit from the start: nbgrader's totals are then out of the core points. The grades
themselves are moved to extra credit as they are saved (mlpkit/gradebook/save.py, where the
whole scheme is explained).
"""
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

from mlpkit import paths
from mlpkit.course import Course
from mlpkit.gradebook.save import zero_bonus_maxima
from mlpkit.gradebook.totals import bonus_points
from mlpkit.notebook import grade_id, is_grade


def after_generate_assignment(assignment, student, notebooks):
    """GenerateAssignment's post-convert hook: bonus maxima to 0 for the generated notebooks.
    nbgrader runs converters, and so this hook, from the course root."""
    course = Course(paths.course_root(), assignment)
    points = bonus_points(course.source_notebook())
    with course.gradebook() as gb:
        for notebook in notebooks:
            zero_bonus_maxima(gb, Path(notebook).stem, assignment, points)
        gb.db.commit()


class BonusPointsAsRecorded(NbGraderPreprocessor):
    """Autograde sanitize step, before nbgrader's OverwriteCells: a bonus cell that still shows
    the points it was released with (the source's) gets the maximum the gradebook records for
    it (0: the bonus is extra credit). Without it OverwriteCells warns "Attribute 'points' for
    cell task3_... has changed! (should be: 0.0, got: 2.0)" for every bonus cell of every clean
    submission. Points a student edited to anything else are left alone, so nbgrader still
    warns about those and restores them."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        points = bonus_points(Course(paths.course_root(config=self.config), info["assignment"]).source_notebook())
        with Gradebook(info["db_url"]) as gb:
            for cell in nb.cells:
                gid = grade_id(cell)
                meta = cell.get("metadata", {}).get("nbgrader", {})
                if gid not in points or not is_grade(cell) or float(meta.get("points") or 0) != points[gid]:
                    continue
                try:
                    meta["points"] = float(gb.find_graded_cell(gid, info["notebook"], info["assignment"]).max_score)
                except MissingEntry:
                    continue  # OverwriteCells reports the unknown cell
        return nb, resources
