"""Run every benchmark of the kit and print their tables (`make bench`).

    PYTHONPATH=. python benchmarks/run_all.py            # full size (tens of minutes; figures for docs/performance.md)
    PYTHONPATH=. python benchmarks/run_all.py --small    # the CI-sized versions (a few minutes)
    PYTHONPATH=. python benchmarks/run_all.py --only epoch_time notebook_walltime

Each script runs in its own Python process (so thread settings and imports of one
cannot leak into the next), in this order: notebook_code (which cells the
benchmarks take from the notebook), epoch_time, notebook_walltime,
grading_throughput. The load average is printed before each: the figures are only
worth recording when the machine is otherwise idle. Exit status 1 if any failed.
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SCRIPTS = ("notebook_code", "epoch_time", "notebook_walltime", "grading_throughput")


def load_average():
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="CI-sized runs")
    parser.add_argument("--only", nargs="+", choices=SCRIPTS, help="run only these scripts")
    parser.add_argument("--course", type=Path, default=REPO, help="course root (default: this repo)")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    failed = []
    for name in args.only or SCRIPTS:
        cmd = [sys.executable, str(HERE / f"{name}.py"), "--course", str(args.course)]
        cmd += ["--small"] if args.small else []
        print(f"\n=== {name}{' --small' if args.small else ''}  "
              f"(load average {load_average()}, {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())})",
              flush=True)
        t0 = time.perf_counter()
        rc = subprocess.run(cmd, env=env).returncode
        print(f"=== {name}: exit {rc} after {time.perf_counter() - t0:.0f} s", flush=True)
        if rc != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
