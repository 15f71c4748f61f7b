"""Grading throughput: K submissions end to end, stock `nbgrader autograde` against `mlpkit autograde`.

    PYTHONPATH=. python benchmarks/grading_throughput.py             # 100 submissions
    PYTHONPATH=. python benchmarks/grading_throughput.py --small     # 3 submissions (CI)
    PYTHONPATH=. python benchmarks/grading_throughput.py -k 20 --modes jobs1,all

Builds a throw-away course in a temporary folder from this course's config and
source/ (`mlpkit.variants.make_grading_course`), then K submissions: the example
submissions of `mlpkit.examples` taken in turn (the one that loops forever only
with `--with-hang`: each costs a 30 s cell timeout), or reference-filled copies of
the release if the examples cannot be built. Each copy gets a unique comment line,
so no two submissions share an execution-cache entry: every notebook really runs.

Each mode grades the same K submissions in its own fresh copy of that course,
timed end to end as a subprocess (start-up included):
- stock:  `nbgrader autograde mlp_lab`, nbgrader's own Execute preprocessor, one
          notebook after the other, no sandbox (the baseline);
- jobs1:  `mlpkit autograde --jobs 1` (sandbox on when bubblewrap works);
- all:    `mlpkit autograde` with all cores (sandbox on when bubblewrap works).
Prints seconds per submission and submissions per minute, whether the per-cell
scores of the mlpkit modes agree (with each other, and with stock), then where the
seconds of one full-solution submission go: the timings mlpkit writes to
grading/<student>.json plus separate measurements of start-up, sanitising,
sandbox and kernel start, and the notebook's cells by kind.
Target (issue 6): 100 submissions in under 3 minutes with the sandbox on (mode all).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
# nbgrader runs `alembic` by name when it creates a gradebook (in this process, too).
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

MODES = ("stock", "jobs1", "all")
TARGET = (100, 180)  # submissions, seconds
HANG = "hangs_infinite_loop"


def cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def child_env():
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("NBGRADER_EXECUTION", None)
    return env


# ---------------------------------------------------------------- the course and its submissions

def make_template(course, workdir):
    """A graded-ready course: assignment generated, gradebook synced (outside the timings)."""
    from mlpkit.autograde import sync_gradebook
    from mlpkit.variants import make_grading_course
    template = make_grading_course(course, workdir)
    if (Path(course) / "tests" / "variants").is_dir():
        shutil.copytree(Path(course) / "tests" / "variants", template.root / "tests" / "variants")
    sync_gradebook(template)
    return template


def example_pool(template, with_hang):
    """[(kind, notebook)] to cycle through, and a description of where they came from."""
    try:
        from mlpkit.examples import example_notebooks
        pool = [(name, nb) for name, nb in example_notebooks(template.root).items()
                if with_hang or name != HANG]
        return pool, "the example submissions of mlpkit.examples" + ("" if with_hang else f" except {HANG}")
    except Exception as exc:  # the examples do not fit this notebook (yet)
        from mlpkit.variants import build_submission
        nb = build_submission(template.release_notebook(), template.source_notebook(), fill_markdown=True)
        return [("full_solution", nb)], f"reference-filled copies of the release (examples unavailable: {exc})"


def write_submissions(template, pool, k):
    """submitted/s001..s<k>; returns {student: kind}."""
    import copy

    from mlpkit.course import write_notebook
    kinds = {}
    for n in range(k):
        kind, nb = pool[n % len(pool)]
        nb = copy.deepcopy(nb)
        student = f"s{n + 1:03d}"
        first_solution = next(c for c in nb.cells if c.cell_type == "code"
                              and c.get("metadata", {}).get("nbgrader", {}).get("solution"))
        first_solution.source = first_solution.source.rstrip("\n") + f"\n# benchmark submission {student}\n"
        write_notebook(nb, template.submission_path(student))
        kinds[student] = kind
    return kinds


def fresh_copy(template, parent, mode):
    root = Path(parent) / mode
    shutil.copytree(template.root, root, ignore=shutil.ignore_patterns("exec", "reports", "autograded",
                                                                       "grading"))
    if mode == "stock":
        from nbgrader.converters import Autograde
        stock = [f"{p.__module__}.{p.__name__}" for p in Autograde().autograde_preprocessors]
        with open(root / "nbgrader_config.py", "a") as f:
            f.write("\n# benchmark baseline: nbgrader's stock preprocessors, its own Execute\n"
                    f"c.Autograde.autograde_preprocessors = {stock!r}\n")
    return root


# ---------------------------------------------------------------- the modes

def command(mode, root, sandbox):
    if mode == "stock":
        return [sys.executable, "-m", "nbgrader", "autograde", "mlp_lab"]
    cmd = [sys.executable, "-m", "mlpkit", "--course", str(root), "autograde", "--quiet", "--sandbox", sandbox]
    return cmd + (["--jobs", "1"] if mode == "jobs1" else [])


def run_mode(mode, root, sandbox):
    t0 = time.perf_counter()
    proc = subprocess.run(command(mode, root, sandbox), cwd=root, env=child_env(), capture_output=True,
                          text=True, timeout=4 * 3600)
    wall = time.perf_counter() - t0
    return {"mode": mode, "wall": wall, "returncode": proc.returncode, "stdout": proc.stdout,
            "stderr": proc.stderr, "scores": gradebook_scores(root)}


def gradebook_scores(root):
    """{student: {grade_id: score}} of the students with recorded autograded scores (nbgrader's API)."""
    from nbgrader.api import MissingEntry

    from mlpkit.course import Course
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

def subprocess_seconds(argv):
    t0 = time.perf_counter()
    subprocess.run(argv, env=child_env(), capture_output=True, timeout=300, check=False)
    return time.perf_counter() - t0


def breakdown(root, student, sandbox):
    """[(step, seconds, how measured)] for one student graded in `root` by `mlpkit --jobs 1`."""
    import nbformat

    from mlpkit import autograde as A
    from mlpkit.course import Course
    from mlpkit.execute import run_notebook
    from notebook_walltime import run_cells
    course = Course(root)
    steps = []
    saved = json.loads(course.result_path(student).read_text()) if course.result_path(student).exists() else {}
    timings = saved.get("timings", {})
    steps.append(("python + nbgrader import (`nbgrader --version`)",
                  subprocess_seconds([sys.executable, "-m", "nbgrader", "--version"]), "subprocess, once per run"))
    steps.append(("python + mlpkit CLI start (`mlpkit --help`)",
                  subprocess_seconds([sys.executable, "-m", "mlpkit", "--help"]), "subprocess, once per run"))
    t0 = time.perf_counter()
    api = course.api(**{"CourseDirectory.submitted_directory": A.STAGED})
    steps.append(("NbGraderAPI with the course config", time.perf_counter() - t0,
                  "in-process (nbgrader imported), once per run"))
    for key, label in (("normalise", "normalise + tampering scan"), ("execute", "execute in a worker (total)"),
                       ("notebook_seconds", "  of which run_notebook"), ("record", "record via nbgrader autograde")):
        if key in timings:
            steps.append((label, timings[key], f"grading/{student}.json"))
    t0 = time.perf_counter()
    nb = A.sanitised_notebook(course, api, student)
    steps.append(("sanitise (nbgrader's sanitize preprocessors)", time.perf_counter() - t0, "in-process"))
    with tempfile.TemporaryDirectory(prefix="mlpkit-breakdown-") as tmp:
        work = A.prepare_workdir(course, api, student, tmp)
        trivial = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")])
        trivial.metadata = nb.metadata
        for label, mode in (("runner + kernel start, sandbox off (1 empty cell)", "off"),
                            (f"runner + kernel start, sandbox {sandbox} (1 empty cell)", sandbox)):
            _, report = run_notebook(trivial, work, sandbox=mode, env={"NBGRADER_EXECUTION": "autograde"})
            steps.append((label, report["seconds"], f"run_notebook, sandboxed={report['sandboxed']}"))
        by_kind = run_cells(nb, work, grading=True, timeout=300, progress=False)
    steps.append(("the same notebook, unsandboxed, per-cell timing", by_kind["wall"], "nbclient"))
    steps.append(("  kernel start + shutdown", by_kind["overhead"], "nbclient"))
    for kind, seconds in by_kind["by_kind"].items():
        steps.append((f"  {kind}", seconds, "nbclient per-cell timing"))
    steps += record_profile(course, api, student, sandbox)
    return steps


# Parts of the recording step, found by cProfile: (label, file name part, function name).
RECORD_PARTS = (
    ("cell metadata validation (jsonschema, 2x per notebook)", "nbgraderformat/common.py", "validate_nb"),
    ("test cells restored from the gradebook (OverwriteCells)", "preprocessors/overwritecells.py", "preprocess"),
    ("cached run looked up and grafted (SandboxedExecute)", "mlpkit/execute.py", "preprocess"),
    ("grades saved (SaveAutoGrades, SQLite)", "saveautogrades.py", "preprocess"),
    ("grades saved (AtomicSaveAutoGrades, SQLite)", "mlpkit/course.py", "preprocess"),
    ("scores read back (read_scores)", "mlpkit/autograde.py", "read_scores"),
)


def record_profile(course, api, student, sandbox):
    """The recording step of one student again, in-process under cProfile, split into its parts."""
    import cProfile
    import pstats

    from mlpkit import autograde as A
    A._configure_execute(api, course, sandbox, course.cache_dir / "exec")
    A.record(course, api, student, A.StudentResult(student))  # warm: imports, caches
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    A.record(course, api, student, A.StudentResult(student))
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


def print_results(results, k, kinds_desc, sandbox_desc, kinds):
    print(f"grading throughput: {k} submissions ({kinds_desc}); {cpu_count()} cores; {sandbox_desc}\n")
    print(f"{'mode':48s} {'wall s':>8s} {'s/submission':>12s} {'submissions/min':>15s} {'recorded':>9s}  exit")
    labels = {"stock": "stock `nbgrader autograde` (sequential, no sandbox)",
              "jobs1": "`mlpkit autograde --jobs 1`",
              "all": f"`mlpkit autograde` ({cpu_count()} workers)"}
    for r in results:
        per = r["wall"] / k
        print(f"{labels[r['mode']]:48s} {r['wall']:8.1f} {per:12.2f} {60 / per:15.1f} "
              f"{len(r['scores']):>5d}/{k:<3d}  {r['returncode']}")
    by_mode = {r["mode"]: r for r in results}
    if "all" in by_mode:
        projected = by_mode["all"]["wall"] / k * TARGET[0]
        print(f"\ntarget: {TARGET[0]} submissions < {TARGET[1]} s with the sandbox on; mode all "
              f"{'measured' if k == TARGET[0] else 'projected linearly'}: {projected:.0f} s -> "
              f"{'met' if projected < TARGET[1] else 'NOT met'}")
    if "jobs1" in by_mode and "all" in by_mode:
        same = by_mode["jobs1"]["scores"] == by_mode["all"]["scores"]
        print(f"per-cell scores, --jobs 1 vs all cores: {'identical' if same else 'DIFFERENT'}")
    if "stock" in by_mode:
        for mode in ("jobs1", "all"):
            if mode in by_mode:
                diff = sorted(s for s in set(by_mode["stock"]["scores"]) | set(by_mode[mode]["scores"])
                              if by_mode["stock"]["scores"].get(s) != by_mode[mode]["scores"].get(s))
                print(f"per-cell scores, stock vs {mode}: "
                      + ("identical" if not diff else f"differ for {len(diff)}: {_by_kind(diff, kinds)}"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", type=Path, default=REPO, help="course root (default: this repo)")
    parser.add_argument("--small", action="store_true", help="3 submissions (for CI)")
    parser.add_argument("-k", "--submissions", type=int, default=100)
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated: stock, jobs1, all")
    parser.add_argument("--with-hang", action="store_true", help=f"include {HANG} in the mix")
    parser.add_argument("--no-breakdown", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the courses in this folder (else a temporary one)")
    args = parser.parse_args(argv)
    k = 3 if args.small else args.submissions
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown mode(s): {', '.join(sorted(unknown))}")

    from mlpkit.sandbox import probe
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
        for mode in modes:
            root = fresh_copy(template, parent, mode)
            results.append(run_mode(mode, root, sandbox))
            print(f"({mode}: {results[-1]['wall']:.1f} s)", file=sys.stderr)
            if results[-1]["returncode"] not in (0, 1):
                print(results[-1]["stderr"][-3000:], file=sys.stderr)
        print_results(results, k, desc, sandbox_desc, kinds)
        mlpkit_mode = next((m for m in ("jobs1", "all") if m in modes), None)
        if mlpkit_mode and not args.no_breakdown:
            student = next((s for s, kind in kinds.items() if kind == "full_solution"), next(iter(kinds)))
            steps = breakdown(parent / mlpkit_mode, student, sandbox)
            print(f"\nwhere one submission's seconds go ({student}, {kinds[student]}, graded by mode {mlpkit_mode}):")
            print(f"  {'step':56s} {'seconds':>8s}  measured by")
            for step, seconds, how in steps:
                print(f"  {step:56s} {seconds:8.2f}  {how}")
        failed = [r["mode"] for r in results if len(r["scores"]) == 0]
        if failed:
            print(f"\nno grades recorded by: {', '.join(failed)}", file=sys.stderr)
            return 1
        return 0
    finally:
        if tmp:
            tmp.cleanup()


if __name__ == "__main__":
    raise SystemExit(main())
