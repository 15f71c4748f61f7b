"""`mlpkit autograde`: grade submissions into gradebook.db, in parallel, sandboxed.

    mlpkit autograde                      # every student under submitted/
    mlpkit autograde --student alice      # one (repeatable)
    mlpkit autograde --jobs 1             # strictly sequential (same results)
    mlpkit autograde --changed-only       # skip students whose notebook and the source are unchanged
    mlpkit autograde --sandbox require    # fail rather than run student code unsandboxed

Python API (used by mlpkit.demo, mlpkit.examples and the tests):

    grade_all(course, students=None, jobs=None, sandbox="auto", progress=True,
              changed_only=False, force=False) -> {student: StudentResult}

`course` is a path or a `mlpkit.course.Course`; `jobs=None` means all cores.
`StudentResult` (also written to grading/<student>.json) has `status` (list of
flags, see docs/design.md, plus `grading error`), `scores` {grade_id: {score,
max_score, auto_score, manual_score, needs_manual_grade, cell_type}},
`total`/`max_total`, `events` (execution events of the graded run), `tampering`
(mlpkit.scan findings), `notes` (repairs), `error` (traceback, if the kit could
not record it), `sandboxed`, `cached`/`executed`, `submission_sha256`/
`source_sha256` (for --changed-only), `timings` (seconds per step) and `skipped`.

Pipeline (docs/design.md, "Grading pipeline"):
1. normalise each submission against the release notebook (mlpkit.normalize),
   staged under grading/normalized/<student>/mlp_lab/ (submitted/ is never touched);
2. build each notebook exactly as nbgrader's sanitiser does (its own
   preprocessors, run here) and execute them in parallel worker processes with
   `mlpkit.execute.run_notebook_cached` (results cached in .mlpkit-cache/exec);
3. record one student at a time with `NbGraderAPI.autograde`, whose execute step
   (`SandboxedExecute`) finds the cached run; only this step writes gradebook.db,
   one transaction per notebook (mlpkit.course.AtomicSaveAutoGrades);
4. write grading/<student>.json and print a summary table.
Any exception while grading one student is caught, recorded and reported.
"""
import json
import os
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mlpkit.course import NOTEBOOK, Course, CourseError

STAGED = "grading/normalized"   # nbgrader's submitted_directory while grading

# Execution event kinds that mean "the notebook did not run to the end".
FAILED_KINDS = {"timeout", "kernel_died", "limit"}


@dataclass
class StudentResult:
    student: str
    status: list = field(default_factory=list)
    scores: dict = field(default_factory=dict)
    total: float = 0.0
    max_total: float = 0.0
    events: list = field(default_factory=list)
    tampering: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    error: str = None
    sandboxed: bool = None
    cached: bool = None     # True: nbgrader's execute step reused the parallel pass's run
    executed: bool = None   # False: no notebook ran at all this time (both passes hit the cache)
    submission_sha256: str = None
    source_sha256: str = None
    timings: dict = field(default_factory=dict)
    skipped: bool = False   # --changed-only: unchanged since the last grading

    def to_json(self):
        return asdict(self)

    @classmethod
    def from_json(cls, data):
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def add_arguments(parser):
    parser.add_argument("--student", action="append", metavar="S",
                        help="grade only this student (repeatable); default: everyone under submitted/")
    parser.add_argument("--jobs", type=int, default=None,
                        help="parallel executions (default: all cores; 1 = sequential)")
    parser.add_argument("--sandbox", choices=["auto", "require", "off"], default="auto",
                        help="auto: bubblewrap if available, else warn loudly; require: refuse without it")
    parser.add_argument("--changed-only", action="store_true",
                        help="skip students whose notebook and the source notebook are unchanged "
                             "since their last grading")
    parser.add_argument("--force", action="store_true",
                        help="ignore the cached runs of the selected students and execute their notebooks again")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args):
    try:
        results = grade_all(args.course, students=args.student, jobs=args.jobs, sandbox=args.sandbox,
                            progress=not args.quiet, changed_only=args.changed_only, force=args.force)
    except CourseError as exc:
        print(f"autograde: {exc}", file=sys.stderr)
        return 2
    print(summary_table(results))
    unsandboxed = sorted(s for s, r in results.items() if r.sandboxed is False and not r.skipped)
    if unsandboxed and args.sandbox != "off":
        print(f"\nWARNING: {len(unsandboxed)} notebook(s) ran UNSANDBOXED: {', '.join(unsandboxed)}",
              file=sys.stderr)
    return 1 if report_grader_faults(results) else 0


def never_started(result):
    """True when the notebook never ran at all (no kernel, or no usable runner output):
    a fault of the grading machine, since a kernel starts before any student code."""
    return any(e.get("cell") is None and e.get("kind") == "kernel_died" for e in result.events)


def report_grader_faults(results):
    """Print the submissions the kit failed on (not the students' faults); True if any."""
    bad = [s for s, r in results.items() if r.error]
    if bad:
        print(f"\n{len(bad)} submission(s) could not be recorded: {', '.join(bad)} "
              "(see grading/<student>.json)", file=sys.stderr)
    dead = sorted(s for s, r in results.items() if never_started(r))
    if dead:
        print(f"\nGRADER FAULT: the notebook never started for {', '.join(dead)}; "
              "check the sandbox with `python -m mlpkit.sandbox` (see grading/<student>.json)",
              file=sys.stderr)
    return bool(bad or dead)


# ------------------------------------------------------------------ pipeline

def grade_all(course, students=None, jobs=None, sandbox="auto", progress=True,
              changed_only=False, force=False):
    """Grade `students` (default: all under submitted/ and in the gradebook). See module docstring."""
    course = course if isinstance(course, Course) else Course(course)
    course.check()
    with _exclusive(course):
        return _grade_all(course, students, jobs, sandbox, progress, changed_only, force)


def _exclusive(course):
    """One autograde per course at a time: two would interleave their gradebook writes."""
    import contextlib
    import fcntl
    course.cache_dir.mkdir(parents=True, exist_ok=True)
    lock = open(course.cache_dir / "autograde.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise CourseError("another `mlpkit autograde` is running on this course; wait for it to finish")

    @contextlib.contextmanager
    def held():
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()
    return held()


def _grade_all(course, students, jobs, sandbox, progress, changed_only, force):
    from mlpkit.course import sha256_file
    started = time.perf_counter()
    _probe_sandbox(sandbox)
    sync_gradebook(course)
    release_nb = _release_notebook(course)
    source_sha = sha256_file(course.source_nb_path)
    known = all_students(course)
    if students:
        # A typo must not create a phantom student with zeros in the gradebook.
        for student in [s for s in students if s not in known]:
            print(f"autograde: no submission and no gradebook entry for {student!r}: skipped", file=sys.stderr)
        students = list(dict.fromkeys(s for s in students if s in known))
    else:
        students = known
    if not students:
        print("autograde: no submissions under submitted/", file=sys.stderr)
        return {}
    exec_cache = course.cache_dir / "exec"
    exec_cache.mkdir(parents=True, exist_ok=True)
    course.grading_dir.mkdir(parents=True, exist_ok=True)

    results, todo = {}, []
    for student in list(students):
        if not _valid_student_id(student):
            print(f"autograde: skipping {student!r}: not a usable student id", file=sys.stderr)
            students.remove(student)
            continue
        previous = load_result(course, student)
        sub_sha = sha256_file(course.submission_path(student))
        if (changed_only and previous and not previous.error
                and previous.submission_sha256 == sub_sha and previous.source_sha256 == source_sha):
            previous.skipped = True
            results[student] = previous
            continue
        results[student] = StudentResult(student, submission_sha256=sub_sha, source_sha256=source_sha)
        todo.append(student)

    api = course.api(**{"CourseDirectory.submitted_directory": STAGED})
    _configure_execute(api, course, sandbox, exec_cache)

    # 1. normalise and stage
    staged = {}
    for student in todo:
        res = results[student]
        t0 = time.perf_counter()
        try:
            staged[student] = stage(course, student, release_nb, res)
        except Exception:
            _record_error(res, "normalise")
        res.timings["normalise"] = round(time.perf_counter() - t0, 3)

    # 2. execute in parallel (fills the cache nbgrader's execute step reads)
    jobs = jobs or _cpu_count()
    execute_all(course, api, [s for s in todo if s in staged], results, jobs, sandbox, exec_cache, progress,
                force=force)

    # 3. record sequentially through nbgrader
    bar = _bar(progress, len(todo), "recording grades")
    for student in todo:
        res = results[student]
        if student in staged:
            t0 = time.perf_counter()
            try:
                record(course, api, student, res)
            except Exception:
                _record_error(res, "nbgrader autograde")
                _drop_partial_submission(course, student)
            res.timings["record"] = round(time.perf_counter() - t0, 3)
        finalise(course, res)
        save_result(course, res)
        bar.update(1)
    bar.close()
    elapsed = time.perf_counter() - started
    if todo:
        print(f"graded {len(todo)} submission(s) in {elapsed:.1f} s with {min(jobs, len(todo))} worker(s)"
              + (f"; {len(students) - len(todo)} unchanged, skipped" if len(todo) < len(students) else ""),
              file=sys.stderr)
    return results


def _probe_sandbox(sandbox):
    """Fail before grading anyone when the sandbox is required but unusable; warn when off."""
    if sandbox == "off":
        return False, "sandbox off"
    from mlpkit.sandbox import probe
    usable, detail = probe()
    if not usable and sandbox == "require":
        raise CourseError(f"--sandbox require, but the sandbox cannot be used here: {detail}")
    if not usable:
        print(f"autograde: WARNING: student code will run UNSANDBOXED ({detail})", file=sys.stderr)
    return usable, detail


def all_students(course):
    """Everyone with a folder under submitted/ plus everyone already in the gradebook."""
    ids = set(course.submitted_students())
    if course.gradebook_path.exists():
        with course.gradebook() as gb:
            ids |= {s.id for s in gb.students}
    return sorted(ids)


def _valid_student_id(student):
    return bool(student) and "/" not in student and not student.startswith(".") and student == student.strip()


def sync_gradebook(course):
    """Make sure gradebook.db holds the current source notebook (cells, hidden tests).

    nbgrader restores test cells from the gradebook, not from source/, so after
    a test fix the gradebook must be refreshed. Regenerates into a scratch
    release folder (.mlpkit-cache/release) so the committed release/ is untouched.
    """
    from mlpkit.release import generate
    if course.gradebook_in_sync() and _assignment_in_gradebook(course):
        return False
    generate(course, **{"CourseDirectory.release_directory": ".mlpkit-cache/release"})
    return True


def _assignment_in_gradebook(course):
    from nbgrader.api import MissingEntry
    with course.gradebook() as gb:
        try:
            gb.find_notebook(NOTEBOOK, course.assignment)
            return True
        except MissingEntry:
            return False


def _release_notebook(course):
    from mlpkit.course import read_notebook
    if course.release_nb_path.exists():
        return course.release_notebook()
    return read_notebook(course.cache_dir / "release" / course.assignment / f"{NOTEBOOK}.ipynb")


def stage(course, student, release_nb, res):
    """Normalise the submission into grading/normalized/<student>/mlp_lab/ and return that folder."""
    import shutil
    from mlpkit.course import write_notebook
    from mlpkit.normalize import normalize
    src_dir = course.submitted_dir / student / course.assignment
    dest = course.root / STAGED / student / course.assignment
    if dest.exists():
        shutil.rmtree(dest)
    if src_dir.is_dir():
        shutil.copytree(src_dir, dest, ignore=_ignore_notebooks_and_links)
    dest.mkdir(parents=True, exist_ok=True)
    norm = normalize(course.submission_path(student), release_nb)
    res.status += [f for f in norm.flags if f not in res.status]
    res.notes += norm.notes
    write_notebook(norm.nb, dest / f"{NOTEBOOK}.ipynb")
    try:
        res.tampering = scan_findings(norm.nb) if "invalid notebook" not in norm.flags else []
    except Exception as exc:  # the scan is advice for the instructor; grading goes on without it
        res.notes.append(f"tampering scan failed: {type(exc).__name__}: {exc}")
    return dest


def _ignore_notebooks_and_links(folder, names):
    # A symlink in a submission could pull any file of the grader's machine into grading.
    return {n for n in names if n.endswith(".ipynb") or n == ".ipynb_checkpoints"
            or os.path.islink(os.path.join(folder, n))}


def scan_findings(nb):
    """mlpkit.scan findings for the student's code: solution cells and cells the student added."""
    import copy
    from mlpkit.scan import scan_notebook
    from mlpkit.course import grade_id
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and not grade_id(cell):
            cell.metadata["nbgrader"] = {"solution": True, "grade_id": f"added cell {index}"}
    return [dict(cell_grade_id=f.cell_grade_id, line=f.line, reason=f.reason) for f in scan_notebook(nb)]


# ------------------------------------------------------------------ execution

def _configure_execute(api, course, sandbox, exec_cache):
    cfg = api.config
    cfg.SandboxedExecute.cache_dir = str(exec_cache)
    cfg.SandboxedExecute.sandbox = sandbox
    api.update_config(cfg)


def sanitised_notebook(course, api, student):
    """The staged notebook after nbgrader's own sanitize preprocessors (what its Execute step runs)."""
    import nbformat
    from nbgrader.converters import Autograde
    from traitlets.utils.importstring import import_item
    path = course.root / STAGED / student / course.assignment / f"{NOTEBOOK}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    resources = {"nbgrader": {"notebook": NOTEBOOK, "assignment": course.assignment,
                              "student": student, "db_url": api.coursedir.db_url}}
    app = Autograde(coursedir=api.coursedir, parent=api)
    for pp in app.sanitize_preprocessors:
        cls = import_item(pp) if isinstance(pp, str) else pp
        nb, resources = cls(parent=app)(nb, resources)
    # nbgrader writes the sanitised notebook to disk and reads it back before executing.
    return nbformat.reads(nbformat.writes(nb), as_version=4)


def prepare_workdir(course, api, student, parent):
    """A scratch copy of what nbgrader puts next to the autograded notebook:
    the student's files, then the source's given files on top."""
    import shutil
    from nbgrader.utils import find_all_files
    work = Path(parent) / student
    work.mkdir(parents=True)
    staged = course.root / STAGED / student / course.assignment
    ignore = list(api.coursedir.ignore) + ["*.ipynb"]
    for folder in (staged, course.source_dir):   # same order and filter as nbgrader's copies
        for f in find_all_files(str(folder), ignore):
            target = work / os.path.relpath(f, folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, target)
    return work


def _execute_job(job):
    """Worker: run one sanitised notebook through the cache. Never raises."""
    import nbformat
    student, nb_json, workdir, cache_dir, kwargs = job
    t0 = time.perf_counter()
    try:
        from mlpkit.execute import run_notebook_cached
        nb = nbformat.reads(nb_json, as_version=4)
        _, report = run_notebook_cached(nb, workdir, cache_dir, **kwargs)
        report = dict(report)
    except Exception:
        report = {"error": traceback.format_exc()}
    report["wall"] = round(time.perf_counter() - t0, 3)
    return student, report


def execute_all(course, api, students, results, jobs, sandbox, exec_cache, progress, force=False):
    """Run the students' sanitised notebooks in `jobs` processes through the cache.
    force: drop their cached runs first (only theirs), so they run again."""
    import tempfile
    from concurrent.futures import ProcessPoolExecutor, as_completed
    import multiprocessing
    if not students:
        return
    cfg = api.config.SandboxedExecute
    # Exactly the arguments SandboxedExecute passes, so its cache lookup hits; the
    # runner sets NBGRADER_EXECUTION=autograde itself. course_root is hidden from student code.
    kwargs = {"cell_timeout": cfg.get("timeout", 30), "notebook_timeout": cfg.get("notebook_timeout", 180),
              "sandbox": sandbox, "course_root": str(course.root)}
    with tempfile.TemporaryDirectory(prefix="mlpkit-exec-") as tmp:
        jobs_list = []
        for student in students:
            t0 = time.perf_counter()
            try:
                nb = sanitised_notebook(course, api, student)
                if force:
                    from mlpkit.execute import cache_key
                    (exec_cache / f"{cache_key(nb)}.json").unlink(missing_ok=True)
                work = prepare_workdir(course, api, student, tmp)
                import nbformat
                jobs_list.append((student, nbformat.writes(nb), str(work), str(exec_cache), kwargs))
                results[student].timings["sanitise"] = round(time.perf_counter() - t0, 3)
            except Exception:
                # Not fatal: nbgrader's own execute step will run this one.
                results[student].notes.append("pre-execution skipped: " + traceback.format_exc(limit=1))
        if jobs <= 1 or len(jobs_list) <= 1:
            done = (_execute_job(j) for j in jobs_list)
            pool = None
        else:
            # fork: workers need nothing re-imported; they start before any progress-bar thread.
            pool = ProcessPoolExecutor(max_workers=min(jobs, len(jobs_list)),
                                       mp_context=multiprocessing.get_context("fork"))
            done = (f.result() for f in as_completed([pool.submit(_execute_job, j) for j in jobs_list]))
        bar = _bar(progress, len(jobs_list), f"executing ({min(jobs, len(jobs_list))} worker(s))")
        try:
            for student, report in done:
                _apply_report(results[student], report)
                bar.update(1)
        finally:
            bar.close()
            if pool:
                pool.shutdown()


def _apply_report(res, report):
    res.timings["execute"] = report.get("wall")
    if "error" in report:
        res.notes.append("pre-execution failed (nbgrader's execute step ran it instead): "
                         + report["error"].strip().splitlines()[-1])
        return
    res.events = list(report.get("events", []))
    res.sandboxed = report.get("sandboxed")
    res.executed = not report.get("cached")
    res.timings["notebook_seconds"] = report.get("seconds")


# ------------------------------------------------------------------ recording

def record(course, api, student, res):
    from mlpkit.course import run_api
    report_dir = course.cache_dir / "reports" / student
    api.config.SandboxedExecute.report_dir = str(report_dir)   # read by the app nbgrader creates
    out = run_api(api, "autograde", course.assignment, student, force=True, create=True)
    if not out.get("success"):
        # nbgrader's own error is a generic "see the log"; the cause is in the log.
        log = "\n".join((out.get("log") or "").strip().splitlines()[-40:])
        raise RuntimeError(f"nbgrader autograde failed:\n{log}\n{out.get('error') or ''}")
    _merge_execute_reports(res, report_dir)
    res.scores = read_scores(course, student)


def _merge_execute_reports(res, report_dir):
    """The report SandboxedExecute wrote for the run nbgrader graded: a cache hit means it
    graded exactly the pre-executed run; otherwise its own run's events are the ones that count."""
    import shutil
    path = Path(report_dir) / f"{res.student}.exec.json"
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        res.notes.append("no execution report from nbgrader's execute step")
        return
    finally:
        shutil.rmtree(report_dir, ignore_errors=True)
    res.cached = bool(report.get("cached"))
    if not res.cached:
        res.executed = True
        res.events = list(report.get("events", []))
        res.sandboxed = report.get("sandboxed")
        res.timings["notebook_seconds"] = report.get("seconds")


def read_scores(course, student):
    """{grade_id: {...}} for one student, read through nbgrader's Gradebook API."""
    from mlpkit.preprocessors.bonus_extra_credit import bonus_points
    full = bonus_points(course.source_notebook())   # bonus cells are extra credit: max 0 in the gradebook
    with course.gradebook() as gb:
        nb = gb.find_submission_notebook(NOTEBOOK, course.assignment, student)
        return {g.name: {"score": g.score, "max_score": full.get(g.name, g.max_score), "auto_score": g.auto_score,
                         "manual_score": g.manual_score, "needs_manual_grade": bool(g.needs_manual_grade),
                         "cell_type": g.cell.cell_type}
                for g in nb.grades}


def _drop_partial_submission(course, student):
    """After a failed recording, leave no submission whose grades were never written."""
    from nbgrader.api import MissingEntry
    try:
        with course.gradebook() as gb:
            try:
                sub = gb.find_submission(course.assignment, student)
            except MissingEntry:
                return
            if all(g.auto_score is None and g.manual_score is None for nb in sub.notebooks for g in nb.grades):
                gb.remove_submission(course.assignment, student)
    except Exception:  # best effort: the error is already recorded
        pass


def _record_error(res, step):
    res.error = f"{step}: " + traceback.format_exc()
    if "grading error" not in res.status:
        res.status.append("grading error")


def finalise(course, res):
    """Totals and the status list from scores, events and findings."""
    res.total = round(sum(s["score"] or 0 for s in res.scores.values()), 3)
    res.max_total = round(sum(s["max_score"] or 0 for s in res.scores.values()), 3)
    flags = list(res.status)
    if any(e.get("kind") in FAILED_KINDS for e in res.events):
        flags.append("failed to execute")
    if res.tampering:
        flags.append("tampering suspected")
    if any(s["needs_manual_grade"] for s in res.scores.values()):
        flags.append("needs manual grading")
    flags = list(dict.fromkeys(flags))
    res.status = flags or ["ok"]
    if res.status != ["ok"] and "ok" in res.status:
        res.status.remove("ok")


def load_result(course, student):
    path = course.result_path(student)
    if not path.exists():
        return None
    try:
        return StudentResult.from_json(json.loads(path.read_text()))
    except (ValueError, TypeError):
        return None


def save_result(course, res):
    path = course.result_path(res.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(res.to_json(), indent=1, default=str))
    tmp.replace(path)


def why_failed(res):
    """One line: why this notebook did not run or was not recorded."""
    if res.error:
        return res.error.strip().splitlines()[-1][:100]
    bad = [e for e in res.events if e.get("kind") in FAILED_KINDS]
    if bad:
        e = bad[0]
        return f"cell {e.get('cell')}: {e.get('kind')}: {str(e.get('message', '')).splitlines()[0][:80]}"
    if res.tampering:
        f = res.tampering[0]
        return f"{f['cell_grade_id']} line {f['line']}: {f['reason']}"[:100]
    if res.notes:
        return res.notes[0][:100]
    return ""


def summary_table(results):
    """Who scored what, whose notebook failed to run and why."""
    rows = [("student", "score", "status", "why")]
    for student in sorted(results):
        r = results[student]
        rows.append((student, f"{r.total:g}/{r.max_total:g}", "; ".join(r.status)
                     + (" (unchanged)" if r.skipped else ""), why_failed(r)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(row[i].ljust(widths[i]) for i in range(3)) + "  " + row[3] for row in rows]
    lines.insert(1, "-" * min(120, max(len(line) for line in lines)))
    return "\n".join(line.rstrip() for line in lines)


def _bar(progress, total, desc):
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit="nb", disable=not progress or total == 0,
                file=sys.stderr, leave=False)


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
