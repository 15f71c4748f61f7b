"""Print the adversarial suite as a table: each attack and what the sandbox made of it.

    PYTHONPATH=. python benchmarks/attack_table.py [--workers 3]

Runs the attack notebooks of tests/test_attacks.py (one hostile submission per attack)
against a throw-away course under /var/tmp and prints, per attack, the outcome of the
attacking cell, the report's events, whether the last cell still ran, whether any
canary (solution, gradebook, other student, grader's HOME or environment) appeared
in the outputs, and the number of static-scan findings (mlpkit.staging.scan) and the run's seconds. The table is recorded in docs/sandbox.md.
"""
import argparse
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import test_attacks as suite  # noqa: E402
from mlpkit.sandbox import machine  # noqa: E402


def outcome(nb):
    """The attacking cells' results, shortened: first error name or the printed text."""
    parts = []
    for cell in nb.cells[1:-1]:
        errors = [o["ename"] for o in cell.outputs if o["output_type"] == "error"]
        text = "".join(o.get("text", "") for o in cell.outputs if o["output_type"] == "stream")
        if errors:
            parts.append(errors[0])
        elif text:
            parts.append(text.strip().splitlines()[0][:30])
        else:
            parts.append("ran, no output")
    return "; ".join(parts)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=3)
    args = p.parse_args()
    usable, detail = machine.probe()
    print(f"sandbox: {'bubblewrap' if usable else 'NONE'} ({detail}); limits: cell {suite.LIMITS.cell_timeout} s, "
          f"notebook {suite.LIMITS.notebook_timeout} s")
    base = Path(tempfile.mkdtemp(prefix="mlpkit-attacks-", dir="/var/tmp"))
    base.chmod(0o755)
    try:
        results, course, before, listener = suite.run_attacks(base, workers=args.workers)
        course_intact = suite._digest(course) == before
    finally:
        shutil.rmtree(base, ignore_errors=True)
    canaries = (suite.SOLUTION_CANARY, suite.GRADEBOOK_CANARY, suite.OTHER_CANARY, suite.HOME_CANARY,
                suite.ENV_CANARY)
    print(f"course files unchanged: {course_intact}; connections accepted by the host listeners "
          f"(TCP on loopback, unix socket): "
          f"{listener.accepted}")
    print()
    print("| attack | outcome of the attacking cell(s) | events | later cell ran | leak | scan | s |")
    print("|---|---|---|---|---|---|---|")
    for name, (nb, report) in results.items():
        events = ", ".join(sorted({e["kind"] for e in report["events"]})) or "-"
        leaked = [c.split("-")[0].lower() for c in canaries if c in suite.all_text(nb)]
        flagged = len(suite.scan_attack(nb))
        print(f"| {name} | {outcome(nb)} | {events} | {'yes' if suite.later_cell_ran(nb) else 'NO'} | "
              f"{', '.join(leaked) or 'none'} | {flagged or '-'} | {report['seconds']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
