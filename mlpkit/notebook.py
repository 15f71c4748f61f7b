"""The notebook model: what an nbgrader cell is, its regions, and reading/writing notebooks.

Every part of the kit (and the benchmarks and tests) asks this module, never the raw
metadata, what a cell is:

    from mlpkit import notebook
    nb = notebook.read("source/mlp_lab/mlp_lab.ipynb")
    cells = notebook.cells_by_grade_id(nb)                 # {grade_id: cell}
    tests = notebook.autograded_ids(nb)                     # the autograded test cells
    notebook.regions(cell.source, "hidden")                 # lines inside ### BEGIN HIDDEN TESTS
    notebook.strip_solution_markers(cell.source)            # the reference solution as a student writes it

Predicates are nbgrader's own (`nbgrader.utils.is_grade`, `is_solution`, `is_locked`:
a solution cell is never locked, whatever its metadata says), so the kit and nbgrader
agree on every cell. Region markers are matched as substrings, as nbgrader does.
Grade ids follow the lab's convention `task<k>_<thing>`; Task 3 (`task3_*`) is the bonus.
"""
import re
from pathlib import Path

import nbformat
from nbgrader.utils import is_grade, is_locked, is_solution

__all__ = ["read", "write", "reads", "writes", "nbgrader_meta", "grade_id", "is_grade", "is_solution",
           "is_locked", "is_autograded_test", "cells_by_grade_id", "code_solution_ids", "autograded_ids",
           "task_of", "is_bonus", "REGIONS", "MARKER_RE", "regions", "outside_regions",
           "strip_solution_markers", "strip_mark_scheme", "strip_magics", "is_trivial_line", "secret_lines",
           "IMAGE_MIMES", "describe_figures"]

IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif")

# ---------------------------------------------------------------- reading and writing


def read(path):
    """A notebook file as an nbformat v4 NotebookNode."""
    return nbformat.read(str(path), as_version=4)


def reads(text):
    return nbformat.reads(text, as_version=4)


def write(nb, path):
    """Write `nb` to `path`, creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def writes(nb):
    return nbformat.writes(nb)


# ---------------------------------------------------------------- cells


def nbgrader_meta(cell):
    """The cell's nbgrader metadata ({} for a plain cell)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell):
    return nbgrader_meta(cell).get("grade_id")


def is_autograded_test(cell):
    """A code grade cell that is not a solution: nbgrader runs it and scores its outputs."""
    return cell.get("cell_type") == "code" and bool(is_grade(cell)) and not is_solution(cell)


def cells_by_grade_id(nb):
    """{grade_id: cell} for the nbgrader cells of `nb` (first occurrence wins)."""
    out = {}
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid and gid not in out:
            out[gid] = cell
    return out


def code_solution_ids(nb):
    """grade_ids of the code cells a student writes."""
    return [grade_id(c) for c in nb.cells if c.cell_type == "code" and is_solution(c)]


def autograded_ids(nb):
    """grade_ids of the autograded test cells, in notebook order."""
    return [grade_id(c) for c in nb.cells if is_autograded_test(c)]


def task_of(gid):
    """`task1_softmax_grad` -> `task1`; reflections keep their name; others -> None."""
    if gid.endswith("_reflection"):
        return gid
    m = re.match(r"(task\d+)_", gid)
    return m.group(1) if m else None


def is_bonus(gid):
    return gid.startswith("task3_")


# ---------------------------------------------------------------- regions

# nbgrader's region markers (source notebook only; none may survive in release/).
REGIONS = {
    "solution": ("BEGIN SOLUTION", "END SOLUTION"),
    "hidden": ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
    "mark_scheme": ("BEGIN MARK SCHEME", "END MARK SCHEME"),
}
MARKER_RE = re.compile(r"(BEGIN|END) (SOLUTION|HIDDEN TESTS|MARK SCHEME)")
_SOLUTION_MARKER_LINE = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
# A mark-scheme region in markdown, in either marker style (### or ===).
_MARK_SCHEME_REGION = re.compile(
    r"^[ \t]*(###|===) BEGIN MARK SCHEME( ===)?[ \t]*$.*?^[ \t]*(###|===) END MARK SCHEME( ===)?[ \t]*\n?",
    re.MULTILINE | re.DOTALL)


def regions(source, kind):
    """Lines strictly inside the `kind` regions (solution|hidden|mark_scheme) of a cell source."""
    begin, end = REGIONS[kind]
    inside, out = False, []
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            out.append(line)
    return out


def outside_regions(source):
    """Lines outside every region (markers excluded)."""
    depth, out = 0, []
    for line in source.splitlines():
        if any(begin in line for begin, _ in REGIONS.values()):
            depth += 1
        elif any(end in line for _, end in REGIONS.values()):
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(line)
    return out


def strip_solution_markers(source):
    """The source without its `### BEGIN/END SOLUTION` lines (a filled-in solution)."""
    return _SOLUTION_MARKER_LINE.sub("", source)


def strip_mark_scheme(source):
    """A markdown source without its mark-scheme regions (the model answer alone)."""
    return _MARK_SCHEME_REGION.sub("", source)


def strip_magics(source):
    """IPython magics and shell escapes blanked (they are not Python); line numbers kept."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


# ---------------------------------------------------------------- secrets

_TRIVIAL = {"return None", "return out", "return self", "else:", "try:", "finally:", "pass", "continue",
            "break", "raise NotImplementedError()", "YOUR ANSWER HERE", "# YOUR CODE HERE"}


def is_trivial_line(line):
    """Lines too common to count as leaked text (blank, brackets, pass, short comments)."""
    s = line.strip()
    return len(s) < 8 or (s.startswith("#") and len(s) < 20) or s in _TRIVIAL


def secret_lines(source_nb):
    """Non-trivial lines the students must never see: {stripped line: grade_id of its cell}.

    Lines of solution regions (or of whole solution cells without markers, such as
    model answers), hidden-test regions and mark-scheme regions, minus lines the
    source also shows outside those regions (those are public anyway).
    """
    secrets, public = {}, set()
    for cell in source_nb.cells:
        gid = grade_id(cell) or "(no grade_id)"
        src = cell.source
        whole_cell_is_secret = is_solution(cell) and "BEGIN SOLUTION" not in src
        if whole_cell_is_secret:
            # nbgrader replaces a solution cell without a solution region by the stub.
            hidden = src.splitlines()
        else:
            hidden = regions(src, "solution") + regions(src, "hidden") + regions(src, "mark_scheme")
            public.update(line.strip() for line in outside_regions(src))
        for line in hidden:
            if not is_trivial_line(line) and not MARKER_RE.search(line):
                secrets.setdefault(line.strip(), gid)
    return {line: gid for line, gid in secrets.items() if line not in public}


def describe_figures(cell, text):
    """Give each image output of `cell` without alternative text the alt `text` (in place).

    nbconvert's HTML exporter warns "Alternative text is missing on N image(s)" on every page
    that shows a student's plot (the TA view, the feedback); the TA cannot act on it. nbconvert's
    templates read the alt from the output's metadata (`output.metadata[mime]["alt"]`)."""
    for output in cell.get("outputs", []):
        for mime in IMAGE_MIMES:
            if mime in output.get("data", {}):
                meta = output.setdefault("metadata", {}).setdefault(mime, {})
                meta.setdefault("alt", text)
