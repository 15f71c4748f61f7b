"""Overhead of the sandbox: one small lab-like notebook, sandboxed vs unsandboxed.

    PYTHONPATH=. python benchmarks/sandbox_overhead.py [--runs 5] [--lab]

Runs `mlpkit.sandbox.run.run_notebook` alternately with sandbox="require" and "off" on a
notebook that imports numpy, pandas and matplotlib and does a little work (or, with
--lab, on source/mlp_lab/mlp_lab.ipynb in grading mode), and
prints the median wall time per run and where it goes (bwrap alone, runner start-up
with its imports, kernel start, cells). Figures are recorded in docs/sandbox.md.
"""
import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nbformat  # noqa: E402
from nbformat.v4 import new_code_cell, new_notebook  # noqa: E402

from mlpkit.sandbox import machine, run as execute  # noqa: E402
from mlpkit.limits import GradingLimits  # noqa: E402

CELLS = [
    "import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt",
    "rng = np.random.default_rng(0)\nw = rng.standard_normal((784, 30))\nx = rng.random((1000, 784))\n"
    "h = 1 / (1 + np.exp(-(x @ w)))",
    "df = pd.DataFrame({'lr': [0.1, 1.0], 'acc': [0.8, 0.9]})\nprint(df.to_string())",
    "fig, ax = plt.subplots()\nax.plot(h.mean(axis=0))\nplt.close(fig)",
    "assert h.shape == (1000, 30)",
]


def bare_bwrap_seconds(runs):
    cmd = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
           "--unshare-net", "--unshare-pid", "--die-with-parent", "--", "/bin/true"]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--lab", action="store_true",
                   help="run the source lab notebook (grading mode) instead of the small one")
    args = p.parse_args()
    if args.lab:
        lab = Path(__file__).resolve().parents[1] / "source" / "mlp_lab"
        nb = nbformat.read(lab / "mlp_lab.ipynb", as_version=4)
        workdir = lab
    else:
        nb = new_notebook(cells=[new_code_cell(c) for c in CELLS])
        nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
        workdir = None
    usable, detail = machine.probe()
    if not usable:
        print(f"sandbox unusable here ({detail}); nothing to compare")
        return 1
    rows = {"require": [], "off": []}
    with tempfile.TemporaryDirectory() as scratch:
        work = workdir or scratch
        execute.run_notebook(nb, work, limits=GradingLimits(), sandbox="off")  # warm the page cache
        for _ in range(args.runs):
            for mode in ("require", "off"):
                t = time.perf_counter()
                executed, report = execute.run_notebook(nb, work, limits=GradingLimits(), sandbox=mode)
                wall = time.perf_counter() - t
                assert not report["events"], report["events"]
                rows[mode].append((wall, report["timings"]))
    print(f"bare bwrap start (/bin/true): {bare_bwrap_seconds(args.runs) * 1000:.0f} ms")
    print(f"{'mode':<12}{'wall s':>8}{'runner start':>14}{'kernel start':>14}{'cells':>8}")
    medians = {}
    for mode, label in (("require", "sandboxed"), ("off", "unsandboxed")):
        wall = statistics.median(r[0] for r in rows[mode])
        runner = statistics.median(r[1]["runner_start"] for r in rows[mode])
        kernel = statistics.median(r[1]["kernel_start"] for r in rows[mode])
        total = statistics.median(r[1]["total"] for r in rows[mode])
        cells = total - runner - kernel
        medians[mode] = wall
        print(f"{label:<12}{wall:>8.2f}{runner:>14.2f}{kernel:>14.2f}{cells:>8.2f}")
    print(f"sandboxed / unsandboxed: {medians['require'] / medians['off']:.2f}x "
          f"({(medians['require'] - medians['off']) * 1000:+.0f} ms per notebook), median of {args.runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
