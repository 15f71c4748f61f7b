"""The sandbox around one notebook run: the bubblewrap command line, the environment and limits.

mlpkit/execute.py builds a command with `build_command` and runs it; docs/sandbox.md
explains the layers. Try it by hand:

    python -m mlpkit.sandbox            # prints whether and how this machine sandboxes

Layers (all set up here, enforced by the kernel of the OS):
- mount namespace: the whole file system read-only, with the course root, /root,
  /home and the grader's HOME replaced by empty tmpfs; the interpreter (venv and
  base Python) re-bound read-only if it lives under a hidden folder; /tmp a fresh,
  size-limited tmpfs holding the working directory /tmp/work (a copy of the
  notebook's files, never the notebook itself);
- network namespace (loopback only), pid namespace (the sandbox dies as a whole),
  ipc and uts namespaces, no capabilities for student code, and a seccomp filter
  refusing unix sockets (reachable through any read-only mount);
- a unique unprivileged uid for the kernel (when the grader is root): student code
  cannot signal, trace or write to the runner that reports its results, and
  RLIMIT_NPROC (not enforced for root) stops fork bombs;
- resource limits (address space, CPU seconds, file size, open files, processes;
  mlpkit.limits.GradingLimits) and a wall-clock timeout applied by the caller;
- a scrubbed environment (`sandbox_env`).
"""
import itertools
import json
import os
import shutil
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

RUNNER = Path(__file__).with_name("_runner.py")
ZYGOTE = Path(__file__).with_name("_zygote.py")  # imported by the runner with --serve

# Paths inside the sandbox.
SANDBOX_TMP = "/tmp"
SANDBOX_WORKDIR = "/tmp/work"
SANDBOX_GIVEN = "/tmp/.given"        # read-only copy of the notebook's files, seeded into WORKDIR
SANDBOX_RUNNER = "/tmp/.runner/_runner.py"
SANDBOX_ZYGOTE = "/tmp/.runner/_zygote.py"
SANDBOX_HOME = "/tmp/home"
SANDBOX_MPLCACHE = "/tmp/.mplcache"  # read-only font list, copied into the fresh MPLCONFIGDIR

# Folders hidden behind an empty tmpfs besides the course root and the grader's HOME
# (/srv holds nbgrader's exchange; /mnt and /media are where shares get mounted; /run
# holds daemons' unix sockets, which a read-only mount does not stop anyone connecting to).
ALWAYS_HIDDEN = ("/root", "/home", "/srv", "/mnt", "/media", "/run")
# The kit's own checkout is a course too (source/ holds the reference solutions).
KIT_ROOT = Path(__file__).resolve().parent.parent

# Kernel uids: one per run, unique among live grader processes (pid_max is at most 2^22,
# so base + pid * 512 + k stays below 2^32 - 1), 512 per process before one comes back;
# RLIMIT_NPROC then counts only that run's processes, and no run can signal another's.
_UID_BASE = 2_000_000_000
_UIDS_PER_PROCESS = 512
_uid_counter = itertools.count()
_uid_lock = threading.Lock()


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
        argv = list(self.argv)
        if not self.seccomp:
            return subprocess.Popen(argv, cwd=self.cwd, env=self.env, start_new_session=True, **popen_kw)
        read_end, write_end = os.pipe()
        try:
            os.write(write_end, self.seccomp)  # a few dozen bytes: fits the pipe buffer
            os.close(write_end)
            argv[1:1] = ["--seccomp", str(read_end)]
            return subprocess.Popen(argv, cwd=self.cwd, env=self.env, start_new_session=True,
                                    pass_fds=(read_end,), **popen_kw)
        finally:
            os.close(read_end)


# seccomp: refuse socket(AF_UNIX, ...) so student code cannot reach daemons listening on
# unix sockets that a read-only mount leaves reachable. socketpair() (asyncio, zmq) stays
# allowed, so does every other family (the network namespace has only loopback).
_AUDIT_ARCH = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}  # arch id, socket nr
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_EACCES = 0x00050000 | 13
_X32_SYSCALL_BIT = 0x40000000


def seccomp_program(machine=None):
    """Classic BPF for bwrap --seccomp on this architecture, or None where unknown."""
    arch = _AUDIT_ARCH.get(machine or os.uname().machine)
    if arch is None:
        return None
    audit_arch, socket_nr = arch
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06   # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, BPF_RET|K
    program = [
        (ld, 0, 0, 4),                        # 0: A = arch
        (jeq, 0, 6, audit_arch),              # 1: other ABI (e.g. i386 emulation) -> deny all
        (ld, 0, 0, 0),                        # 2: A = syscall nr
        (jge, 4, 0, _X32_SYSCALL_BIT),        # 3: x32 syscalls -> deny
        (jeq, 0, 2, socket_nr),               # 4: not socket() -> allow
        (ld, 0, 0, 16),                       # 5: A = args[0] (low word): the family
        (jeq, 1, 0, 1),                       # 6: AF_UNIX -> deny
        (ret, 0, 0, _SECCOMP_RET_ALLOW),      # 7
        (ret, 0, 0, _SECCOMP_RET_EACCES),     # 8
    ]
    return b"".join(struct.pack("<HBBI", *insn) for insn in program)


_probe_cache = {}


def probe():
    """Return (usable, detail): can bubblewrap build our sandbox on this machine?"""
    return _probe()[:2]


def uid_separation_available():
    """Can the kernel run as its own unprivileged uid (grader is root, setpriv works in bwrap)?"""
    return _probe()[2]


def seccomp_available():
    """Does bwrap accept our seccomp program here (see seccomp_program)?"""
    key = ("seccomp", os.geteuid())
    if key not in _probe_cache:
        program = seccomp_program()
        ok = False
        if program is not None and probe()[0]:
            cmd = [shutil.which("bwrap"), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                   "--unshare-net", "--unshare-pid", "--die-with-parent", "--", "/bin/true"]
            if os.geteuid() != 0:
                cmd.insert(1, "--unshare-user")
            plan = Plan(argv=cmd, cwd="/", env={"PATH": os.environ.get("PATH", "")}, sandboxed=True,
                        uid_separation=False, seccomp=program)
            try:
                proc = plan.start(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                ok = proc.wait(timeout=20) == 0
            except (OSError, subprocess.TimeoutExpired):
                ok = False
        _probe_cache[key] = ok
    return _probe_cache[key]


def _probe():
    key = os.geteuid()
    if key not in _probe_cache:
        _probe_cache[key] = _run_probe()
    return _probe_cache[key]


def _run_probe():
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False, "bubblewrap (bwrap) is not installed", False
    base = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            "--unshare-net", "--unshare-pid", "--die-with-parent"]
    if os.geteuid() != 0:
        base.insert(1, "--unshare-user")

    def works(cmd):
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
            return proc.returncode == 0, proc.stderr.strip()
        except (OSError, subprocess.TimeoutExpired) as e:
            return False, str(e)

    ok, err = works(base + ["--", "/bin/true"])
    if not ok:
        return False, f"bubblewrap failed: {err}", False
    if os.geteuid() != 0:
        return True, "bubblewrap works (user namespace; no uid separation without root)", False
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return True, "bubblewrap works, but setpriv (util-linux) is missing: no uid separation", False
    # The exact recipe of build_command: keep SETUID/SETGID, then drop to a spare uid.
    uid = str(next_kernel_uid())
    ok, err = works(base + ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--", setpriv,
                            f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "/bin/true"])
    if not ok:
        return True, f"bubblewrap works, but dropping to another uid failed ({err}): no uid separation", False
    return True, "bubblewrap works, with uid separation", True


_mpl_cache = {}


def matplotlib_font_cache():
    """A folder holding matplotlib's font list for this interpreter, built once on the host.

    Every run starts with an empty MPLCONFIGDIR, where matplotlib would rebuild its
    font list (0.3-0.5 s) on the first import; the runner copies this one in instead.
    Returns None when matplotlib is not installed or the build fails.
    """
    with _uid_lock:  # one build per process, even with runs in threads
        cached = _mpl_cache.get("dir", False)
        if cached is False or (cached is not None and not list(cached.glob("fontlist-*.json"))):
            _mpl_cache["dir"] = _build_matplotlib_font_cache()
    return _mpl_cache["dir"]


def _build_matplotlib_font_cache():
    folder = None
    try:
        version = metadata.version("matplotlib")
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        folder = base / "mlpkit" / f"matplotlib-{version}-py{sys.version_info[0]}{sys.version_info[1]}"
        if not list(folder.glob("fontlist-*.json")):
            folder.mkdir(parents=True, exist_ok=True)
            subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                           env={"MPLCONFIGDIR": str(folder), "PATH": os.environ.get("PATH", "")},
                           capture_output=True, timeout=120)
        if not list(folder.glob("fontlist-*.json")):
            folder = None
    except (metadata.PackageNotFoundError, OSError, subprocess.TimeoutExpired):
        folder = None
    return folder


def next_kernel_uid():
    with _uid_lock:
        k = next(_uid_counter) % _UIDS_PER_PROCESS
    return _UID_BASE + os.getpid() * _UIDS_PER_PROCESS + k


def sandbox_env(nbgrader_execution="autograde", home=SANDBOX_HOME, tmp=SANDBOX_TMP, extra=None):
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
    """Folders replaced by an empty tmpfs: the course, home folders and the grader's HOME."""
    hidden = [str(Path(course_root).resolve())] if course_root else []
    if (KIT_ROOT / "nbgrader_config.py").is_file():
        hidden.append(str(KIT_ROOT))
    hidden += [p for p in ALWAYS_HIDDEN if os.path.isdir(p)]
    home = os.environ.get("HOME", "")
    if home and os.path.isdir(home) and Path(home).resolve() != Path("/"):
        hidden.append(str(Path(home).resolve()))
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
    """Return a Plan that runs `_runner.py runner_args` on the files copied into `staging`.

    limits: a GradingLimits (its resource limits are applied here).
    serve: a long-lived runner (`_runner.py --serve`) that runs many notebooks, each with the
    files `staging` holds at that moment, in its own uid and /tmp; None where that needs uid
    separation and there is none.

    mode: "require" (raise SandboxUnavailable if bwrap fails), "auto" (fall back to an
    unsandboxed run) or "off". `staging` is a host folder holding the notebook's working
    files (not the notebook); `course_root` is hidden from student code.
    """
    usable, detail = probe() if mode != "off" else (False, "sandbox switched off")
    if serve and not (usable and uid_separation_available()):
        return None
    if mode == "require" and not usable:
        raise SandboxUnavailable(
            f"the sandbox is required but unavailable: {detail}. Install bubblewrap "
            "(Debian/Ubuntu: apt-get install bubblewrap) or grade with sandbox='auto'.")
    if not usable:
        return _unsandboxed(runner_args, staging, nbgrader_execution, limits, env_extra)

    root = os.geteuid() == 0
    uid_separation = uid_separation_available()
    argv = [shutil.which("bwrap"), "--die-with-parent", "--new-session",
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--hostname", "sandbox",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    if not root:
        argv.insert(1, "--unshare-user")
    hidden = hidden_folders(course_root)
    for folder in hidden:
        argv += ["--tmpfs", folder]
    argv += ["--size", str(limits.tmp_bytes), "--perms", "1777", "--tmpfs", SANDBOX_TMP]
    # After the tmpfs mounts: a venv inside the course (or anywhere under /tmp, as in a
    # fresh clone there) must come back, read-only, or the sandbox has no Python.
    for folder in interpreter_folders():
        covering = [h for h in hidden + [SANDBOX_TMP] if _is_under(folder, h)]
        if covering:
            # bwrap would create the missing parents with mode 0700, which the kernel's
            # own uid cannot traverse: create them 0755 first.
            top = min(covering, key=lambda h: len(Path(h).parts))
            for parent in reversed(Path(folder).parents):
                if _is_under(parent, top) and parent != Path(top):
                    argv += ["--perms", "0755", "--dir", str(parent)]
            argv += ["--ro-bind", folder, folder]
    argv += [
             "--ro-bind", str(staging), SANDBOX_GIVEN,
             "--ro-bind", str(RUNNER), SANDBOX_RUNNER,
             "--ro-bind", str(ZYGOTE), SANDBOX_ZYGOTE,
             "--perms", "0777", "--dir", SANDBOX_WORKDIR,
             "--perms", "0777", "--dir", SANDBOX_HOME,
             "--chdir", SANDBOX_WORKDIR, "--clearenv"]
    env = sandbox_env(nbgrader_execution, extra=env_extra)
    for key, value in env.items():
        argv += ["--setenv", key, value]
    runner = [sys.executable, SANDBOX_RUNNER, "--seed-from", SANDBOX_GIVEN, "--kill-strays",
              "--rlimits", json.dumps(limits.rlimits(with_nproc=uid_separation))]
    font_cache = matplotlib_font_cache()
    if font_cache is not None:
        argv[argv.index("--chdir"):argv.index("--chdir")] = ["--ro-bind-try", str(font_cache), SANDBOX_MPLCACHE]
        runner += ["--mpl-cache-from", SANDBOX_MPLCACHE]
    if uid_separation:
        # The runner keeps only what it needs to start and stop the kernel; the kernel gets nothing.
        # Serving, it also builds each submission's mount namespace (SYS_ADMIN) and drops the
        # kernel's capability bounding set itself (SETPCAP).
        caps = ["CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN"]
        for cap in caps + (["CAP_SYS_ADMIN", "CAP_SETPCAP"] if serve else []):
            argv += ["--cap-add", cap]
        if serve:
            # The interpreter folders under /tmp (a venv in a clone there) must stay visible
            # under each submission's fresh /tmp.
            keep = [f for f in interpreter_folders() if _is_under(f, SANDBOX_TMP)]
            runner += ["--serve", "--tmp-bytes", str(limits.tmp_bytes), "--keep-in-tmp", json.dumps(keep)]
        else:
            uid = next_kernel_uid()
            runner += ["--kernel-uid", str(uid), "--kernel-gid", str(uid)]
    argv += ["--"] + runner + list(runner_args)
    return Plan(argv=argv, cwd="/", env=env, sandboxed=True, uid_separation=uid_separation,
                limits=limits.rlimits(with_nproc=uid_separation),
                seccomp=seccomp_program() if seccomp_available() else None)


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


def main():
    usable, detail = probe()
    print(f"sandbox usable: {usable} ({detail})")
    print(f"uid separation: {uid_separation_available()}")
    print(f"seccomp filter (no unix sockets): {seccomp_available()}")
    print(f"interpreter folders: {interpreter_folders()}")
    return 0 if usable else 1


if __name__ == "__main__":
    sys.exit(main())
