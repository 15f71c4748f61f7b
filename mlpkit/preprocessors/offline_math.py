"""Math offline: the formgrader's pages and the feedback render math with a local MathJax, no CDN.

nbconvert's templates load MathJax from a CDN (base/mathjax.html.j2), so offline a mark scheme
or a feedback page shows raw LaTeX. The MathJax here is the pip package jupyter_server_mathjax
(MathJax 2.7, a Jupyter server extension enabled on install, which serves it under
/static/jupyter_server_mathjax/). nbgrader_config.py sets

    c.HTMLExporter.extra_template_basedirs = offline_math.template_basedirs()
    c.GenerateFeedback.preprocessors = [..., "mlpkit.preprocessors.offline_math.MathJaxBeside"]

- the kit's templates (mlpkit/templates/<formgrade|feedback>/mathjax.html.j2) come first, before
  nbgrader's own: the same macro, its URL the server's copy for the formgrader's pages, and
  `mathjax/` beside the file for feedback, which students open as a file;
- in generate_feedback (`mlpkit feedback`, `nbgrader generate_feedback`, the formgrader's
  button), the MathJaxBeside step copies the part of MathJax a page needs (about 2.5 MB) into
  the page's folder, <feedback_directory>/<student>/<assignment>/mathjax/, so the page works
  wherever it is opened. The folder is the converter's own (nbgrader builds preprocessors
  with the exporter as parent, and the exporter with the converter as parent).
"""
import os
import shutil
from pathlib import Path

import jupyter_server_mathjax
import nbgrader

from mlpkit import paths
from mlpkit.course import Course
from mlpkit.preprocessors.scrub_feedback import FeedbackStep

KIT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
NBGRADER_TEMPLATES = Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"
MATHJAX = Path(jupyter_server_mathjax.__file__).resolve().parent / "static"
FEEDBACK_MATHJAX = "mathjax"
# Not needed by a page with TeX-AMS-MML_HTMLorMML-full: other output jax, accessibility
# extensions and translations (9 of the package's 12 MB).
SKIP = shutil.ignore_patterns("SVG", "a11y", "localization", "LICENSE")


def template_basedirs():
    """HTMLExporter.extra_template_basedirs: the kit's overrides first, then nbgrader's templates
    (which nbgrader adds itself only when the course sets none)."""
    return [str(KIT_TEMPLATES), str(NBGRADER_TEMPLATES)]


def copy_mathjax(folder):
    """MathJax (the part a page needs) into `folder`/mathjax/, unless it is there already."""
    dest = Path(folder) / FEEDBACK_MATHJAX
    if (dest / "MathJax.js").is_file():
        return dest
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(MATHJAX, tmp, ignore=SKIP)
    os.replace(tmp, dest)
    return dest


def _coursedir(configurable):
    """nbgrader's CourseDirectory of the converter running this step, or None."""
    while configurable is not None:
        if getattr(configurable, "coursedir", None) is not None:
            return configurable.coursedir
        configurable = getattr(configurable, "parent", None)
    return None


class MathJaxBeside(FeedbackStep):
    """GenerateFeedback step: a copy of MathJax in the folder the feedback page is written to."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        coursedir = _coursedir(self)
        if coursedir is not None:
            folder = Path(coursedir.format_path(coursedir.feedback_directory, info["student"], info["assignment"]))
        else:   # not under a converter: the course's default feedback folder
            folder = Course(paths.course_root(config=self.config), info["assignment"]).feedback_dir / \
                info["student"] / info["assignment"]
        folder.mkdir(parents=True, exist_ok=True)
        copy_mathjax(folder)
        return nb, resources
