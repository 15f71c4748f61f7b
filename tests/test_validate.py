"""nbgrader's Validate as a student reads it: a per-task summary, then one line per failing check.

    .venv/bin/python -m pytest -q tests/test_validate.py

The course's nbgrader_config.py points nbgrader's Validate (`nbgrader validate` and the
JupyterLab button's handler) at mlpkit/preprocessors/validate_summary.py. The fast tests feed
the report an executed notebook built here; the slow ones run `nbgrader validate` on the real
release, as a student or TA would, and run stock nbgrader beside it to show the check can fail.
"""
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import REPO, lab_exists
from mlpkit.preprocessors.validate_summary import TaskSummaryValidator, failure_message, use_in_nbgrader

FRAME = re.compile(r'File "[^"]*", line \d+|Traceback \(most recent call last\)|ipykernel_\d+|lab_checks')
MAX_LINES = 80  # one screen (issue 18)


def _test_cell(gid, *outputs, points=1):
    cell = new_code_cell(f"# Check that {gid} works.\nassert True\n")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": gid,
                                 "points": points, "schema_version": 3}
    cell.outputs = list(outputs)
    return cell


def _error(ename, evalue):
    frames = ['\x1b[0;31m---------------------------------------------------------------------------\x1b[0m',
              '  File "/tmp/ipykernel_43/123.py", line 6, in observe\n    assert_close(x, y)',
              '  File "/home/student/mlp_lab/lab_checks.py", line 71, in assert_close\n    raise AssertionError(...)',
              f"\x1b[0;31m{ename}\x1b[0m: {evalue}"]
    return new_output("error", ename=ename, evalue=evalue, traceback=frames)


def _executed_notebook():
    """As nbgrader's Execute leaves an unfinished notebook: Task 0 done, Task 1 failing, Task 3 left as released."""
    reflection = new_markdown_cell("YOUR ANSWER HERE")
    reflection.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False, "points": 2,
                                       "grade_id": "task1_reflection", "schema_version": 3}
    from nbgrader.utils import compute_checksum
    reflection.metadata["nbgrader"]["checksum"] = compute_checksum(reflection)
    return new_notebook(cells=[
        _test_cell("task0_softmax_sums_to_one"),
        _test_cell("task0_softmax_no_overflow"),
        _test_cell("task1_backprop_shapes", _error("NotImplementedError", "")),
        _test_cell("task1_backprop_matches_finite_differences",
                   _error("AssertionError", "grads_w[0] is wrong at index (1, 2): 3 of 20 entries are off\n"
                                            "second line of the message")),
        _test_cell("task1_noisy", new_output("stream", name="stderr", text="RuntimeWarning: overflow in exp\n")),
        reflection,
        _test_cell("task3_adamw_trajectory",
                   new_output("stream", name="stdout", text="Task 3a (AdamW): not attempted (optional, 0 bonus points)\n")),
    ])


@pytest.mark.fast
def test_the_report_is_a_task_summary_then_one_line_per_failing_check():
    summary, entries = TaskSummaryValidator().report(_executed_notebook())
    assert summary == ["task0: 2/2 visible tests pass",
                       "task1: 0/3 visible tests pass",
                       "task3: 0/1 visible tests pass, 1 not attempted (optional, 0 bonus points)",
                       "2/6 visible tests pass, 1 not attempted (optional); 1 answer(s) still to write"]
    assert entries == ["task1_backprop_shapes: NotImplementedError",
                       "task1_backprop_matches_finite_differences: AssertionError: grads_w[0] is wrong at "
                       "index (1, 2): 3 of 20 entries are off",
                       "task1_noisy: wrote to stderr: RuntimeWarning: overflow in exp",
                       "task1_reflection: no answer yet (a TA grades it)"]
    assert not any(FRAME.search(line) for line in summary + entries)


@pytest.mark.fast
def test_a_long_message_is_cut_at_a_word():
    cell = _test_cell("task1_x", _error("AssertionError", "word " * 100))
    message = failure_message(cell)
    assert len(message) <= 170 and message.endswith("word …"), message


class _Canned(TaskSummaryValidator):
    """The kit's validator with nbgrader's execution replaced by a notebook executed beforehand."""

    def __init__(self, executed, **kwargs):
        super().__init__(**kwargs)
        self.canned = executed

    def _preprocess(self, nb):
        self.executed = self.canned
        return self.canned


@pytest.mark.fast
def test_the_button_gets_one_block_summary_first_and_stays_red(tmp_path):
    """The JupyterLab dialog shows a failed entry's `source` then its `error` (HTML): one block,
    summary first; still under "failed", so the button turns red."""
    nbformat.write(_executed_notebook(), tmp_path / "mlp_lab.ipynb")
    results = _Canned(_executed_notebook()).validate(str(tmp_path / "mlp_lab.ipynb"))
    [block] = results["failed"]
    assert block["source"].splitlines()[0] == "task0: 2/2 visible tests pass"
    assert block["raw_error"].splitlines()[0] == "task1_backprop_shapes: NotImplementedError"
    assert not FRAME.search(block["source"] + block["raw_error"])


@pytest.mark.fast
def test_validate_prints_the_summary_first_and_still_says_it_fails(tmp_path):
    nbformat.write(_executed_notebook(), tmp_path / "mlp_lab.ipynb")
    validator = _Canned(_executed_notebook())
    validator.stream = io.StringIO()
    validator.validate_and_print(str(tmp_path / "mlp_lab.ipynb"))
    out = validator.stream.getvalue()
    assert out.startswith("task0: 2/2 visible tests pass\ntask1: 0/3"), out
    assert "VALIDATION FAILED ON 4 CELL(S)!" in out and out.rstrip().endswith("no answer yet (a TA grades it)")
    assert not FRAME.search(out) and len(out.splitlines()) < 15, out


@pytest.mark.fast
def test_use_in_nbgrader_points_both_entry_points_at_the_kit_validator(monkeypatch):
    import nbgrader.apps.validateapp as app
    import nbgrader.server_extensions.validate_assignment.handlers as handlers
    from nbgrader.validator import Validator
    monkeypatch.setattr(app, "Validator", Validator)
    monkeypatch.setattr(handlers, "Validator", Validator)
    use_in_nbgrader()
    assert app.Validator is TaskSummaryValidator and handlers.Validator is TaskSummaryValidator


# ---------------------------------------------------------------- the real release, through nbgrader

needs_lab = pytest.mark.skipif(not lab_exists(), reason="the lab notebook is not written yet")


def _nbgrader_validate(folder, notebook, config):
    """`nbgrader validate notebook` run from `folder` holding `config` as its nbgrader_config.py."""
    (folder / "nbgrader_config.py").write_text(config)
    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}")
    env.pop("NBGRADER_EXECUTION", None)
    proc = subprocess.run([str(bindir / "nbgrader"), "validate", str(notebook)], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600)
    return proc.stdout + proc.stderr


KIT_CONFIG = (REPO / "docs" / "jupyterhub" / "student" / "nbgrader_config.py")


@pytest.fixture(scope="module")
def student_folder(tmp_path_factory):
    """A student's home: the release as fetched (no course around it), with the students' config."""
    home = tmp_path_factory.mktemp("student")
    shutil.copytree(REPO / "release" / "mlp_lab", home / "mlp_lab")
    return home


@needs_lab
@pytest.mark.slow
def test_nbgrader_validate_on_the_untouched_release_fits_on_one_screen(student_folder):
    out = _nbgrader_validate(student_folder, "mlp_lab/mlp_lab.ipynb", KIT_CONFIG.read_text())
    assert "WARNING" not in out, out   # e.g. ipykernel's "running over TCP without encryption"
    lines = [line for line in out.splitlines() if not line.startswith("[ValidateApp | INFO]")]
    assert len(out.splitlines()) <= MAX_LINES, out
    assert lines[0] == "task0: 0/3 visible tests pass", out
    assert [line.split(":")[0] for line in lines[:5]] == ["task0", "task1", "task2", "task3", "task4"], out
    assert "VALIDATION FAILED" in out                       # a failing notebook still fails
    assert "task1_backprop_shapes: NotImplementedError" in out
    assert not FRAME.search(out), out


@needs_lab
@pytest.mark.slow
def test_stock_nbgrader_validate_would_print_a_wall_of_tracebacks(student_folder, tmp_path):
    """The check above fails on nbgrader's own Validator: the students' config without the kit's line."""
    stock = "\n".join(line for line in KIT_CONFIG.read_text().splitlines() if "use_in_nbgrader" not in line)
    out = _nbgrader_validate(student_folder, "mlp_lab/mlp_lab.ipynb", stock)
    assert len(out.splitlines()) > MAX_LINES and FRAME.search(out)


@needs_lab
@pytest.mark.slow
def test_nbgrader_validate_of_the_full_solution_succeeds(tmp_path):
    folder = tmp_path / "mlp_lab"
    shutil.copytree(REPO / "release" / "mlp_lab", folder)
    shutil.copy(REPO / "submitted" / "full_solution" / "mlp_lab" / "mlp_lab.ipynb", folder / "mlp_lab.ipynb")
    out = _nbgrader_validate(tmp_path, "mlp_lab/mlp_lab.ipynb", KIT_CONFIG.read_text())
    assert "Success! Your notebook passes all the tests." in out, out
    assert out.splitlines()[0] == "task0: 3/3 visible tests pass", out
    assert "VALIDATION FAILED" not in out


STUDENT_SERVER_PROBE = """
import nbgrader.server_extensions.validate_assignment.handlers as handlers
from mlpkit.preprocessors.validate_summary import TaskSummaryValidator
handler = handlers.ValidateAssignmentHandler.__new__(handlers.ValidateAssignmentHandler)
config = handler.load_config()     # what the Validate button's handler reads, per request
print(config.Exchange.root, handlers.Validator is TaskSummaryValidator)
"""


@pytest.mark.slow
def test_the_students_config_reaches_the_validate_buttons_handler(tmp_path):
    """Installed as docs/jupyterhub/README.md says (a jupyter config folder), with no course
    config in the student's folder: the button's handler builds the kit's Validator."""
    etc = tmp_path / "etc-jupyter"
    etc.mkdir()
    shutil.copy(KIT_CONFIG, etc / "nbgrader_config.py")
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(etc), HOME=str(home))
    proc = subprocess.run([sys.executable, "-c", STUDENT_SERVER_PROBE], cwd=home, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.split() == ["/srv/nbgrader/exchange", "True"], proc.stdout + proc.stderr[-2000:]
