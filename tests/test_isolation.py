"""Nothing of one student reaches the next: student A leaves files, module patches, patched
globals and processes behind; student B, run next by the same grader process, sees none,
both when each gets a sandbox of its own and when both run in the same warm sandbox,
their kernels forked from one pre-imported zygote (mlpkit/warm.py).

The check can fail: with the sandbox off, B sees A's leftovers (last test).
"""
import os
import signal
import textwrap

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from mlpkit.sandbox import machine, warm
from mlpkit.sandbox.run import run_notebook
from mlpkit.limits import GradingLimits

pytestmark = pytest.mark.skipif(not machine.probe()[0], reason="bubblewrap is not usable here")

LIMITS = GradingLimits(cell_timeout=10, notebook_timeout=60)
MARK = "mlpkit-isolation-left-by-a"
PLACES = ["/tmp/{m}", "~/{m}", "{m}", "/dev/shm/{m}", "/var/tmp/{m}"]

STUDENT_A = textwrap.dedent(f'''
    import builtins, os, statistics, subprocess, sys, time
    import numpy
    MARK = {MARK!r}
    for place in {PLACES!r}:
        try:
            with open(os.path.expanduser(place.format(m=MARK)), "w") as f:
                f.write("A was here")
        except OSError:
            pass
    # A module B might import: the working folder is on the kernel's sys.path. (Not every
    # sys.path folder: unsandboxed, in the second test, that would write into the venv.)
    with open(MARK.replace("-", "_") + ".py", "w") as f:
        f.write("LEFT = True")
    statistics.mean = lambda *a, **k: "patched by A"       # a module patch (not json: the kernel needs it)
    numpy.allclose = lambda *a, **k: True                   # a monkeypatched global the tests use
    builtins.LEFT_BY_A = True
    os.environ["LEFT_BY_A"] = "1"
    # A process that escapes A's process group and session, and an orphaned daemon (its shell
    # parent exits at once, so it is re-parented).
    loop = [sys.executable, "-c", "while True: __import__('time').sleep(0.2)", MARK]
    subprocess.Popen(loop, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["sh", "-c", '"$@" >/dev/null 2>&1 &', "sh", *loop], start_new_session=True)
    time.sleep(0.5)
    print("A done")
''')

STUDENT_B = textwrap.dedent(f'''
    import builtins, importlib.util, os, statistics
    import numpy
    MARK = {MARK!r}
    seen = [p for p in {PLACES!r} if os.path.exists(os.path.expanduser(p.format(m=MARK)))]
    if importlib.util.find_spec(MARK.replace("-", "_")) is not None:
        seen.append("module")
    if statistics.mean([1, 3]) != 2:
        seen.append("module patch")
    if numpy.allclose(1, 2):
        seen.append("numpy patch")
    if hasattr(builtins, "LEFT_BY_A"):
        seen.append("builtins")
    if "LEFT_BY_A" in os.environ:
        seen.append("environment")
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and MARK in open(f"/proc/{{pid}}/cmdline").read():
                seen.append("process")
        except OSError:
            pass
    print("B sees:", sorted(set(seen)))
''')


def _notebook(source):
    nb = new_notebook(cells=[new_code_cell(source)])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _stdout(nb):
    return "".join(o.get("text", "") for c in nb.cells for o in c.outputs if o.get("output_type") == "stream")


def _host_processes_of_a():
    pids = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and MARK in open(f"/proc/{pid}/cmdline").read() and int(pid) != os.getpid():
                pids.append(int(pid))
        except OSError:
            pass
    return pids


def _a_then_b(tmp_path, mode, reuse=False):
    work = tmp_path / "work"
    work.mkdir()
    ran_a, report_a = run_notebook(_notebook(STUDENT_A), work, limits=LIMITS, sandbox=mode, reuse=reuse)
    assert "A done" in _stdout(ran_a), (ran_a.cells[0].outputs, report_a)
    left_on_host = _host_processes_of_a()
    ran_b, report_b = run_notebook(_notebook(STUDENT_B), work, limits=LIMITS, sandbox=mode, reuse=reuse)
    return _stdout(ran_b), left_on_host, (report_a, report_b)


def test_student_b_sees_nothing_student_a_left_behind(tmp_path):
    seen, left_on_host, _ = _a_then_b(tmp_path, "require")
    assert "B sees: []" in seen, seen
    assert left_on_host == [], "A's processes outlived A's run"
    assert not (tmp_path / "work" / MARK).exists() and not os.path.exists(f"/tmp/{MARK}")


@pytest.mark.skipif(not machine.uid_separation_available(), reason="warm sandboxes need uid separation (root)")
def test_in_one_warm_sandbox_student_b_sees_nothing_student_a_left_behind(tmp_path):
    warm.close_all()
    try:
        seen, left_on_host, (report_a, report_b) = _a_then_b(tmp_path, "require", reuse=True)
    finally:
        warm.close_all()
    assert report_a["warm"] and report_b["warm"], (report_a, report_b)
    # The same sandbox served both: B was its second notebook.
    assert (report_a["timings"]["served"], report_b["timings"]["served"]) == (1, 2)
    assert "B sees: []" in seen, seen
    assert left_on_host == [], "A's processes outlived A's run"


def test_without_the_sandbox_the_same_check_finds_a_leftovers(tmp_path):
    try:
        seen, _, _ = _a_then_b(tmp_path, "off")
        assert "B sees: []" not in seen and "process" in seen and "/tmp/{m}" in seen, seen
    finally:
        for pid in _host_processes_of_a():   # the daemons this test's student A started
            os.kill(pid, signal.SIGKILL)
        for place in ("/tmp/{m}", "/dev/shm/{m}", "/var/tmp/{m}"):
            if os.path.exists(place.format(m=MARK)):
                os.remove(place.format(m=MARK))
