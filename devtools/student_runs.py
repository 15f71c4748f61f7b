"""A student's own run of an example submission: the notebook executed as a student runs it.

The example submissions (devtools/examples.py) carry the outputs of a real student-mode run,
so the demo class shows the TA view: the student's own tables and plots beside the
reflections (mlpkit/preprocessors/ta_view.py grafts them into the autograded notebook).
Student mode on the small committed subset: `MLP_LAB_SUBSET=1`, no `NBGRADER_EXECUTION`,
in a copy of release/mlp_lab/ (the data subset and the helper modules), with the lab's own
settings (10 epochs: the full solution runs in about 6 s on the subset). The progress
bars (JupyterLab widgets) are dropped from the saved outputs: without their widget state
they would show "0%" forever.
Errors are kept as outputs, as in a student's notebook; a dead kernel, a cell over
CELL_TIMEOUT (interrupted, as a student would) or the notebook's time limit ends the run
with the outputs so far.

    from devtools.student_runs import run_as_student, without_outputs
    nb = run_as_student(nb, release_dir)        # outputs in place, execution counts cleared

Developer tooling: runs our own examples with nbclient, outside the grading sandbox.
"""
import copy
import os
import shutil
import tempfile
import time

from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

CELL_TIMEOUT = 30        # the hanging example's cell is interrupted after this
NOTEBOOK_TIMEOUT = 300
ENV = {"MLP_LAB_SUBSET": "1", "NBGRADER_EXECUTION": None}
WIDGET = "application/vnd.jupyter.widget-view+json"


def without_outputs(nb):
    """A copy of `nb` with no outputs, execution counts or run times (how sources are compared)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
    return nb


def _tidy(nb):
    """No execution counts, no widget outputs (progress bars)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count = None
            cell.outputs = [o for o in cell.get("outputs", []) if WIDGET not in o.get("data", {})]
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = None
    return nb


class _StudentClient(NotebookClient):
    """nbclient with a time limit for the whole notebook."""

    def __init__(self, nb, **kwargs):
        super().__init__(nb, **kwargs)
        self.deadline = time.monotonic() + NOTEBOOK_TIMEOUT

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if time.monotonic() > self.deadline:
            return cell
        return await super().async_execute_cell(cell, cell_index, execution_count, store_history)


def run_as_student(nb, release_dir):
    """`nb` executed in student mode in a copy of `release_dir`; returns it with its outputs."""
    nb = copy.deepcopy(without_outputs(nb))
    metadata = copy.deepcopy(nb.metadata)   # nbclient adds the kernel's language_info: kept as handed in
    env_backup = {k: os.environ.get(k) for k in ENV}
    for key, value in ENV.items():   # the kernel inherits this process's environment
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        with tempfile.TemporaryDirectory(prefix="mlp-student-run-") as tmp:
            work = shutil.copytree(release_dir, os.path.join(tmp, "mlp_lab"),
                                   ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
            client = _StudentClient(nb, timeout=CELL_TIMEOUT, allow_errors=True, interrupt_on_timeout=True,
                                    record_timing=False,
                                    kernel_name="python3", resources={"metadata": {"path": work}})
            try:
                client.execute()
            except (DeadKernelError, CellTimeoutError, RuntimeError):
                pass   # the kernel died (the crash example): the outputs so far are the student's
    finally:
        for key, value in env_backup.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    nb.metadata = metadata
    return _tidy(nb)
