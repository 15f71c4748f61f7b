"""AtomicSaveAutoGrades: nbgrader's SaveAutoGrades, with all grades of a notebook in ONE transaction.

nbgrader_config.py puts it in place of nbgrader's SaveAutoGrades:

    c.Autograde.autograde_preprocessors = [..., "mlpkit.save_grades.AtomicSaveAutoGrades", ...]

Stock SaveAutoGrades commits after every cell, so a crash mid-notebook leaves some
grades new and some old. Here the per-cell commits become flushes and the notebook
commits once at the end, or rolls back on any error: a killed grader leaves the
notebook's previous grades, never a mix (SQLite's journal makes the commit atomic).
The same transaction records the Task 3 bonus as nbgrader extra credit
(mlpkit/preprocessors/bonus_extra_credit.py), so grades and extra credit never disagree.
"""
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades

from mlpkit.course import Course
from mlpkit.preprocessors import course_root
from mlpkit.preprocessors.bonus_extra_credit import bonus_points, move_bonus_to_extra_credit


class AtomicSaveAutoGrades(SaveAutoGrades):
    """SaveAutoGrades in one transaction per notebook."""

    def preprocess(self, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = Gradebook(self.db_url)
        with self.gradebook:
            session = self.gradebook.db
            real_commit = session.commit
            session.commit = session.flush   # SaveAutoGrades commits per cell; stage them instead
            try:
                nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
                points = bonus_points(Course(course_root(self)).source_notebook())
                if points:
                    move_bonus_to_extra_credit(self.gradebook, nb, resources["nbgrader"], points, self.log)
            except BaseException:
                session.rollback()
                raise
            finally:
                session.commit = real_commit
            session.commit()
        return nb, resources
