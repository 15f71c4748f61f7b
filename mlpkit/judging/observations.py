"""Read what a hidden test's probe saw: the private output channel from the kernel to the judge.

A probe (the notebook's `lab_checks.probe`) publishes one `display_data` output of type
`OBSERVATIONS_MIME` holding `{"cell": grade_id, "values": ...}`: JSON, with arrays as
`{"__array__": dtype, "shape": [...], "zlib": base64}` (the format is
mlpkit/sandbox/inside/protocol.py's, the one home of what crosses the sandbox wall). Everything in it comes from student
code, so this module trusts nothing: no pickle, no eval, bounded sizes, dtypes from a short
list, decompression capped at the size the shape announces.

    values = observations_of(cell)    # the decoded values, or ObservationError with a clear message
"""
import base64
import binascii
import json
import zlib

import numpy as np

from mlpkit.sandbox.inside.protocol import ARRAY_DTYPES, ARRAY_KEY, OBSERVATIONS_MIME, UNENCODABLE_KEY

MAX_CHARS = 4_000_000        # one cell's observations, as JSON text
MAX_ELEMENTS = 2_000_000     # array entries in one cell's observations
MAX_DEPTH = 10
DTYPES = dict(zip(ARRAY_DTYPES, (np.float64, np.bool_)))


class ObservationError(ValueError):
    """The observations of a cell are missing, duplicated, too big or malformed."""


MISSING = ("the test's observations are missing: did your code stop or replace the cell's "
           "output, or end the kernel?")


def observations_of(cell):
    """The decoded values of the one observation output of `cell` (a grade cell)."""
    found = [o for o in cell.get("outputs", [])
             if o.get("output_type") in ("display_data", "execute_result")
             and OBSERVATIONS_MIME in (o.get("data") or {})]
    if not found:
        raise ObservationError(MISSING)
    if len(found) > 1:
        raise ObservationError(f"the test's observations were published {len(found)} times, "
                               "not once: did your code publish outputs of the test's own type?")
    payload = found[0]["data"][OBSERVATIONS_MIME]
    if isinstance(payload, str):  # nbformat may keep JSON payloads as text
        if len(payload) > MAX_CHARS:
            raise ObservationError("the test's observations are too large")
        try:
            payload = json.loads(payload)
        except ValueError:
            raise ObservationError("the test's observations are not valid JSON") from None
    elif len(json.dumps(payload)) > MAX_CHARS:
        raise ObservationError("the test's observations are too large")
    grade_id = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
    if not isinstance(payload, dict) or payload.get("cell") != grade_id or not isinstance(payload.get("values"), dict):
        raise ObservationError("the test's observations do not belong to this cell")
    budget = [MAX_ELEMENTS]
    return decode(payload["values"], budget)


def decode(value, budget, depth=0):
    """Plain Python values and numpy arrays from the JSON form written by `lab_checks._encode`."""
    if depth > MAX_DEPTH:
        raise ObservationError("the test's observations are nested too deeply")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [decode(v, budget, depth + 1) for v in value]
    if not isinstance(value, dict):
        raise ObservationError("the test's observations hold a value of an unknown kind")
    if ARRAY_KEY not in value:
        if UNENCODABLE_KEY in value:
            return Unencodable(str(value[UNENCODABLE_KEY])[:100])
        return {str(k): decode(v, budget, depth + 1) for k, v in value.items()}
    return _decode_array(value, budget)


class Unencodable:
    """Something the probe could not turn into numbers (the code under test returned it)."""

    def __init__(self, type_name):
        self.type_name = type_name

    def __repr__(self):
        return f"<a {self.type_name}>"


def _decode_array(value, budget):
    dtype, shape, data = value.get(ARRAY_KEY), value.get("shape"), value.get("zlib")
    if dtype not in DTYPES or not isinstance(shape, list) or not isinstance(data, str) \
            or not all(isinstance(n, int) and 0 <= n for n in shape) or len(shape) > 8:
        raise ObservationError("the test's observations hold a malformed array")
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    budget[0] -= count
    if budget[0] < 0:
        raise ObservationError("the test's observations hold too many numbers")
    nbytes = count * np.dtype(DTYPES[dtype]).itemsize
    try:
        inflate = zlib.decompressobj()
        raw = inflate.decompress(base64.b64decode(data, validate=True), nbytes + 1)
    except (binascii.Error, zlib.error, ValueError):
        raise ObservationError("the test's observations hold an array that cannot be read") from None
    if len(raw) != nbytes or inflate.unconsumed_tail:
        raise ObservationError("the test's observations hold an array whose size does not match its shape")
    return np.frombuffer(raw, dtype=DTYPES[dtype]).reshape(shape).copy()
