"""One notebook, cell by cell: timeouts, dead kernels, fork bombs, each recorded as an event.

Inside the sandbox, beside runner.py (no mlpkit imports; imported after the zygote is forked).
`run_one(nb, args, started, zygote)` executes a notebook and returns the result the runner
sends back; runner.py's docstring lists the semantics. Starting, killing and restarting the
kernel (with the replay of the cells that had succeeded) is kernels.py's KernelLifecycle.
"""
import asyncio
import os
import time

from nbclient.exceptions import CellTimeoutError, DeadKernelError

from kernels import KernelLifecycle, kernel_manager_for
from outputs import CappedClient, ReplyErrorHook, error_output

STRAY_LIMIT_EVENT = 8  # this many leftover processes after a cell looks like a fork bomb
AFTER_RESTART = ("Later cells were run in a fresh kernel after re-running the earlier cells "
                 "that had succeeded.")


class Runner(KernelLifecycle):
    """Runs the notebook's code cells in order, each within its timeout, recording what happened."""

    def __init__(self, nb, args, started, zygote=None):
        super().__init__(nb, args, zygote)
        self.finished = set()  # indices of cells with their final outputs
        self.client = CappedClient(
            nb, timeout=args.cell_timeout, startup_timeout=args.startup_timeout,
            allow_errors=True, interrupt_on_timeout=False, error_on_timeout=None,
            kernel_name="python3", kernel_manager_class=kernel_manager_for(args.kernel_uid, args.kernel_gid, zygote),
            record_timing=False, shutdown_kernel="immediate", resources={"metadata": {"path": os.getcwd()}},
            max_cell_output=args.max_cell_output, max_total_output=args.max_total_output)
        self.timings = {"runner_start": round(time.monotonic() - started, 3)}

    async def run(self):
        c = self.client
        c.reset_execution_trackers()
        t0 = time.monotonic()
        try:
            await self.start_kernel()
            self.timings["kernel_start"] = round(time.monotonic() - t0, 3)
        except Exception as e:  # noqa: BLE001
            self.event(None, "kernel_died", f"the kernel did not start: {e}")
            for i, cell in enumerate(self.nb.cells):
                if cell.cell_type == "code" and cell.source.strip():
                    cell.outputs = [error_output("DeadKernelError", "The kernel did not start.")]
            return
        try:
            for i, cell in enumerate(self.nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                if time.monotonic() >= self.deadline:
                    cell.outputs = [error_output(
                        "CellTimeoutError",
                        f"Not run: the notebook's time limit ({self.args.notebook_timeout:g} s) was reached.")]
                    self.event(i, "timeout", "not run: notebook time limit reached")
                    self.finished.add(i)
                    continue
                if c.kc is None:  # a restart failed earlier
                    cell.outputs = [error_output("DeadKernelError", "Not run: the kernel could not be restarted.")]
                    self.event(i, "kernel_died", "not run: no kernel")
                    self.finished.add(i)
                    continue
                c.timeout = self._cell_timeout()
                await self.run_cell(i, cell)
                self.finished.add(i)
        finally:
            await self.kill_kernel()

    async def run_cell(self, i, cell):
        c = self.client
        try:
            await c.async_execute_cell(cell, i)
        except CellTimeoutError:
            failure = ("timeout", "CellTimeoutError",
                       f"This cell did not finish within {c.timeout:g} s and was stopped. {AFTER_RESTART}")
        except DeadKernelError:
            failure = ("kernel_died", "DeadKernelError",
                       "The kernel died while running this cell (it exited, crashed or hit a memory "
                       f"or process limit). {AFTER_RESTART}")
        except Exception as e:  # noqa: BLE001 - e.g. a protocol error from a hostile kernel
            failure = ("kernel_died", "DeadKernelError",
                       f"The kernel stopped answering while running this cell ({type(e).__name__}). "
                       f"{AFTER_RESTART}")
        else:
            await self._after_the_cell(i, cell)
            return
        await self._after_a_failure(i, cell, *failure)

    async def _after_the_cell(self, i, cell):
        """The cell ran to its end (maybe raising): record it, then sweep up what it left running."""
        c = self.client
        if any(o.get("output_type") == "error" for o in cell.outputs):
            err = next(o for o in cell.outputs if o.get("output_type") == "error")
            self.event(i, "error", f"{err.get('ename', '')}: {str(err.get('evalue', ''))[:200]}")
        else:
            self.succeeded.append(i)
        if i in c.truncated_cells:
            self.event(i, "output_truncated", "output over the limit was dropped")
        killed = self.kill_strays()
        if killed >= STRAY_LIMIT_EVENT:
            # A fork bomb: its killed children stay zombies of the kernel and use up the
            # process limit, so the kernel is replaced too.
            message = (f"This cell started too many processes ({killed}) and reached the "
                       "process limit; they were killed and the kernel restarted.")
            cell.outputs.append(error_output("ProcessLimitError", message))
            self.event(i, "limit", message)
            if i in self.succeeded:
                self.succeeded.remove(i)
            await self.restart_and_replay(i)

    async def _after_a_failure(self, i, cell, kind, ename, message):
        """The cell timed out or its kernel died: say so in the cell, then a fresh kernel."""
        crowd = len(self.kernel_side_pids())
        if crowd >= STRAY_LIMIT_EVENT:
            message = (f"This cell started too many processes ({crowd} alive, fork bomb?) and was "
                       f"stopped at the process limit. {AFTER_RESTART}")
            self.event(i, "limit", f"process limit: {crowd} processes")
        cell.setdefault("outputs", [])
        cell.outputs.append(error_output(ename, message))
        self.event(i, kind, message.split(". ")[0])
        if i in self.client.truncated_cells:
            self.event(i, "output_truncated", "output over the limit was dropped")
        await self.restart_and_replay(i)


def run_one(nb, args, started, zygote=None):
    """Execute `nb`; return (result dict for the caller, exit status)."""
    runner = Runner(nb, args, started, zygote)
    runner.client.on_cell_executed = ReplyErrorHook()
    status = 0
    try:
        asyncio.run(runner.run())
    except Exception as e:  # noqa: BLE001 - report what we have
        runner.event(None, "limit", f"runner error: {type(e).__name__}: {e}")
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and i not in runner.finished:
                # No outputs would mean full marks for a test cell: fail what did not run.
                cell.outputs = [error_output("DeadKernelError", "Not run: the notebook runner failed.")]
        status = 1
    return {"notebook": nb, "events": runner.events, "timings": runner.timings}, status
