"""The verdict of every probed grade cell: the judge of `judges/<assignment>.py` on its observations.

    judges = load_judges(course_root, "mlp_lab")            # the module, or None
    judge_notebook(nb, judges, reference_observations(source_dir))   # outputs replaced, in place

For each grade cell that has a judge in `<course>/judges/<assignment>.py` (instructor-only:
never released, never copied into the sandbox), it reads the cell's observations
(observations.py), runs the judge against the reference observations (reference.py) and
writes one output: "passed" on stdout, or an error whose message is the judge's. nbgrader's
SaveAutoGrades then scores the cell as usual. Whatever the kernel printed in a probed cell, a
pass or a forged pass included, is discarded. nbgrader runs this as its JudgeProbes step
(mlpkit/preprocessors/judge_probes.py).
"""
import importlib.util
import logging
import sys
from pathlib import Path

import numpy as np
from nbformat.v4 import new_output
from nbgrader.utils import is_grade

from mlpkit.judging.assertions import Failed
from mlpkit.judging.observations import OBSERVATIONS_MIME, ObservationError, decode, observations_of
from mlpkit.notebook import is_bonus
from mlpkit.sandbox.inside.protocol import NOT_ATTEMPTED, NOT_WRITTEN

log = logging.getLogger(__name__)
PASSED = "Passed (hidden checks, judged by the grader).\n"


_LOADED = {}


def load_judges(course_root, assignment):
    """The judges module of an assignment, `<course_root>/judges/<assignment>.py`, or None.

    Loaded once per version of the file and process: nbgrader builds the preprocessor anew
    for every notebook, and the module is the same for every student."""
    path = Path(course_root) / "judges" / f"{assignment}.py"
    if not path.is_file():
        return None
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    if key not in _LOADED:
        _LOADED[key] = _import(path, assignment)
    return _LOADED[key]


def _import(path, assignment):
    name = f"mlpkit_judges_{assignment}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def verdict(cell, judges, references):
    """(passed, message) for one grade cell."""
    grade_id = cell.metadata["nbgrader"]["grade_id"]
    try:
        seen = observations_of(cell)
    except ObservationError as error:
        return False, str(error)
    if is_bonus(grade_id) and str(seen.get("error", "")).startswith(NOT_WRITTEN):
        return False, NOT_ATTEMPTED      # the optional part left as released, as the lab's own checks say it
    if seen.get("error"):  # the student's code raised inside the probe: say so, and why if the judges can tell
        explain = getattr(judges, "explain_error", None)
        cause = explain(grade_id, str(seen["error"])) if explain else None
        return False, str(seen["error"])[:4000] + (f"\nLikely cause: {cause}" if cause else "")
    expected = _decoded(references, grade_id)
    try:
        getattr(judges, grade_id)(seen, expected)
    except Failed as failure:
        return False, str(failure)
    except Exception as error:  # noqa: BLE001 - malformed observations must fail the cell, not the grader
        log.debug("judge %s raised", grade_id, exc_info=True)
        return False, f"the grader could not make sense of this cell's observations ({type(error).__name__})"
    return True, PASSED


_DECODED = {}


def _decoded(references, grade_id):
    """The reference's observations of one cell, decoded once per process (they are the same for
    every student; arrays are never modified by the judges)."""
    key = (id(references), grade_id)
    if key not in _DECODED:
        _DECODED[key] = _read_only(decode(references[grade_id]["values"], [10**9]))
    return _DECODED[key]


def _read_only(value):
    """Freeze the arrays: a judge that wrote into the reference would corrupt the next student's verdict."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, list):
        for item in value:
            _read_only(item)
    elif isinstance(value, dict):
        for item in value.values():
            _read_only(item)
    return value


def judge_notebook(nb, judges, references):
    """Replace the outputs of every judged grade cell of `nb` by its verdict (in place)."""
    for cell in nb.cells:
        if cell.cell_type != "code" or not is_grade(cell):
            continue
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        if not hasattr(judges, grade_id) or grade_id not in references:
            continue
        passed, message = verdict(cell, judges, references)
        if passed:
            cell.outputs = [new_output("stream", name="stdout", text=message)]
        else:
            cell.outputs = [new_output("error", ename="TestFailed", evalue=message,
                                       traceback=[f"TestFailed: {message}"])]
    return nb


def probed_cells(nb):
    """grade_ids of the grade cells holding a probe's observations."""
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.cell_type == "code" and is_grade(c) and any(OBSERVATIONS_MIME in (o.get("data") or {})
                                                              for o in c.get("outputs", []))]
