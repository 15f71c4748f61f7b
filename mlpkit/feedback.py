"""`mlpkit feedback`: per-student HTML feedback that teaches without leaking.

    mlpkit feedback                     # everyone graded under autograded/
    mlpkit feedback --student alice     # one (repeatable)

Writes feedback/<student>/mlp_lab/mlp_lab.html with nbgrader's generate_feedback,
run on a scrubbed copy of each autograded notebook (grading/feedback-input/),
never on the autograded notebook itself. Stock nbgrader shows hidden tests and
full tracebacks in feedback (its issues #917 and #1363). The scrubbed copy has:
- test and locked cells showing the RELEASE source (visible tests only);
- error outputs reduced to `ename: evalue` (no traceback lines);
- every output line that contains a non-trivial line of the source notebook's
  solution, hidden-test or mark-scheme regions replaced by a redaction note;
- no environment dumps or instructor paths in outputs.
"""
import copy
import re
import sys

from mlpkit import notebook
from mlpkit.course import NOTEBOOK, Course, CourseError
from mlpkit.notebook import grade_id, is_locked, secret_lines

FEEDBACK_INPUT = "grading/feedback-input"   # scrubbed copies nbgrader makes feedback from
REDACTED = "[line hidden: it shows the instructor's tests or solution]"
ENV_LINE = re.compile(r"^\s*[A-Z_][A-Z0-9_]*=\S|environ\(\{|'(PATH|HOME|USER|VIRTUAL_ENV)': '")


def add_arguments(parser):
    parser.add_argument("--student", action="append", metavar="S",
                        help="only this student (repeatable); default: everyone autograded")


def run(args):
    course = Course(args.course)
    try:
        course.check()
        done, failed = generate_all(course, args.student)
    except CourseError as exc:
        print(f"feedback: {exc}", file=sys.stderr)
        return 2
    if not done and not failed:
        print("feedback: nothing autograded yet (run `mlpkit autograde`)", file=sys.stderr)
        return 1
    for student in done:
        print(f"{student}: {course.feedback_path(student).relative_to(course.root)}")
    for student, error in failed.items():
        print(f"{student}: feedback FAILED: {error}", file=sys.stderr)
    return 1 if failed else 0


def generate_all(course, students=None):
    """Scrub and render feedback; returns ([students done], {student: error})."""
    import shutil
    from mlpkit.course import run_api
    students = students or sorted(p.parent.parent.name for p in
                                  course.autograded_dir.glob(f"*/{course.assignment}/{NOTEBOOK}.ipynb"))
    scrubber = Scrubber(course)
    api = course.api(**{"CourseDirectory.autograded_directory": FEEDBACK_INPUT})
    done, failed = [], {}
    for student in students:
        try:
            src = course.autograded_path(student)
            if not src.exists():
                raise FileNotFoundError(f"no autograded notebook at {src}")
            staged_dir = course.root / FEEDBACK_INPUT / student / course.assignment
            if staged_dir.exists():
                shutil.rmtree(staged_dir)
            notebook.write(scrubber.scrub(notebook.read(src)), staged_dir / f"{NOTEBOOK}.ipynb")
            out = run_api(api, "generate_feedback", course.assignment, student, force=True)
            if not out.get("success"):
                raise RuntimeError((out.get("error") or out.get("log") or "").strip().splitlines()[-1])
            done.append(student)
        except Exception as exc:  # one student's failure never stops the others
            failed[student] = f"{type(exc).__name__}: {exc}"
    return done, failed


class Scrubber:
    """Rewrites an autograded notebook so feedback shows nothing of the instructor's material."""

    def __init__(self, course):
        self.release_cells = {grade_id(c): c for c in course.release_notebook().cells if grade_id(c)}
        self.secrets = [s for s in secret_lines(course.source_notebook())]
        # Instructor paths and the grader's own environment values must not show.
        import os
        self.paths = [str(course.root)] + [os.environ[k] for k in ("PATH", "HOME", "VIRTUAL_ENV")
                                           if len(os.environ.get(k, "")) > 5]

    def scrub(self, nb):
        nb = copy.deepcopy(nb)
        for cell in nb.cells:
            gid = grade_id(cell)
            released = self.release_cells.get(gid)
            if released is not None and (is_locked(released) or is_locked(cell)):
                cell.source = released.source
            for output in cell.get("outputs", []):
                self._scrub_output(output)
        return nb

    def _scrub_output(self, output):
        if output.get("output_type") == "error":
            output["ename"] = self.clean_text(output.get("ename", ""))
            output["evalue"] = self.clean_text(output.get("evalue", ""))
            output["traceback"] = [f"{output['ename']}: {output['evalue']}"]
        if "text" in output:
            output["text"] = self.clean_text(_joined(output["text"]))
        for mime, value in list(output.get("data", {}).items()):
            if isinstance(value, (str, list)) and mime not in ("image/png", "image/jpeg", "image/gif"):
                output["data"][mime] = self.clean_text(_joined(value))

    def clean_text(self, text):
        lines = []
        for line in text.split("\n"):
            if self.leaks(line):
                lines.append(REDACTED)
            else:
                lines.append(line)
        return "\n".join(lines)

    def leaks(self, line):
        plain = _strip_ansi(line)
        if any(secret in plain for secret in self.secrets):
            return True
        if ENV_LINE.search(plain) or any(p in plain for p in self.paths):
            return True
        return "BEGIN HIDDEN TESTS" in plain or "BEGIN SOLUTION" in plain or "MARK SCHEME" in plain


def _joined(value):
    return "".join(value) if isinstance(value, list) else value


def _strip_ansi(text):
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
