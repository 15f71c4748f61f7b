"""A warm sandbox: one long-lived bubblewrap that runs many notebooks, paying start-up once per worker.

`mlpkit.sandbox.run.run_notebook(..., reuse=True)` runs through one of these; the grading
workers of mlpkit/pipeline/workers.py ask for it (`SandboxedExecute.reuse_sandbox`). One
bubblewrap sandbox holds `runner.py --serve`, which forks each submission's kernel from a
pre-imported zygote into that submission's own uid, /tmp, namespaces and limits
(mlpkit/sandbox/inside/zygote.py). So isolation is that of a cold run
(mlpkit/sandbox/cold.py, the same interface); what is saved is the interpreter, nbclient,
ipykernel and numpy start-up (docs/performance.md).

    box = warm.get(limits=..., course_root=..., nbgrader_execution="autograde",
                   env_extra={}, mode="require")   # None: needs uid separation
    out, err, returncode, timed_out = box.run(notebook_json_bytes, files, wall_seconds)

A run that passes its wall-clock limit or breaks the runner closes the sandbox; the next
run starts a new one. Sandboxes belong to the process that made them (a forked child
never uses or kills its parent's) and close when it exits.
"""
import json
import multiprocessing.util
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from mlpkit.sandbox import plan as plans
from mlpkit.sandbox.inside import protocol
from mlpkit.sandbox.uids import next_kernel_uid

_boxes = {}


def get(*, limits, course_root, nbgrader_execution, env_extra, mode):
    """This process's warm sandbox for these settings, started if needed; None if unavailable."""
    key = (json.dumps(limits.key(), sort_keys=True), str(course_root), nbgrader_execution,
           json.dumps(env_extra or {}, sort_keys=True), mode)
    box = _boxes.get(key)
    if box is not None and box.owner == os.getpid() and box.proc.poll() is not None:
        box.close()   # died between runs (killed from outside): start another
    if box is not None and (box.owner != os.getpid() or box.proc.poll() is not None):
        box = None
    if box is None:
        box = WarmSandbox.start(limits=limits, course_root=course_root, nbgrader_execution=nbgrader_execution,
                                env_extra=env_extra, mode=mode)
        if box is None:
            return None
        _boxes[key] = box
    return box


def close_all():
    """Stop this process's warm sandboxes (also done when the process exits)."""
    for key, box in list(_boxes.items()):
        if box.owner == os.getpid():
            box.close()
        del _boxes[key]


# Runs at normal exit, in the main process and in multiprocessing workers alike.
multiprocessing.util.Finalize(None, close_all, exitpriority=10)


class WarmSandbox:
    def __init__(self, plan, folder, proc, log):
        self.plan, self.folder, self.proc, self.log = plan, folder, proc, log
        self.given = Path(folder) / "given"
        self.owner = os.getpid()
        self.runs = 0

    @classmethod
    def start(cls, *, limits, course_root, nbgrader_execution, env_extra, mode):
        """A new warm sandbox for these settings, or None where the machine cannot (no uid separation)."""
        folder = tempfile.mkdtemp(prefix="mlpkit-warm-")
        given = Path(folder) / "given"
        given.mkdir()
        plan = plans.build_command(runner_args=limits.runner_args(), staging=given, course_root=course_root,
                                   nbgrader_execution=nbgrader_execution, limits=limits,
                                   env_extra=env_extra, mode=mode, serve=True)
        if plan is None:
            shutil.rmtree(folder, ignore_errors=True)
            return None
        log = open(Path(folder) / "runner.log", "w+b")   # the runner's own stderr, read on failures
        proc = plan.start(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        return cls(plan, folder, proc, log)

    def run(self, notebook_json, files, wall):
        """Run one notebook (JSON bytes) with `files` [(relative path, host path)] as its working
        files; return (result bytes or None, runner stderr tail, exit status or None, timed out)."""
        self._fill_given(files)
        request = protocol.request(next_kernel_uid(), notebook_json)
        deadline = time.monotonic() + wall
        try:
            self.proc.stdin.write(request)
            self.proc.stdin.flush()
            header = self._read(protocol.FRAME_HEADER, deadline)
            result = self._read(protocol.frame_size(header), deadline) if header else None
        except (BrokenPipeError, OSError):
            result = None
        timed_out = result is None and time.monotonic() >= deadline
        self.runs += 1
        if result is None:
            self.close()
            return None, self._log_tail(), self.proc.returncode, timed_out
        return result, "", None, False

    def _fill_given(self, files):
        """Replace what the sandbox sees at its read-only seed folder (the folder itself stays:
        the bind mount holds on to it)."""
        for entry in self.given.iterdir():
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        for relative, path in files:
            target = self.given / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)

    def _read(self, size, deadline):
        fd, chunks, got = self.proc.stdout.fileno(), [], 0
        while got < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, min(size - got, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _log_tail(self):
        try:
            self.log.seek(0)
            return self.log.read()[-4000:].decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def close(self):
        if self.owner != os.getpid():
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
