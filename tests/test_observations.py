"""The observation channel: what a probe publishes decodes exactly; anything else fails the cell.

Round trips go through lab_checks._encode (the kernel side) and mlpkit.observations (the
grader side). Every malformed, missing, duplicated, oversized or foreign observation must
raise ObservationError with a message, never crash and never take long.

Run: python -m pytest tests/test_observations.py -q
"""
import base64
import json
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_output

from mlpkit.judging.observations import MAX_CHARS, OBSERVATIONS_MIME, ObservationError, Unencodable, observations_of

pytestmark = pytest.mark.fast   # pure: the judge's decoder

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "source" / "mlp_lab"))
import lab_checks  # noqa: E402  (the module shipped beside the notebook)


def cell_with(*payloads, grade_id="task0_softmax_matches_reference"):
    cell = new_code_cell("", metadata={"nbgrader": {"grade": True, "grade_id": grade_id, "points": 1}})
    cell.outputs = [new_output("display_data", data={OBSERVATIONS_MIME: p}) for p in payloads]
    return cell


def published(values, grade_id="task0_softmax_matches_reference"):
    return {"cell": grade_id, "values": lab_checks._encode(values)}


def test_values_round_trip_exactly():
    values = {"error": None, "a": np.arange(12.0).reshape(3, 4) / 7, "mask": np.array([True, False]),
              "ints": np.arange(3), "nested": [(np.ones(2), -1), {"k": 3.5}], "count": 4, "text": "hi",
              "nan": np.array([np.nan, np.inf])}
    seen = observations_of(cell_with(published(values)))
    assert np.array_equal(seen["a"], values["a"]) and seen["a"].dtype == np.float64
    assert seen["mask"].dtype == np.bool_ and seen["mask"].tolist() == [True, False]
    assert seen["ints"].tolist() == [0.0, 1.0, 2.0] and seen["count"] == 4 and seen["text"] == "hi"
    assert np.array_equal(seen["nested"][0][0], np.ones(2)) and seen["nested"][0][1] == -1
    assert seen["nested"][1] == {"k": 3.5}
    assert np.isnan(seen["nan"][0]) and np.isinf(seen["nan"][1])


def test_a_value_that_is_not_numbers_is_named_not_trusted():
    seen = observations_of(cell_with(published({"result": object()})))
    assert isinstance(seen["result"], Unencodable) and "object" in repr(seen["result"])


def test_json_text_payloads_are_read_too():
    seen = observations_of(cell_with(json.dumps(published({"x": np.ones(3)}))))
    assert seen["x"].tolist() == [1.0, 1.0, 1.0]


def array_payload(**overrides):
    raw = np.ones(4).tobytes()
    array = {"__array__": "<f8", "shape": [4], "zlib": base64.b64encode(zlib.compress(raw)).decode()}
    array.update(overrides)
    return {"cell": "task0_softmax_matches_reference", "values": {"x": array}}


BAD = {
    "missing": [],
    "duplicated": [published({"x": 1}), published({"x": 1})],
    "another cell's": [published({"x": 1}, grade_id="task0_softmax_no_overflow")],
    "not a dict": ["[1, 2]"],
    "invalid JSON": ["{not json"],
    "no values": [{"cell": "task0_softmax_matches_reference"}],
    "object dtype": [array_payload(__array__="|O")],
    "pickle-like dtype": [array_payload(__array__="V8")],
    "negative shape": [array_payload(shape=[-4])],
    "shape too large for the data": [array_payload(shape=[5])],
    "shape too small for the data": [array_payload(shape=[3])],
    "not base64": [array_payload(zlib="!!!")],
    "not zlib": [array_payload(zlib=base64.b64encode(b"plain").decode())],
    "too many numbers": [array_payload(shape=[10**8])],
    "too deep": [{"cell": "task0_softmax_matches_reference", "values": {"x": [[[[[[[[[[[[1]]]]]]]]]]]]}}],
    "too large": [{"cell": "task0_softmax_matches_reference", "values": {"x": "y" * (MAX_CHARS + 10)}}],
    "unknown kind": [{"cell": "task0_softmax_matches_reference", "values": {"x": {"__array__": "<f8"}}}],
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_observations_fail_the_cell_with_a_message(case):
    with pytest.raises(ObservationError) as failure:
        observations_of(cell_with(*BAD[case]))
    assert str(failure.value).startswith("the test's observations")


def test_a_decompression_bomb_is_cut_short():
    bomb = base64.b64encode(zlib.compress(b"\0" * 400_000_000, 9)).decode()  # 400 MB of zeros, ~400 kB
    with pytest.raises(ObservationError, match="size does not match"):  # inflating stops at the announced 32 bytes
        observations_of(cell_with(array_payload(shape=[4], zlib=bomb)))


def test_missing_observations_say_what_may_have_happened():
    with pytest.raises(ObservationError, match="missing: did your code stop or replace the cell's output"):
        observations_of(cell_with())
