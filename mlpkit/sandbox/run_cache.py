"""The run cache: a notebook whose code, working files and limits were run before is not run again.

    run_notebook_cached(nb, workdir, cache_dir, refresh=False, **run_notebook_kw) -> (executed_nb, report)

`cache_dir/<cache_key(nb)>.json` holds the executed notebook and its report; a course's runs
are in its folder of the kit's cache (`Course.run_cache_dir`, mlpkit/paths.py). See
docs/sandbox.md, "Cache".
"""
import copy
import hashlib
import json
import logging
import os
from pathlib import Path

import nbformat

from mlpkit import __version__
from mlpkit.sandbox import run

log = logging.getLogger(__name__)

# Bump when the runner's semantics change: cached runs of older kits are then ignored.
CACHE_SALT = f"mlpkit-execute-{__version__}-runner-2"


def cache_key(nb):
    """SHA-256 over the code cells' sources, in order, salted with the kit's version."""
    h = hashlib.sha256(CACHE_SALT.encode())
    for cell in nb.cells:
        if cell.cell_type == "code":
            source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
            h.update(b"\x00cell\x00" + source.encode("utf-8"))
    return h.hexdigest()


def _files_digest(workdir):
    """Digest of the working files, so a changed data file invalidates cached runs."""
    h = hashlib.sha256()
    for path in run.working_files(workdir):
        h.update(str(path.relative_to(workdir)).encode() + b"\x00")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _code_cell_indices(nb):
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def _graft(nb, executed, report):
    """Copy outputs of `executed` onto the code cells of `nb` (same code, maybe other markdown)."""
    target = copy.deepcopy(nb)
    src_idx, dst_idx = _code_cell_indices(executed), _code_cell_indices(target)
    for s, d in zip(src_idx, dst_idx):
        target.cells[d].outputs = nbformat.from_dict(copy.deepcopy(executed.cells[s].get("outputs", [])))
        target.cells[d].execution_count = executed.cells[s].get("execution_count")
    mapping = dict(zip(src_idx, dst_idx))
    report = copy.deepcopy(report)
    for event in report["events"]:
        if event.get("cell") is not None:
            event["cell"] = mapping.get(event["cell"], event["cell"])
    return target, report


def run_notebook_cached(nb, workdir, cache_dir, refresh=False, **kw):
    """`run_notebook` through `cache_dir/<cache_key(nb)>.json`; returns (executed_nb, report).

    A hit needs the same code, the same working files and the same limits and sandbox
    mode; `report["cached"]` says whether it was one. Incomplete runs are not stored.
    refresh: run even on a hit (and store the new run).
    """
    if not cache_dir:
        executed, report = run.run_notebook(nb, workdir, **kw)
        report["cached"] = False
        return executed, report
    cache_dir = Path(cache_dir)
    path = cache_dir / f"{cache_key(nb)}.json"
    params = {"limits": kw["limits"].key(), "sandbox": kw.get("sandbox", "auto"), "env": kw.get("env") or {},
              "files": _files_digest(workdir)}
    if path.is_file() and not refresh:
        try:
            entry = json.loads(path.read_text())
            if entry.get("params") == params:
                executed, report = _graft(nb, nbformat.from_dict(entry["notebook"]), entry["report"])
                report["cached"] = True
                return executed, report
        except (ValueError, KeyError, OSError):
            log.warning("ignoring unreadable cache entry %s", path)
    executed, report = run.run_notebook(nb, workdir, **kw)
    report["cached"] = False
    if report.get("complete"):
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps({"params": params, "notebook": executed, "report": report}))
        os.replace(tmp, path)  # atomic: parallel workers never read half an entry
    return executed, report
