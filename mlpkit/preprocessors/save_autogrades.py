"""AtomicSaveAutoGrades: nbgrader's SaveAutoGrades, with all grades of a notebook in ONE transaction.

nbgrader_config.py puts it in place of nbgrader's SaveAutoGrades:

    c.Autograde.autograde_preprocessors = [..., "mlpkit.preprocessors.save_autogrades.AtomicSaveAutoGrades", ...]

The transaction and the Task 3 bonus as extra credit are mlpkit/gradebook/save.py's: a
killed grader leaves the notebook's previous grades, never a mix, and grades and extra
credit never disagree.
"""
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades

from mlpkit import paths
from mlpkit.course import Course
from mlpkit.gradebook.save import move_bonus_to_extra_credit, one_transaction
from mlpkit.gradebook.totals import bonus_points


class AtomicSaveAutoGrades(SaveAutoGrades):
    """SaveAutoGrades in one transaction per notebook."""

    def preprocess(self, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = Gradebook(self.db_url)
        with self.gradebook, one_transaction(self.gradebook.db):
            nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
            points = bonus_points(Course(paths.course_root(config=self.config)).source_notebook())
            if points:
                move_bonus_to_extra_credit(self.gradebook, nb, resources["nbgrader"], points, self.log)
        return nb, resources
