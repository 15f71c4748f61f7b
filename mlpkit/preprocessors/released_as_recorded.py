"""ReleasedAsRecorded: an Autograde sanitize step, before nbgrader's OverwriteCells.

OverwriteCells compares every nbgrader cell of a submission with the gradebook and warns at
each difference ("Attribute 'checksum' for cell ... has changed!"), then restores the
gradebook's version. Two differences are there by design in every clean submission, so the
formgrader's Autograde of a full solution printed 48 warnings that nobody should act on:

- a test cell with hidden tests is released without them: its source (and so its checksum)
  differs from the gradebook's, which holds them (32 cells of the lab);
- a Task 3 cell is released with its full points, and recorded with maximum 0 (the bonus is
  extra credit, mlpkit/gradebook/save.py; 16 cells).

This step restores just those, quietly: a locked cell whose source is exactly the release's gets
the gradebook's source, and a bonus cell that shows the points it was released with gets the
gradebook's maximum. A cell a student edited is left alone, so OverwriteCells still warns about
it and restores it. In nbgrader_config.py, in `c.Autograde.sanitize_preprocessors`:

    "mlpkit.preprocessors.released_as_recorded.ReleasedAsRecorded",   # before OverwriteCells
"""
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

from mlpkit import paths
from mlpkit.course import Course
from mlpkit.gradebook.totals import bonus_points
from mlpkit.notebook import grade_id, is_grade, nbgrader_meta, read as read_notebook


def released_cells(course):
    """{grade_id: cell} of the release notebook (committed, else the last scratch release); {} without one."""
    for path in course.release_nb_paths():
        if path.is_file():
            return {grade_id(c): c for c in read_notebook(path).cells if grade_id(c)}
    return {}


class ReleasedAsRecorded(NbGraderPreprocessor):
    """See the module docstring."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        course = Course(paths.course_root(config=self.config), info["assignment"])
        released, points = released_cells(course), bonus_points(course.source_notebook())
        with Gradebook(info["db_url"]) as gb:
            for cell in nb.cells:
                gid = grade_id(cell)
                try:
                    recorded = gb.find_source_cell(gid, info["notebook"], info["assignment"]) if gid else None
                except MissingEntry:
                    recorded = None   # OverwriteCells reports the unknown cell
                if recorded is None:
                    continue
                if (recorded.locked and gid in released and cell.cell_type == recorded.cell_type
                        and cell.source == released[gid].source):
                    cell.source = recorded.source
                meta = nbgrader_meta(cell)
                if gid in points and is_grade(cell) and float(meta.get("points") or 0) == points[gid]:
                    meta["points"] = float(gb.find_graded_cell(gid, info["notebook"], info["assignment"]).max_score)
        return nb, resources
