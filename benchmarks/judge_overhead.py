"""What judging outside the kernel costs: `mlpkit autograde` before and after, side by side.

    PYTHONPATH=. python benchmarks/judge_overhead.py --before 3c94065 [-k 10] [--repeats 3] [--jobs 1]

Checks out REV (the kit and lab before the probes and judges) into a temporary git worktree,
builds in each checkout a throw-away course with K copies of its own full solution (each
with a unique comment, so no execution cache is shared), and times `mlpkit autograde` end to
end in each, alternating before/after in every repeat so that both see the same machine load.
Prints wall and CPU seconds per submission for both (CPU: the autograde process and every
process it waited for, kernels included; steadier than wall time on a loaded machine), min–max
over the repeats, and the after/before ratios of each repeat. Each side runs with its own code
(PYTHONPATH points at its checkout).
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mlpkit.paths import course_cache_dir  # noqa: E402  (standard library only)

BUILD = r'''
import sys
from pathlib import Path
try:  # the kit after issue 11 keeps its developer tooling in devtools/
    from devtools import variants as V
    from mlpkit.notebook import write as write_notebook
except ImportError:
    from mlpkit import variants as V
    from mlpkit.course import write_notebook
course = V.make_grading_course(Path(sys.argv[1]), Path(sys.argv[2]))
release, source = course.release_notebook(), course.source_notebook()
for i in range(int(sys.argv[3])):
    nb = V.build_submission(release, source, fill_markdown=True)
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.source = f"# copy {i}\n" + first.source
    write_notebook(nb, course.submission_path(f"student_{i:03d}"))
'''


def env_for(checkout):
    env = dict(os.environ, PYTHONPATH=str(checkout))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env["PATH"]
    env.pop("NBGRADER_EXECUTION", None)
    return env


def build(checkout, course, k):
    subprocess.run([sys.executable, "-c", BUILD, str(checkout), str(course), str(k)], env=env_for(checkout),
                   check=True, capture_output=True, cwd=checkout)


def grade(checkout, course, jobs):
    shutil.rmtree(course / "autograded", ignore_errors=True)
    # The course's cached runs: in the course before the kit's cache moved out of it, in the kit's cache after.
    for path in (course / "gradebook.db", course / ".mlpkit-cache", course_cache_dir(course)):
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "mlpkit", "--course", str(course), "autograde", "--quiet",
                    "--jobs", str(jobs)], env=env_for(checkout), check=True, capture_output=True, cwd=course)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.perf_counter() - started, cpu


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="git revision without probes and judges")
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="judge-overhead-", dir=Path.home()))
    old = work / "before"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(old), args.before],
                   check=True, capture_output=True)
    try:
        sides = {"before": old, "after": REPO}
        courses = {name: work / f"course-{name}" for name in sides}
        for name, checkout in sides.items():
            build(checkout, courses[name], args.k)
        wall = {name: [] for name in sides}
        cpu = {name: [] for name in sides}
        for _ in range(args.repeats):
            for name, checkout in sides.items():
                seconds, cpu_seconds = grade(checkout, courses[name], args.jobs)
                wall[name].append(seconds / args.k)
                cpu[name].append(cpu_seconds / args.k)
        load = os.getloadavg()[0]
        print(f"{args.k} full-solution submissions, --jobs {args.jobs}, {args.repeats} repeats, "
              f"load average {load:.1f} at the end, {os.cpu_count()} cores")
        for name in sides:
            print(f"{name:6s} ({args.before if name == 'before' else 'HEAD'}): wall s/submission "
                  f"{min(wall[name]):.2f}–{max(wall[name]):.2f}, CPU s/submission {min(cpu[name]):.2f}–{max(cpu[name]):.2f}")
        for what, figures in (("wall", wall), ("CPU", cpu)):
            ratios = [a / b for a, b in zip(figures["after"], figures["before"])]
            print(f"after/before, {what} time, per repeat: " + ", ".join(f"{r:.2f}" for r in ratios)
                  + f"  (min–max {min(ratios):.2f}–{max(ratios):.2f})")
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
