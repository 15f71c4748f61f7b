"""The whole flow in a real browser: a student in JupyterLab, an instructor in the formgrader.

    .venv/bin/python -m pytest -q -m browser tests/test_browser.py

Playwright for Python drives Debian's `chromium` package (/usr/bin/chromium, through
`executable_path`; `make test` installs both, nothing is downloaded). One JupyterLab server
(127.0.0.1, a free port, a token) runs in a temporary copy of the course with the real lab:
two example submissions collected with the roster, released and autograded through the
kit. Screenshots go to artifacts/browser/ (git-ignored; CI keeps them as artefacts; the
ones in docs/img/ came from here). Every server and browser started here is stopped by
its fixture, the server by killing its process group.
"""
import html
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import pytest

from conftest import REPO, lab_exists

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not lab_exists(), reason="the lab notebook is not written yet")]

CHROMIUM = "/usr/bin/chromium"
SHOTS = REPO / "artifacts" / "browser"
# Quiet, offline Chromium: without these it keeps calling home on a closed network.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STUDENTS = ("full_solution", "untouched_release")
BUGGY_SOFTMAX = ("def stable_softmax(x: FloatNDArray, axis: int = -1) -> FloatNDArray:\n"  # the release's first line
                 "return np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True)")
OVERFLOW_MESSAGE = "stable_softmax of huge, mixed-sign scores has"  # the visible check's message (assert_softmax_close)


def _require_browser():
    """Skip only where nothing promised a browser; in CI (CI=true) a missing one is a failure."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[test]')")
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail("the browser test needs " + ", ".join(missing))
        pytest.skip("no browser here: " + ", ".join(missing))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course with the real lab: roster, two collected examples, released and autograded."""
    _require_browser()
    from conftest import new_course
    from mlpkit.commands.collect import collect
    from mlpkit.gradebook.roster import import_roster
    from mlpkit.pipeline.grade import grade_all
    from mlpkit.releasing.generate import release
    course = new_course(tmp_path_factory.mktemp("browser") / "course", source="real")
    # The repo's roster, cut to the students here (the others would be graded "missing").
    rows = (REPO / "roster.csv").read_text().splitlines()
    (course.root / "roster.csv").write_text("\n".join([rows[0]] + [r for r in rows[1:]
                                                                 if r.split(",")[0] in STUDENTS]) + "\n")
    inbox = course.root.parent / "inbox"
    for student in STUDENTS:
        shutil.copytree(REPO / "submitted" / student, inbox / student)
    release(course)
    import_roster(course, course.root / "roster.csv")
    found, problems = collect(course, inbox)
    assert set(found) == set(STUDENTS) and problems == [], (found, problems)
    sandbox = "require" if os.environ.get("MLPKIT_REQUIRE_SANDBOX") == "1" else "auto"
    results = grade_all(course, jobs=2, sandbox=sandbox, progress=False)
    assert all(not r.error for r in results.values()), {s: r.error for s, r in results.items()}
    if any(r.sandboxed is False for r in results.values()):
        warnings.warn("bubblewrap is unusable here: the browser test graded its submissions UNSANDBOXED")
    # The student's own copy, as nbgrader's fetch would put it in their home.
    shutil.copytree(course.release_dir, course.root / "student" / "mlp_lab")
    return course


@pytest.fixture(scope="module")
def server(course, tmp_path_factory):
    """JupyterLab with nbgrader's extensions, run from the course root; stopped afterwards."""
    port, token = _free_port(), secrets.token_hex(16)
    home = tmp_path_factory.mktemp("jupyter-home")
    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}", HOME=str(home),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               # No network here: the student's full runs use the committed subset.
               MLP_LAB_SUBSET="1")
    env.pop("NBGRADER_EXECUTION", None)
    # No "get notified about Jupyter news?" toast over the screenshots.
    settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    # Every cell in the page, not only those scrolled into view: the test finds cells by their text.
    notebook_settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
    notebook_settings.mkdir(parents=True)
    (notebook_settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    log = open(home / "jupyter.log", "w")
    proc = subprocess.Popen(
        # --allow-root: CI runs as root.
        [str(bindir / "jupyter"), "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course.root}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.news_url=None"],
        cwd=course.root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("jupyter lab did not start:\n" + (home / "jupyter.log").read_text()[-3000:])
                time.sleep(0.5)
        yield {"base": base, "token": token, "log": home / "jupyter.log"}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)   # the server and every kernel it started
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1280, "height": 860})
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def notebook_page(server, browser):
    """The student's notebook open in JupyterLab, kernel ready."""
    page = browser.new_page()
    page.goto(f"{server['base']}/lab/tree/student/mlp_lab/mlp_lab.ipynb?token={server['token']}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    yield page
    page.close()


def _cell(page, grade_id):
    """The cell whose source holds the first line of the release cell `grade_id`."""
    from mlpkit.notebook import cells_by_grade_id, read as read_notebook
    release = read_notebook(REPO / "release" / "mlp_lab" / "mlp_lab.ipynb")
    first_line = cells_by_grade_id(release)[grade_id].source.splitlines()[0]
    return page.locator(".jp-Notebook .jp-Cell").filter(has_text=first_line).first


def _run_cell(page, cell):
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")


def test_student_runs_task0_and_sees_a_visible_test_fail_with_its_message(notebook_page):
    page = notebook_page
    # The cells before Task 0 (set-up, data, helpers, ModelResults, Network): run them all.
    solution = _cell(page, "task0_stable_softmax_solution")
    solution.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Escape")
    page.click("text=Run", timeout=10_000)
    page.click("text=Run All Above Selected Cell")
    # The student writes the textbook softmax (it overflows) and runs Task 0's cells.
    solution.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+a")
    page.keyboard.type(BUGGY_SOFTMAX)
    _run_cell(page, solution)
    for gid in ("task0_softmax_matches_reference", "task0_softmax_no_overflow"):
        _run_cell(page, _cell(page, gid))
    failing = _cell(page, "task0_softmax_no_overflow")
    failing.locator(".jp-OutputArea", has_text="AssertionError").wait_for(timeout=180_000)
    failing.scroll_into_view_if_needed()
    shot(page, "student_visible_test_fails")
    text = failing.locator(".jp-OutputArea").inner_text()
    assert "AssertionError" in text and OVERFLOW_MESSAGE in text, text
    # The test just above passes: the buggy softmax is right for small inputs.
    passing = _cell(page, "task0_softmax_matches_reference").locator(".jp-OutputArea").inner_text()
    assert "Error" not in passing, passing


def test_validate_lists_the_failing_test(notebook_page):
    page = notebook_page
    page.keyboard.press("Control+s")
    page.wait_for_timeout(1000)
    page.locator("button:has-text('Validate'), .validate-button").first.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=240_000)
    page.wait_for_function("() => !document.querySelector('.jp-Dialog') || "
                           "!/Validating/.test(document.querySelector('.jp-Dialog').innerText)",
                           timeout=240_000)
    shot(page, "student_validate")
    text = dialog.inner_text()
    assert OVERFLOW_MESSAGE in text, text[:2000]
    assert "Success" not in text
    dialog.locator("button").last.click()


@pytest.fixture(scope="module")
def formgrader(server, browser):
    server["formgrader_log_from"] = server["log"].stat().st_size   # what the TA's clicks log comes after
    page = browser.new_page()
    page.goto(f"{server['base']}/formgrader/manage_assignments?token={server['token']}")
    yield page
    page.close()


def test_formgrader_shows_a_released_assignment_with_its_due_date(formgrader):
    page = formgrader
    row = page.locator("tr", has_text="mlp_lab").first
    row.wait_for(timeout=30_000)
    shot(page, "formgrader_assignments")
    text = row.inner_text()
    assert "released" in text and "draft" not in text, text
    assert "2026-12-18" in text, text


def test_formgrader_shows_names_and_timestamps(formgrader, server):
    page = formgrader
    page.goto(f"{server['base']}/formgrader/manage_submissions/mlp_lab")
    row = page.locator("tr", has_text="full_solution").first
    row.wait_for(timeout=30_000)
    shot(page, "formgrader_submissions")
    text = row.inner_text()
    assert "Lovelace, Ada" in text, text
    assert "None" not in text, text          # neither "None, None" nor a None timestamp
    assert re.search(r"20\d\d-\d\d-\d\d", text), text


def test_a_manual_score_typed_in_the_formgrader_reaches_grades_csv(formgrader, server, course):
    import pandas as pd
    from mlpkit.cli import main
    with course.gradebook() as gb:
        submission_id = gb.find_submission_notebook("mlp_lab", "mlp_lab", "full_solution").id
    page = formgrader
    page.goto(f"{server['base']}/formgrader/submissions/{submission_id}/")
    score = page.locator("input.score#task1_reflection")
    score.wait_for(timeout=30_000)
    # The page fills the score boxes from the gradebook once its scripts have loaded it (the
    # placeholders appear then); a score typed before that is overwritten.
    page.wait_for_function("() => { const box = document.getElementById('task1_reflection_extra_credit');"
                           " return box && box.getAttribute('placeholder') !== null; }", timeout=60_000)
    saved = False
    for _ in range(3):
        score.fill("1.5")
        score.press("Tab")                   # the formgrader saves on change
        deadline = time.time() + 20
        while not saved and time.time() < deadline:
            with course.gradebook() as gb:
                saved = gb.find_grade("task1_reflection", "mlp_lab", "mlp_lab", "full_solution").manual_score == 1.5
            time.sleep(0.5)
        if saved:
            break
    assert saved, "the score typed in the formgrader never reached the gradebook"
    score.scroll_into_view_if_needed()
    shot(page, "formgrader_manual_score")
    # The TA sees the mark scheme right below the answer (mlpkit/preprocessors/ta_view.py).
    scheme = page.locator(".text_cell_render", has_text="Mark scheme (TA only").first
    assert "task1_reflection" in scheme.inner_text()
    assert main(["--course", str(course.root), "grades"]) == 0
    row = pd.read_csv(course.root / "grades.csv").set_index("student").loc["full_solution"]
    assert row["task1_reflection"] == 1.5


def test_the_formgraders_autograde_button_keeps_the_kits_steps(formgrader, server, course):
    # nbgrader's own Autograde with the course config: sandboxed execution, the TA view and
    # the bonus as extra credit, exactly as `mlpkit autograde` records them.
    from mlpkit.notebook import is_grade as is_graded, nbgrader_meta, read as read_notebook
    from mlpkit.gradebook.totals import bonus_points
    from mlpkit.preprocessors.ta_view import TA_ONLY_HEADING
    source = course.source_notebook()
    page = formgrader
    page.goto(f"{server['base']}/formgrader/manage_submissions/mlp_lab")
    row = page.locator("tr", has_text="untouched_release").first
    row.wait_for(timeout=30_000)
    course.autograded_path("untouched_release").unlink()
    row.locator(".autograde a").click()
    page.locator("#success-modal, #error-modal").wait_for(timeout=300_000)
    assert page.locator("#success-modal").count() == 1, page.locator(".modal").inner_text()
    page.locator(".modal button").last.click()
    cells = read_notebook(course.autograded_path("untouched_release")).cells
    assert any(TA_ONLY_HEADING in c.source for c in cells)
    with course.gradebook() as gb:
        submission = gb.find_submission_notebook("mlp_lab", "mlp_lab", "untouched_release")
        bonus = [g for g in submission.grades if g.name.startswith("task3_")]
        assert bonus and all(g.max_score == 0 and g.extra_credit == 0 for g in bonus)
        all_points = sum(float(nbgrader_meta(c).get("points") or 0) for c in source.cells if is_graded(c))
        assert submission.max_score == all_points - sum(bonus_points(source).values())


def _never_shown_lines(course, student):
    """Lines of the source's hidden tests, mark schemes and solutions that neither the release
    nor the student's own notebook holds (not even inside a longer line): what their feedback
    page must not show."""
    from mlpkit.notebook import is_trivial_line, read as read_notebook, regions, secret_lines
    nb = course.source_notebook()
    known = "\n".join(c.source for c in course.release_notebook().cells) + "\n" + "\n".join(
        c.source for c in read_notebook(course.submission_path(student)).cells)
    lines = {line.strip() for cell in nb.cells
             for line in regions(cell.source, "hidden") + regions(cell.source, "mark_scheme")
             if not is_trivial_line(line)} | set(secret_lines(nb))
    return {line for line in lines if line not in known}


@pytest.mark.parametrize("student", STUDENTS)
def test_generate_feedback_in_the_formgrader_is_leak_free(formgrader, server, course, student):
    page = formgrader
    page.goto(f"{server['base']}/formgrader/manage_submissions/mlp_lab")
    row = page.locator("tr", has_text=student).first
    row.wait_for(timeout=30_000)
    target = course.feedback_path(student)
    target.unlink(missing_ok=True)
    row.locator(".generate-feedback a").click()
    page.locator("#success-modal, #error-modal").wait_for(timeout=120_000)
    shot(page, f"formgrader_generate_feedback_{student}")
    assert page.locator("#success-modal").count() == 1, page.locator(".modal").inner_text()
    page.locator(".modal button").last.click()
    shown = html.unescape(re.sub(r"<[^>]+>", "", target.read_text()))
    never = _never_shown_lines(course, student)
    assert len(never) > 20
    leaked = sorted(line for line in never if line in shown)
    assert leaked == [], leaked[:5]
    assert "Traceback (most recent call last)" not in shown


def test_the_formgraders_buttons_log_no_warning(server, formgrader):
    """Quiet when all is well, on nbgrader's own path: the formgrader's Autograde and Generate
    Feedback (run above) run nbgrader's converters inside the server, which log there. Read from
    where the formgrader opened (before it, JupyterLab's own notices about the student's session);
    left out: nbgrader's notice that a re-grade replaces the earlier autograded folder (this
    module forces a re-grade)."""
    expected = ("Removing existing assignment",)
    with open(server["log"]) as log:
        log.seek(server["formgrader_log_from"])
        lines = log.read().splitlines()
    assert any("Autograding" in line for line in lines)     # the buttons did run in this stretch
    warned = [line for line in lines
              if re.match(r"\[W [^\]]* ServerApp\]", line) and not any(e in line for e in expected)]
    assert warned == [], "\n".join(warned)
