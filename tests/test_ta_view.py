"""The TA's view: the student's own experiment outputs and the mark scheme beside the answer
in the autograded notebook (what the formgrader shows), never the mark scheme in feedback."""
import html
import re

import pytest
from nbformat.v4 import new_code_cell, new_output

from conftest import make_submission, new_course, released, toy_answers
from mlpkit.notebook import grade_id, read as read_notebook, write as write_notebook
from mlpkit.preprocessors.ta_view import STUDENT_RUN_LABEL, TA_ONLY_HEADING

pytestmark = pytest.mark.slow

EXPERIMENT = 'print("grading-mode run" if GRADING else "full run")'
THEIR_TABLE = "epoch 10: test accuracy 0.9712"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A toy course with an experiment cell; one student who ran it in full before handing in."""
    from mlpkit.gradebook.feedback import generate_all
    from mlpkit.pipeline.grade import grade_all
    course = new_course(tmp_path_factory.mktemp("ta-view") / "course")
    nb = read_notebook(course.source_nb_path)
    at = next(i for i, c in enumerate(nb.cells) if grade_id(c) == "task1_reflection")
    experiment = new_code_cell(EXPERIMENT)  # a plain cell, as the lab's: students may cut it down
    experiment.id = "experiment_toy"
    nb.cells.insert(at, experiment)
    write_notebook(nb, course.source_nb_path)
    released(course)

    def ran_it(nb):
        cell = next(c for c in nb.cells if c.get("id") == "experiment_toy")
        cell.outputs = [new_output("stream", name="stdout", text=THEIR_TABLE + "\n")]
        cell.execution_count = 12
    make_submission(course, "alice", toy_answers(course), transform=ran_it)
    make_submission(course, "bob", toy_answers(course))            # handed in without outputs
    grade_all(course, jobs=1, progress=False)
    done, failed = generate_all(course)
    assert failed == {}
    return course


def _cells(course, student):
    return read_notebook(course.autograded_path(student)).cells


def test_the_students_own_run_follows_the_experiment_cell(graded):
    cells = _cells(graded, "alice")
    i = next(i for i, c in enumerate(cells) if c.get("id") == "experiment_toy")
    rerun, theirs = cells[i], cells[i + 1]
    assert "grading-mode run" in str(rerun.outputs) and THEIR_TABLE not in str(rerun.outputs)
    assert theirs.source == STUDENT_RUN_LABEL and THEIR_TABLE in theirs.outputs[0].text
    assert theirs.metadata["mlpkit"]["student_run"] == "experiment_toy"


def test_nothing_is_grafted_when_the_student_ran_nothing(graded):
    assert not any(c.source == STUDENT_RUN_LABEL for c in _cells(graded, "bob"))


def test_the_mark_scheme_is_beside_the_answer_for_the_ta(graded):
    cells = _cells(graded, "alice")
    i = next(i for i, c in enumerate(cells) if grade_id(c) == "task1_reflection")
    scheme = cells[i + 1]
    assert TA_ONLY_HEADING in scheme.source
    assert "Full marks for naming overflow of the exponential function." in scheme.source


def test_feedback_keeps_their_run_but_not_the_mark_scheme(graded):
    page = html.unescape(re.sub(r"<[^>]+>", "", graded.feedback_path("alice").read_text()))
    assert THEIR_TABLE in page
    assert "Full marks for naming" not in page and "TA only" not in page


def test_the_scrubber_drops_a_mark_scheme_cell_that_lost_its_metadata(graded):
    from mlpkit.preprocessors.scrub_feedback import Scrubber
    nb = read_notebook(graded.autograded_path("alice"))
    for cell in nb.cells:
        cell.metadata.pop("mlpkit", None)
    assert "Full marks for naming" in str(nb)                     # there to be dropped
    assert "Full marks for naming" not in str(Scrubber(graded).scrub(nb))
