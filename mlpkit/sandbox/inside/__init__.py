"""What runs inside the sandbox: the runner and the zygote, standalone scripts that never import mlpkit.

The folder is bound read-only into every sandbox at protocol.RUNNER_DIR and started as
`python runner.py` (mlpkit/sandbox/plan.py); its modules import each other by their plain
names and need only the standard library, nbformat, nbclient, jupyter_client and ipykernel.

- `protocol.py`: every constant shared across the sandbox wall (the observation MIME type,
  the paths inside the sandbox, the frames of --serve); the grader imports it from here.
- `runner.py`: the entry point: reads a notebook (or, with --serve, many), applies limits,
  writes the executed notebook and its events.
- `execution.py`: one notebook cell by cell: timeouts, dead kernels, fork bombs, events.
- `kernels.py`: how a kernel is started (its own uid, or forked by the zygote), killed with
  what it left running, and restarted with the earlier cells replayed.
- `outputs.py`: output caps, and the error outputs the runner writes.
- `zygote.py`: warm kernels: each submission's session and kernels forked from a pre-imported one.

Nothing here is imported by the grader except protocol.py.
"""
