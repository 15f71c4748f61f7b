"""Task 3's points as nbgrader extra credit, so that nbgrader's totals are out of the core points.

nbgrader adds a grade's `extra_credit` to its score but not to the maximum, which is the
sum of the grade cells' `max_score`. The kit therefore records every autograded bonus
cell (grade_id `task3_...`, see mlpkit.notebook.is_bonus) with `max_score` 0 and the
points the student earned as `extra_credit` (with `auto_score` 0). The formgrader then
shows e.g. 32.5 / 22 (core + bonus out of core), each Task 3 cell "0 / 0 + 1.5 (extra
credit)", and `mlpkit grades` the same numbers split into core and bonus columns. The
full points of a bonus cell are those of the source notebook (the gradebook's are 0).

`move_bonus_to_extra_credit` runs inside AtomicSaveAutoGrades' transaction (mlpkit/save_grades.py),
so grades and extra credit are saved together; nbgrader_config.py puts `after_generate_assignment` in
`c.GenerateAssignment.post_convert_hook`, which sets the maxima to 0 as soon as
generate_assignment has put the cells in the gradebook (`mlpkit release`, the
formgrader's Generate button, `nbgrader generate_assignment`). Python:

    bonus_points(course.source_notebook())   # {grade_id: full points} of the bonus tests
"""
import copy


from mlpkit.notebook import grade_id, is_bonus, is_grade as is_graded, is_solution, nbgrader_meta
from mlpkit.preprocessors import course_root


def bonus_points(source_nb):
    """{grade_id: points} of the autograded bonus cells (tests, not answers) of the source."""
    return {grade_id(c): float(nbgrader_meta(c).get("points") or 0) for c in source_nb.cells
            if grade_id(c) and is_bonus(grade_id(c)) and is_graded(c) and not is_solution(c)}


def zero_bonus_maxima(gb, notebook, assignment, points):
    """Bonus grade cells count nothing towards nbgrader's maximum.

    nbgrader's cell checksum includes the points, and its autograder refuses a locked
    cell whose checksum disagrees with the gradebook's, so the stored checksum is
    recomputed for 0 points too.
    """
    from nbformat import from_dict
    from nbgrader.api import MissingEntry
    from nbgrader.utils import compute_checksum
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


def after_generate_assignment(assignment, student, notebooks):
    """GenerateAssignment's post-convert hook: bonus maxima to 0 for the generated notebooks.
    nbgrader runs converters, and so this hook, from the course root."""
    import os
    from pathlib import Path
    from mlpkit.course import Course
    course = Course(os.getcwd(), assignment)
    points = bonus_points(course.source_notebook())
    with course.gradebook() as gb:
        for notebook in notebooks:
            zero_bonus_maxima(gb, Path(notebook).stem, assignment, points)
        gb.db.commit()


def move_bonus_to_extra_credit(gb, nb, info, points, log=None):
    """In the open gradebook `gb`: every bonus cell's earned points become extra credit (auto_score
    0), its maximum 0. Called by AtomicSaveAutoGrades inside the transaction that saves the grades,
    so a grader killed at any moment leaves both or neither (mlpkit/save_grades.py)."""
    from nbgrader.utils import determine_grade
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
