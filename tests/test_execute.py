"""Runner semantics of mlpkit.sandbox.run on toy notebooks: errors, timeouts, dead kernels,
replay, output caps, infrastructure faults, the cache and the nbgrader preprocessor.

Small limits (cell timeout 3 s) keep the suite quick; the sandbox is used where
bubblewrap works ("auto"), and one test forces the unsandboxed path.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mlpkit.limits import GradingLimits
from mlpkit.sandbox import machine, plan, run, run_cache

FAST = dict(limits=GradingLimits(cell_timeout=3, notebook_timeout=40))


def make_nb(*sources):
    cells = [new_markdown_cell(s[3:]) if s.startswith("md:") else new_code_cell(textwrap.dedent(s))
             for s in sources]
    nb = new_notebook(cells=cells)
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def text_of(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def error_names(cell):
    return [o.ename for o in cell.outputs if o.output_type == "error"]


def kinds(report, cell=None):
    return [e["kind"] for e in report["events"] if cell is None or e["cell"] == cell]


@pytest.fixture
def workdir(tmp_path):
    folder = tmp_path / "autograded" / "alice" / "lab"
    folder.mkdir(parents=True)
    (folder / "helper.py").write_text("ANSWER = 42\n")
    (folder / "lab.ipynb").write_text("{}")  # the notebook itself must not be copied
    return folder


def test_normal_run_keeps_outputs_and_working_files(workdir):
    nb = make_nb("import helper, os\nprint(helper.ANSWER, sorted(os.listdir('.')))", "6 * 7")
    executed, report = run.run_notebook(nb, workdir, **FAST)
    assert text_of(executed.cells[0]) == "42 ['helper.py']\n"
    assert executed.cells[1].outputs[0].data["text/plain"] == "42"
    assert report["events"] == [] and report["complete"] is True
    assert report["sandboxed"] == machine.probe()[0]
    assert nb.cells[0].outputs == []  # the caller's notebook is left alone


def test_error_does_not_stop_later_cells(workdir):
    nb = make_nb("x = 1", "1 / 0", "print(x + 1)")
    executed, report = run.run_notebook(nb, workdir, **FAST)
    assert error_names(executed.cells[1]) == ["ZeroDivisionError"]
    assert text_of(executed.cells[2]) == "2\n"
    assert kinds(report) == ["error"]


def test_timeout_ends_the_cell_and_later_cells_still_pass(workdir):
    nb = make_nb("x = 5\nprint('first')", "import time\ntime.sleep(60)", "print('later', x)")
    executed, report = run.run_notebook(nb, workdir, **FAST)
    assert error_names(executed.cells[1]) == ["CellTimeoutError"]
    assert "did not finish within 3 s" in executed.cells[1].outputs[-1].evalue
    # Cell 2 sees x only because cell 0 was replayed in the new kernel; its output is not doubled.
    assert text_of(executed.cells[2]) == "later 5\n"
    assert text_of(executed.cells[0]) == "first\n"
    assert kinds(report, 1) == ["timeout"]
    assert report["seconds"] < 25


def test_os_exit_kills_only_its_cell_and_replay_restores_state(workdir):
    nb = make_nb("x = 1", "x = 2\nraise ValueError('not replayed')", "import os\nos._exit(1)",
                 "print('after exit', x)")
    executed, report = run.run_notebook(nb, workdir, **FAST)
    assert error_names(executed.cells[2]) == ["DeadKernelError"]
    # Replay re-runs only the cells that succeeded: x comes from cell 0, not the failed cell 1.
    assert text_of(executed.cells[3]) == "after exit 1\n"
    assert kinds(report, 2) == ["kernel_died"]


def test_reply_error_without_traceback_still_leaves_an_error_output(workdir):
    # A student who silences tracebacks must not turn a failing test cell into a pass.
    nb = make_nb("get_ipython().showtraceback = lambda *a, **k: None", "assert False, 'test fails'")
    executed, _ = run.run_notebook(nb, workdir, **FAST)
    assert error_names(executed.cells[1]) == ["AssertionError"]


def test_notebook_deadline_marks_remaining_cells(workdir):
    nb = make_nb("import time\ntime.sleep(2.5)", "time.sleep(2.5)", "print('never')")
    executed, report = run.run_notebook(nb, workdir, limits=GradingLimits(cell_timeout=3, notebook_timeout=4))
    assert error_names(executed.cells[1]) == ["CellTimeoutError"]
    assert error_names(executed.cells[2]) == ["CellTimeoutError"]
    assert "time limit" in executed.cells[2].outputs[0].evalue
    assert "never" not in text_of(executed.cells[2])
    assert "timeout" in kinds(report, 2)


def test_output_flood_is_capped_but_the_error_survives(workdir):
    nb = make_nb("for i in range(200_000):\n    print('flood' * 20)\nraise ValueError('after flood')",
                 "print('next')")
    executed, report = run.run_notebook(nb, workdir, limits=GradingLimits(cell_timeout=20, notebook_timeout=40))
    cell = executed.cells[0]
    assert len(json.dumps(cell.outputs)) < 150_000
    assert "output truncated" in text_of(cell)
    assert error_names(cell) == ["ValueError"]
    assert "output_truncated" in kinds(report, 0)
    assert text_of(executed.cells[1]) == "next\n"


def test_nbgrader_execution_is_passed_and_the_environment_scrubbed(workdir, monkeypatch):
    monkeypatch.setenv("MLPKIT_TEST_SECRET", "do-not-leak")
    nb = make_nb("import os\nprint(os.environ['NBGRADER_EXECUTION'], 'MLPKIT_TEST_SECRET' in os.environ)")
    executed, _ = run.run_notebook(nb, workdir, env={"NBGRADER_EXECUTION": "validate"}, **FAST)
    assert text_of(executed.cells[0]) == "validate False\n"


def test_unsandboxed_fallback_warns_and_says_so(workdir, monkeypatch):
    monkeypatch.setattr(machine, "probe", lambda *a: (False, "bubblewrap (bwrap) is not installed"))
    nb = make_nb("print('ran')")
    with pytest.raises(plan.SandboxUnavailable, match="required but unavailable"):
        run.run_notebook(nb, workdir, sandbox="require", **FAST)
    with pytest.warns(RuntimeWarning, match="UNSANDBOXED"):
        executed, report = run.run_notebook(nb, workdir, sandbox="auto", **FAST)
    assert report["sandboxed"] is False
    assert text_of(executed.cells[0]) == "ran\n"


@pytest.mark.parametrize("argv", [[sys.executable, "-c", "import sys; sys.stdin.read(); print('garbage')"],
                                  ["/nonexistent/bwrap"]], ids=["garbage-output", "cannot-start"])
def test_a_crashed_runner_fails_every_code_cell(workdir, monkeypatch, argv):
    # Infrastructure fault: no result JSON. No cell may keep (or earn) points, nothing raises.
    real = plan.build_command

    def broken(**kw):
        built = real(**kw)
        built.argv = argv
        return built

    monkeypatch.setattr(plan, "build_command", broken)
    nb = make_nb("print(1)", "md:text", "assert True")
    executed, report = run.run_notebook(nb, workdir, **FAST)
    assert error_names(executed.cells[0]) == ["DeadKernelError"]
    assert error_names(executed.cells[2]) == ["DeadKernelError"]
    assert kinds(report) == ["kernel_died"] and report["complete"] is False


def test_cache_key_depends_on_code_only():
    nb = make_nb("x = 1", "md:words", "print(x)")
    other_text = make_nb("x = 1", "md:other words", "print(x)")
    other_code = make_nb("x = 2", "md:words", "print(x)")
    swapped = make_nb("print(x)", "md:words", "x = 1")
    assert run_cache.cache_key(nb) == run_cache.cache_key(other_text)
    assert run_cache.cache_key(nb) != run_cache.cache_key(other_code)
    assert run_cache.cache_key(nb) != run_cache.cache_key(swapped)


def test_cache_hit_skips_execution(workdir, tmp_path, monkeypatch):
    calls = []
    real = run.run_notebook

    def counting(nb, wd, **kw):
        calls.append(1)
        return real(nb, wd, **kw)

    monkeypatch.setattr(run, "run_notebook", counting)
    cache = tmp_path / "cache"
    nb = make_nb("md:intro", "print('hi')")
    first, report1 = run_cache.run_notebook_cached(nb, workdir, cache, **FAST)
    # Same code with other markdown: a hit, outputs grafted onto the new notebook.
    again, report2 = run_cache.run_notebook_cached(make_nb("md:changed", "md:more", "print('hi')"),
                                                 workdir, cache, **FAST)
    assert len(calls) == 1 and report2["cached"] and not report1["cached"]
    assert text_of(again.cells[2]) == "hi\n" and again.cells[1].cell_type == "markdown"
    # Other code, other working files or other limits: a miss.
    run_cache.run_notebook_cached(make_nb("print('ho')"), workdir, cache, **FAST)
    (workdir / "helper.py").write_text("ANSWER = 43\n")
    run_cache.run_notebook_cached(nb, workdir, cache, **FAST)
    run_cache.run_notebook_cached(nb, workdir, cache, limits=GradingLimits(cell_timeout=4, notebook_timeout=40))
    assert len(calls) == 4
    assert len(list(cache.glob("*.json"))) == 2


def test_cache_events_follow_the_grafted_cells(workdir, tmp_path):
    nb = make_nb("1 / 0")
    run_cache.run_notebook_cached(nb, workdir, tmp_path, **FAST)
    _, report = run_cache.run_notebook_cached(make_nb("md:a", "md:b", "1 / 0"), workdir, tmp_path, **FAST)
    assert report["cached"] and report["events"][0]["cell"] == 2


def test_importing_execute_stays_light():
    code = "import sys, mlpkit.sandbox.run_cache; print('nbgrader' in sys.modules, 'nbclient' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).parent.parent, env={**os.environ, "PYTHONPATH": "."})
    assert out.stdout.strip() == "False False"


TOY_CONFIG = """\
import os
c = get_config()
c.CourseDirectory.course_id = "toy"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.Autograde.autograde_preprocessors = [
    "mlpkit.preprocessors.sandboxed_execute.SandboxedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.GradingLimits.cell_timeout = 5
c.GradingLimits.notebook_timeout = 40
"""


def _nbgrader_cell(source, grade_id, **flags):
    meta = {"grade_id": grade_id, "schema_version": 3, "locked": False, "solution": False,
            "grade": False, "task": False, **flags}
    return new_code_cell(source, metadata={"nbgrader": meta})


@pytest.mark.slow
def test_nbgrader_autograde_scores_through_the_sandbox(tmp_path):
    """generate_assignment + autograde of a 3-cell toy course, with SandboxedExecute."""
    course = tmp_path / "course"
    (course / "source" / "toy").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(TOY_CONFIG)
    nb = make_nb()
    nb.cells = [
        _nbgrader_cell("def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION",
                       "add_solution", solution=True),
        _nbgrader_cell('"""Check that add adds."""\nassert add(1, 2) == 3', "test_add_visible",
                       grade=True, locked=True, points=1),
        _nbgrader_cell('"""Check that add handles negatives."""\nassert add(0, 0) == 0\n'
                       "### BEGIN HIDDEN TESTS\nassert add(-1, -2) == -3\n### END HIDDEN TESTS",
                       "test_add_hidden", grade=True, locked=True, points=2),
    ]
    nbformat.write(nb, course / "source" / "toy" / "toy.ipynb")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "PYTHONPATH": str(Path(__file__).parent.parent), "MLPKIT_REPORT_DIR": str(tmp_path / "reports")}
    run = lambda *a: subprocess.run([sys.executable, "-m", "nbgrader", *a], cwd=course, env=env,  # noqa: E731
                                    capture_output=True, text=True, timeout=300)
    assert run("generate_assignment", "toy").returncode == 0
    solutions = {"good": "def add(a, b):\n    return a + b",
                 "abs_bug": "def add(a, b):\n    return abs(a) + abs(b)",
                 "exits": "import os\ndef add(a, b):\n    os._exit(1)"}
    for student, code in solutions.items():
        target = course / "submitted" / student / "toy"
        target.mkdir(parents=True)
        released = nbformat.read(course / "release" / "toy" / "toy.ipynb", as_version=4)
        released.cells[0].source = code
        nbformat.write(released, target / "toy.ipynb")
    result = run("autograde", "toy")
    assert result.returncode == 0, result.stderr[-2000:]
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: {g.name: g.score for g in gb.find_submission_notebook("toy", "toy", s).grades}
                  for s in solutions}
    assert scores["good"] == {"test_add_visible": 1, "test_add_hidden": 2}
    assert scores["abs_bug"] == {"test_add_visible": 1, "test_add_hidden": 0}
    assert scores["exits"] == {"test_add_visible": 0, "test_add_hidden": 0}
    report = json.loads((tmp_path / "reports" / "exits.exec.json").read_text())
    assert "kernel_died" in [e["kind"] for e in report["events"]]
    assert report["sandboxed"] == machine.probe()[0]


def test_a_venv_inside_a_hidden_folder_under_tmp_comes_back_traversable(tmp_path, monkeypatch):
    """Check that an interpreter under the hidden course (itself under /tmp, as in a fresh
    clone there) is re-bound AFTER the /tmp tmpfs, with its parents made 0755 so the
    kernel's own uid can reach it (bwrap would create them 0700)."""
    if not machine.probe()[0]:
        pytest.skip("bubblewrap is not usable here")
    course = Path("/tmp/some-course")
    venv = course / ".venv"
    monkeypatch.setattr(plan, "interpreter_folders", lambda: [str(venv)])
    built = plan.build_command(runner_args=[], staging=tmp_path, course_root=course, limits=GradingLimits(),
                               mode="require")
    argv = built.argv
    bind = max(i for i, a in enumerate(argv) if a == "--ro-bind" and argv[i + 1] == str(venv))
    tmpfs_tmp = max(i for i, a in enumerate(argv) if a == "--tmpfs" and argv[i + 1] == "/tmp")
    assert bind > tmpfs_tmp, "the venv must be bound after /tmp is replaced, or it disappears"
    parent = argv.index(str(course))
    while not (argv[parent - 1] == "--dir" and argv[parent - 3:parent - 1] == ["--perms", "0755"]):
        parent = argv.index(str(course), parent + 1)
    assert tmpfs_tmp < parent < bind
