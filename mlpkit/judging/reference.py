"""The reference observations: what every probe sees when it runs on the source notebook's solutions.

    python -m mlpkit.judging.reference [COURSE_ROOT] [--assignment mlp_lab]   # compute (or reuse) and summarise

The judges compare a student's observations with these. They are computed once by running the
source notebook (the instructor's own code, so outside the sandbox) in grading mode, in a
scratch copy of `source/<assignment>/`, each cell within `GradingLimits.reference_cell_timeout`,
and cached by the content of that folder and the numpy version, in the kit's cache
(mlpkit/paths.py: `$MLPKIT_CACHE`, default `~/.cache/mlpkit`), out of the students' reach.
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import nbformat
import numpy as np
from nbclient import NotebookClient
from traitlets.config import Config

from mlpkit.judging.observations import OBSERVATIONS_MIME, ObservationError, observations_of
from mlpkit.limits import GradingLimits
from mlpkit.paths import cache_dir

_LOCK = threading.Lock()
_MEMO = {}


class ReferenceRunError(RuntimeError):
    """The source notebook's probes did not all run: the lab itself is broken (a grader fault)."""


def _fingerprint(source_dir):
    digest = hashlib.sha256(f"numpy {np.__version__}".encode())
    for path in sorted(p for p in Path(source_dir).rglob("*") if p.is_file() and "checkpoint" not in str(p)):
        digest.update(str(path.relative_to(source_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def reference_observations(source_dir, notebook="mlp_lab.ipynb", limits=None):
    """{grade_id: raw observation payload} of the source notebook's probes (cached).

    limits: a GradingLimits (its reference_cell_timeout); default: GradingLimits()'s."""
    source_dir = Path(source_dir)
    key = _fingerprint(source_dir)
    with _LOCK:
        if key in _MEMO:
            return _MEMO[key]
        path = cache_dir() / f"reference-{key}.json"
        try:
            payloads = json.loads(path.read_text())
        except (OSError, ValueError):
            payloads = _compute(source_dir, notebook, (limits or GradingLimits()).reference_cell_timeout)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(payloads))
            os.replace(tmp, path)
        _MEMO[key] = payloads
        return payloads


def _compute(source_dir, notebook, cell_timeout):
    with tempfile.TemporaryDirectory(prefix="mlpkit-reference-") as scratch:
        work = Path(scratch) / "lab"
        shutil.copytree(source_dir, work, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
        nb = nbformat.read(source_dir / notebook, as_version=4)
        env_before = os.environ.get("NBGRADER_EXECUTION")
        os.environ["NBGRADER_EXECUTION"] = "autograde"  # the kernel inherits it: grading mode
        try:
            # Unix sockets in the private scratch folder, not TCP: over TCP ipykernel warns "Kernel
            # is running over TCP without encryption" on the instructor's terminal at every run.
            sockets = Config({"KernelManager": {"transport": "ipc", "ip": str(Path(scratch) / "kernel")}})
            NotebookClient(nb, timeout=cell_timeout, allow_errors=True, kernel_name="python3",
                           resources={"metadata": {"path": str(work)}}, config=sockets).execute()
        finally:
            if env_before is None:
                os.environ.pop("NBGRADER_EXECUTION", None)
            else:
                os.environ["NBGRADER_EXECUTION"] = env_before
    payloads, broken = {}, []
    for cell in nb.cells:
        grade_id = (cell.metadata.get("nbgrader") or {}).get("grade_id")
        if cell.cell_type != "code" or not any(OBSERVATIONS_MIME in (o.get("data") or {}) for o in cell.get("outputs", [])):
            continue
        try:
            observations_of(cell)
        except ObservationError as error:
            broken.append(f"{grade_id}: {error}")
            continue
        payload = next(o["data"][OBSERVATIONS_MIME] for o in cell.outputs if OBSERVATIONS_MIME in (o.get("data") or {}))
        if payload["values"].get("error"):
            broken.append(f"{grade_id}: {payload['values']['error']}")
        payloads[grade_id] = payload
    if broken:
        raise ReferenceRunError("the source notebook's own probes failed:\n" + "\n".join(broken))
    return payloads


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("course", nargs="?", default=".")
    ap.add_argument("--assignment", default="mlp_lab")
    args = ap.parse_args(argv)
    payloads = reference_observations(Path(args.course) / "source" / args.assignment, f"{args.assignment}.ipynb")
    for grade_id, payload in payloads.items():
        print(f"{grade_id}: {len(json.dumps(payload))} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
