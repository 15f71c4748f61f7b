"""TaskSummaryValidator: nbgrader's Validate with a per-task summary, then one line per failing check.

Students press JupyterLab's Validate button; TAs and students also run `nbgrader validate
NOTEBOOK`. Stock nbgrader prints every failing cell's whole source and full traceback (frames
through lab_checks.py included): about 1,200 lines on the untouched release. This subclass of
nbgrader's `Validator` runs the very same steps (nbgrader's CheckCellMetadata, ClearOutput,
Execute with `NBGRADER_EXECUTION=validate`), finds the very same failing cells
(`Validator._get_failed_cells`), and reports them as `mlpkit check` does:

    task0: 3/3 visible tests pass
    task1: 0/5 visible tests pass
    ...
    16/33 visible tests pass, 14 not attempted (optional); 4 answers to write

    VALIDATION FAILED ON 21 CELL(S)! If you submit your assignment as it is, ...

    task1_feedforward_probabilities: NotImplementedError
    task1_reflection: no answer yet (a TA grades it)

A failing check's entry is its grade_id (which names its task) and its error's `ename: evalue`,
first line only: no source and no traceback frame. A failing notebook still fails: nbgrader's
failed_warning, the Validate button's red "failed" dialog and the same set of failing cells.

nbgrader builds `Validator` by name in two places that no traitlets option can redirect
(`nbgrader.apps.validateapp` and the server extension's handler), so `use_in_nbgrader()`,
called by the course's nbgrader_config.py (and the students', docs/jupyterhub/), points those
two names at this class. Both read their config file before they build a Validator. The
Validator's own options (`c.Validator.failed_warning`, `ignore_checksums`, `invert`, ...) still
apply; `invert` and the changed-cell reports keep nbgrader's own output.
"""
import sys
from html import escape
from textwrap import fill

from nbconvert.filters import strip_ansi
from nbgrader import utils
from nbgrader.validator import Validator

from mlpkit.notebook import grade_id, is_autograded_test, task_of
from mlpkit.sandbox.inside.protocol import NOT_ATTEMPTED

# The two modules that build nbgrader's Validator by name: `nbgrader validate` and the
# Validate button's server handler.
VALIDATOR_USERS = ("nbgrader.apps.validateapp", "nbgrader.server_extensions.validate_assignment.handlers")
MESSAGE_WIDTH = 160  # a failing check's message is cut (at a word) beyond this many characters


def use_in_nbgrader():
    """Point nbgrader's Validate (the CLI and the JupyterLab button) at TaskSummaryValidator.
    Only modules already imported are touched: each imports its Validator before it reads the
    config file that calls this, and nothing else pays for importing the server's handler."""
    for name in VALIDATOR_USERS:
        module = sys.modules.get(name)
        if module is not None:
            module.Validator = TaskSummaryValidator


def task_summary(results, name_failing=True):
    """One line per task, in notebook order: how many visible tests pass (and, with
    `name_failing`, which fail). `results`: [{test, passed, not_attempted}]."""
    tasks = {}
    for r in results:
        tasks.setdefault(task_of(r["test"]) or "other", []).append(r)
    lines = []
    for task, rs in tasks.items():
        failing = [r["test"] for r in rs if not r["passed"]]
        skipped = [r["test"] for r in rs if r.get("not_attempted")]
        line = f"{task}: {len(rs) - len(failing) - len(skipped)}/{len(rs)} visible tests pass"
        if skipped:
            line += f", {len(skipped)} not attempted (optional, 0 bonus points)"
        lines.append(line + (f"; failing: {', '.join(failing)}" if failing and name_failing else ""))
    return lines


def _first_line(text):
    line = next((s.strip() for s in strip_ansi(text or "").splitlines() if s.strip()), "")
    if len(line) <= MESSAGE_WIDTH:
        return line
    return line[:MESSAGE_WIDTH].rsplit(" ", 1)[0] + " …"


def failure_message(cell):
    """Why a failing cell fails, in one line: the error's `ename: evalue`, else its first line of
    stderr, else what nbgrader would say (no answer, partial credit)."""
    if cell.cell_type != "code":
        return "no answer yet (a TA grades it)"
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return _first_line(": ".join(x for x in (output.get("ename"), output.get("evalue")) if x))
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            return "wrote to stderr: " + _first_line(output.get("text"))
    if utils.is_solution(cell):
        return "no answer yet"
    return "partial credit: passed some but not all of the tests"


class TaskSummaryValidator(Validator):
    """nbgrader's Validator; a failing notebook is reported as a per-task summary and one line
    per failing check (see the module docstring)."""

    def _preprocess(self, nb):
        # nbgrader's validate() keeps the executed notebook to itself; the summary needs it.
        self.executed = super()._preprocess(nb)
        return self.executed

    def validate(self, filename):
        self.executed = None
        results = super().validate(filename)
        if self.executed is None or self.invert or set(results) - {"failed"}:
            return results  # the notebook did not run, or a changed cell: nbgrader's own report
        self.summary, self.entries = self.report(self.executed)
        if results.get("failed"):
            # One block for the Validate button: its dialog shows `source` then `error` (HTML).
            text = "\n".join(self.entries)
            results["failed"] = [{"source": "\n".join(self.summary), "error": escape(text), "raw_error": text}]
        return results

    def report(self, nb):
        """(summary lines, failing-check lines) of an executed notebook."""
        failed = self._get_failed_cells(nb)
        failed_ids = {id(cell) for cell in failed}
        tests = [{"test": grade_id(cell), "passed": id(cell) not in failed_ids,
                  "not_attempted": any(NOT_ATTEMPTED in "".join(o.get("text", ""))
                                       for o in cell.get("outputs", []) if o.get("output_type") == "stream")}
                 for cell in nb.cells if is_autograded_test(cell) and grade_id(cell)]
        passed = sum(t["passed"] and not t["not_attempted"] for t in tests)
        skipped = sum(t["not_attempted"] for t in tests)
        unanswered = sum(not is_autograded_test(cell) for cell in failed)
        total = f"{passed}/{len(tests)} visible tests pass"
        total += f", {skipped} not attempted (optional)" if skipped else ""
        total += f"; {unanswered} answer(s) still to write" if unanswered else ""
        entries = [f"{grade_id(cell) or 'a cell'}: {failure_message(cell)}" for cell in failed]
        return task_summary(tests, name_failing=False) + [total], entries

    def validate_and_print(self, filename):
        results = self.validate(filename)
        if self.invert or self.executed is None or set(results) - {"failed"}:
            return self._print_nbgraders_report(results)
        self.stream.write("\n".join(self.summary) + "\n\n")
        self._print_num_failed(len(self.entries))
        if self.entries:
            self.stream.write("\n\n" + "\n".join(self.entries) + "\n")

    def _print_nbgraders_report(self, results):
        """nbgrader's own report of changed cells or of --invert (as Validator.validate_and_print)."""
        if results.get("type_changed"):
            self._print_num_type_changed(len(results["type_changed"]))
            for cell in results["type_changed"]:
                self._print_type_changed(cell["old_type"], cell["new_type"], cell["source"])
        elif results.get("changed"):
            self._print_num_changed(len(results["changed"]))
            for cell in results["changed"]:
                self._print_changed(cell["source"])
        elif self.invert:
            self._print_num_passed(len(results.get("passed", [])))
            for cell in results.get("passed", []):
                self._print_pass(cell["source"])
        else:
            self._print_num_failed(len(results.get("failed", [])))
            for cell in results.get("failed", []):
                self._print_error(cell["source"], cell["raw_error"])
