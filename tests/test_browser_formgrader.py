"""The TA's screens in the formgrader, in Chromium: the flag on the crashed example, the scores
shown, and a mark scheme's math typeset offline from the local MathJax.

    .venv/bin/python -m pytest -q -m browser tests/test_browser_formgrader.py

The server, the browser and the helpers are tests/test_browser.py's (imported, not copied);
this module's own `course` holds the full solution and the example whose kernel dies, graded
through the kit. The page runs with no network: any request that leaves 127.0.0.1 is recorded
and fails the math test.
"""
import os
import re
import shutil
from urllib.parse import urlparse

import pytest

from conftest import REPO, lab_exists
from test_browser import _require_browser, browser, server, shot  # noqa: F401  (fixtures by name)

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not lab_exists(), reason="the lab notebook is not written yet")]

STUDENTS = ("full_solution", "crash_kernel_dies")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course with the real lab: the full solution and the crashed example, collected and graded."""
    _require_browser()
    from conftest import new_course
    from mlpkit.commands.collect import collect
    from mlpkit.pipeline.grade import grade_all
    from mlpkit.releasing.generate import release
    course = new_course(tmp_path_factory.mktemp("browser-formgrader") / "course", source="real")
    inbox = course.root.parent / "inbox"
    for student in STUDENTS:
        shutil.copytree(REPO / "submitted" / student, inbox / student)
    release(course)
    found, problems = collect(course, inbox)
    assert set(found) == set(STUDENTS) and problems == [], (found, problems)
    sandbox = "require" if os.environ.get("MLPKIT_REQUIRE_SANDBOX") == "1" else "auto"
    results = grade_all(course, jobs=2, sandbox=sandbox, progress=False)
    assert all(not r.error for r in results.values()), {s: r.error for s, r in results.items()}
    return course


@pytest.fixture(scope="module")
def page(server, browser):  # noqa: F811  (the imported fixture, by name)
    page = browser.new_page()
    page.goto(f"{server['base']}/formgrader/manage_assignments?token={server['token']}")
    yield page
    page.close()


@pytest.fixture
def outside(page):
    """The requests of this test's pages that left this machine."""
    urls = []

    def record(request):
        if urlparse(request.url).hostname not in ("127.0.0.1", "localhost", None):
            urls.append(request.url)
    page.on("request", record)
    yield urls
    page.remove_listener("request", record)


def _submission_id(course, student):
    with course.gradebook() as gb:
        return gb.find_submission_notebook("mlp_lab", "mlp_lab", student).id


def test_the_crashed_example_is_flagged_with_its_reason(page, server, course):
    page.goto(f"{server['base']}/formgrader/gradebook/mlp_lab/mlp_lab")
    # Rows show "Submission #n" until names are revealed: find them by their links.
    crashed, full = (page.locator(f'tr:has(a[href$="/formgrader/submissions/{_submission_id(course, s)}"])').first
                     for s in ("crash_kernel_dies", "full_solution"))
    crashed.wait_for(timeout=30_000)
    full.wait_for(timeout=30_000)
    shot(page, "formgrader_flagged")
    assert crashed.locator(".glyphicon-flag").count() == 1, crashed.inner_html()
    assert full.locator(".glyphicon-flag").count() == 0, full.inner_html()
    # The reason is the first thing on the TA's page for that student.
    page.goto(f"{server['base']}/formgrader/submissions/{_submission_id(course, 'crash_kernel_dies')}")
    flag = page.locator(".text_cell_render", has_text="Flagged for a TA").first
    flag.wait_for(timeout=30_000)
    assert "failed to execute" in flag.inner_text() and "kernel died" in flag.inner_text()


def test_the_scores_shown_are_the_gradebooks_story(page, server, course):
    """The formgrader shows core + bonus (extra credit) out of the core maximum, as documented in
    docs/instructor.md ("The Task 3 bonus"); grades.csv splits the same numbers."""
    from mlpkit.gradebook.scores import collect_scores
    table = collect_scores(course).set_index("student")
    page.goto(f"{server['base']}/formgrader/manage_submissions/mlp_lab")
    for student in STUDENTS:
        row = page.locator("tr", has_text=student).first
        row.wait_for(timeout=30_000)
        shown = re.search(r"(\d+(?:\.\d+)?) / (\d+(?:\.\d+)?)", row.inner_text())
        assert shown, row.inner_text()
        got, most = float(shown[1]), float(shown[2])
        expected = table.loc[student]
        assert (got, most) == (pytest.approx(expected.total), pytest.approx(expected.core_max)), student
        assert expected.core_total <= expected.core_max and expected.bonus_total <= expected.bonus_max


def test_a_mark_schemes_math_is_typeset_offline(page, server, course, outside):
    page.goto(f"{server['base']}/formgrader/submissions/{_submission_id(course, 'full_solution')}")
    scheme = page.locator(".text_cell_render", has_text="Mark scheme (TA only").first
    scheme.wait_for(timeout=30_000)
    typeset = scheme.locator(".MathJax, .MathJax_Display, mjx-container")
    typeset.first.wait_for(timeout=60_000)
    scheme.scroll_into_view_if_needed()
    shot(page, "formgrader_mark_scheme_math")
    assert typeset.count() > 0
    assert "$" not in scheme.inner_text(), scheme.inner_text()     # no raw LaTeX left
    # Every formula on the page, the Task 4 scheme's \sigma'(z) included (STIX-Web fonts, the
    # package's only ones; tests/test_offline_math.py shows the error with MathJax's defaults).
    page.wait_for_function("window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0", timeout=60_000)
    assert "Math Processing Error" not in page.inner_text("body")
    assert outside == [], outside
