"""The autograde pipeline: `grade_all`, read top to bottom.

    from mlpkit.pipeline.grade import grade_all
    grade_all(course, students=None, jobs=None, sandbox="auto", progress=True,
              changed_only=False, force=False) -> {student: mlpkit.gradebook.results.StudentResult}

Stage each submission (mlpkit/staging/stage.py), then N workers (workers.py) each record one
student at a time through nbgrader (mlpkit/gradebook/record.py), running the notebook in the
worker's warm sandbox (mlpkit/sandbox/); grading/<student>.json (mlpkit/gradebook/results.py)
is written as each comes back. Any exception while grading one student is caught, recorded
and reported; the others go on. `mlpkit autograde` (mlpkit/commands/autograde.py) and
`mlpkit demo` call it; so do devtools and the tests.
"""
import contextlib
import fcntl
import os
import sys
import time

from tqdm import tqdm

from mlpkit import notebook
from mlpkit.course import Course, CourseError, sha256_file
from mlpkit.gradebook import results
from mlpkit.gradebook.record import gradebook_students, grading_api, sync_gradebook
from mlpkit.gradebook.results import StudentResult
from mlpkit.pipeline.workers import grade_students
from mlpkit.sandbox import machine
from mlpkit.staging.stage import stage


def grade_all(course, students=None, jobs=None, sandbox="auto", progress=True,
              changed_only=False, force=False):
    """Grade `students` (default: all under submitted/ and in the gradebook). See module docstring."""
    course = course if isinstance(course, Course) else Course(course)
    course.check()
    with exclusive(course):
        started = time.perf_counter()
        check_sandbox(sandbox)
        sync_gradebook(course)
        release_nb = release_notebook(course)
        students = select_students(course, students)
        if not students:
            return {}
        graded, todo = previous_or_new_results(course, students, changed_only)
        course.grading_dir.mkdir(parents=True, exist_ok=True)
        api = grading_api(course, sandbox)
        staged = [s for s in todo if stage_one(course, s, release_nb, graded[s])]
        for student in set(todo) - set(staged):   # not stageable: nothing to run or record
            finish(course, graded[student])
        # One worker more than cores: a worker's pipeline (runner, kernel, recording) waits on
        # message round trips and kernel start-up, and the extra worker fills those gaps
        # (8-10 % faster on 2 cores, benchmarks/grading_throughput.py, docs/performance.md).
        jobs = jobs or cpu_count() + 1
        bar = tqdm(total=len(todo), desc=f"grading ({min(jobs, len(todo) or 1)} worker(s))", unit="nb",
                   disable=not progress or not todo, file=sys.stderr, leave=False)
        bar.update(len(todo) - len(staged))
        for res in grade_students(course, api, [graded[s] for s in staged], jobs, sandbox, force=force):
            graded[res.student] = res   # from a worker: a copy of the one sent
            finish(course, res)
            bar.update(1)
        bar.close()
        if todo:
            skipped = len(students) - len(todo)
            print(f"graded {len(todo)} submission(s) in {time.perf_counter() - started:.1f} s with "
                  f"{min(jobs, len(todo))} worker(s)" + (f"; {skipped} unchanged, skipped" if skipped else ""),
                  file=sys.stderr)
        return graded


@contextlib.contextmanager
def exclusive(course):
    """One autograde per course at a time: two would interleave their gradebook writes."""
    with open(course.lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise CourseError("another `mlpkit autograde` is running on this course; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def check_sandbox(sandbox):
    """Fail before grading anyone when the sandbox is required but unusable; warn when it is missing."""
    if sandbox == "off":
        return
    usable, detail = machine.probe()
    if not usable and sandbox == "require":
        raise CourseError(f"--sandbox require, but the sandbox cannot be used here: {detail}")
    if not usable:
        print(f"autograde: WARNING: student code will run UNSANDBOXED ({detail})", file=sys.stderr)


def release_notebook(course):
    """The release notebook submissions are repaired against (the scratch release if none is committed)."""
    committed, scratch = course.release_nb_paths()
    return notebook.read(committed if committed.exists() else scratch)


def select_students(course, wanted):
    """`wanted` (default: everyone under submitted/ or in the gradebook), minus unusable ids."""
    known = sorted(set(course.submitted_students()) | gradebook_students(course))
    if wanted:
        # A typo must not create a phantom student with zeros in the gradebook.
        for student in [s for s in wanted if s not in known]:
            print(f"autograde: no submission and no gradebook entry for {student!r}: skipped", file=sys.stderr)
        known = list(dict.fromkeys(s for s in wanted if s in known))
    usable = [s for s in known if s and "/" not in s and not s.startswith(".") and s == s.strip()]
    for student in sorted(set(known) - set(usable)):
        print(f"autograde: skipping {student!r}: not a usable student id", file=sys.stderr)
    if not usable:
        print("autograde: no submissions under submitted/", file=sys.stderr)
    return usable


def previous_or_new_results(course, students, changed_only):
    """({student: result}, students to grade): with changed_only, unchanged students keep theirs."""
    source_sha = sha256_file(course.source_nb_path)
    graded, todo = {}, []
    for student in students:
        previous = results.load(course, student)
        sub_sha = sha256_file(course.submission_path(student))
        if (changed_only and previous and not previous.error
                and previous.submission_sha256 == sub_sha and previous.source_sha256 == source_sha):
            previous.skipped = True
            graded[student] = previous
        else:
            graded[student] = StudentResult(student, submission_sha256=sub_sha, source_sha256=source_sha)
            todo.append(student)
    return graded, todo


def stage_one(course, student, release_nb, res):
    """Stage one submission; False (and the error recorded) if that failed."""
    t0 = time.perf_counter()
    try:
        stage(course, student, release_nb, res)
        return True
    except Exception:
        res.fail("normalize")
        return False
    finally:
        res.timings["normalize"] = round(time.perf_counter() - t0, 3)


def finish(course, res):
    results.finalize(res)
    results.save(course, res)


def cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
