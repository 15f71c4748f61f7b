"""Grading workers: N processes, each taking one student at a time from run to gradebook.

Steps 2 to 4 of the autograde pipeline (docs/design.md). A worker records each staged student
through nbgrader's own autograde (mlpkit/gradebook/record.py): nbgrader sanitizes the notebook
(locked and test cells from the gradebook, so hidden tests included), its execute step
(SandboxedExecute) runs it in the worker's warm sandbox (mlpkit/sandbox/warm.py) through
the run cache, the judge gives the verdicts and the grades are saved, each student's in
one SQLite transaction (SQLite makes the workers' short transactions take turns).

    for res in grade_students(course, api, [StudentResult("alice"), ...], jobs=2, sandbox="auto"):
        ...   # res (mlpkit.gradebook.results.StudentResult) is recorded; in the order the workers finish

The main process only stages before and writes grading/<s>.json after: there is no
sequential head or tail. jobs=1 grades in the calling process, in order.
"""
import ctypes
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor, as_completed

from mlpkit.course import Course
from mlpkit.gradebook.record import grading_api, record_one
from mlpkit.sandbox import warm

PR_SET_PDEATHSIG = 1
_worker = {}   # this worker's course and NbGraderAPI (built by _init_worker)


def _init_worker(grader_pid, course_root, assignment, sandbox):
    """Worker initializer: die with the grader, and build this worker's own NbGraderAPI."""
    try:
        # A worker whose grader was killed is killed too (Linux), so no orphan keeps running
        # sandboxes or holds the inherited autograde lock.
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass   # not Linux: workers then end when their task queue breaks
    if os.getppid() != grader_pid:   # the grader died before prctl took effect
        os._exit(1)
    course = Course(course_root, assignment)
    _worker["course"], _worker["api"] = course, grading_api(course, sandbox)


def _grade_in_worker(job):
    res, force = job
    return grade_one(_worker["course"], _worker["api"], res, force)


def grade_one(course, api, res, force=False):
    """Run and record one student (res: StudentResult, updated and returned). Never raises.

    force: run the notebook again even if the run cache holds it (the new run is stored)."""
    api.config.SandboxedExecute.reuse_sandbox = True   # this process's warm sandbox
    api.config.SandboxedExecute.refresh = bool(force)
    record_one(course, api, res)
    return res


def grade_students(course, api, results, jobs, sandbox, force=False):
    """Yield each of `results` (StudentResult) once it is run and recorded, as workers finish."""
    if jobs <= 1 or len(results) <= 1:
        try:
            for res in results:
                yield grade_one(course, api, res, force)
        finally:
            warm.close_all()
        return
    # fork: workers need nothing re-imported. This process holds no SQLite connection while
    # they run: each worker opens its own.
    with ProcessPoolExecutor(max_workers=min(jobs, len(results)), mp_context=multiprocessing.get_context("fork"),
                             initializer=_init_worker, initargs=(os.getpid(), str(course.root), course.assignment,
                                                                 sandbox)) as pool:
        futures = {pool.submit(_grade_in_worker, (res, force)): res for res in results}
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception:   # the worker itself broke (killed, out of memory): a grader fault
                res = futures[future]
                res.fail("grading worker")
                yield res
