"""The lab's side of the observation channel keeps step with the kit's (mlpkit/sandbox/inside/protocol.py).

source/mlp_lab/lab_checks.py ships to students and cannot import mlpkit, so it spells the
channel itself: the MIME type of a probe's output, the payload {"cell", "values"}, and the
array encoding (`{ARRAY_KEY: dtype, "shape", "zlib"}` for the dtypes ARRAY_DTYPES,
`{UNENCODABLE_KEY: type name}` otherwise), and the line `optional_part` prints for a part left as
released (NOT_ATTEMPTED, which `mlpkit check` looks for), and what a probe reports for code still as
released (NOT_WRITTEN, which the judges turn into NOT_ATTEMPTED for an optional part). `lab_side` reads its constant from the file and
encodes with its own `_encode` and `probe`; each must equal protocol.py's, and the check
fails on a lab_checks.py that drifted (last test).
"""
import ast
import contextlib
import importlib.util
import io
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from mlpkit.judging.observations import observations_of
from mlpkit.sandbox.inside import protocol

pytestmark = pytest.mark.fast

LAB_CHECKS = Path(__file__).resolve().parents[1] / "source" / "mlp_lab" / "lab_checks.py"


def lab_side(path):
    """What `path` (a lab_checks.py) puts on the channel: its MIME constant, one probe's output
    data, and its encodings of a float array, a bool array and something else."""
    tree = ast.parse(path.read_text())
    mime = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                and any(getattr(t, "id", None) == "OBSERVATIONS_MIME" for t in node.targets))
    spec = importlib.util.spec_from_file_location(f"lab_checks_{abs(hash(str(path)))}", path)
    lab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lab)
    published = []
    display = types.ModuleType("IPython.display")   # the kernel's IPython, stood in for
    display.publish_display_data = published.append
    saved = sys.modules.get("IPython.display")
    sys.modules["IPython.display"] = display
    try:
        lab.probe("task0_example", lambda: {"x": np.arange(3.0)})
    finally:
        if saved is None:
            sys.modules.pop("IPython.display")
        else:
            sys.modules["IPython.display"] = saved
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), lab.optional_part("Task 3x (example)"):
        raise NotImplementedError()
    return {"mime": mime, "published": published[0], "not_attempted": printed.getvalue(),
            "not_written": lab._describe(NotImplementedError()),
            "floats": lab._encode(np.ones((2, 2))), "bools": lab._encode(np.array([True, False])),
            "other": lab._encode(object())}


def disagreements(side):
    """How `side` (lab_side's answer) differs from protocol.py; [] when in step."""
    found = []
    if side["mime"] != protocol.OBSERVATIONS_MIME:
        found.append(f"OBSERVATIONS_MIME is {side['mime']!r}, the kit's {protocol.OBSERVATIONS_MIME!r}")
    if protocol.OBSERVATIONS_MIME not in side["published"]:
        found.append(f"a probe publishes {sorted(side['published'])}, not {protocol.OBSERVATIONS_MIME}")
    for name in ("floats", "bools"):
        encoded = side[name]
        if set(encoded) != {protocol.ARRAY_KEY, "shape", "zlib"} or encoded[protocol.ARRAY_KEY] not in protocol.ARRAY_DTYPES:
            found.append(f"{name} are encoded as {sorted(encoded)}")
    if set(side["other"]) != {protocol.UNENCODABLE_KEY}:
        found.append(f"an unencodable value is encoded as {sorted(side['other'])}")
    if protocol.NOT_ATTEMPTED not in side["not_attempted"]:
        found.append(f"a skipped optional part prints {side['not_attempted']!r}, not {protocol.NOT_ATTEMPTED!r}")
    if side["not_written"] != protocol.NOT_WRITTEN:
        found.append(f"code still as released is reported as {side['not_written']!r}, not {protocol.NOT_WRITTEN!r}")
    return found


def test_lab_checks_speaks_the_kits_protocol():
    assert disagreements(lab_side(LAB_CHECKS)) == []


def test_what_a_probe_publishes_is_what_the_judge_reads():
    data = lab_side(LAB_CHECKS)["published"]
    cell = {"metadata": {"nbgrader": {"grade_id": "task0_example"}},
            "outputs": [{"output_type": "display_data", "data": data, "metadata": {}}]}
    values = observations_of(cell)
    assert values["error"] is None and np.array_equal(values["x"], np.arange(3.0))


@pytest.mark.parametrize("edit", [
    ('"application/vnd.mlp-lab.observations+json"', '"application/vnd.mlp-lab.observations.v2+json"'),
    ('"__array__"', '"__ndarray__"'),
    ('"__unencodable__"', '"__opaque__"'),
    ('"<f8" if', '">f8" if'),
    ('"not attempted (optional, 0 bonus points)"', '"skipped"'),
    ('"not implemented yet (NotImplementedError)"', '"todo"'),
], ids=["mime", "array key", "unencodable key", "dtype", "not attempted", "not written"])
def test_a_lab_checks_that_drifted_is_caught(tmp_path, edit):
    text = LAB_CHECKS.read_text()
    assert edit[0] in text
    drifted = tmp_path / "lab_checks.py"
    drifted.write_text(text.replace(edit[0], edit[1]))
    assert disagreements(lab_side(drifted))
