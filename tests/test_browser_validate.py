"""A student presses Validate on the untouched release in JupyterLab: a short dialog, summary first.

    .venv/bin/python -m pytest -q -m browser tests/test_browser_validate.py

The server, browser and page fixtures are tests/test_browser.py's (imported); the course here
is lighter: the real lab released, and the student's copy of it, nothing graded. Stock
nbgrader's dialog on the same notebook held 20,173 px of tracebacks (issue 18); the kit's
report (mlpkit/preprocessors/validate_summary.py) is a per-task summary and one line per
failing check. Screenshot: artifacts/browser/student_validate_untouched.png.
"""
import shutil

import pytest

from conftest import lab_exists
from test_browser import _require_browser, browser, notebook_page, server, shot  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not lab_exists(), reason="the lab notebook is not written yet")]

# The dialog's content, in CSS pixels: a summary and ~20 one-line entries fit well inside this;
# one traceback per failing check (stock nbgrader) does not.
MAX_CONTENT_HEIGHT = 1200
TASKS = ("task0", "task1", "task2", "task3", "task4")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The real lab released, and the student's copy as nbgrader's fetch puts it in their home."""
    _require_browser()
    from conftest import new_course
    from mlpkit.releasing.generate import release
    course = new_course(tmp_path_factory.mktemp("browser-validate") / "course", source="real")
    release(course)
    shutil.copytree(course.release_dir, course.root / "student" / "mlp_lab")
    return course


def test_validate_on_the_untouched_release_is_a_short_summary_first(notebook_page):
    page = notebook_page
    page.locator("button:has-text('Validate'), .validate-button").first.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=240_000)
    page.wait_for_function("() => document.querySelector('#validation-message')", timeout=240_000)
    shot(page, "student_validate_untouched")
    message = page.locator("#validation-message")
    height = message.evaluate("node => node.scrollHeight")
    text = message.inner_text()
    lines = [line for line in text.splitlines() if line.strip()]
    assert height <= MAX_CONTENT_HEIGHT, (height, text[:3000])
    # nbgrader's heading, then the summary: one line per task, then the total.
    assert [line.split(":")[0] for line in lines[1:6]] == list(TASKS), lines[:8]
    assert lines[1] == "task0: 0/3 visible tests pass", lines[:8]
    assert "task1_backprop_shapes: NotImplementedError" in text
    for frame in ('File "', "Traceback", "lab_checks", "ipykernel_"):
        assert frame not in text, frame
    # Still a failure: the dialog is nbgrader's error dialog.
    assert page.locator(".jp-Dialog.nbgrader-ErrorDialog").count() == 1
    dialog.locator("button").last.click()
