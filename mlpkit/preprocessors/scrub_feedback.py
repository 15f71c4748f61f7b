"""ScrubFeedback: the nbgrader preprocessor that keeps instructor material out of feedback.

nbgrader_config.py puts it first in `c.GenerateFeedback.preprocessors`, so every
path that writes feedback runs it: `nbgrader generate_feedback`, the formgrader's
"Generate Feedback" button and `mlpkit feedback`. Stock nbgrader shows hidden tests
and full tracebacks in feedback (its issues #917 and #1363). After this step the
notebook has:
- test and locked cells showing the RELEASE source (visible tests only);
- error outputs reduced to `ename: evalue` (no traceback lines);
- every output line that contains a non-trivial line of the source notebook's
  solution, hidden-test or mark-scheme regions replaced by `REDACTED`;
- no environment dumps or instructor paths in outputs;
- no TA-only cells (metadata `mlpkit.ta_only`, e.g. the mark scheme the TA view adds).

The course (its source and release notebooks) is the converter's course directory.
Try it on a graded course:

    PATH=.venv/bin:$PATH nbgrader generate_feedback mlp_lab --force
"""
import copy
import os
import re

from nbgrader.preprocessors import GetGrades, NbGraderPreprocessor
from traitlets import List, Unicode

from mlpkit import paths
from mlpkit.course import Course
from mlpkit.notebook import IMAGE_MIMES, describe_figures, grade_id, is_locked, read as read_notebook, secret_lines
from mlpkit.preprocessors.ta_view import TA_ONLY_HEADING

REDACTED = "[line hidden: it shows the instructor's tests or solution]"
# A traceback as Python or IPython prints it into a stream: its header, and each frame line
# (`File "/tmp/ipykernel_43/1.py", line 6, in observe`, `Cell In[3], line 6`) with the indented
# code lines under it. Feedback keeps the exception's own line (the message) only.
TRACEBACK_HEADER = re.compile(r"^\s*(\S+\s+)?Traceback \(most recent call last\)")
FRAME_LINE = re.compile(r'^\s*(File "[^"]*", line \d+|File [^\s:]+:\d+|Cell In\[\d+\], line \d+|-+>\s*\d+)')
# A warning's location (`/tmp/ipykernel_43/1.py:6: RuntimeWarning: ...`): the kernel's file, not the student's.
WARNING_LOCATION = re.compile(r"^\S*ipykernel_\d+/\d+\.py:\d+: ")
ENV_LINE = re.compile(r"^\s*[A-Z_][A-Z0-9_]*=\S|environ\(\{|'(PATH|HOME|USER|VIRTUAL_ENV)': '")


def is_ta_only(cell):
    """Cells the kit adds for TAs only (never shown to students): by metadata, or by their
    heading should some tool have dropped the metadata."""
    return bool(cell.get("metadata", {}).get("mlpkit", {}).get("ta_only")) or TA_ONLY_HEADING in cell.source


def release_notebook(course):
    """The student version whose visible tests feedback shows; without one, no feedback at all
    (failing closed: the autograded notebook's test cells hold the hidden tests)."""
    for path in course.release_nb_paths():
        if path.is_file():
            return read_notebook(path)
    raise FileNotFoundError(f"no release notebook at {course.release_nb_path}, so feedback cannot show "
                            "only the visible tests: run `mlpkit release` first")


class Scrubber:
    """Rewrites an autograded notebook so feedback shows nothing of the instructor's material."""

    def __init__(self, course):
        self.release_cells = {grade_id(c): c for c in release_notebook(course).cells if grade_id(c)}
        self.secrets = list(secret_lines(course.source_notebook()))
        # Instructor paths and the grader's own environment values must not show.
        self.paths = [str(course.root)] + [os.environ[k] for k in ("PATH", "HOME", "VIRTUAL_ENV")
                                           if len(os.environ.get(k, "")) > 5]

    def scrub(self, nb):
        nb = copy.deepcopy(nb)
        nb.cells = [cell for cell in nb.cells if not is_ta_only(cell)]
        for cell in nb.cells:
            released = self.release_cells.get(grade_id(cell))
            if released is not None and (is_locked(released) or is_locked(cell)):
                cell.source = released.source
            for output in cell.get("outputs", []):
                self._scrub_output(output)
            describe_figures(cell, "A figure from your notebook's run")
        return nb

    def _scrub_output(self, output):
        if output.get("output_type") == "error":
            output["ename"] = self.clean_text(output.get("ename", ""))
            output["evalue"] = self.clean_text(output.get("evalue", ""))
            output["traceback"] = [f"{output['ename']}: {output['evalue']}"]
        if "text" in output:
            output["text"] = self.clean_text(_joined(output["text"]))
        for mime, value in list(output.get("data", {}).items()):
            if isinstance(value, (str, list)) and mime not in IMAGE_MIMES:
                output["data"][mime] = self.clean_text(_joined(value))

    def clean_text(self, text):
        return "\n".join(REDACTED if self.leaks(line) else line for line in without_frames(text).split("\n"))

    def leaks(self, line):
        plain = _strip_ansi(line)
        if any(secret in plain for secret in self.secrets):
            return True
        if ENV_LINE.search(plain) or any(p in plain for p in self.paths):
            return True
        return "BEGIN HIDDEN TESTS" in plain or "BEGIN SOLUTION" in plain or "MARK SCHEME" in plain


class FeedbackStep(NbGraderPreprocessor):
    """A GenerateFeedback step that takes the HTML exporter's `display_data_priority`, as nbgrader's
    own GetGrades does: NbGraderPreprocessor redeclares that trait without config=True, so
    traitlets would warn "Config option `display_data_priority` not recognized" on every run."""

    display_data_priority = List(GetGrades.class_traits()["display_data_priority"].default_value).tag(config=True)


class ScrubFeedback(FeedbackStep):
    """GenerateFeedback step: the notebook as `Scrubber` leaves it (see module docstring)."""

    course_root = Unicode("", help="Course root; default: the converter's course directory "
                                   "(nbgrader runs converters from there)").tag(config=True)

    def preprocess(self, nb, resources):
        return Scrubber(Course(self._root())).scrub(nb), resources

    def _root(self):
        return self.course_root or paths.course_root(config=self.config)


def without_frames(text):
    """`text` without traceback headers, frame lines and the code lines indented under them, and
    without the kernel's file name before a warning: feedback shows causes, not frames."""
    kept, in_frame = [], False
    for line in text.split("\n"):
        plain = _strip_ansi(line)
        if TRACEBACK_HEADER.match(plain) or FRAME_LINE.match(plain):
            in_frame = True
            continue
        if in_frame and (plain[:1].isspace() or not plain.strip()):
            continue   # the frame's code lines
        in_frame = False
        kept.append(WARNING_LOCATION.sub("", plain) if WARNING_LOCATION.match(plain) else line)
    return "\n".join(kept)


def _joined(value):
    return "".join(value) if isinstance(value, list) else value


def _strip_ansi(text):
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
