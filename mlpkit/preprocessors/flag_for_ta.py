"""FlagForTA: a notebook that needs a TA is flagged in the gradebook, with its reason on top.

nbgrader_config.py runs it right after the execution step (SandboxedExecute), so `mlpkit
autograde`, `nbgrader autograde` and the formgrader's Autograde button all flag the same
notebooks:
- the notebook failed to execute: the kernel died, a cell or the whole notebook timed out, a
  resource limit was hit (the execution report's events, mlpkit/sandbox/);
- tampering is suspected (mlpkit/staging/scan.py's findings in the student's code).
Each such notebook gets nbgrader's own `flagged` mark on its SubmittedNotebook (the flag
the formgrader shows and filters by), and a TA-only cell at the top of the autograded
notebook, where the TA reads, that says why. ScrubFeedback drops TA-only cells, so the cell
never reaches the student. A clean notebook is left unflagged (a TA's own flag is kept).
"""
from nbformat.v4 import new_markdown_cell
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

from mlpkit.gradebook.results import FAILED_KINDS
from mlpkit.notebook import grade_id
from mlpkit.staging.stage import scan_findings
from mlpkit.statuses import FAILED_TO_EXECUTE, TAMPERING_SUSPECTED

FLAG_HEADING = "**Flagged for a TA (never in student feedback)**"


def cell_name(nb, index):
    """How a TA finds cell `index`: its grade id, else its cell id, else its number."""
    if index is None or not 0 <= index < len(nb.cells):
        return "before the first cell" if index is None else f"cell {index}"
    cell = nb.cells[index]
    return f"`{grade_id(cell) or cell.get('id') or index}` (cell {index})"


def reasons(nb, events):
    """One line per reason this notebook needs a TA; [] when it does not."""
    out = []
    for event in events:
        if event.get("kind") in FAILED_KINDS:
            message = str(event.get("message", "")).strip().splitlines()[:1] or [""]
            out.append(f"{FAILED_TO_EXECUTE}: {cell_name(nb, event.get('cell'))}: "
                       f"{event['kind'].replace('_', ' ')}: {message[0]}")
    try:
        findings = scan_findings(nb)
    except Exception as exc:  # the scan is advice; an unreadable cell is itself worth a look
        findings = [dict(cell_grade_id="?", line=0, reason=f"the scan failed: {type(exc).__name__}")]
    for f in findings:
        out.append(f"{TAMPERING_SUSPECTED}: `{f['cell_grade_id']}` line {f['line']}: {f['reason']}")
    return out


def flag_cell(lines):
    text = "\n".join(f"- {line}" for line in lines)
    return new_markdown_cell(f"{FLAG_HEADING}\n\n{text}\n\nThe grades below may be incomplete: "
                             "check this notebook by hand.", metadata={"mlpkit": {"ta_only": True,
                                                                                   "flagged": lines}})


class FlagForTA(NbGraderPreprocessor):
    """Autograde step: flag the notebook in the gradebook and say why at its top."""

    def preprocess(self, nb, resources):
        events = resources.get("mlpkit", {}).get("execution", {}).get("events", [])
        found = reasons(nb, events)
        if not found:
            return nb, resources
        nb.cells.insert(0, flag_cell(found))
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            try:
                submitted = gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
            except MissingEntry:   # nbgrader creates it before any step runs; nothing to flag otherwise
                return nb, resources
            submitted.flagged = True
            gb.db.commit()
        resources.setdefault("mlpkit", {})["flagged"] = found
        return nb, resources
