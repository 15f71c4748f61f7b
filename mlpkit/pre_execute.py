"""The parallel pass: run the staged notebooks in N worker processes, yielding each as it ends.

Step 2 of the autograde pipeline (docs/design.md). Each notebook is built exactly as
nbgrader's own sanitize preprocessors would build it (locked and test cells from the
gradebook, so hidden tests included) and run with `mlpkit.execute.run_notebook_cached`
with the limits of SandboxedExecute, so that nbgrader's execute step, when it records
the student, finds the run in the cache instead of executing again.

    for student, report in pre_execute(course, api, students, jobs=2, sandbox="auto"):
        ...   # record `student` now, while the workers run the next notebooks
"""
import ctypes
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from nbgrader.converters import Autograde
from nbgrader.preprocessors import CheckCellMetadata
from nbgrader.utils import find_all_files
from traitlets.utils.importstring import import_item

from mlpkit import notebook
from mlpkit.course import NOTEBOOK
from mlpkit.execute import cache_key, run_notebook_cached
from mlpkit.limits import GradingLimits


def sanitized_notebook(course, api, student):
    """The staged notebook after nbgrader's own sanitize preprocessors (what its Execute step runs)."""
    nb = notebook.read(course.staged_dir(student) / f"{NOTEBOOK}.ipynb")
    resources = {"nbgrader": {"notebook": NOTEBOOK, "assignment": course.assignment,
                              "student": student, "db_url": api.coursedir.db_url}}
    app = Autograde(coursedir=api.coursedir, parent=api)
    for pp in app.sanitize_preprocessors:
        cls = import_item(pp) if isinstance(pp, str) else pp
        if cls is CheckCellMetadata:
            # Only validates (50-250 ms of jsonschema on the lab); nbgrader's own sanitize
            # step validates the same metadata again when it records the student.
            continue
        nb, resources = cls(parent=app)(nb, resources)
    # nbgrader writes the sanitized notebook to disk and reads it back before executing.
    return notebook.reads(notebook.writes(nb))


def prepare_workdir(course, api, student, parent):
    """A scratch copy of what nbgrader puts next to the autograded notebook:
    the student's files, then the source's given files on top."""
    work = Path(parent) / student
    work.mkdir(parents=True)
    ignore = list(api.coursedir.ignore) + ["*.ipynb"]
    for folder in (course.staged_dir(student), course.source_dir):   # nbgrader's order and filter
        for f in find_all_files(str(folder), ignore):
            target = work / os.path.relpath(f, folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, target)
    return work


PR_SET_PDEATHSIG = 1


def _die_with_the_grader(grader_pid):
    """Worker initializer: a worker whose grader was killed is killed too (Linux), so no
    orphan keeps running sandboxes or holds the inherited autograde lock."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass   # not Linux: workers then end when their task queue breaks
    if os.getppid() != grader_pid:   # the grader died before prctl took effect
        os._exit(1)


def _run_job(job):
    """Worker: run one sanitized notebook through the cache. Never raises."""
    student, nb_json, workdir, cache_dir, kwargs = job
    t0 = time.perf_counter()
    try:
        kwargs = dict(kwargs, limits=GradingLimits(**kwargs["limits"]))
        _, report = run_notebook_cached(notebook.reads(nb_json), workdir, cache_dir, **kwargs)
        report = dict(report)
    except Exception:
        report = {"error": traceback.format_exc()}
    report["wall"] = round(time.perf_counter() - t0, 3)
    return student, report


def pre_execute(course, api, students, jobs, sandbox, force=False):
    """Yield (student, report) for each of `students` as its run finishes.

    A report with "error" means the pass could not run that notebook; nbgrader's own
    execute step then runs it while recording. force: drop their cached runs first.
    """
    cache_dir = course.cache_dir / "exec"
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Exactly the arguments SandboxedExecute passes, so its cache lookup hits; the runner
    # sets NBGRADER_EXECUTION=autograde itself. course_root is hidden from student code.
    # The limits travel as plain values: jobs are pickled to the workers.
    kwargs = {"limits": GradingLimits(config=api.config).key(), "sandbox": sandbox, "course_root": str(course.root)}
    with tempfile.TemporaryDirectory(prefix="mlpkit-exec-") as tmp:
        todo = []
        for student in students:
            try:
                nb = sanitized_notebook(course, api, student)
                if force:
                    (cache_dir / f"{cache_key(nb)}.json").unlink(missing_ok=True)
                work = prepare_workdir(course, api, student, tmp)
                todo.append((student, notebook.writes(nb), str(work), str(cache_dir), kwargs))
            except Exception:
                yield student, {"error": traceback.format_exc(limit=1), "wall": 0.0}
        if jobs <= 1 or len(todo) <= 1:
            yield from (_run_job(job) for job in todo)
            return
        # fork: workers need nothing re-imported; every job is submitted (and every worker
        # forked) before the caller starts recording with SQLite connections open.
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=multiprocessing.get_context("fork"),
                                 initializer=_die_with_the_grader, initargs=(os.getpid(),)) as pool:
            futures = [pool.submit(_run_job, job) for job in todo]
            for future in as_completed(futures):
                yield future.result()
