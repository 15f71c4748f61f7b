"""The plan of one run: the bubblewrap command line, the environment and the limits around the runner.

mlpkit/sandbox/cold.py and warm.py start what `build_command` returns; docs/sandbox.md
explains the layers. `python -m mlpkit.sandbox` prints whether and how this machine sandboxes.

Layers (all set up here, enforced by the kernel of the OS):
- mount namespace: the whole file system read-only, with the course root, /root,
  /home, the grader's HOME and the kit's cache replaced by empty tmpfs; the interpreter
  (venv and base Python) re-bound read-only if it lives under a hidden folder; /tmp a fresh,
  size-limited tmpfs holding the working directory /tmp/work (a copy of the
  notebook's files, never the notebook itself) and the runner (mlpkit/sandbox/inside/);
- network namespace (loopback only), pid namespace (the sandbox dies as a whole),
  ipc and uts namespaces, no capabilities for student code, and a seccomp filter
  refusing unix sockets (reachable through any read-only mount; machine.py);
- a unique unprivileged uid for the kernel (when the grader is root; uids.py): student code
  cannot signal, trace or write to the runner that reports its results, and
  RLIMIT_NPROC (not enforced for root) stops fork bombs;
- resource limits (address space, CPU seconds, file size, open files, processes;
  mlpkit.limits.GradingLimits) and a wall-clock timeout applied by the caller;
- a scrubbed environment (`sandbox_env`).
"""
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mlpkit import paths
from mlpkit.sandbox import machine
from mlpkit.sandbox.fonts import matplotlib_font_cache
from mlpkit.sandbox.inside import protocol
from mlpkit.sandbox.uids import next_kernel_uid

INSIDE = Path(__file__).resolve().with_name("inside")   # bound at protocol.RUNNER_DIR
RUNNER = INSIDE / "runner.py"

# Folders hidden behind an empty tmpfs besides the course root, the grader's HOME and the kit's
# cache (/srv holds nbgrader's exchange; /mnt and /media are where shares get mounted; /run
# holds daemons' unix sockets, which a read-only mount does not stop anyone connecting to).
ALWAYS_HIDDEN = ("/root", "/home", "/srv", "/mnt", "/media", "/run")


class SandboxUnavailable(RuntimeError):
    """sandbox="require" but bubblewrap cannot be used on this machine."""


@dataclass
class Plan:
    """How one run is started: the command, its working folder and what protects it."""
    argv: list
    cwd: str
    env: dict
    sandboxed: bool
    uid_separation: bool
    limits: dict = field(default_factory=dict)
    seccomp: bytes = None  # BPF program handed to bwrap --seccomp through a pipe

    def start(self, **popen_kw):
        """Popen the run (in a new session, so the caller can kill its whole group)."""
        return machine.popen(self.argv, seccomp=self.seccomp, cwd=self.cwd, env=self.env, **popen_kw)


def sandbox_env(nbgrader_execution="autograde", home=protocol.HOME, tmp=protocol.TMP, extra=None):
    """The whole environment student code sees: nothing of the grader's."""
    bindir = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": tmp,
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{home}/.config/matplotlib",
        "IPYTHONDIR": f"{home}/.ipython",
        "JUPYTER_CONFIG_DIR": f"{home}/.jupyter",
        "JUPYTER_DATA_DIR": f"{home}/.local/share/jupyter",
        "JUPYTER_RUNTIME_DIR": f"{tmp}/.jupyter-runtime",
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NBGRADER_EXECUTION": nbgrader_execution,
    }
    env.update(extra or {})
    return env


def _is_under(path, folder):
    try:
        Path(path).relative_to(folder)
        return True
    except ValueError:
        return False


def hidden_folders(course_root):
    """Folders replaced by an empty tmpfs: the course, home folders, the grader's HOME, the kit's cache."""
    hidden = [str(Path(course_root).resolve())] if course_root else []
    if (paths.KIT_CHECKOUT / paths.CONFIG_FILE).is_file():
        hidden.append(str(paths.KIT_CHECKOUT))
    hidden += [p for p in ALWAYS_HIDDEN if os.path.isdir(p)]
    for folder in (os.environ.get("HOME", ""), str(paths.cache_dir())):
        # The cache holds reference observations and executed notebooks with hidden tests.
        if folder and os.path.isdir(folder) and Path(folder).resolve() != Path("/"):
            hidden.append(str(Path(folder).resolve()))
    # Hide outer folders before inner ones (an inner tmpfs under an outer one is pointless).
    hidden = sorted(set(hidden), key=lambda p: (len(Path(p).parts), p))
    return [h for h in hidden if not any(h != o and _is_under(h, o) for o in hidden)]


def interpreter_folders():
    """Folders the sandbox's Python needs: the venv, the base installation, the real binary."""
    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
               str(Path(os.path.realpath(sys.executable)).parent.parent)}
    return sorted({str(Path(f).resolve()) for f in folders})


def build_command(*, runner_args, staging, course_root, limits, nbgrader_execution="autograde",
                  env_extra=None, mode="auto", serve=False):
    """Return a Plan that runs `runner.py runner_args` on the files copied into `staging`.

    limits: a GradingLimits (its resource limits are applied here).
    serve: a long-lived runner (`runner.py --serve`) that runs many notebooks, each with the
    files `staging` holds at that moment, in its own uid and /tmp; None where that needs uid
    separation and there is none.

    mode: "require" (raise SandboxUnavailable if bwrap fails), "auto" (fall back to an
    unsandboxed run) or "off". `staging` is a host folder holding the notebook's working
    files (not the notebook); `course_root` is hidden from student code.
    """
    usable, detail = machine.probe() if mode != "off" else (False, "sandbox switched off")
    if serve and not (usable and machine.uid_separation_available()):
        return None
    if mode == "require" and not usable:
        raise SandboxUnavailable(
            f"the sandbox is required but unavailable: {detail}. Install bubblewrap "
            "(Debian/Ubuntu: apt-get install bubblewrap) or grade with sandbox='auto'.")
    if not usable:
        return _unsandboxed(runner_args, staging, nbgrader_execution, limits, env_extra)
    uid_separation = machine.uid_separation_available()
    argv = _mounts(course_root, limits, staging)
    env = sandbox_env(nbgrader_execution, extra=env_extra)
    for key, value in env.items():
        argv += ["--setenv", key, value]
    runner = [sys.executable, protocol.RUNNER_SCRIPT, "--seed-from", protocol.GIVEN, "--kill-strays",
              "--rlimits", json.dumps(limits.rlimits(with_nproc=uid_separation))]
    font_cache = matplotlib_font_cache()
    if font_cache is not None:
        argv[argv.index("--chdir"):argv.index("--chdir")] = ["--ro-bind-try", str(font_cache), protocol.MPLCACHE]
        runner += ["--mpl-cache-from", protocol.MPLCACHE]
    if uid_separation:
        argv, runner = _separate_uids(argv, runner, limits, serve)
    argv += ["--"] + runner + list(runner_args)
    return Plan(argv=argv, cwd="/", env=env, sandboxed=True, uid_separation=uid_separation,
                limits=limits.rlimits(with_nproc=uid_separation),
                seccomp=machine.seccomp_program() if machine.seccomp_available() else None)


def _mounts(course_root, limits, staging):
    """bwrap's namespaces and mounts: everything read-only, the course and homes hidden, a fresh
    /tmp with the notebook's files and the runner, the interpreter kept visible."""
    argv = [shutil.which("bwrap"), "--die-with-parent", "--new-session",
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--hostname", "sandbox",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    if os.geteuid() != 0:
        argv.insert(1, "--unshare-user")
    hidden = hidden_folders(course_root)
    for folder in hidden:
        argv += ["--tmpfs", folder]
    argv += ["--size", str(limits.tmp_bytes), "--perms", "1777", "--tmpfs", protocol.TMP]
    # After the tmpfs mounts: a venv inside the course (or anywhere under /tmp, as in a
    # fresh clone there) must come back, read-only, or the sandbox has no Python.
    for folder in interpreter_folders():
        covering = [h for h in hidden + [protocol.TMP] if _is_under(folder, h)]
        if covering:
            # bwrap would create the missing parents with mode 0700, which the kernel's
            # own uid cannot traverse: create them 0755 first.
            top = min(covering, key=lambda h: len(Path(h).parts))
            for parent in reversed(Path(folder).parents):
                if _is_under(parent, top) and parent != Path(top):
                    argv += ["--perms", "0755", "--dir", str(parent)]
            argv += ["--ro-bind", folder, folder]
    return argv + [
        "--ro-bind", str(staging), protocol.GIVEN,
        "--ro-bind", str(INSIDE), protocol.RUNNER_DIR,
        "--perms", "0777", "--dir", protocol.WORKDIR,
        "--perms", "0777", "--dir", protocol.HOME,
        "--chdir", protocol.WORKDIR, "--clearenv"]


def _separate_uids(argv, runner, limits, serve):
    """The runner keeps only what it needs to start and stop the kernel; the kernel gets nothing.
    Serving, it also builds each submission's mount namespace (SYS_ADMIN) and drops the
    kernel's capability bounding set itself (SETPCAP)."""
    caps = ["CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN"]
    for cap in caps + (["CAP_SYS_ADMIN", "CAP_SETPCAP"] if serve else []):
        argv += ["--cap-add", cap]
    if serve:
        # The interpreter folders under /tmp (a venv in a clone there) must stay visible
        # under each submission's fresh /tmp.
        keep = [f for f in interpreter_folders() if _is_under(f, protocol.TMP)]
        runner += ["--serve", "--tmp-bytes", str(limits.tmp_bytes), "--keep-in-tmp", json.dumps(keep)]
    else:
        uid = next_kernel_uid()
        runner += ["--kernel-uid", str(uid), "--kernel-gid", str(uid)]
    return argv, runner


def _unsandboxed(runner_args, staging, nbgrader_execution, limits, env_extra):
    """Same runner, scrubbed environment and limits (but no NPROC: it would count the grader's
    own processes), in a scratch folder next to the staging copy. No isolation."""
    work = Path(staging).parent / "work"
    home = Path(staging).parent / "home"
    work.mkdir(exist_ok=True)
    home.mkdir(exist_ok=True)
    env = sandbox_env(nbgrader_execution, home=str(home), tmp=str(Path(staging).parent), extra=env_extra)
    rl = limits.rlimits(with_nproc=False)
    argv = [sys.executable, str(RUNNER), "--seed-from", str(staging), "--rlimits", json.dumps(rl)]
    if matplotlib_font_cache() is not None:
        argv += ["--mpl-cache-from", str(matplotlib_font_cache())]
    return Plan(argv=argv + list(runner_args), cwd=str(work), env=env, sandboxed=False,
                uid_separation=False, limits=rl)
