"""What this machine's sandbox can do: bubblewrap, uid separation, the seccomp filter.

    python -m mlpkit.sandbox            # prints the answers (mlpkit/sandbox/__main__.py)

Each answer is probed once per process (and per effective uid) by running bubblewrap
itself, with the very options mlpkit/sandbox/plan.py uses.
"""
import os
import shutil
import struct
import subprocess

from mlpkit.sandbox.inside import protocol
from mlpkit.sandbox.uids import next_kernel_uid

# seccomp: refuse socket(AF_UNIX, ...) so student code cannot reach daemons listening on
# unix sockets that a read-only mount leaves reachable. socketpair() (asyncio, zmq) stays
# allowed, so does every other family (the network namespace has only loopback).
_AUDIT_ARCH = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}  # arch id, socket nr
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_EACCES = 0x00050000 | 13
_X32_SYSCALL_BIT = 0x40000000
PROBE_TIMEOUT = 20  # seconds for one trial bubblewrap (not a limit of student code)

_probe_cache = {}


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


def popen(argv, *, seccomp=None, **popen_kw):
    """Popen `argv` (bwrap ...) in a new session, handing `seccomp` (a BPF program) to bwrap
    --seccomp through a pipe."""
    argv = list(argv)
    if not seccomp:
        return subprocess.Popen(argv, start_new_session=True, **popen_kw)
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, seccomp)  # a few dozen bytes: fits the pipe buffer
        os.close(write_end)
        argv[1:1] = ["--seccomp", str(read_end)]
        return subprocess.Popen(argv, start_new_session=True, pass_fds=(read_end,), **popen_kw)
    finally:
        os.close(read_end)


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
            try:
                proc = popen(cmd, seccomp=program, cwd="/", env={"PATH": os.environ.get("PATH", "")},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                ok = proc.wait(timeout=PROBE_TIMEOUT) == 0
            except (OSError, subprocess.TimeoutExpired):
                ok = False
        _probe_cache[key] = ok
    return _probe_cache[key]


def _probe():
    key = os.geteuid()
    if key not in _probe_cache:
        _probe_cache[key] = _run_probe()
    return _probe_cache[key]


def _works(cmd):
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=PROBE_TIMEOUT)
        return proc.returncode == 0, proc.stderr.strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, str(e)


def _run_probe():
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False, "bubblewrap (bwrap) is not installed", False
    base = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", protocol.TMP,
            "--unshare-net", "--unshare-pid", "--die-with-parent"]
    if os.geteuid() != 0:
        base.insert(1, "--unshare-user")
    ok, err = _works(base + ["--", "/bin/true"])
    if not ok:
        return False, f"bubblewrap failed: {err}", False
    if os.geteuid() != 0:
        return True, "bubblewrap works (user namespace; no uid separation without root)", False
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return True, "bubblewrap works, but setpriv (util-linux) is missing: no uid separation", False
    # The exact recipe of build_command: keep SETUID/SETGID, then drop to a spare uid.
    uid = str(next_kernel_uid())
    ok, err = _works(base + ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--", setpriv,
                             f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "/bin/true"])
    if not ok:
        return True, f"bubblewrap works, but dropping to another uid failed ({err}): no uid separation", False
    return True, "bubblewrap works, with uid separation", True
