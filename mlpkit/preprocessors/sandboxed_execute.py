"""SandboxedExecute: nbgrader's execute step, run in mlpkit's sandbox with the course's limits.

nbgrader_config.py puts it in place of nbgrader's Execute, so every converter nbgrader
runs with the course's config (`nbgrader autograde`, the formgrader's buttons,
`mlpkit autograde`) executes student code sandboxed, limited and through the cache:

    c.Autograde.autograde_preprocessors = ["mlpkit.preprocessors.sandboxed_execute.SandboxedExecute", ...]
    c.GradingLimits.cell_timeout = 15            # the limits (mlpkit/limits.py)
    c.SandboxedExecute.sandbox = "require"       # refuse to run unsandboxed
    c.SandboxedExecute.cache_dir = "..."         # cache runs there (`mlpkit autograde` sets its course's)

Runs `mlpkit.sandbox.run_cache.run_notebook_cached`; the run's report goes to
`<report_dir>/<student>.exec.json` (read back by mlpkit/gradebook/record.py) and to
`resources["mlpkit"]["execution"]`.
"""
import json
import os
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Enum, Unicode, default

from mlpkit.limits import GradingLimits
from mlpkit.sandbox.run import SANDBOX_MODES
from mlpkit.sandbox.run_cache import run_notebook_cached


class SandboxedExecute(NbGraderPreprocessor):
    """nbgrader's execute step, run in mlpkit's sandbox (see mlpkit/sandbox/run.py)."""

    sandbox = Enum(SANDBOX_MODES, "auto", help='"auto", "require" or "off" (see docs/sandbox.md).').tag(config=True)
    cache_dir = Unicode("", help="Folder of cached runs (empty: no cache; `mlpkit autograde` uses its "
                                 "course's, in the kit's cache).").tag(config=True)
    report_dir = Unicode(help="Folder for <student>.exec.json reports (default: $MLPKIT_REPORT_DIR).").tag(config=True)
    reuse_sandbox = Bool(False, help="Run in this process's warm sandbox (mlpkit/sandbox/warm.py), as "
                                     "`mlpkit autograde`'s workers do; same results as a cold run.").tag(config=True)
    refresh = Bool(False, help="Ignore cached runs (the new run is cached).").tag(config=True)

    @default("report_dir")
    def _default_report_dir(self):
        return os.environ.get("MLPKIT_REPORT_DIR", "")

    def preprocess(self, nb, resources):
        workdir = resources.get("metadata", {}).get("path") or os.getcwd()
        student = resources.get("nbgrader", {}).get("student") or "unknown"
        executed, report = run_notebook_cached(nb, workdir, self.cache_dir or None, refresh=self.refresh,
                                               limits=GradingLimits(parent=self), sandbox=self.sandbox,
                                               reuse=self.reuse_sandbox)
        for event in report["events"]:
            if event["kind"] != "error":
                self.log.warning("%s: cell %s: %s: %s", student, event["cell"], event["kind"], event["message"])
        if self.report_dir:
            folder = Path(self.report_dir)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{student}.exec.json").write_text(json.dumps(report, indent=1))
        resources.setdefault("mlpkit", {})["execution"] = report
        return executed, resources
