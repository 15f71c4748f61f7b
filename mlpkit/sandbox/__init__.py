"""Running student notebooks: the sandbox around a run, the runner inside it, and the run cache.

    python -m mlpkit.sandbox                 # whether and how this machine sandboxes
    python -m mlpkit.sandbox.run nb.ipynb    # run one notebook, print its report

Step 2 of a submission's path (docs/design.md), from the outside in:
- `run_cache.py`: `run_notebook_cached`, the cache of executed runs, keyed by code, files and limits;
- `run.py`: `run_notebook`, one notebook in a cold or a warm sandbox, and its report;
- `cold.py`, `warm.py`: the two sandboxes behind one interface, `box.run(notebook, files, wall)`:
  one bubblewrap per notebook, or one per grading worker that forks each student's kernel;
- `plan.py`: the bubblewrap command line, the environment and the resource limits of a run;
- `machine.py`, `uids.py`, `fonts.py`: what this machine offers (bubblewrap, uid separation,
  seccomp), the kernels' uids, matplotlib's font list;
- `inside/`: what runs inside the sandbox (the runner and the zygote, no mlpkit imports),
  and `inside/protocol.py`, every constant shared across the sandbox wall.
"""
