"""mlpkit feedback: failure messages yes; hidden tests, solutions, tracebacks, environment no."""
import copy
import html

import pytest
from nbformat.v4 import new_output

from mlpkit.notebook import grade_id, secret_lines
from mlpkit.preprocessors.scrub_feedback import REDACTED, Scrubber

# (buggy_softmax answered augment with the reference solution, so that one may show.)
HIDDEN_TOKENS = ("q_hidden_large", "r_hidden_axis", "shifted_logits",
                 "BEGIN HIDDEN", "END HIDDEN", "Full marks for naming")


def _text(course, student):
    return html.unescape(course.feedback_path(student).read_text())


def _page_text(path):
    """What a reader sees: tags removed, so syntax-highlighted lines are whole again."""
    import re
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


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


STOCK_FEEDBACK_STEPS = ["nbgrader.preprocessors.GetGrades", "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]


def _never_shown_lines(course):
    """Non-trivial lines of the source's hidden tests and mark schemes (no student writes them)."""
    from mlpkit.notebook import is_trivial_line, outside_regions, regions
    nb = course.source_notebook()
    public = {line.strip() for cell in nb.cells for line in outside_regions(cell.source)}
    return {line.strip() for cell in nb.cells
            for line in regions(cell.source, "hidden") + regions(cell.source, "mark_scheme")
            if not is_trivial_line(line) and line.strip() not in public}


def _nbgrader_cli(course, *args):
    """`nbgrader ...` as an instructor types it in the course root, venv bin on PATH."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    return subprocess.run([str(Path(sys.executable).parent / "nbgrader"), *args], cwd=course.root,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def cli_feedback(feedback_class):
    """`nbgrader generate_feedback` (the CLI) on the graded class, into feedback-cli/."""
    course, _, _ = feedback_class
    proc = _nbgrader_cli(course, "generate_feedback", "mlp_lab", "--force",
                         "--CourseDirectory.feedback_directory=feedback-cli")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return course, course.root / "feedback-cli"


@pytest.mark.slow
def test_nbgrader_cli_feedback_shows_no_hidden_test_or_mark_scheme_line(cli_feedback):
    course, folder = cli_feedback
    never = _never_shown_lines(course)
    assert "q_hidden_large = stable_softmax(np.array([[1000.0, 1000.0]]))" in never   # the list is real
    pages = {p.parts[-3]: _page_text(p) for p in folder.glob("*/mlp_lab/mlp_lab.html")}
    assert {"buggy_softmax", "full", "untouched"} <= set(pages)
    for student, page in pages.items():
        for line in never:
            assert line not in page, (student, line)
        assert "Traceback (most recent call last)" not in page, student


@pytest.mark.slow
def test_nbgrader_cli_feedback_shows_no_instructor_solution(cli_feedback):
    # The untouched student wrote nothing, so no line of the reference solutions may show.
    course, folder = cli_feedback
    page = _page_text(folder / "untouched" / "mlp_lab" / "mlp_lab.html")
    solutions = [line for line, owner in secret_lines(course.source_notebook()).items() if owner.endswith("_solution")]
    assert solutions
    for line in solutions:
        assert line not in page, line


@pytest.mark.slow
def test_mlpkit_feedback_and_nbgrader_cli_write_the_same_page(cli_feedback):
    course, folder = cli_feedback
    for student in ("buggy_softmax", "full", "untouched"):
        assert (folder / student / "mlp_lab" / "mlp_lab.html").read_text() == \
            course.feedback_path(student).read_text(), student


@pytest.mark.slow
def test_stock_nbgrader_feedback_would_leak_the_hidden_test(graded_class, tmp_path):
    # The checks above can fail: without the kit's step, nbgrader's own feedback shows them.
    from mlpkit.course import run_api
    course, _ = graded_class
    api = course.api(**{"CourseDirectory.feedback_directory": str(tmp_path / "stock"),
                        "GenerateFeedback.preprocessors": STOCK_FEEDBACK_STEPS})
    assert run_api(api, "generate_feedback", "mlp_lab", "buggy_softmax")["success"]
    page = _page_text(tmp_path / "stock" / "buggy_softmax" / "mlp_lab" / "mlp_lab.html")
    assert "q_hidden_large" in page
    assert any(line in page for line in _never_shown_lines(course))


def test_a_course_whose_config_does_not_scrub_is_refused(toy_course, capsys):
    from mlpkit.cli import main
    with open(toy_course.config_file, "a") as f:
        f.write(f"\nc.GenerateFeedback.preprocessors = {STOCK_FEEDBACK_STEPS!r}\n")
    assert main(["--course", str(toy_course.root), "feedback"]) == 2
    assert "would show hidden tests" in capsys.readouterr().err


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


@pytest.mark.slow
def test_feedback_tells_the_same_score_story_as_grades_csv(feedback_class):
    import re
    from mlpkit.gradebook.scores import collect_scores
    course, _, _ = feedback_class
    table = collect_scores(course).set_index("student")
    for student in ("full", "buggy_softmax"):
        row = table.loc[student]
        page = _page_text(course.feedback_path(student))
        assert (f"Score: {row.core_total:g} / {row.core_max:g} core points, plus "
                f"{row.bonus_total:g} / {row.bonus_max:g} bonus points (Task 3)") in page, student
        # nbgrader's own header: the core points out of the core maximum (BonusOutOfItsMaximum).
        header = re.search(r"mlp_lab \(Score: ([\d.]+) / ([\d.]+)\)", page)
        assert (float(header[1]), float(header[2])) == (row.core_total, row.core_max), student
        # No score on the page is above its maximum; the bonus cells show their own points.
        shown = [(float(a), float(b)) for a, b in re.findall(r"Score: ([\d.]+) / ([\d.]+)", page)]
        assert shown and all(got <= most for got, most in shown), (student, shown)
        raw = course.feedback_path(student).read_text()
        bonus = re.findall(r'href="#(task3_[^"]+)">[^<]*</a> \(Score: ([\d.]+) / ([\d.]+)\)', raw)
        assert bonus and all(float(most) > 0 for _, _, most in bonus), (student, bonus)
        assert sum(float(got) for _, got, _ in bonus) == pytest.approx(row.bonus_total), student


def test_without_a_release_notebook_the_scrubber_refuses_rather_than_leaks(toy_course):
    from mlpkit.preprocessors.scrub_feedback import Scrubber
    with pytest.raises(FileNotFoundError, match="run `mlpkit release` first"):
        Scrubber(toy_course)
