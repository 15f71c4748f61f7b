"""The grading limits: the one home of every timeout and resource limit of a notebook run.

A traitlets Configurable, so the course sets them in nbgrader_config.py like any
nbgrader option, and every command reads them from there:

    c.GradingLimits.cell_timeout = 15          # in nbgrader_config.py

    from mlpkit.limits import GradingLimits
    limits = GradingLimits(config=course.load_config())   # the course's values
    limits = GradingLimits(cell_timeout=5)                 # explicit values (tests)

The defaults below are for a course that sets nothing. `mlpkit check` uses its own,
longer values (see mlpkit/commands/check.py for why). The sandbox applies the resource limits
(mlpkit/sandbox/plan.py); the runner applies the timeouts and output caps
(mlpkit/sandbox/inside/, which has no defaults of its own); the reference run of the source
notebook (mlpkit/judging/reference.py) has its own cell timeout.
"""
from traitlets import Integer
from traitlets.config import Configurable


class GradingLimits(Configurable):
    """Timeouts, output caps and resource limits of one notebook run."""

    cell_timeout = Integer(30, help="Seconds one cell may run (nbgrader's own default).").tag(config=True)
    notebook_timeout = Integer(180, help="Seconds the whole notebook may run.").tag(config=True)
    kernel_startup_timeout = Integer(30, help="Seconds a kernel may take to start "
                                              "(nbclient's startup_timeout).").tag(config=True)
    wall_slack = Integer(30, help="Seconds beyond notebook_timeout before the whole sandbox "
                                  "is killed (kernel start-up and shutdown).").tag(config=True)
    max_cell_output = Integer(100_000, help="Characters of output kept per cell.").tag(config=True)
    max_total_output = Integer(2_000_000, help="Characters of output kept per notebook.").tag(config=True)
    # numpy + pandas + matplotlib kernel peaks near 1 GiB of virtual memory.
    memory_bytes = Integer(3 * 2**30, help="RLIMIT_AS of the runner and kernel.").tag(config=True)
    cpu_seconds = Integer(0, help="RLIMIT_CPU; 0 means notebook_timeout + 10 s.").tag(config=True)
    file_bytes = Integer(64 * 2**20, help="RLIMIT_FSIZE: the largest file a cell may write.").tag(config=True)
    # An idle kernel holds about 60 files and uses about 12 processes (threads count).
    open_files = Integer(1024, help="RLIMIT_NOFILE.").tag(config=True)
    processes = Integer(64, help="RLIMIT_NPROC of the kernel's own uid (sandbox only).").tag(config=True)
    tmp_bytes = Integer(512 * 2**20, help="Size of the sandbox's /tmp (a tmpfs, so memory).").tag(config=True)
    # Files handed in beside the notebook (mlpkit/staging/beside.py): data a student saved is small;
    # anything bigger is refused on every path rather than copied into autograded/ and feedback/.
    extra_file_bytes = Integer(10 * 2**20, help="Largest file handed in beside the notebook.").tag(
        config=True, per_run=False)
    extra_total_bytes = Integer(50 * 2**20, help="All files handed in beside the notebook together.").tag(
        config=True, per_run=False)
    # Not part of a student's run (so not of its cache key): the instructor's own notebook, run once.
    reference_cell_timeout = Integer(120, help="Seconds one cell of the source notebook may run when "
                                               "the reference observations are computed.").tag(config=True,
                                                                                                 per_run=False)

    def rlimits(self, with_nproc):
        """{RLIMIT name without prefix: value} for the runner (NPROC only with uid separation:
        without it, the count would include the grader's own processes)."""
        limits = {"AS": self.memory_bytes, "FSIZE": self.file_bytes, "NOFILE": self.open_files,
                  "CPU": self.cpu_seconds or self.notebook_timeout + 10}
        if with_nproc:
            limits["NPROC"] = self.processes
        return limits

    def runner_args(self):
        """The runner's command-line options for the timeouts and output caps."""
        return ["--cell-timeout", str(self.cell_timeout), "--notebook-timeout", str(self.notebook_timeout),
                "--startup-timeout", str(self.kernel_startup_timeout), "--max-cell-output", str(self.max_cell_output),
                "--max-total-output", str(self.max_total_output)]

    def key(self):
        """The values that change a run's outcome (part of the execution cache key)."""
        return {name: getattr(self, name) for name in sorted(self.trait_names(config=True))
                if self.trait_metadata(name, "per_run", True)}
