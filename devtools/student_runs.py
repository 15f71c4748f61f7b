"""A student's own run of an example submission: the notebook executed as a student runs it.

The example submissions (devtools/examples.py) carry the outputs of a real student-mode run,
so the demo class shows the TA view: the student's own tables and plots beside the
reflections (mlpkit/preprocessors/ta_view.py grafts them into the autograded notebook).
Student mode on the small committed subset: `MLP_LAB_SUBSET=1`, no `NBGRADER_EXECUTION`,
in a copy of release/mlp_lab/ (the data subset and the helper modules), with the
experiments' epochs cut to `EPOCHS` so a run stays short. Errors are kept as outputs, as
in a student's notebook; a dead kernel or the notebook's time limit ends the run with the
outputs so far.

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

# Epochs of the experiments in the examples' runs (ModelResults.epochs; the lab's default is 10).
EPOCHS = 2
CELL_TIMEOUT = 120
NOTEBOOK_TIMEOUT = 600
# Run right after the cell defining ModelResults' instance: the lab's own knob, as a student would.
EPOCHS_CELL = "model_results"


def without_outputs(nb):
    """A copy of `nb` with no outputs and no execution counts (how sources are compared)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def _clear_counts(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count = None
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = None
    return nb


class _StudentClient(NotebookClient):
    """nbclient, with the epochs cut after the ModelResults cell and a notebook time limit."""

    def __init__(self, nb, **kwargs):
        super().__init__(nb, **kwargs)
        self.deadline = time.monotonic() + NOTEBOOK_TIMEOUT

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if time.monotonic() > self.deadline:
            return cell
        result = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if cell.get("id") == EPOCHS_CELL or (cell.get("metadata", {}).get("nbgrader", {}) or {}).get(
                "grade_id") == EPOCHS_CELL:
            await self.kc_execute_silently(f"model_results.epochs = min(model_results.epochs, {EPOCHS})")
        return result

    async def kc_execute_silently(self, code):
        msg_id = self.kc.execute(code, silent=True, store_history=False)
        await self.async_wait_for_reply(msg_id)


def run_as_student(nb, release_dir):
    """`nb` executed in student mode in a copy of `release_dir`; returns it with its outputs."""
    nb = copy.deepcopy(without_outputs(nb))
    env_backup = {k: os.environ.get(k) for k in ("MLP_LAB_SUBSET", "NBGRADER_EXECUTION")}
    os.environ["MLP_LAB_SUBSET"] = "1"
    os.environ.pop("NBGRADER_EXECUTION", None)
    try:
        with tempfile.TemporaryDirectory(prefix="mlp-student-run-") as tmp:
            work = shutil.copytree(release_dir, os.path.join(tmp, "mlp_lab"),
                                   ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
            client = _StudentClient(nb, timeout=CELL_TIMEOUT, allow_errors=True, interrupt_on_timeout=True,
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
    return _clear_counts(nb)
