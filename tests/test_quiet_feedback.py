"""Quiet when all is well, and feedback that shows causes, not frames (issue 18, points 4 and 5).

    .venv/bin/python -m pytest -q tests/test_quiet_feedback.py

- `nbgrader autograde` and `nbgrader generate_feedback` of the full solution, run as an
  instructor runs them (the formgrader's buttons run the same converters with the same
  config), print no WARNING line; without the kit's steps they would (shown here).
- The feedback of every example submission (submitted/, graded by the kit) holds no traceback
  frame, no kernel or course path and no name of the kit's helpers in its outputs.
"""
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import REPO, lab_exists, new_course, released

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not lab_exists(), reason="the lab notebook is not written yet")]

WARNING = re.compile(r"\bWARNING\b|\[W |\w+Warning: ")
# What a student must never read in feedback outputs: frames, kernel and library paths, the kit's helpers.
FRAME = re.compile(r'File "[^"]*", line \d+|line \d+, in \w+|Traceback \(most recent call last\)|ipykernel_\d+'
                   r"|/tmp/|site-packages|lab_checks|mlpkit|judges/|Cell In\[\d+\]|-{5,}>")


def _nbgrader(course, *args):
    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}")
    env.pop("NBGRADER_EXECUTION", None)
    proc = subprocess.run([str(bindir / "nbgrader"), *args], cwd=course.root, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def _warnings(output):
    return [line for line in output.splitlines() if WARNING.search(line)]


@pytest.fixture(scope="module")
def full_solution_course(tmp_path_factory):
    course = released(new_course(tmp_path_factory.mktemp("quiet") / "course", source="real"))
    shutil.copytree(REPO / "submitted" / "full_solution", course.root / "submitted" / "full_solution")
    return course


def test_nbgrader_autograde_and_feedback_of_the_full_solution_print_no_warning(full_solution_course):
    course = full_solution_course
    out = _nbgrader(course, "autograde", "mlp_lab", "--student", "full_solution", "--force")
    assert _warnings(out) == [], out
    out = _nbgrader(course, "generate_feedback", "mlp_lab", "--student", "full_solution", "--force")
    assert _warnings(out) == [], out
    assert course.feedback_path("full_solution").is_file()


def test_without_the_released_as_recorded_step_nbgrader_autograde_would_warn(full_solution_course):
    """The check above can fail: the course's config without ReleasedAsRecorded warns
    "Attribute 'points'/'checksum' for cell ... has changed!" for the bonus and hidden-test cells."""
    course = full_solution_course
    config = course.root / "nbgrader_config.py"
    kept = config.read_text()
    try:
        config.write_text(kept.replace('"mlpkit.preprocessors.released_as_recorded.ReleasedAsRecorded",', ""))
        out = _nbgrader(course, "autograde", "mlp_lab", "--student", "full_solution", "--force")
        warned = _warnings(out)
        assert any("'points'" in line and "task3_" in line for line in warned), out
        assert any("'checksum'" in line for line in warned), out
    finally:
        config.write_text(kept)


def test_a_student_who_edits_a_test_cell_or_its_points_still_raises_nbgraders_warning(full_solution_course):
    """Quiet only for what the release handed out: an edited test cell and edited bonus points warn."""
    from mlpkit import notebook
    course = full_solution_course
    nb = notebook.read(course.root / "submitted" / "full_solution" / "mlp_lab" / "mlp_lab.ipynb")
    cells = notebook.cells_by_grade_id(nb)
    cells["task0_softmax_no_overflow"].source += "\npass  # my edit\n"
    cells["task3_adamw_trajectory"].metadata["nbgrader"]["points"] = 5.0
    folder = course.root / "submitted" / "editor" / "mlp_lab"
    shutil.copytree(course.root / "submitted" / "full_solution" / "mlp_lab", folder)
    notebook.write(nb, folder / "mlp_lab.ipynb")
    warned = _warnings(_nbgrader(course, "autograde", "mlp_lab", "--student", "editor", "--force"))
    assert any("'checksum'" in line and "task0_softmax_no_overflow" in line for line in warned), warned
    assert any("'points'" in line and "task3_adamw_trajectory" in line for line in warned), warned
    assert not any("task0_softmax_matches_reference" in line for line in warned), warned


@pytest.mark.fast
def test_the_feedback_steps_take_the_html_exporters_config_quietly(caplog):
    """Every feedback run configures them with HTMLExporter's display_data_priority; nbgrader's
    own base class would warn "not recognized" (shown with it)."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.preprocessors import NbGraderPreprocessor
    from traitlets.config import Config

    from mlpkit.preprocessors.score_summary import ScoreSummary
    from mlpkit.preprocessors.scrub_feedback import ScrubFeedback
    config = Config(HTMLExporter().default_config)
    for step in (ScrubFeedback, ScoreSummary):
        step(config=config)
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == []
    NbGraderPreprocessor(config=config)
    assert any("display_data_priority" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- feedback of the example class

class _Outputs(HTMLParser):
    """The text inside the output areas of an nbconvert HTML page (not the cells' sources): nbgrader's
    feedback template (`output_subarea`) or JupyterLab's (`jp-OutputArea-output`)."""

    def __init__(self):
        super().__init__()
        self.depth, self.chunks = 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += tag not in ("br", "img", "hr", "input", "meta", "link")
        elif tag == "div" and any(name in (dict(attrs).get("class") or "").split()
                                  for name in ("output_subarea", "jp-OutputArea-output")):
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth and tag not in ("br", "img", "hr", "input", "meta", "link"):
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.chunks.append(data)


def output_text(path):
    parser = _Outputs()
    parser.feed(Path(path).read_text())
    return "\n".join(parser.chunks)


@pytest.fixture(scope="module")
def example_feedback(tmp_path_factory):
    """{student: feedback output text} of the example class, graded and fed back by the kit."""
    from mlpkit.gradebook.feedback import generate_all
    from mlpkit.pipeline.grade import grade_all
    course = released(new_course(tmp_path_factory.mktemp("examples") / "course", source="real"))
    shutil.copytree(REPO / "submitted", course.root / "submitted")
    results = grade_all(course, jobs=2, progress=False)
    # Feedback of notebooks that never ran would hold no output to check: the full solution ran.
    assert results["full_solution"].status == ["needs manual grading"], results["full_solution"]
    done, failed = generate_all(course)
    assert not failed, failed
    return {student: output_text(course.feedback_path(student)) for student in done}


def test_no_feedback_output_holds_a_frame_a_path_or_a_helper_name(example_feedback):
    assert {"crash_kernel_dies", "bug_ce_not_batch_mean", "full_solution"} <= set(example_feedback)
    assert "observations recorded" not in example_feedback["full_solution"]   # the judge's verdicts replaced them
    assert "TestFailed: " in example_feedback["bug_ce_not_batch_mean"], "no verdict found in the feedback page"
    found = {student: sorted({m.group(0) for m in FRAME.finditer(text)})
             for student, text in example_feedback.items() if FRAME.search(text)}
    assert found == {}, found


@pytest.mark.fast
def test_the_frame_check_finds_a_frame():
    page = ('<div class="output_subarea output_stream"><pre>Traceback (most recent call last):\n'
            '  File "/tmp/ipykernel_43/1.py", line 6, in observe</pre></div><pre>source</pre>')
    assert FRAME.search(_text_of(page)) and not FRAME.search(_text_of("<pre>File \"x\", line 1</pre>"))


def _text_of(page):
    parser = _Outputs()
    parser.feed(page)
    return "\n".join(parser.chunks)


# ---------------------------------------------------------------- the formgrader's log

FORMGRADER_PROBE = """
import json
from jupyter_server.serverapp import ServerApp
app = ServerApp.instance()
app.initialize(["--no-browser", "--port=0", "--ip=127.0.0.1"])
formgrader = app.web_app.settings["nbgrader_formgrader"]
try:
    json.dumps(formgrader.config)
    serializable = True
except TypeError:
    serializable = False
# nbgrader's ManageAssignmentsHandler logs "Formgrader config is not serializable" exactly then:
print("WOULD WARN" if formgrader.debug and not serializable else "QUIET")
"""


def _formgrader_page_would_warn(root, tmp_path):
    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}", HOME=str(tmp_path),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    proc = subprocess.run([sys.executable, "-c", FORMGRADER_PROBE], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()[-1] == "WOULD WARN"


def test_the_formgrader_pages_log_no_config_warning(toy_course, tmp_path):
    assert not _formgrader_page_would_warn(toy_course.root, tmp_path)
    # ...and would without the course's `c.FormgradeExtension.debug = False` (the check can fail).
    config = toy_course.root / "nbgrader_config.py"
    config.write_text(config.read_text().replace("c.FormgradeExtension.debug = False", ""))
    assert _formgrader_page_would_warn(toy_course.root, tmp_path)


# ---------------------------------------------------------------- the grade table's "why"

@pytest.mark.fast
def test_the_why_column_is_cut_at_a_word_never_mid_word():
    from mlpkit.gradebook.results import StudentResult, why_failed
    message = ("the kernel died (it hit a memory or process limit, or called os._exit); "
               "the cells after it did not run")
    why = why_failed(StudentResult("s", events=[{"cell": 12, "kind": "kernel_died", "message": message}]))
    assert why.startswith("cell 12: kernel_died: the kernel died") and why.endswith(" …"), why
    kept = why.split(": ", 2)[2][:-2]
    assert message.startswith(kept) and message[len(kept)] == " ", why   # whole words only


@pytest.mark.fast
def test_the_scrubber_keeps_the_message_and_drops_the_frames():
    from mlpkit.preprocessors.scrub_feedback import without_frames
    printed = ("epoch 1: 0.91\n"
               "Traceback (most recent call last):\n"
               '  File "/tmp/ipykernel_43/123.py", line 6, in observe\n    assert_close(x, y)\n'
               '  File "/home/s/mlp_lab/lab_checks.py", line 71, in assert_close\n    raise AssertionError(what)\n'
               "AssertionError: grads_w[0] is wrong\n"
               "/tmp/ipykernel_43/2231.py:6: RuntimeWarning: overflow encountered in exp\n  return np.exp(x)\n"
               "\x1b[0;31mValueError\x1b[0m                Traceback (most recent call last)\n"
               "Cell \x1b[0;32mIn[3], line 6\x1b[0m\n\x1b[1;32m      4\x1b[0m x = 1\n"
               "\x1b[0;32m----> 6\x1b[0m observe()\n"
               "\x1b[0;31mValueError\x1b[0m: shapes differ\n")
    text = without_frames(printed)
    assert text.splitlines() == ["epoch 1: 0.91", "AssertionError: grads_w[0] is wrong",
                                 "RuntimeWarning: overflow encountered in exp", "  return np.exp(x)",
                                 "\x1b[0;31mValueError\x1b[0m: shapes differ"], text
    assert not FRAME.search(text.replace("\x1b", ""))
