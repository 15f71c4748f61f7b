"""What the runner keeps of a cell's outputs: capped per cell and in total, errors always kept.

Inside the sandbox, beside runner.py (no mlpkit imports; imported after the zygote is forked).
"""
import json

from nbclient import NotebookClient
from nbformat.v4 import new_output

from protocol import OBSERVATIONS_MIME

MAX_OBSERVATION_CHARS = 16_000_000  # the probes' observations, per notebook (their own budget)
SHORT_TEXT = 2000  # characters kept of a grade-deciding output past the output cap
TRUNCATED_NOTE = "\n[output truncated: this cell printed too much]\n"


def error_output(ename, message):
    return new_output("error", ename=ename, evalue=message,
                      traceback=[f"\x1b[0;31m{ename}\x1b[0m: {message}"])


def output_size(out):
    if out.get("output_type") == "stream":
        return len(out.get("text", ""))
    if out.get("output_type") == "error":
        return len(out.get("evalue", "")) + sum(len(t) for t in out.get("traceback", []))
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in out.get("data", {}).values())


def shorten(out, room, outs):
    """The part of an over-cap output worth keeping, or None."""
    kind = out.get("output_type")
    if kind == "error":
        out["evalue"] = str(out.get("evalue", ""))[:SHORT_TEXT]
        out["traceback"] = [str(t)[:SHORT_TEXT] for t in out.get("traceback", [])[-5:]]
        return out
    if kind == "stream":
        if room > 0:
            out["text"] = out["text"][:room]
            return out
        if out.get("name") == "stderr" and not any(
                o.get("output_type") == "stream" and o.get("name") == "stderr" for o in outs):
            out["text"] = out["text"][:SHORT_TEXT]
            return out
        return None
    if kind == "execute_result":
        text = out.get("data", {}).get("text/plain", "")
        out["data"] = {"text/plain": (text if isinstance(text, str) else "".join(text))[:SHORT_TEXT]}
        return out
    return None


class CappedClient(NotebookClient):
    """nbclient with output caps; the runner drives it cell by cell."""

    def __init__(self, *a, max_cell_output, max_total_output, **kw):
        super().__init__(*a, **kw)
        self.max_cell_output = max_cell_output
        self.max_total_output = max_total_output
        self.cell_chars = {}
        self.total_chars = 0
        self.truncated_cells = set()
        self.observation_chars = 0
        self.discard_outputs = False  # replay: run silently

    def output(self, outs, msg, display_id, cell_index):
        if self.discard_outputs:
            return None
        out = super().output(outs, msg, display_id, cell_index)
        if out is None:
            return None
        if OBSERVATIONS_MIME in (out.get("data") or {}):
            return self._observations(out, outs)
        size = output_size(out)
        used = self.cell_chars.get(cell_index, 0)
        room = min(self.max_cell_output - used, self.max_total_output - self.total_chars)
        if cell_index not in self.truncated_cells and size <= room:
            self.cell_chars[cell_index] = used + size
            self.total_chars += size
            return out
        return self._over_the_cap(out, outs, cell_index, used, room)

    def _observations(self, out, outs):
        # A hidden test's observations have a budget of their own: the output caps are
        # for what students print. Past it they are dropped, and the judge fails the
        # cell as "observations missing" (mlpkit/judging/observations.py).
        self.observation_chars += output_size(out)
        if self.observation_chars <= MAX_OBSERVATION_CHARS:
            return out
        outs.pop()
        return None

    def _over_the_cap(self, out, outs, cell_index, used, room):
        # Outputs that decide the grade survive in short form: an error (no credit),
        # stderr (no credit) and an execute_result (partial credit).
        outs.pop()
        kept = shorten(out, max(room, 0), outs)
        if kept is not None:
            outs.append(kept)
            self.cell_chars[cell_index] = used + output_size(kept)
            self.total_chars += output_size(kept)
        if cell_index not in self.truncated_cells:
            self.truncated_cells.add(cell_index)
            # stdout, not stderr: the note itself must not change the cell's grade.
            outs.append(new_output("stream", name="stdout", text=TRUNCATED_NOTE))
        return kept


class ReplyErrorHook:
    """on_cell_executed hook: add an error output when the reply says error but none was shown.

    nbgrader's own Execute does the same, so a student who silences tracebacks still
    leaves an error output on a failing test cell.
    """

    def __call__(self, cell, cell_index, execute_reply, **_):
        content = (execute_reply or {}).get("content", {})
        if content.get("status") != "error":
            return
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return
        cell.outputs.append(error_output(content.get("ename") or "Error",
                                         str(content.get("evalue") or "the cell raised an error")))
