"""after_generate_assignment: Task 3's maxima to 0 as soon as generate_assignment records the cells.

nbgrader_config.py puts it in `c.GenerateAssignment.post_convert_hook`, so `mlpkit release`,
the formgrader's Generate button and `nbgrader generate_assignment` all record the bonus as
extra credit from the start: nbgrader's totals are then out of the core points. The grades
themselves are moved to extra credit as they are saved (mlpkit/gradebook/save.py, where the
whole scheme is explained).
"""
from pathlib import Path

from mlpkit import paths
from mlpkit.course import Course
from mlpkit.gradebook.save import zero_bonus_maxima
from mlpkit.gradebook.totals import bonus_points


def after_generate_assignment(assignment, student, notebooks):
    """GenerateAssignment's post-convert hook: bonus maxima to 0 for the generated notebooks.
    nbgrader runs converters, and so this hook, from the course root."""
    course = Course(paths.course_root(), assignment)
    points = bonus_points(course.source_notebook())
    with course.gradebook() as gb:
        for notebook in notebooks:
            zero_bonus_maxima(gb, Path(notebook).stem, assignment, points)
        gb.db.commit()
