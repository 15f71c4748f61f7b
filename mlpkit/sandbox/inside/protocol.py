"""Every constant shared across the sandbox wall: the one place both sides read them from.

The grader (mlpkit, outside) imports it as `mlpkit.sandbox.inside.protocol`; the runner and
the zygote (inside, where mlpkit is not importable) as the plain module `protocol`, from the
folder bound at RUNNER_DIR. Standard library only. The lab's own side of the observation
channel, source/mlp_lab/lab_checks.py, ships to students and cannot import it: a test
(tests/test_structure.py) keeps it equal to this one.
"""
import json

# ---------------------------------------------------------------- the observation channel
# A hidden test's probe (lab_checks.probe) publishes what it saw as one output of this private
# type: {"cell": grade_id, "values": ...}, arrays as {ARRAY_KEY: dtype, "shape": [...], "zlib":
# base64}, anything else as {UNENCODABLE_KEY: type name}. The runner gives these outputs their
# own budget; the judge (mlpkit/judging/observations.py) decodes them.
OBSERVATIONS_MIME = "application/vnd.mlp-lab.observations+json"
ARRAY_KEY = "__array__"
UNENCODABLE_KEY = "__unencodable__"
ARRAY_DTYPES = ("<f8", "|b1")

# What the lab's `optional_part` prints in a check of an optional part left as released; `mlpkit
# check` (and Validate) report such a check as not attempted, not as a failure.
NOT_ATTEMPTED = "not attempted (optional, 0 bonus points)"
# What a probe reports when the code under test still raises NotImplementedError (lab_checks._describe):
# the judges fail the cell with it, and an optional part's cell says NOT_ATTEMPTED instead (verdicts.py).
NOT_WRITTEN = "not implemented yet (NotImplementedError)"

# ---------------------------------------------------------------- paths inside the sandbox
TMP = "/tmp"                         # a fresh, size-limited tmpfs per run (per submission when warm)
WORKDIR = "/tmp/work"                # the notebook's working folder: a copy of its files
GIVEN = "/tmp/.given"                # read-only copy of the notebook's files, seeded into WORKDIR
HOME = "/tmp/home"
RUNTIME = "/tmp/.jupyter-runtime"    # kernel connection files
MPLCACHE = "/tmp/.mplcache"          # read-only font list, copied into the fresh MPLCONFIGDIR
RUNNER_DIR = "/tmp/.runner"          # this folder (mlpkit/sandbox/inside/), bound read-only
RUNNER_SCRIPT = RUNNER_DIR + "/runner.py"

# ---------------------------------------------------------------- messages
# `runner.py --serve` reads requests and writes results as frames: the payload's length in
# FRAME_HEADER bytes (big-endian), then the payload, JSON:
#   request {"uid": kernel uid, "notebook": notebook}  ->  result {"notebook", "events", "timings"}
# A one-shot runner reads the bare notebook on stdin and writes the bare result on stdout.
FRAME_HEADER = 8
# What an execution event's "kind" may be (the report's events: {"cell", "kind", "message"}).
EVENT_KINDS = ("error", "timeout", "kernel_died", "output_truncated", "limit")
# The error names the runner writes into a cell that timed out, killed its kernel or hit a limit
# (execution.py; nbclient's exception names, and the kit's own for a process limit): the cells
# after it ran in a restarted kernel.
INTERRUPTED_ERRORS = ("DeadKernelError", "CellTimeoutError", "ProcessLimitError")


def frame(payload):
    """`payload` (bytes) with its length in front."""
    return len(payload).to_bytes(FRAME_HEADER, "big") + payload


def frame_size(header):
    """The payload length a frame's header announces."""
    return int.from_bytes(header, "big")


def read_frame(stream):
    """The next frame's payload from a blocking binary stream, or None at its end."""
    header = stream.read(FRAME_HEADER)
    if len(header) < FRAME_HEADER:
        return None
    size = frame_size(header)
    data = stream.read(size)
    return data if len(data) == size else None


def request(uid, notebook_json):
    """A --serve request for one notebook (its JSON bytes, not parsed again here), framed."""
    return frame(b'{"uid": %d, "notebook": ' % int(uid) + notebook_json + b"}")


def parse_request(payload):
    """(uid, notebook dict) of a request frame's payload."""
    message = json.loads(payload)
    return int(message["uid"]), message["notebook"]
