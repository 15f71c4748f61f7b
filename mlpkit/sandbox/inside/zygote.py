"""Warm kernels for a long-lived sandbox: fork each student's kernel from a pre-imported one.

Runs inside the sandbox, beside runner.py (standard library, protocol.py and ipykernel only).
`runner.py --serve` calls `Zygote.start()` first thing, before it has threads or zmq
sockets; the zygote process imports ipykernel and numpy once and then forks, per
submission:

- a *session* (root in the sandbox, with the capabilities bubblewrap granted): its own
  mount and IPC namespaces, a fresh size-limited tmpfs on /tmp holding a copy of the
  submission's files (/tmp/work) and an empty HOME (/tmp/home). It lives as long as
  the submission, so a kernel restarted after a crash sees the same working folder;
- per kernel (re)start, a *kernel*: limits applied, every capability dropped, the
  submission's own unprivileged uid, no file descriptor of ours, then ipykernel.

So each submission still gets its own process, uid, /tmp, IPC namespace and limits, as
a cold start in its own bubblewrap would; it only skips importing the interpreter's
libraries. The runner kills every process of the submission's uid before it ends the
session, and the session's namespace dies with it. Forking copies memory: nothing a
student changes (modules, globals, files) reaches the zygote or the next submission.

Protocol: one JSON object per line on two pipes (requests in, replies out).
    {"op": "session", "uid", "gid", "rlimits", "tmp_bytes", "seed", "mpl_cache", "keep"} -> {"pid"}
    {"op": "kernel", "connection": "<connection file text>", "argv": [...]}      -> {"pid"}
    {"op": "end"}                                                                 -> {"ended": status}
Errors reply {"error": "..."}.
"""
import ctypes
import json
import os
import resource
import shutil
import signal
import sys

from protocol import HOME, RUNTIME, TMP, WORKDIR

CLONE_NEWNS, CLONE_NEWIPC = 0x00020000, 0x08000000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 0x1, 0x20, 0x1000, 0x2000, 0x4000, 0x40000
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "numpy")
# The runner's modules this process holds from before the fork (runner.py is __main__).
RUNNER_MODULES = ("protocol", "zygote")
EXIT_UNSAFE = 70  # a kernel that could not drop its privileges never runs student code

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _read_line(fd):
    """One line from `fd`, byte by byte: no read-ahead buffer survives into a fork."""
    chunks = []
    while True:
        b = os.read(fd, 1)
        if not b:
            return None
        if b == b"\n":
            return json.loads(b"".join(chunks))
        chunks.append(b)


def _write_line(fd, obj):
    os.write(fd, json.dumps(obj).encode() + b"\n")


class Zygote:
    """The runner's handle on the zygote process."""

    def __init__(self, pid, requests, replies):
        self.pid, self.requests, self.replies = pid, requests, replies

    @classmethod
    def start(cls):
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            # Keep only our two pipe ends and stderr: not the runner's stdin (notebooks with
            # hidden tests arrive there) nor its result channel.
            devnull = os.open("/dev/null", os.O_RDONLY)
            os.dup2(devnull, 0)
            for fd in range(3, 1024):
                if fd not in (req_r, rep_w):
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            try:
                _zygote_main(req_r, rep_w)
            finally:
                os._exit(0)
        os.close(req_r)
        os.close(rep_w)
        return cls(pid, req_w, rep_r)

    def ask(self, **request):
        _write_line(self.requests, request)
        reply = _read_line(self.replies)
        if reply is None:
            raise RuntimeError("the zygote is gone")
        if "error" in reply:
            raise RuntimeError(f"zygote: {request['op']}: {reply['error']}")
        return reply


# ------------------------------------------------------------------ inside the zygote

def _zygote_main(requests, replies):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.modules["debugpy"] = None  # as the cold launcher: grading never debugs
    for name in PRELOAD:
        try:
            __import__(name)
        except Exception:  # noqa: BLE001 - the kernel then imports it itself
            pass
    while True:
        request = _read_line(requests)
        if request is None:
            return
        if request.get("op") != "session":
            _write_line(replies, {"error": f"no session for {request.get('op')!r}"})
            continue
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _session_main(request, requests, replies)
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        _write_line(replies, {"ended": status})


def _session_main(request, requests, replies):
    try:
        _private_tmp(request)
    except Exception as e:  # noqa: BLE001
        _write_line(replies, {"error": f"{type(e).__name__}: {e}"})
        return 1
    _write_line(replies, {"pid": os.getpid()})
    kernels = 0
    while True:
        request_k = _read_line(requests)
        while True:  # reap kernels that ended
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        if request_k is None or request_k.get("op") == "end":
            return 0
        kernels += 1
        pid = os.fork()
        if pid == 0:
            try:
                _kernel_main(request, request_k, kernels)
            finally:
                os._exit(EXIT_UNSAFE)
        _write_line(replies, {"pid": pid})


def _private_tmp(request):
    """This submission's own /tmp: a fresh tmpfs with its files, in its own mount namespace."""
    uid, gid = request["uid"], request["gid"]
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWIPC), "unshare")
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "make mounts private")
    # Build the new /tmp at /tmp/work (where the seed is still visible), then move it over /tmp.
    options = f"size={int(request['tmp_bytes'])},mode=1777".encode()
    _check(_libc.mount(b"tmpfs", WORKDIR.encode(), b"tmpfs", 0, options), "mount tmpfs")
    new = WORKDIR
    shutil.copytree(request["seed"], _in_new_tmp(new, WORKDIR), dirs_exist_ok=True)
    os.makedirs(_in_new_tmp(new, HOME), exist_ok=True)
    os.makedirs(_in_new_tmp(new, RUNTIME), mode=0o700, exist_ok=True)
    mpl = request.get("mpl_cache")
    if mpl and os.path.isdir(mpl):
        target = _in_new_tmp(new, HOME + "/.config/matplotlib")
        os.makedirs(target, exist_ok=True)
        for name in os.listdir(mpl):
            if name.startswith("fontlist-") and name.endswith(".json"):
                shutil.copy(os.path.join(mpl, name), target)
    for folder, dirs, files in os.walk(new):
        for path in [folder] + [os.path.join(folder, f) for f in dirs + files]:
            os.lchown(path, uid, gid)
    os.chmod(new, 0o1777)
    os.chown(new, 0, 0)
    for folder in request.get("keep", []):
        # An interpreter folder under /tmp (a venv in a clone there): bound read-only at the
        # same path in the new /tmp, its parents root's and 0755, as in a cold run.
        target = _in_new_tmp(new, folder)
        parent = new
        for part in os.path.relpath(target, new).split(os.sep):
            parent = os.path.join(parent, part)
            if not os.path.isdir(parent):
                os.mkdir(parent, 0o755)
                os.chmod(parent, 0o755)
        _check(_libc.mount(folder.encode(), target.encode(), None, MS_BIND | MS_REC, None), "bind " + folder)
        _check(_libc.mount(None, target.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY, None),
               "read-only " + folder)
    _check(_libc.mount(new.encode(), TMP.encode(), None, MS_MOVE, None), "move the new /tmp")


def _in_new_tmp(new, path):
    """Where `path` (under /tmp) is while the new /tmp is built at `new`."""
    return os.path.join(new, os.path.relpath(path, TMP))


def _kernel_main(session, request, number):
    os.setsid()
    devnull = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, 1 << 16)  # our pipes and anything else inherited
    uid, gid = session["uid"], session["gid"]
    connection = f"{RUNTIME}/kernel-{number}.json"
    with open(connection, "w") as f:
        f.write(request["connection"])
    os.chown(connection, uid, gid)
    _apply_rlimits(session["rlimits"])
    _drop_privileges(uid, gid)
    os.chdir(WORKDIR)
    # The cold launcher's sys.path: the working folder last, after site-packages.
    if sys.path and sys.path[0] in ("", os.path.dirname(os.path.abspath(__file__))):
        del sys.path[0]
    sys.path.append("")
    for name in RUNNER_MODULES:   # the student's own `import protocol` must find their file, not ours
        sys.modules.pop(name, None)
    if "numpy" in sys.modules:  # a fresh interpreter would not share the zygote's random state
        sys.modules["numpy"].random.seed()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from ipykernel import kernelapp  # preloaded (PRELOAD); here, in the kernel, it starts it
    argv = ["-f", connection] + list(request.get("argv", []))
    sys.argv = ["-c"] + argv   # what a cold kernel (python -c ...) sees
    kernelapp.launch_new_instance(argv=argv)
    os._exit(0)


def _apply_rlimits(limits):
    for name, value in limits.items():
        res = getattr(resource, "RLIMIT_" + name)
        value = int(value)
        # CPU: SIGXCPU at the soft limit, SIGKILL one second later (as the cold runner).
        resource.setrlimit(res, (value, value + 1) if name == "CPU" else (value, value))


def _drop_privileges(uid, gid):
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() not in (22,):  # EINVAL: no such cap
            raise OSError(ctypes.get_errno(), "cannot drop the capability bounding set")
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)  # from root to a nonzero uid: all capabilities are cleared
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
    if any(int(status[k].strip(), 16) for k in ("CapPrm", "CapEff", "CapAmb", "CapBnd")) or \
            status["Uid"].split() != [str(uid)] * 4:
        os._exit(EXIT_UNSAFE)
