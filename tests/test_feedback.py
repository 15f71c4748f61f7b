"""mlpkit feedback: failure messages yes; hidden tests, solutions, tracebacks, environment no."""
import copy
import html

import pytest
from nbformat.v4 import new_output

from mlpkit.notebook import grade_id, secret_lines
from mlpkit.feedback import REDACTED, Scrubber

# (buggy_softmax answered augment with the reference solution, so that one may show.)
HIDDEN_TOKENS = ("q_hidden_large", "r_hidden_axis", "shifted_logits",
                 "BEGIN HIDDEN", "END HIDDEN", "Full marks for naming")


def _text(course, student):
    return html.unescape(course.feedback_path(student).read_text())


@pytest.mark.slow
def test_everyone_graded_gets_feedback(feedback_class, graded_class):
    course, done, failed = feedback_class
    assert failed == {}
    assert sorted(done) == sorted(graded_class[1])


@pytest.mark.slow
def test_failing_hidden_test_shows_its_message_but_not_its_source(feedback_class):
    course, _, _ = feedback_class
    page = _text(course, "buggy_softmax")
    assert "stable_softmax overflows for large inputs" in page       # the hidden test's message
    assert "stable_softmax ignores its axis argument" in page
    assert "rows of stable_softmax must sum to 1" in page            # visible test source stays
    for token in HIDDEN_TOKENS:
        assert token not in page, token
    assert "Traceback (most recent call last)" not in page and "Cell In[" not in page and "----> " not in page


@pytest.mark.slow
def test_stock_nbgrader_feedback_would_leak_the_hidden_test(graded_class, tmp_path):
    # The check above can fail: nbgrader's own feedback of the same notebook shows it.
    from mlpkit.course import run_api
    course, _ = graded_class
    api = course.api(**{"CourseDirectory.feedback_directory": str(tmp_path / "stock")})
    assert run_api(api, "generate_feedback", "mlp_lab", "buggy_softmax")["success"]
    page = html.unescape((tmp_path / "stock" / "buggy_softmax" / "mlp_lab" / "mlp_lab.html").read_text())
    assert "q_hidden_large" in page


@pytest.mark.slow
def test_cli_feedback_for_one_student(feedback_class, capsys):
    from mlpkit.cli import main
    course, _, _ = feedback_class
    assert main(["--course", str(course.root), "feedback", "--student", "full"]) == 0
    assert "full: feedback/full/mlp_lab/mlp_lab.html" in capsys.readouterr().out
    assert main(["--course", str(course.root), "feedback", "--student", "nobody"]) == 1


def _autograded_like(course):
    """The source notebook as nbgrader's autograded copy holds it, with leaky outputs."""
    nb = copy.deepcopy(course.source_notebook())
    cells = {grade_id(c): c for c in nb.cells}
    hidden_line = 'assert _grader.allclose(q_hidden_large, 0.5), "stable_softmax overflows for large inputs"'
    cells["task0_softmax_sums_to_one"].outputs = [new_output(
        "error", ename="AssertionError", evalue="stable_softmax overflows for large inputs",
        traceback=["---------", "AssertionError   Traceback (most recent call last)",
                   f"----> 5 {hidden_line}", "AssertionError: stable_softmax overflows for large inputs"])]
    cells["task0_stable_softmax_solution"].outputs = [
        new_output("stream", name="stdout", text=f"I found this: {hidden_line}\nmy own line\n"),
        new_output("stream", name="stdout", text="PATH=/usr/bin:/bin\nHOME=/root\n"),
        new_output("execute_result", data={"text/plain": "environ({'PATH': '/usr/bin', 'HOME': '/root'})"},
                   execution_count=1),
        new_output("stream", name="stdout", text=f"{course.root}/source/mlp_lab/mlp_lab.ipynb\n"),
    ]
    return nb


def test_scrubber_shows_release_tests_and_only_the_failure_message(shared_toy_course):
    course = shared_toy_course
    scrubbed = Scrubber(course).scrub(_autograded_like(course))
    cells = {grade_id(c): c for c in scrubbed.cells}
    test = cells["task0_softmax_sums_to_one"]
    release_test = next(c for c in course.release_notebook().cells if grade_id(c) == "task0_softmax_sums_to_one")
    assert test.source == release_test.source
    assert test.outputs[0].traceback == ["AssertionError: stable_softmax overflows for large inputs"]
    printed = cells["task0_stable_softmax_solution"].outputs
    assert printed[0].text == f"{REDACTED}\nmy own line\n"
    assert printed[1].text == f"{REDACTED}\n{REDACTED}\n"
    assert printed[2].data["text/plain"] == REDACTED
    assert printed[3].text == f"{REDACTED}\n"


def test_scrubbed_notebook_holds_no_secret_line(shared_toy_course):
    course = shared_toy_course
    scrubbed = Scrubber(course).scrub(_autograded_like(course))
    text = str(scrubbed)
    # The solution cell keeps the (here: instructor's) answer; everything else is clean.
    secrets = secret_lines(course.source_notebook())
    owners_shown = {"task0_stable_softmax_solution", "task3_augment_solution", "task1_reflection"}
    for line, owner in secrets.items():
        if owner not in owners_shown:
            assert line not in text, line
