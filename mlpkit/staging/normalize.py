"""Repair a submitted notebook against the release notebook before grading.

Step 1 of the grading pipeline (docs/design.md). Students delete, reorder and
duplicate cells, edit test cells, or hand in something that is not a notebook.
`normalize(path, release_nb)` returns a notebook nbgrader can grade, plus the
status flags that end up in the CSV:

| what was handed in                  | what is graded                          | flag              |
|-------------------------------------|-----------------------------------------|-------------------|
| nothing                             | the untouched release notebook (zeros)  | `missing`         |
| not a readable notebook             | the untouched release notebook (zeros)  | `invalid notebook`|
| nbgrader cells deleted              | release copy re-inserted in place       | `cells repaired`  |
| nbgrader cells reordered/duplicated | release order, first copy kept          | `cells repaired`  |
| a locked or test cell edited        | kept here; nbgrader restores the source | `test cell edited`|

Cells the student added stay right after the cell they followed, except code
above the first nbgrader cell (the locked set-up), which would run before the
set-up captures the grader's private references: it moves below it. The original
file is never modified (autograde grades a staged copy). Used by stage.py:

    from mlpkit.staging.normalize import normalize
    result = normalize(course.submission_path("alice"), course.release_notebook())
    result.nb, result.flags, result.notes
"""
import copy
from dataclasses import dataclass, field
from pathlib import Path

from mlpkit import notebook
from mlpkit.notebook import grade_id, is_locked, is_solution, nbgrader_meta
from mlpkit.statuses import CELLS_REPAIRED, INVALID_NOTEBOOK, MISSING, TEST_CELL_EDITED


@dataclass
class NormalizeResult:
    nb: object                    # nbformat NotebookNode, ready for nbgrader
    flags: list = field(default_factory=list)   # status flags (see table above)
    notes: list = field(default_factory=list)   # human-readable details, one per repair

    def flag(self, flag, note):
        if flag not in self.flags:
            self.flags.append(flag)
        self.notes.append(note)


def normalize(path, release_nb):
    """Read the submission at `path` and repair it against `release_nb` (never raises for bad input)."""
    path = Path(path)
    if not path.is_file():
        result = NormalizeResult(copy.deepcopy(release_nb))
        result.flag(MISSING, f"no submission at {path}; graded as the untouched release notebook")
        return result
    try:
        nb = notebook.reads(path.read_text(encoding="utf-8", errors="replace"))
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no list of cells")
        for cell in nb.cells:
            if cell.get("cell_type") not in ("code", "markdown", "raw") or "source" not in cell:
                raise ValueError("a cell without type or source")
    except Exception as exc:  # any unreadable file: JSON, nbformat schema, encoding, ...
        result = NormalizeResult(copy.deepcopy(release_nb))
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        result.flag(INVALID_NOTEBOOK, f"{path.name} is not a readable notebook ({reason}); "
                             "graded as the untouched release notebook, original kept")
        return result
    return repair(nb, release_nb)


def repair(nb, release_nb):
    """Put the nbgrader cells of `nb` back in release order; see the module docstring."""
    release_cells = [c for c in release_nb.cells if grade_id(c)]
    release_ids = [grade_id(c) for c in release_cells]
    by_release_id = dict(zip(release_ids, release_cells))
    result = NormalizeResult(None)
    head, segments, seen_order = _segments(nb, by_release_id, result)
    present = [g for g in release_ids if g in segments]
    if seen_order != present:
        result.flag(CELLS_REPAIRED, "nbgrader cells were reordered; put back in release order")
    out = copy.deepcopy(nb)
    out.cells = _in_release_order(head, segments, release_ids, by_release_id, result)
    result.nb = out
    return result


def _segments(nb, by_release_id, result):
    """Split the submission into a head (cells before any nbgrader cell) and one segment per
    nbgrader cell: the cell plus the plain cells that follow it. Returns (head, {grade_id:
    segment}, grade_ids in submitted order)."""
    head, segments, seen_order = [], {}, []
    current = head
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid and gid not in by_release_id:
            # Not a cell of this assignment: keep it as the student's own cell.
            cell = copy.deepcopy(cell)
            cell.metadata.pop("nbgrader", None)
            result.flag(CELLS_REPAIRED, f"unknown nbgrader cell {gid!r} kept as an ordinary cell")
            gid = None
        if gid is None:
            current.append(cell)
            continue
        if gid in segments:
            if is_solution(by_release_id[gid]):
                # A duplicated answer cell: keep the copy as the student's own code.
                cell = copy.deepcopy(cell)
                cell.metadata.pop("nbgrader", None)
                current.append(cell)
                result.flag(CELLS_REPAIRED, f"duplicate of {gid} kept as an ordinary cell after the first copy")
            else:
                result.flag(CELLS_REPAIRED, f"duplicate of locked cell {gid} removed")
            continue
        current = [cell]
        segments[gid] = current
        seen_order.append(gid)
    return head, segments, seen_order


def _in_release_order(head, segments, release_ids, by_release_id, result):
    """The cells in release order, each followed by the student's own cells after it; deleted
    nbgrader cells re-inserted from the release."""
    # Code above the first locked cell would run before the set-up cell captures the
    # grader's private references (`_grader`), so it moves below that cell.
    early_code = [c for c in head if c.cell_type == "code"]
    cells = [c for c in head if c.cell_type != "code"]
    if early_code:
        result.flag(CELLS_REPAIRED, f"{len(early_code)} code cell(s) added above {release_ids[0]} moved below it")
    for gid in release_ids:
        if gid not in segments:
            cells.append(copy.deepcopy(by_release_id[gid]))
            result.flag(CELLS_REPAIRED, f"deleted cell {gid} re-inserted from the release notebook")
            cells.extend(early_code)
            early_code = []
            continue
        cell, *followers = segments[gid]
        if early_code:
            followers, early_code = early_code + followers, []
        cells.append(_checked_against_release(cell, by_release_id[gid], gid, result))
        cells.extend(followers)
    return cells


def _checked_against_release(cell, released, gid, result):
    """`cell`, flagged if its locked source or its type was changed, its lost metadata restored."""
    if is_locked(released) and _normalized(cell.source) != _normalized(released.source):
        result.flag(TEST_CELL_EDITED, f"locked cell {gid} was edited; nbgrader restores it from source")
    if cell.cell_type != released.cell_type:
        result.flag(TEST_CELL_EDITED if is_locked(released) else CELLS_REPAIRED,
                    f"cell {gid} changed type to {cell.cell_type}; nbgrader restores the type")
    if _lost_metadata(cell, released):
        cell = copy.deepcopy(cell)
        cell.metadata["nbgrader"] = copy.deepcopy(nbgrader_meta(released))
        result.flag(CELLS_REPAIRED, f"nbgrader metadata of {gid} restored from release")
    return cell


def _normalized(source):
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _lost_metadata(cell, released):
    mine, theirs = nbgrader_meta(cell), nbgrader_meta(released)
    keys = ("grade", "solution", "locked", "points")
    return any(mine.get(k) != theirs.get(k) for k in keys if k in theirs)
