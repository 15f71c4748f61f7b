"""One warm sandbox runs many notebooks (mlpkit/warm.py): each in its own uid and
/tmp, a crashed kernel re-forked in the same session, and a broken sandbox replaced.

The isolation between students is tests/test_isolation.py's; here, the life cycle.
"""
import os
import signal
import subprocess

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from mlpkit.sandbox import machine, warm
from mlpkit.sandbox.run import run_notebook
from mlpkit.limits import GradingLimits

pytestmark = pytest.mark.skipif(not (machine.probe()[0] and machine.uid_separation_available()),
                                reason="warm sandboxes need bubblewrap with uid separation (root)")

LIMITS = GradingLimits(cell_timeout=5, notebook_timeout=20, wall_slack=5)


@pytest.fixture(autouse=True)
def fresh_sandboxes():
    warm.close_all()
    yield
    warm.close_all()


def _notebook(*sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _run(tmp_path, *sources):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (work / "given.txt").write_text("a working file")
    return run_notebook(_notebook(*sources), work, limits=LIMITS, sandbox="require", reuse=True)


def _texts(nb):
    return ["".join(o.get("text", "") for o in c.outputs if o.get("output_type") == "stream") for c in nb.cells]


def _box():
    (box,) = warm._boxes.values()
    return box


def _descendant(pid, name):
    """The first process under `pid` whose command line contains `name`."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,args="], capture_output=True, text=True).stdout
    children = {}
    for line in out.splitlines():
        child, parent, args = line.split(None, 2)
        children.setdefault(int(parent), []).append((int(child), args))
    todo = [pid]
    while todo:
        for child, args in children.get(todo.pop(), []):
            if name in args:
                return child
            todo.append(child)
    return None


def test_notebooks_share_the_sandbox_but_not_their_uid_or_files(tmp_path):
    probe = "import os; print(os.getuid(), sorted(os.listdir('.')), sorted(os.listdir('/tmp')))"
    first, report1 = _run(tmp_path, probe, "open('mine.txt', 'w').write('x')")
    second, report2 = _run(tmp_path, probe)
    assert (report1["warm"], report1["timings"]["served"], report2["timings"]["served"]) == (True, 1, 2)
    uid1, uid2 = (int(_texts(nb)[0].split()[0]) for nb in (first, second))
    assert uid1 != uid2 and min(uid1, uid2) >= 2_000_000_000
    assert "'given.txt'" in _texts(second)[0] and "mine.txt" not in _texts(second)[0]


def test_a_dead_kernel_is_forked_again_in_the_same_session(tmp_path):
    ran, report = _run(tmp_path, "open('before.txt', 'w').write('x')", "import os; os._exit(1)",
                       "import os; print(os.path.exists('before.txt'))")
    assert [e["kind"] for e in report["events"]] == ["kernel_died"]
    assert _texts(ran)[2].strip() == "True"   # the replacement kernel sees the same working folder


def test_a_sandbox_killed_between_runs_is_replaced(tmp_path):
    _run(tmp_path, "print(1)")
    os.killpg(_box().proc.pid, signal.SIGKILL)
    ran, report = _run(tmp_path, "print(2)")
    assert _texts(ran) == ["2\n"] and report["timings"]["served"] == 1


def test_a_killed_zygote_costs_the_student_nothing(tmp_path):
    _run(tmp_path, "print(1)")
    runner = _descendant(_box().proc.pid, "runner.py")
    zygote = _descendant(runner, "runner.py")   # the zygote is the runner's forked child
    assert zygote, "no zygote found"
    os.kill(zygote, signal.SIGKILL)
    ran, report = _run(tmp_path, "print(3)")
    assert _texts(ran) == ["3\n"] and report["events"] == [] and report["timings"]["served"] == 1


def test_a_run_past_its_wall_clock_limit_closes_the_sandbox(tmp_path):
    limits = GradingLimits(cell_timeout=5, notebook_timeout=2, wall_slack=1)

    def run(source):
        return run_notebook(_notebook(source), tmp_path / "work", limits=limits, sandbox="require",
                                    reuse=True)

    (tmp_path / "work").mkdir()
    run("print(1)")
    # A runner that stops answering (stopped here from outside): only the grader's wall clock
    # (notebook_timeout + wall_slack) can end the run.
    os.kill(_descendant(_box().proc.pid, "runner.py"), signal.SIGSTOP)
    ran, report = run("print(2)")
    assert [e["kind"] for e in report["events"]] == ["limit", "kernel_died"], report["events"]
    assert ran.cells[0].outputs[0]["ename"] == "DeadKernelError" and not report["complete"]
    ran, report = run("print(3)")
    assert _texts(ran) == ["3\n"] and report["timings"]["served"] == 1   # a fresh sandbox
