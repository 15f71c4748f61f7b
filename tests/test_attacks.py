"""The adversarial suite: one hostile submission per attack, each with its asserted outcome.

All attack notebooks run once, concurrently, against a throw-away course outside
/tmp (so hiding the course root is really tested) with canary files: the solution
notebook, the gradebook, another student's submission and a secret in the grader's
HOME and environment. `python benchmarks/attack_table.py` prints the same attacks
as a table (recorded in docs/sandbox.md).

Most attacks need the sandbox; without bubblewrap they are skipped (unless
MLPKIT_REQUIRE_SANDBOX=1, as in CI), except the ones every mode must survive
(timeouts, exits, flooding, the static scan).
"""
import copy
import hashlib
import os
import shutil
import socket
import sqlite3
import tempfile
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from mlpkit import paths
from mlpkit.sandbox import machine, plan
from mlpkit.sandbox.uids import _UID_BASE
from mlpkit.sandbox.run import run_notebook
from mlpkit.limits import GradingLimits
from mlpkit.staging.scan import scan_notebook

SOLUTION_CANARY = "SOLUTION-CANARY-7f3a"
GRADEBOOK_CANARY = "GRADEBOOK-CANARY-91c2"
OTHER_CANARY = "OTHER-STUDENT-CANARY-55d0"
HOME_CANARY = "GRADER-HOME-CANARY-0b8e"
ENV_CANARY = "GRADER-ENV-CANARY-c4e1"
LIMITS = GradingLimits(cell_timeout=3, notebook_timeout=45)
SANDBOXED = machine.probe()[0]
# CI sets MLPKIT_REQUIRE_SANDBOX=1 where bubblewrap is installed: then nothing is skipped.
REQUIRE_SANDBOX = os.environ.get("MLPKIT_REQUIRE_SANDBOX") == "1"
needs_sandbox = pytest.mark.skipif(not SANDBOXED and not REQUIRE_SANDBOX,
                                   reason="bubblewrap unusable here: " + machine.probe()[1])

AFTER = "print('LATER-CELL-RAN', x)"  # every attack ends with this: grading goes on after it


def attacks(course, port, unix_socket):
    """name -> list of cell sources; cell 0 sets x, the last cell is AFTER."""
    c = str(course)
    return {
        "read_source_relative": [f"x = 1", "print(open('../../../source/lab/lab.ipynb').read())", AFTER],
        "read_course_absolute": [f"x = 1", f"print(open({c + '/source/lab/lab.ipynb'!r}).read())",
                                 f"import os\nprint(os.listdir({c!r}))", AFTER],
        "read_other_student": [f"x = 1", f"print(open({c + '/submitted/bob/lab/lab.ipynb'!r}).read())", AFTER],
        "write_gradebook": ["x = 1", f"import sqlite3\ndb = sqlite3.connect({c + '/gradebook.db'!r})\n"
                            "db.execute(\"update grade set score = 200\")\ndb.commit()", AFTER],
        "read_kit_checkout": ["x = 1", f"import os\nprint(sorted(os.listdir({str(paths.KIT_CHECKOUT)!r})))", AFTER],
        "list_system_folders": ["x = 1", "import os\nprint({p: os.listdir(p) for p in "
                                "('/run', '/srv', '/mnt', '/media', '/home', '/root') if os.path.isdir(p)})", AFTER],
        "read_grader_home": ["x = 1", f"print(open({os.environ['HOME'] + '/secret.txt'!r}).read())", AFTER],
        "print_environment": ["x = 1", "import os\nprint(dict(os.environ))", AFTER],
        "network_to_host": ["x = 1", f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)",
                            AFTER],
        "unix_socket_to_host": ["x = 1", f"import socket\ns = socket.socket(socket.AF_UNIX)\n"
                                f"s.connect({str(unix_socket)!r})", AFTER],
        "write_outside_scratch": ["x = 1", f"open({c + '/source/lab/lab.ipynb'!r}, 'w').write('pwned')",
                                  "open('/usr/lib/pwned', 'w').write('pwned')",
                                  "open('/tmp/work/ok.txt', 'w').write('scratch is writable')\nprint('scratch ok')",
                                  AFTER],
        "sigint_ignored_loop": ["x = 1", "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
                                AFTER],
        "os_exit": ["x = 1", "import os\nos._exit(1)", AFTER],
        "segfault": ["x = 1", "import ctypes\nctypes.string_at(0)", AFTER],
        "memory_bomb": ["x = 1", "hog = []\nwhile True:\n    hog.append(bytearray(2**26))", AFTER],
        "fork_bomb": ["x = 1", "import os\nwhile True:\n    os.fork()", AFTER],
        "infinite_loop": ["x = 1", "while True:\n    pass", AFTER],
        "output_flood": ["x = 1", "while True:\n    print('flood' * 200)", AFTER],
        "forge_runner_result": ["x = 1", "import os\nfor pid in os.listdir('/proc'):\n"
                                "    if pid.isdigit() and int(pid) != os.getpid():\n"
                                "        try:\n            os.kill(int(pid), 9)\n        except OSError as e:\n"
                                "            print('kill', pid, type(e).__name__)\n"
                                "        try:\n            open(f'/proc/{pid}/fd/1', 'w').write('{\"notebook\": {}}')\n"
                                "        except OSError as e:\n            print('write', pid, type(e).__name__)",
                                AFTER],
        "monkeypatch_numpy": ["x = 1", "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                              "np.isclose = lambda a, b, **k: np.ones_like(a, dtype=bool)\n"
                              "print(np.allclose(np.nan, 0.0))", AFTER],
        "shadow_numpy_with_a_file": ["x = 1", "import numpy as np\nprint(hasattr(np, 'SHADOWED'), np.allclose(1, 2))",
                                     AFTER],
        "symlinks_to_course_files": ["x = 1", "import os\nprint(sorted(os.listdir('.')), os.path.exists('data/gradebook_link.db'))",
                                     "print(open('solution_link.ipynb.txt').read())", AFTER],
        "leave_file_for_next_run": ["x = 1", "open('/tmp/work/planted.txt', 'w').write('hi')\n"
                                    "open('/tmp/planted.txt', 'w').write('hi')", AFTER],
        "find_planted_file": ["x = 1", "import os\nprint(os.path.exists('/tmp/work/planted.txt'), "
                              "os.path.exists('/tmp/planted.txt'))", AFTER],
    }


def _notebook(sources):
    nb = new_notebook(cells=[new_code_cell(textwrap.dedent(s)) for s in sources])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _make_course(root):
    (root / "source" / "lab").mkdir(parents=True)
    (root / "source" / "lab" / "lab.ipynb").write_text(f'{{"hidden": "{SOLUTION_CANARY}"}}')
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    db = sqlite3.connect(root / "gradebook.db")
    db.execute("create table grade (student text, score real, note text)")
    db.execute("insert into grade values ('bob', 1.0, ?)", (GRADEBOOK_CANARY,))
    db.commit()
    db.close()
    (root / "submitted" / "bob" / "lab").mkdir(parents=True)
    (root / "submitted" / "bob" / "lab" / "lab.ipynb").write_text(OTHER_CANARY)
    work = root / "autograded" / "mallory" / "lab"
    work.mkdir(parents=True)
    (work / "mnist_loader.py").write_text("def load_mnist():\n    return None\n")
    (work / "lab.ipynb").write_text(SOLUTION_CANARY)  # the autograded notebook holds hidden tests
    # Files a hostile student can submit next to the notebook:
    (work / "numpy.py").write_text("SHADOWED = True\nallclose = lambda *a, **k: True\n")
    (work / "data").mkdir()
    (work / "data" / "gradebook_link.db").symlink_to(root / "gradebook.db")
    (work / "solution_link.ipynb.txt").symlink_to(root / "source" / "lab" / "lab.ipynb")
    return work


def _digest(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


class _Listener:
    """A server on the host (TCP on loopback, or a world-writable unix socket at `path`)
    that counts the connections it accepts."""

    def __init__(self, path=None):
        if path is None:
            self.sock = socket.socket()
            self.sock.bind(("127.0.0.1", 0))
        else:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.bind(str(path))
            os.chmod(path, 0o777)
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1] if path is None else None
        self.accepted = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.accepted += 1
                conn.close()
            except OSError:
                continue

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()


# What may run without the sandbox: no fork bomb (RLIMIT_NPROC needs the kernel's own uid)
# and nothing that writes to the course.
SAFE_UNSANDBOXED = {"sigint_ignored_loop", "os_exit", "segfault", "memory_bomb", "infinite_loop",
                    "output_flood", "monkeypatch_numpy", "shadow_numpy_with_a_file",
                    "symlinks_to_course_files"}


def run_attacks(base, names=None, workers=3):
    """Run the attack notebooks (concurrently); return (results, course, digests, listener).

    `base` must be outside /tmp. results: name -> (executed_nb, report)."""
    course = Path(base) / "course"
    work = _make_course(course)
    home = Path(base) / "grader-home"
    home.mkdir()
    (home / "secret.txt").write_text(HOME_CANARY)
    before = _digest(course)
    listener = _Listener()
    unix_listener = _Listener(Path(base) / "daemon.sock")  # outside every hidden folder
    old_env = {k: os.environ.get(k) for k in ("HOME", "MLPKIT_ATTACK_CANARY")}
    os.environ["HOME"] = str(home)
    os.environ["MLPKIT_ATTACK_CANARY"] = ENV_CANARY
    try:
        table = attacks(course, listener.port, unix_listener.sock.getsockname())
        order = [n for n in table if n != "find_planted_file"]
        if names:
            order = [n for n in order if n in names]
        with ThreadPoolExecutor(workers) as pool:
            futures = {n: pool.submit(run_notebook, _notebook(table[n]), work, limits=LIMITS) for n in order}
            results = {n: f.result() for n, f in futures.items()}
        if not names or "find_planted_file" in names:
            results["find_planted_file"] = run_notebook(_notebook(table["find_planted_file"]), work, limits=LIMITS)
    finally:
        listener.close()
        unix_listener.close()
        listener.accepted += unix_listener.accepted
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return results, course, before, listener


@pytest.fixture(scope="module")
def attacked():
    # Outside /tmp: the sandbox's /tmp is a fresh tmpfs anyway, so only a course elsewhere
    # shows that the course root itself is hidden.
    base = Path(tempfile.mkdtemp(prefix="mlpkit-attacks-", dir="/var/tmp"))
    base.chmod(0o755)  # readable by anyone: only the sandbox may hide it
    try:
        yield run_attacks(base, names=None if SANDBOXED else SAFE_UNSANDBOXED)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def all_text(nb):
    return "\n".join(str(o) for cell in nb.cells for o in cell.get("outputs", []))


def errors(cell):
    return [o.ename for o in cell.outputs if o.output_type == "error"]


def kinds(report):
    return {e["kind"] for e in report["events"]}


def later_cell_ran(nb):
    return "LATER-CELL-RAN 1" in "".join(o.get("text", "") for o in nb.cells[-1].outputs)


@pytest.mark.skipif(not REQUIRE_SANDBOX, reason="MLPKIT_REQUIRE_SANDBOX is not set")
def test_the_sandbox_is_there_when_required():
    assert machine.probe()[0], machine.probe()[1]
    if os.geteuid() == 0:
        assert machine.uid_separation_available(), machine.probe()[1]


@needs_sandbox
def test_every_attack_left_the_course_untouched(attacked):
    results, course, before, _ = attacked
    assert _digest(course) == before
    for name, (nb, _) in results.items():
        for canary in (SOLUTION_CANARY, GRADEBOOK_CANARY, OTHER_CANARY, HOME_CANARY, ENV_CANARY):
            assert canary not in all_text(nb), f"{name} leaked {canary}"


def test_every_attack_lets_later_cells_run(attacked):
    results, *_ = attacked
    assert not [n for n, (nb, _) in results.items() if not later_cell_ran(nb)]


@needs_sandbox
@pytest.mark.parametrize("name", ["read_source_relative", "read_course_absolute", "read_other_student",
                                  "read_grader_home"])
def test_course_and_home_are_invisible(attacked, name):
    nb, report = attacked[0][name]
    assert errors(nb.cells[1]) == ["FileNotFoundError"]
    assert report["sandboxed"]


@needs_sandbox
def test_the_kit_checkout_with_its_reference_solutions_is_hidden(attacked):
    nb, _ = attacked[0]["read_kit_checkout"]
    # Only the mount point of a venv living inside the checkout (as `make setup` makes
    # it) may show: the interpreter is re-bound read-only; nothing else of the kit is.
    venv_names = {Path(f).relative_to(paths.KIT_CHECKOUT).parts[0] for f in plan.interpreter_folders()
                  if plan._is_under(f, paths.KIT_CHECKOUT)}
    assert set(eval(nb.cells[1].outputs[0].text)) <= venv_names  # noqa: S307 - our own printed list
    assert (paths.KIT_CHECKOUT / "mlpkit").is_dir()  # ...though it is there on the host


@needs_sandbox
def test_home_and_service_folders_are_empty(attacked):
    nb, _ = attacked[0]["list_system_folders"]
    listings = eval(nb.cells[1].outputs[0].text)  # noqa: S307 - our own printed dict
    for folder, entries in listings.items():
        # Only the mount points of an interpreter re-bound from a hidden folder may show.
        allowed = {Path(f).relative_to(folder).parts[0] for f in plan.interpreter_folders()
                   if Path(f).is_relative_to(folder)}
        assert set(entries) <= allowed, (folder, entries)
    assert "/run" in listings and os.listdir("/run")  # ...though the host's /run is not empty


@needs_sandbox
def test_gradebook_cannot_be_written(attacked):
    nb, _ = attacked[0]["write_gradebook"]
    assert errors(nb.cells[1])  # sqlite cannot even create a file where the course was
    db = sqlite3.connect(attacked[1] / "gradebook.db")
    assert db.execute("select score, note from grade").fetchall() == [(1.0, GRADEBOOK_CANARY)]


@needs_sandbox
def test_environment_is_scrubbed(attacked):
    nb, _ = attacked[0]["print_environment"]
    printed = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert "NBGRADER_EXECUTION" in printed and "MLPKIT_ATTACK_CANARY" not in printed
    assert "/tmp/home" in printed


@needs_sandbox
def test_network_to_the_host_is_refused(attacked):
    nb, _ = attacked[0]["network_to_host"]
    assert errors(nb.cells[1]) == ["ConnectionRefusedError"]
    assert attacked[3].accepted == 0


@needs_sandbox
def test_unix_sockets_on_the_host_are_unreachable(attacked):
    # The socket file is visible (read-only mounts do not stop connect()); seccomp does.
    nb, report = attacked[0]["unix_socket_to_host"]
    assert errors(nb.cells[1]) == ["PermissionError"]
    assert attacked[3].accepted == 0


@needs_sandbox
def test_only_scratch_is_writable(attacked):
    nb, _ = attacked[0]["write_outside_scratch"]
    assert errors(nb.cells[1]) == ["FileNotFoundError"]
    assert errors(nb.cells[2]) in (["OSError"], ["PermissionError"])
    assert "scratch ok" in nb.cells[3].outputs[0].text
    assert not Path("/usr/lib/pwned").exists()


@pytest.mark.parametrize("name,kind", [("sigint_ignored_loop", "timeout"), ("infinite_loop", "timeout"),
                                       ("os_exit", "kernel_died"), ("segfault", "kernel_died")])
def test_hanging_or_dying_cells_end_within_the_limit(attacked, name, kind):
    nb, report = attacked[0][name]
    assert kind in kinds(report)
    assert errors(nb.cells[1]) == [{"timeout": "CellTimeoutError", "kernel_died": "DeadKernelError"}[kind]]
    assert later_cell_ran(nb)
    assert report["seconds"] < LIMITS.cell_timeout + 20


@needs_sandbox
def test_memory_bomb_hits_the_memory_limit(attacked):
    nb, report = attacked[0]["memory_bomb"]
    # RLIMIT_AS: MemoryError in the cell, or the kernel dies/hangs and is replaced.
    assert errors(nb.cells[1])[0] in ("MemoryError", "DeadKernelError", "CellTimeoutError")
    assert later_cell_ran(nb)


@needs_sandbox
def test_fork_bomb_hits_the_process_limit(attacked):
    nb, report = attacked[0]["fork_bomb"]
    assert "limit" in kinds(report), report["events"]
    assert later_cell_ran(nb)
    assert report["seconds"] < LIMITS.cell_timeout + 20
    # Nothing of the run survives it (the kernel uid owns no process any more).
    uids = {os.stat(f"/proc/{p}").st_uid for p in os.listdir("/proc") if p.isdigit() and Path(f"/proc/{p}").exists()}
    assert not [u for u in uids if u >= _UID_BASE + os.getpid() * 8
                and u < _UID_BASE + os.getpid() * 8 + 8]


def test_output_flood_is_capped(attacked):
    nb, report = attacked[0]["output_flood"]
    assert "output_truncated" in kinds(report)
    assert len(str(nb.cells[1].outputs)) < 150_000


@needs_sandbox
def test_student_code_cannot_kill_or_forge_the_runner(attacked):
    nb, report = attacked[0]["forge_runner_result"]
    printed = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert "PermissionError" in printed  # the runner runs as another uid
    assert report["complete"] and later_cell_ran(nb)


def test_a_submitted_module_file_cannot_shadow_numpy(attacked):
    nb, _ = attacked[0]["shadow_numpy_with_a_file"]
    assert nb.cells[1].outputs[0].text == "False False\n"


def test_submitted_symlinks_are_not_followed(attacked):
    nb, _ = attacked[0]["symlinks_to_course_files"]
    assert nb.cells[1].outputs[0].text == "['mnist_loader.py', 'numpy.py'] False\n"
    assert errors(nb.cells[2]) == ["FileNotFoundError"]


@needs_sandbox
def test_runs_do_not_share_files(attacked):
    nb, _ = attacked[0]["find_planted_file"]
    assert nb.cells[1].outputs[0].text == "False False\n"


def scan_attack(nb):
    """Scan findings for an attack notebook, every cell treated as a solution cell."""
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        cell.metadata["nbgrader"] = {"solution": True, "grade_id": f"cell{index}_solution"}
    return scan_notebook(nb)


def test_monkeypatching_numpy_works_at_run_time_but_the_scan_flags_it(attacked):
    nb, _ = attacked[0]["monkeypatch_numpy"]
    assert nb.cells[1].outputs[0].text == "True\n"  # the patch works: tests must not trust np.*
    findings = scan_attack(nb)
    assert {(f.cell_grade_id, f.line) for f in findings} == {("cell1_solution", 2), ("cell1_solution", 3)}
    assert "np.allclose" in findings[0].reason


def test_the_scan_leaves_honest_attack_free_cells_alone(attacked):
    # Control for the test above: the cells around the attack raise no finding.
    nb, _ = attacked[0]["os_exit"]
    assert [f.cell_grade_id for f in scan_attack(nb)] == []


CHEATS = {
    "np.allclose = lambda *a, **k: True": "np.allclose",
    "numpy.testing.assert_allclose = lambda *a, **k: None": "numpy.testing.assert_allclose",
    "np.isclose, np.isfinite = f, f": "np.isclose",
    "np.testing.assert_array_equal = f": "np.testing.assert_array_equal",
    "builtins.abs = lambda v: 0": "builtins.abs",
    "__builtins__['all'] = lambda v: True": "__builtins__",
    "def max(*a):\n    return 0": "max",
    "probe = None": "probe",
    "lab_checks.probe = f": "lab_checks",
    "setattr(np, 'allclose', f)": "setattr",
    "del np.isclose": "np.isclose",
    "globals()['probe'] = None": "globals",
    "sys.modules['numpy'].allclose = f": "sys.modules",
    "import gc\ngc.get_objects()": "gc",
    "import ctypes": "ctypes",
    "import inspect\ninspect.currentframe().f_back.f_globals['x'] = 1": "frame",
    "import importlib\nimportlib.reload(np)": "importlib.reload",
    "get_ipython().showtraceback = f": "get_ipython",
    "sys.excepthook = f": "sys.excepthook",
    "import IPython\nIPython.get_ipython().run_cell = f": "get_ipython",
    "import __main__\n__main__.probe = None": "__main__",
    "np.__dict__['allclose'] = f": "__dict__",
    "setattr(getattr(np, 'testing'), 'assert_allclose', f)": "computed object",
    "exec(bytes.fromhex('6e702e616c6c636c6f7365203d2031').decode())": "exec",
    "import builtins as b\nb.abs = f": "builtins",
    "open('../../source/mlp_lab/mlp_lab.ipynb').read()": "outside the working folder",
    "np.load('/srv/course/gradebook.db')": "outside the working folder",
}

HONEST = '''\
import numpy as np
import builtins_free_helpers as helpers
from mnist_loader import load_mnist
from IPython.display import clear_output, display
import re
pattern = re.compile(r"lr=(\\d+)")
setattr_target = object()
rng = np.random.default_rng(0)
x_train, y_train, x_test, y_test = load_mnist(subset=True)
data = np.load('mnist_subset.npz')

def stable_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)

class Task2(Network):
    def __init__(self, sizes, lam=0.0, momentum=0.9):
        super().__init__(sizes)
        self.lam, self.momentum = lam, momentum
        self.velocity = [np.zeros_like(w) for w in self.weights]

    def learning_step(self, x, y, lr):
        grads_w, grads_b = self.backprop(x, y)
        for v, w, g in zip(self.velocity, self.weights, grads_w):
            v *= self.momentum
            v += g + self.lam * w
            w -= lr * v
        mask = x > 0.5
        x[mask] = 0.0
        x[...] = np.clip(x, 0, 1)
        self.history = {"loss": [], "acc": []}
        self.history["loss"].append(float(abs(np.mean(grads_w[0]))))
        for name, value in (("lr", lr), ("lam", self.lam)):
            setattr(self, name, value)
        os_env_free = dict(a=1)
        os_env_free["b"] = 2
        return max(len(self.history["acc"]), 0)
'''


def _solution_nb(source):
    nb = _notebook([source])
    nb.cells[0].metadata["nbgrader"] = {"solution": True, "grade_id": "task0_x_solution"}
    return nb


@pytest.mark.parametrize("code,expected", CHEATS.items(), ids=list(CHEATS))
def test_scan_flags_each_cheat(code, expected):
    source = "import numpy as np\nimport numpy\nimport builtins\nimport sys\nf = None\n" + code
    findings = scan_notebook(_solution_nb(source))
    assert findings, f"not flagged: {code}"
    assert any(expected in f.reason for f in findings), findings
    assert all(f.cell_grade_id == "task0_x_solution" and f.line >= 6 for f in findings
               if "builtins module" not in f.reason and "sys." not in f.reason)


def test_scan_raises_no_false_positive_on_honest_lab_code():
    assert scan_notebook(_solution_nb(HONEST)) == []


def test_scan_ignores_test_and_locked_cells():
    nb = _notebook(["np.allclose = f"])
    nb.cells[0].metadata["nbgrader"] = {"grade": True, "locked": True, "grade_id": "task0_test"}
    assert scan_notebook(nb) == []
