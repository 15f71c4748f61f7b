"""A cold sandbox: one bubblewrap, one runner and one kernel for one notebook, then all gone.

The same interface as the warm sandbox (mlpkit/sandbox/warm.py), which run_notebook
(mlpkit/sandbox/run.py) uses where it can:

    box = ColdSandbox(limits=..., course_root=..., nbgrader_execution="autograde", env_extra={}, mode="auto")
    out, err, returncode, timed_out = box.run(notebook_json_bytes, files, wall_seconds)
    box.plan      # the Plan of the last run (what protected it)

`files` are the working files, [(path relative to the working folder, host path)]: they
are copied into a fresh scratch folder, which is all the student code sees of the course.
"""
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import warnings
from pathlib import Path

from mlpkit.sandbox import machine, plan as plans

log = logging.getLogger(__name__)

UNSANDBOXED_WARNING = ("mlpkit: running student code UNSANDBOXED ({detail}). It can read the "
                       "course files, the gradebook and the network. Install bubblewrap, or "
                       "pass sandbox='require' to refuse to grade without it.")


class ColdSandbox:
    def __init__(self, *, limits, course_root, nbgrader_execution, env_extra, mode):
        self.settings = dict(limits=limits, course_root=course_root, nbgrader_execution=nbgrader_execution,
                             env_extra=env_extra, mode=mode)
        self.plan = None

    def run(self, notebook_json, files, wall):
        """Run one notebook (JSON bytes); return (stdout, stderr, exit status, timed out)."""
        with tempfile.TemporaryDirectory(prefix="mlpkit-run-") as tmp:
            staging = Path(tmp) / "given"
            stage_files(files, staging)
            self.plan = plans.build_command(runner_args=self.settings["limits"].runner_args(), staging=staging,
                                            **self.settings)
            if not self.plan.sandboxed and self.settings["mode"] != "off":
                message = UNSANDBOXED_WARNING.format(detail=machine.probe()[1])
                log.warning(message)
                warnings.warn(message, RuntimeWarning, stacklevel=3)
            return _run(self.plan, notebook_json, wall)


def stage_files(files, staging):
    """Copy the working files [(relative path, host path)] into the new folder `staging`."""
    staging.mkdir()
    for relative, path in files:
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass


def _run(plan, payload, wall):
    """(stdout, stderr, exit status, timed out) of one run of `plan`."""
    try:
        proc = plan.start(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:  # e.g. bwrap vanished: a fault of the machine, not of the student
        return b"", str(e).encode(), None, False
    timed_out = False
    try:
        out, err = proc.communicate(payload, timeout=wall)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
        timed_out = True
    finally:
        kill_group(proc)  # nothing of the run outlives it
    return out, err, proc.returncode, timed_out
