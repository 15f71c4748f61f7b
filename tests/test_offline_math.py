"""Math offline: the formgrader's pages and the feedback load MathJax from the local
jupyter_server_mathjax package, never from a CDN (mlpkit/preprocessors/offline_math.py).
The browser test (tests/test_browser_formgrader.py) sees a mark scheme's math typeset.

Run: python -m pytest tests/test_offline_math.py -q
"""
import re

import pytest
from nbconvert.exporters import HTMLExporter
from nbformat.v4 import new_markdown_cell, new_notebook
from traitlets.config import Config

from mlpkit.preprocessors.offline_math import MATHJAX, NBGRADER_TEMPLATES, copy_mathjax, template_basedirs


def scripts(html):
    return re.findall(r'<script[^>]*src="([^"]+)"', html)


def render(template_name, **config):
    c = Config()
    c.HTMLExporter.template_name = template_name
    c.HTMLExporter.extra_template_basedirs = template_basedirs()
    # As nbgrader's GenerateFeedback and formgrader do: bootstrap's CSS is inlined from here.
    c.HTMLExporter.extra_template_paths = [str(NBGRADER_TEMPLATES.parent / "static" / "node_modules" / "bootstrap"
                                               / "dist" / "css")]
    nb = new_notebook(cells=[new_markdown_cell(r"The loss $\mathcal{L} = -\sum_k y_k \log p_k$.")])
    html, _ = HTMLExporter(config=c).from_notebook_node(nb, resources={"base_url": "", "nbgrader": {
        "notebook": "mlp_lab", "score": 1, "max_score": 2, "late_penalty": 0}, "index": 0, "total": 1, "submission_id": "x", "notebook_id": "mlp_lab", "assignment_id": "mlp_lab", "student": "s", "first_name": "", "last_name": "", "notebook_path": "x"})
    return html


@pytest.mark.fast
@pytest.mark.parametrize("template_name, mathjax", [
    ("formgrade", 'base + "/static/jupyter_server_mathjax/MathJax.js?'),   # the server's copy, under base_url
    ("feedback", 'src="mathjax/MathJax.js?')])                               # the copy beside the page
def test_pages_load_mathjax_from_the_local_copy(template_name, mathjax):
    html = render(template_name)
    assert mathjax in html
    found = scripts(html)
    assert not any(src.startswith(("http:", "https:", "//")) for src in found), found
    assert "cdn" not in html.lower()


@pytest.mark.fast
def test_nbconverts_default_would_load_a_cdn():
    """The planted break: without the kit's templates the page loads MathJax over the network."""
    c = Config()
    c.HTMLExporter.template_name = "classic"
    html, _ = HTMLExporter(config=c).from_notebook_node(new_notebook(cells=[new_markdown_cell("$x$")]))
    assert any(src.startswith("https:") and "mathjax" in src.lower() for src in scripts(html))


@pytest.mark.fast
def test_feedback_gets_its_own_copy_of_mathjax(tmp_path):
    dest = copy_mathjax(tmp_path)
    assert (dest / "MathJax.js").read_bytes() == (MATHJAX / "MathJax.js").read_bytes()
    assert (dest / "config" / "TeX-AMS-MML_HTMLorMML-full.js").is_file()
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    assert size < 4 * 2**20, size
    assert copy_mathjax(tmp_path) == dest          # a second page in the same folder: kept as is


@pytest.mark.fast
def test_the_feedback_step_puts_mathjax_where_its_converter_writes(tmp_path):
    """The folder comes from the converter running the step (its CourseDirectory), so
    `--CourseDirectory.feedback_directory=elsewhere` gets its copy too."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Configurable
    from mlpkit.preprocessors.offline_math import MathJaxBeside

    class Converter(Configurable):
        pass
    converter = Converter()
    converter.coursedir = CourseDirectory(root=str(tmp_path), feedback_directory="elsewhere")
    step = MathJaxBeside(parent=HTMLExporter(parent=converter))
    step.preprocess(new_notebook(), {"nbgrader": {"student": "alice", "assignment": "mlp_lab"}})
    assert (tmp_path / "elsewhere" / "alice" / "mlp_lab" / "mathjax" / "MathJax.js").is_file()


@pytest.mark.slow
def test_a_feedback_page_typesets_a_prime_offline_in_chromium(tmp_path):
    r"""The math the lab's reflections use, \sigma'(z) included, typesets in a feedback page opened
    as a file, with only the copy beside it. The package has STIX-Web fonts only: with MathJax's
    default TeX fonts the prime shows "[Math Processing Error]" (fonts/TeX/fontdata.js is missing)."""
    from test_browser import CHROMIUM, CHROMIUM_FLAGS, _require_browser
    _require_browser()
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "mlp_lab.html"
    html = render("feedback").replace("The loss", r"The gradient $\sigma'(z)\,\frac{2}{B}(a-y)$ and the loss")
    page_file.write_text(html)
    copy_mathjax(tmp_path)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            page.wait_for_function("window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 "
                                   "&& document.querySelectorAll('.MathJax').length >= 2", timeout=60_000)
            text = page.inner_text("body")
        finally:
            browser.close()
    assert "Math Processing Error" not in text, text
    assert "$" not in text, text      # nothing left as raw LaTeX
