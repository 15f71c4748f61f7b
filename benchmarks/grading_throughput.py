"""Grading throughput: stock `nbgrader autograde` against `mlpkit autograde`, side by side, repeated.

    PYTHONPATH=. python benchmarks/grading_throughput.py                      # 20 submissions, 3 repeats
    PYTHONPATH=. python benchmarks/grading_throughput.py --small              # 3 submissions, 1 repeat (CI)
    PYTHONPATH=. python benchmarks/grading_throughput.py -k 100 -r 3 --modes stock,all

Builds a throw-away course in a temporary folder from this course's config and
source/ (`devtools.variants.make_grading_course`), then K submissions: the example
submissions of `devtools.examples` taken in turn (the one that loops forever only
with `--with-hang`: each costs a cell timeout), or reference-filled copies of the
release if the examples cannot be built. Each copy gets a unique comment line, so no
two submissions share an execution-cache entry: every notebook really runs.

Each repeat grades the same K submissions once per mode, each in its own fresh copy
of that course, timed end to end as a subprocess (start-up included); the order of
the modes alternates between repeats, so a drift in the machine's load hits both:
- stock:  `nbgrader autograde mlp_lab`, nbgrader's own Execute preprocessor, one
          notebook after the other, no sandbox (the baseline);
- jobs1:  `mlpkit autograde --jobs 1` (sandbox on when bubblewrap works);
- all:    `mlpkit autograde` with all cores (sandbox on when bubblewrap works).
Prints every run (wall, s/submission, core-seconds per submission, load average),
the ratio stock/mode per repeat with its median and min-max, whether the per-cell scores agree
(mlpkit modes with each other, and with stock), where the seconds of one
full-solution submission go (a cold start against the warm sandbox's forked kernel
included), and projections for 300, 1,000 and 10,000 submissions on 2, 16 and 64 cores.
"""
import argparse
import copy
import cProfile
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import nbformat  # noqa: E402
from nbgrader.api import MissingEntry  # noqa: E402
from nbgrader.converters import Autograde  # noqa: E402
from nbgrader.preprocessors import CheckCellMetadata  # noqa: E402
from nbgrader.utils import find_all_files  # noqa: E402
from traitlets.utils.importstring import import_item  # noqa: E402

from devtools.examples import example_notebooks  # noqa: E402
from devtools.variants import build_submission, make_grading_course  # noqa: E402
from mlpkit import notebook  # noqa: E402
from mlpkit.course import NOTEBOOK, STAGED, Course, path_with_venv_bin  # noqa: E402
from mlpkit.gradebook import record  # noqa: E402
from mlpkit.gradebook.results import StudentResult  # noqa: E402
from mlpkit.limits import GradingLimits  # noqa: E402
from mlpkit.sandbox import warm as warm_sandbox  # noqa: E402
from mlpkit.sandbox.machine import probe  # noqa: E402
from mlpkit.sandbox.run import run_notebook  # noqa: E402
from notebook_walltime import run_cells  # noqa: E402

# nbgrader runs `alembic` by name when it creates a gradebook (in this process, too).
os.environ["PATH"] = path_with_venv_bin()

MODES = ("stock", "jobs1", "all")
TARGET_RATIO = 4.0   # issue 12: the kit at least 4x stock nbgrader on the same submissions
PROJECT_SUBMISSIONS = (300, 1000, 10000)
PROJECT_CORES = (2, 16, 64)
HANG = "hangs_infinite_loop"


def load_average():
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def machine():
    model = "unknown CPU"
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {cpu_count()} cores available"


def cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def child_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("NBGRADER_EXECUTION", None)
    return env


# ---------------------------------------------------------------- the course and its submissions

def make_template(course, workdir):
    """A graded-ready course: assignment generated, gradebook synced (outside the timings)."""
    template = make_grading_course(course, workdir)
    if (Path(course) / "tests" / "variants").is_dir():
        shutil.copytree(Path(course) / "tests" / "variants", template.root / "tests" / "variants")
    record.sync_gradebook(template)
    return template


def example_pool(template, with_hang):
    """[(kind, notebook)] to cycle through, and a description of where they came from."""
    try:
        pool = [(name, nb) for name, nb in example_notebooks(template.root).items()
                if with_hang or name != HANG]
        return pool, "the example submissions of devtools.examples" + ("" if with_hang else f" except {HANG}")
    except Exception as exc:  # the examples do not fit this notebook (yet)
        nb = build_submission(template.release_notebook(), template.source_notebook(), fill_markdown=True)
        return [("full_solution", nb)], f"reference-filled copies of the release (examples unavailable: {exc})"


def write_submissions(template, pool, k):
    """submitted/s001..s<k>; returns {student: kind}."""
    kinds = {}
    for n in range(k):
        kind, nb = pool[n % len(pool)]
        nb = copy.deepcopy(nb)
        student = f"s{n + 1:03d}"
        first_solution = next(c for c in nb.cells if c.cell_type == "code" and notebook.is_solution(c))
        first_solution.source = first_solution.source.rstrip("\n") + f"\n# benchmark submission {student}\n"
        notebook.write(nb, template.submission_path(student))
        kinds[student] = kind
    return kinds


def fresh_copy(template, parent, name):
    mode = name.split("-")[0]
    root = Path(parent) / name
    shutil.copytree(template.root, root, ignore=shutil.ignore_patterns("exec", "reports", "autograded",
                                                                       "grading"))
    if template.cache_dir.is_dir():   # the synced gradebook's stamp and scratch release, not the template's runs
        shutil.copytree(template.cache_dir, Course(root).cache_dir, ignore=shutil.ignore_patterns("runs", "reports"),
                        dirs_exist_ok=True)
    if mode == "stock":
        stock = Autograde()
        names = {kind: [f"{p.__module__}.{p.__name__}" for p in getattr(stock, f"{kind}_preprocessors")]
                 for kind in ("sanitize", "autograde")}
        with open(root / "nbgrader_config.py", "a") as f:
            f.write("\n# benchmark baseline: nbgrader's stock preprocessors, its own Execute\n"
                    f"c.Autograde.sanitize_preprocessors = {names['sanitize']!r}\n"
                    f"c.Autograde.autograde_preprocessors = {names['autograde']!r}\n")
    return root


# ---------------------------------------------------------------- the modes

def command(mode, root, sandbox):
    if mode == "stock":
        return [sys.executable, "-m", "nbgrader", "autograde", "mlp_lab"]
    cmd = [sys.executable, "-m", "mlpkit", "--course", str(root), "autograde", "--quiet", "--sandbox", sandbox]
    return cmd + (["--jobs", "1"] if mode == "jobs1" else [])


def run_mode(mode, root, sandbox, repeat):
    load_before = load_average()
    t0 = time.perf_counter()
    proc = subprocess.run(command(mode, root, sandbox), cwd=root, env=child_env(), capture_output=True,
                          text=True, timeout=4 * 3600)
    wall = time.perf_counter() - t0
    return {"mode": mode, "repeat": repeat, "wall": wall, "returncode": proc.returncode, "stdout": proc.stdout,
            "stderr": proc.stderr, "scores": gradebook_scores(root), "load": load_before,
            "cores": cpu_count() if mode == "all" else 1}


def gradebook_scores(root):
    """{student: {grade_id: score}} of the students with recorded autograded scores (nbgrader's API)."""
    course = Course(root)
    out = {}
    if not course.gradebook_path.exists():
        return out
    with course.gradebook() as gb:
        for student in course.submitted_students():
            try:
                nb = gb.find_submission_notebook("mlp_lab", "mlp_lab", student)
            except MissingEntry:
                continue
            scores = {g.name: g.auto_score for g in nb.grades if g.auto_score is not None}
            if scores:  # a notebook whose autograding failed has a row but no scores
                out[student] = scores
    return out


# ---------------------------------------------------------------- one submission, step by step

def sanitized_notebook(course, api, student):
    """The staged notebook after nbgrader's own sanitize preprocessors (what its execute step runs)."""
    nb = notebook.read(course.staged_dir(student) / f"{NOTEBOOK}.ipynb")
    resources = {"nbgrader": {"notebook": NOTEBOOK, "assignment": course.assignment,
                              "student": student, "db_url": api.coursedir.db_url}}
    app = Autograde(coursedir=api.coursedir, parent=api)
    for pp in app.sanitize_preprocessors:
        cls = import_item(pp) if isinstance(pp, str) else pp
        if cls is CheckCellMetadata:  # only validates
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


def subprocess_seconds(argv):
    t0 = time.perf_counter()
    subprocess.run(argv, env=child_env(), capture_output=True, timeout=300, check=False)
    return time.perf_counter() - t0


def breakdown(root, student, sandbox):
    """[(step, seconds, how measured)] for one student graded in `root` by `mlpkit --jobs 1`."""
    course = Course(root)
    steps = []
    saved = json.loads(course.result_path(student).read_text()) if course.result_path(student).exists() else {}
    timings = saved.get("timings", {})
    steps.append(("python + nbgrader import (`nbgrader --version`)",
                  subprocess_seconds([sys.executable, "-m", "nbgrader", "--version"]), "subprocess, once per run"))
    steps.append(("python + mlpkit CLI start (`mlpkit --help`)",
                  subprocess_seconds([sys.executable, "-m", "mlpkit", "--help"]), "subprocess, once per run"))
    t0 = time.perf_counter()
    api = course.api(**{"CourseDirectory.submitted_directory": STAGED})
    steps.append(("NbGraderAPI with the course config", time.perf_counter() - t0,
                  "in-process (nbgrader imported), once per run"))
    for key, label in (("normalize", "normalize + tampering scan"),
                       ("record", "record via nbgrader autograde, in a worker"),
                       ("execute", "  of which the run (SandboxedExecute)")):
        if key in timings:
            steps.append((label, timings[key], f"grading/{student}.json"))
    t0 = time.perf_counter()
    nb = sanitized_notebook(course, api, student)
    steps.append(("sanitize (nbgrader's sanitize preprocessors)", time.perf_counter() - t0, "in-process"))
    with tempfile.TemporaryDirectory(prefix="mlpkit-breakdown-") as tmp:
        work = prepare_workdir(course, api, student, tmp)
        trivial = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")])
        trivial.metadata = nb.metadata
        limits = GradingLimits(config=course.load_config())
        for label, mode in (("runner + kernel start, sandbox off (1 empty cell)", "off"),
                            (f"runner + kernel start, sandbox {sandbox} (1 empty cell)", sandbox)):
            _, report = run_notebook(trivial, work, limits=limits, sandbox=mode, env={"NBGRADER_EXECUTION": "autograde"})
            steps.append((label, report["seconds"], f"run_notebook, sandboxed={report['sandboxed']}"))
        warm = []
        for _ in range(4):   # the first run starts the warm sandbox; the others fork a kernel
            _, report = run_notebook(trivial, work, limits=limits, sandbox=sandbox, reuse=True)
            warm.append(report)
        warm_sandbox.close_all()
        if warm[-1]["warm"]:
            steps.append(("warm sandbox, kernel forked (1 empty cell)", min(r["seconds"] for r in warm[1:]),
                          "run_notebook(reuse=True), min of 3"))
        by_kind = run_cells(nb, work, grading=True, timeout=300, progress=False)
    steps.append(("the same notebook, unsandboxed, per-cell timing", by_kind["wall"], "nbclient"))
    steps.append(("  kernel start + shutdown", by_kind["overhead"], "nbclient"))
    for kind, seconds in by_kind["by_kind"].items():
        steps.append((f"  {kind}", seconds, "nbclient per-cell timing"))
    steps += record_profile(course, api, student, sandbox)
    steps += warm_start_savings()
    return steps


KERNEL_IMPORTS = "import ipykernel.kernelapp, numpy, pandas, matplotlib.pyplot"


def warm_start_savings():
    """What stands in the way of paying start-up once per worker: a cold interpreter with the
    kernel's and the lab's imports, against forking an interpreter that already has them."""
    cold = min(subprocess_seconds([sys.executable, "-c", KERNEL_IMPORTS]) for _ in range(3))
    bare = min(subprocess_seconds([sys.executable, "-c", "pass"]) for _ in range(3))
    light = min(subprocess_seconds([sys.executable, "-c", "import numpy"]) for _ in range(3))
    heavy = min(subprocess_seconds([sys.executable, "-c", "import numpy, pandas, matplotlib.pyplot"])
                for _ in range(3))
    code = (f"{KERNEL_IMPORTS}\nimport os, time\nts = []\nfor _ in range(5):\n    t = time.perf_counter()\n"
            "    pid = os.fork()\n    if pid == 0:\n        os._exit(0)\n    os.waitpid(pid, 0)\n"
            "    ts.append(time.perf_counter() - t)\nprint(min(ts))")
    out = subprocess.run([sys.executable, "-c", code], env=child_env(), capture_output=True, text=True, timeout=300)
    fork = float(out.stdout.strip() or "nan")
    return [("python start, nothing imported", bare, "subprocess, min of 3"),
            ("python start + ipykernel, numpy, pandas, matplotlib imports", cold, "subprocess, min of 3"),
            ("  of which pandas + matplotlib.pyplot (lazy in grading mode)", heavy - light, "subprocess, min of 3"),
            ("fork + exit of an interpreter with those imported", fork, "os.fork, min of 5")]


# Parts of the recording step, found by cProfile: (label, file name part, function name).
RECORD_PARTS = (
    ("cell metadata validation (jsonschema, once per notebook)", "nbgraderformat/common.py", "validate_nb"),
    ("test cells restored from the gradebook (OverwriteCells)", "preprocessors/overwritecells.py", "preprocess"),
    ("cached run looked up and grafted (SandboxedExecute)", "mlpkit/preprocessors/sandboxed_execute.py", "preprocess"),
    ("grades saved (SaveAutoGrades, SQLite)", "saveautogrades.py", "preprocess"),
    ("grades saved (AtomicSaveAutoGrades, SQLite)", "mlpkit/preprocessors/save_autogrades.py", "preprocess"),
    ("scores read back (read_scores)", "mlpkit/gradebook/record.py", "read_scores"),
)


def record_profile(course, api, student, sandbox):
    """The recording step of one student again, in-process under cProfile, split into its parts."""
    api = record.grading_api(course, sandbox)
    record.record(course, api, StudentResult(student))  # warm: imports, caches
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    record.record(course, api, StudentResult(student))
    prof.disable()
    total = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats
    steps = [("record again, in-process (warm, under cProfile)", total, "cProfile, inflates Python-heavy code")]
    for label, file_part, func in RECORD_PARTS:
        seconds = sum(v[3] for (path, _, name), v in stats.items() if name == func and file_part in path)
        if seconds:
            steps.append((f"  {label}", seconds, "cProfile cumulative"))
    return steps


# ---------------------------------------------------------------- report

def _by_kind(students, kinds):
    counts = {}
    for student in students:
        counts[kinds.get(student, "?")] = counts.get(kinds.get(student, "?"), 0) + 1
    return ", ".join(f"{kind} x{n}" for kind, n in sorted(counts.items()))


LABELS = {"stock": "stock `nbgrader autograde` (sequential, no sandbox)",
          "jobs1": "`mlpkit autograde --jobs 1`",
          "all": f"`mlpkit autograde` ({cpu_count() + 1} workers, {cpu_count()} cores)"}


def _median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def print_results(results, k, kinds_desc, sandbox_desc, kinds):
    print(f"grading throughput: {k} submissions ({kinds_desc})\nmachine: {machine()}; {sandbox_desc}\n")
    print(f"{'run':>3s}  {'mode':52s} {'wall s':>7s} {'s/sub':>6s} {'core-s/sub':>10s} "
          f"{'recorded':>9s} {'exit':>4s}  load 1/5/15 min before")
    for r in results:
        per = r["wall"] / k
        print(f"{r['repeat']:>3d}  {LABELS[r['mode']]:52s} {r['wall']:7.1f} {per:6.2f} {per * r['cores']:10.2f} "
              f"{len(r['scores']):>5d}/{k:<3d} {r['returncode']:>4d}  {r['load']}")
    by_mode = {}
    for r in results:
        by_mode.setdefault(r["mode"], []).append(r)
    if "stock" in by_mode:
        stock = {r["repeat"]: r["wall"] for r in by_mode["stock"]}
        for mode in ("jobs1", "all"):
            if mode not in by_mode:
                continue
            ratios = [stock[r["repeat"]] / r["wall"] for r in by_mode[mode] if r["repeat"] in stock]
            print(f"\nratio stock / {mode} (same submissions, same run): median {_median(ratios):.2f}x, "
                  f"min-max {min(ratios):.2f}-{max(ratios):.2f}x over {len(ratios)} repeat(s); "
                  f"target {TARGET_RATIO:g}x: {'met' if min(ratios) >= TARGET_RATIO else 'NOT met'}")
    if "jobs1" in by_mode and "all" in by_mode:
        same = all(a["scores"] == b["scores"] for a, b in zip(by_mode["jobs1"], by_mode["all"]))
        print(f"per-cell scores, --jobs 1 vs all cores: {'identical' if same else 'DIFFERENT'}")
    if "stock" in by_mode:
        for mode in ("jobs1", "all"):
            if mode in by_mode:
                a, b = by_mode["stock"][0]["scores"], by_mode[mode][0]["scores"]
                diff = sorted(s for s in set(a) | set(b) if a.get(s) != b.get(s))
                print(f"per-cell scores, stock vs {mode}: "
                      + ("identical" if not diff else f"differ for {len(diff)}: {_by_kind(diff, kinds)}"))


def print_projections(by_mode, k, write_seconds=None):
    """Linear projections from the medians. Stock nbgrader grades one notebook at a time, so
    cores do not help it. The kit's workers do everything per student in parallel except the
    gradebook write: SQLite admits one writer at a time, so the kit can go no faster than one
    grades transaction (`write_seconds`, from the breakdown) per student."""
    rows = []
    if "stock" in by_mode:
        per = _median([r["wall"] for r in by_mode["stock"]]) / k
        rows.append(("stock nbgrader", lambda n, c, per=per: n * per))
    kit = by_mode.get("all") or by_mode.get("jobs1")
    if kit:
        core_s = _median([r["wall"] * r["cores"] for r in kit]) / k
        floor = write_seconds or 0.0
        rows.append((f"mlpkit ({core_s:.2f} core-s/sub" + (f", {floor:.2f} s/sub SQLite write)" if floor else ")"),
                     lambda n, c, core_s=core_s, floor=floor: n * max(core_s / c, floor)))
    if not rows:
        return
    header = "".join(f"{f'{n} on {c}':>14s}" for n in PROJECT_SUBMISSIONS for c in PROJECT_CORES)
    print("\nprojected minutes (submissions on cores; linear in the medians above):")
    print(f"  {'':52s}" + header)
    for label, minutes in rows:
        print(f"  {label:52s}" + "".join(f"{minutes(n, c) / 60:14.1f}"
                                         for n in PROJECT_SUBMISSIONS for c in PROJECT_CORES))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", type=Path, default=REPO, help="course root (default: this repo)")
    parser.add_argument("--small", action="store_true", help="3 submissions, 1 repeat, every mode (for CI)")
    parser.add_argument("-k", "--submissions", type=int, default=20)
    parser.add_argument("-r", "--repeats", type=int, default=3)
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated: stock, jobs1, all")
    parser.add_argument("--with-hang", action="store_true", help=f"include {HANG} in the mix")
    parser.add_argument("--no-breakdown", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the courses in this folder (else a temporary one)")
    args = parser.parse_args(argv)
    k = 3 if args.small else args.submissions
    repeats = 1 if args.small else args.repeats
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown mode(s): {', '.join(sorted(unknown))}")

    usable, detail = probe()
    sandbox = "require" if usable else "off"
    sandbox_desc = f"mlpkit sandbox {'ON' if usable else 'OFF'} ({detail})"

    tmp = tempfile.TemporaryDirectory(prefix="mlpkit-throughput-") if not args.keep else None
    parent = Path(tmp.name) if tmp else args.keep.resolve()
    parent.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        template = make_template(args.course.resolve(), parent / "template")
        pool, desc = example_pool(template, args.with_hang)
        kinds = write_submissions(template, pool, k)
        print(f"(set-up, not timed: course and {k} submissions in {time.perf_counter() - t0:.1f} s)", file=sys.stderr)
        results = []
        for repeat in range(1, repeats + 1):
            for mode in (modes if repeat % 2 else modes[::-1]):
                root = fresh_copy(template, parent, f"{mode}-{repeat}")
                results.append(run_mode(mode, root, sandbox, repeat))
                print(f"({mode}, repeat {repeat}: {results[-1]['wall']:.1f} s)", file=sys.stderr)
                if results[-1]["returncode"] not in (0, 1):
                    print(results[-1]["stderr"][-3000:], file=sys.stderr)
        print_results(results, k, desc, sandbox_desc, kinds)
        mlpkit_mode = next((m for m in ("jobs1", "all") if m in modes), None)
        write_seconds = None
        if mlpkit_mode and not args.no_breakdown:
            student = next((s for s, kind in kinds.items() if kind == "full_solution"), next(iter(kinds)))
            steps = breakdown(parent / f"{mlpkit_mode}-1", student, sandbox)
            print(f"\nwhere one submission's seconds go ({student}, {kinds[student]}, graded by mode {mlpkit_mode}):")
            print(f"  {'step':56s} {'seconds':>8s}  measured by")
            for step, seconds, how in steps:
                print(f"  {step:56s} {seconds:8.2f}  {how}")
            write_seconds = next((sec for step, sec, _ in steps if "AtomicSaveAutoGrades" in step), None)
        print_projections({m: [r for r in results if r["mode"] == m] for m in modes}, k, write_seconds)
        failed = [r["mode"] for r in results if len(r["scores"]) == 0]
        if failed:
            print(f"\nno grades recorded by: {', '.join(failed)}", file=sys.stderr)
            return 1
        return 0
    finally:
        if tmp:
            for course in parent.iterdir():   # their folders in the kit's cache (mlpkit/paths.py)
                shutil.rmtree(Course(course).cache_dir, ignore_errors=True)
            tmp.cleanup()


if __name__ == "__main__":
    raise SystemExit(main())
