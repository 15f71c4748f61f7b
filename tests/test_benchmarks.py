"""The benchmark scripts cannot rot: each runs with --small, exits 0 and prints its table.

No timing is asserted anywhere (figures belong in docs/performance.md). What is checked:
- benchmarks/notebook_code.py keeps the notebook's definitions and never runs its
  experiments or tests (a toy notebook whose experiment and test cells would raise);
- on the real lab, it defines Network and the reference Task1 without training;
- every script, run as a subprocess with --small, exits 0 and prints its table rows
  (slow: a few minutes in all).

Run: PYTHONPATH=. python -m pytest tests/test_benchmarks.py -q
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
SOURCE_NB = REPO / "source" / "mlp_lab" / "mlp_lab.ipynb"
sys.path.insert(0, str(BENCH))

import notebook_code  # noqa: E402

needs_lab = pytest.mark.skipif(not SOURCE_NB.is_file(), reason="the lab notebook does not exist yet")


def _meta(gid, *, grade=False, solution=False):
    meta = {"grade": grade, "grade_id": gid, "locked": not solution, "schema_version": 3, "solution": solution}
    if grade:
        meta["points"] = 1
    return {"nbgrader": meta}


def _toy_notebook(path):
    nb = new_notebook(cells=[
        new_markdown_cell("# toy"),
        new_code_cell("%matplotlib inline\nimport math\nSCALE = 2", metadata=_meta("setup")),
        new_code_cell("class Net:\n    def train(self):\n        raise RuntimeError('experiment ran')\n\n"
                      "history = Net().train()\nNet().train()\n", metadata=_meta("network")),
        new_code_cell("for _ in range(3):\n    raise RuntimeError('loop ran')"),
        new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return SCALE * x\n    ### END SOLUTION",
                      metadata=_meta("task0_double_solution", solution=True)),
        new_code_cell("# Check that double doubles.\nraise AssertionError('test ran')",
                      metadata=_meta("task0_double_doubles", grade=True)),
        new_code_cell("### BEGIN SOLUTION\nraise RuntimeError('task 4 experiment ran')\n### END SOLUTION",
                      metadata=_meta("task4_deep_experiments_solution", solution=True)),
    ])
    nbformat.write(nb, str(path))
    return path


def test_notebook_code_keeps_definitions_and_runs_no_experiment_or_test(tmp_path):
    path = _toy_notebook(tmp_path / "toy.ipynb")
    ns = notebook_code.notebook_namespace(path)           # raises if any experiment or test ran
    assert ns["double"](3) == 6 and ns["math"].pi > 3      # the solution and the set-up ran
    assert "Net" in ns and "history" not in ns             # class kept, training assignment dropped


def test_notebook_code_selects_cells_by_grade_id_and_content(tmp_path):
    path = _toy_notebook(tmp_path / "toy.ipynb")
    with pytest.raises(RuntimeError, match="experiment ran"):
        notebook_code.notebook_namespace(path, cells=["network"])   # the whole cell, training included
    with pytest.raises(RuntimeError, match="loop ran"):
        notebook_code.notebook_namespace(path, containing=["for _ in range"])
    with pytest.raises(RuntimeError, match="task 4"):
        notebook_code.notebook_namespace(path, solutions=["task0_double_solution",
                                                          "task4_deep_experiments_solution"])


@needs_lab
def test_notebook_code_gives_the_labs_classes_without_training():
    ns = notebook_code.notebook_namespace(SOURCE_NB)
    assert issubclass(ns["Task1"], ns["Network"])
    results = ns.get("model_results")
    assert results is not None and results.results == {}, "an experiment cell trained a model"


# ------------------------------------------------------------------ the scripts, --small

def _run(script, *args, timeout=1800):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run([sys.executable, str(BENCH / script), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{script} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


NUMBER = r"\s+(\d+\.\d+)"


@pytest.mark.slow
@needs_lab
def test_notebook_code_script_lists_the_cells_it_runs():
    out = _run("notebook_code.py", "--small")
    assert re.search(r"^\s+\d+\s+network\s+definitions", out, re.M), out
    assert re.search(r"^\s+\d+\s+task1_softmax_network_solution\s+reference solution", out, re.M), out
    assert re.search(r"classes defined: .*\bNetwork\b.*\bTask1\b", out), out


@pytest.mark.slow
@needs_lab
def test_epoch_time_small_prints_a_row_per_model():
    out = _run("epoch_time.py", "--small")
    assert "median s/epoch" in out, out
    for model in ("Network (given baseline", "Task1 (reference"):
        row = re.search(re.escape(model) + r".*?numpy\s+float64" + NUMBER + NUMBER, out)
        assert row and float(row.group(1)) > 0, f"no timing row for {model}:\n{out}"
    assert re.search(r"numpy BLAS: .*\d+ threads", out), out


@pytest.mark.slow
@needs_lab
def test_notebook_walltime_small_runs_grading_mode_cleanly():
    out = _run("notebook_walltime.py", "--small")
    assert "student mode" not in out, "--small must run grading mode only"
    assert re.search(r"grading mode .*: \d+\.\d s wall", out), out
    assert "cells that raised: none" in out, out      # the reference passes its own tests
    assert re.search(r"^\s+\d+\s+setup\s+\d+\.\d\d", out, re.M), out


@pytest.mark.slow
@needs_lab
def test_grading_throughput_small_grades_three_submissions_in_every_mode():
    out = _run("grading_throughput.py", "--small")
    for label in ("stock `nbgrader autograde`", "`mlpkit autograde --jobs 1`", "`mlpkit autograde` ("):
        row = re.search(re.escape(label) + r".*?" + NUMBER + NUMBER + NUMBER + r"\s+3/3\s+0\s", out, re.M)
        assert row, f"no row with 3/3 recorded and exit 0 for {label}:\n{out}"
    assert re.search(r"ratio stock / all .*: median \d+\.\d\dx, min-max \d+\.\d\d-\d+\.\d\dx", out), out
    assert re.search(r"^\s+mlpkit \(.*core-s/sub.*(\s+\d+\.\d){9}$", out, re.M), "no projection row:\n" + out
    assert "per-cell scores, --jobs 1 vs all cores: identical" in out, out
    assert "where one submission's seconds go" in out and "record via nbgrader autograde" in out, out
    assert "fork + exit of an interpreter with those imported" in out, out


@pytest.mark.slow
@needs_lab
def test_run_all_runs_the_chosen_scripts():
    out = _run("run_all.py", "--small", "--only", "notebook_code")
    assert "=== notebook_code: exit 0" in out and "classes defined" in out, out
