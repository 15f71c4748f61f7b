"""Likely causes, measured: each mutant diagnosed with the whole catalogue and with itself left out.

    PYTHONPATH=. python benchmarks/causes_report.py [--course .] [--no-generated]

Autogrades every mutant and correct variant of tests/variants/ (and the generated correct
variants) in a throw-away course through nbgrader, as benchmarks/mutation_report.py does, then
diagnoses each mutant's graded failures (devtools/causes.py `leave_one_out`):
- with the whole catalogue: is it given its own cause (precision: of the mutants given a cause,
  those whose cause is theirs, alone or in a "one of"; recall: of all mutants, those);
- with its own entry removed, as a bug the catalogue does not know: it should get no cause;
  any cause it gets is a wrong one (we say how often it at least names the right task);
- every correct variant and the full solution must get none (false causes on correct work).
Prints a markdown table and the totals; the output is recorded in docs/mutation.md.
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devtools import causes as C  # noqa: E402
from devtools import generated_variants as G  # noqa: E402
from devtools import variants as V  # noqa: E402
from mlpkit.course import Course  # noqa: E402
from mlpkit.judging.causes import load_catalogue  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--no-generated", dest="generated", action="store_false")
    args = parser.parse_args(argv)
    variants = V.load_variants(args.course)
    if args.generated:
        course = Course(args.course)
        variants += [g.variant for g in G.build_all(course.source_notebook(), course.release_notebook())]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mlpkit-causes-") as tmp:
        graded = V.grade_variants(args.course, variants, Path(tmp) / "course", references=True)
    seconds = time.perf_counter() - started
    catalogue = load_catalogue(args.course, "mlp_lab")
    mutants = [v.name for v in variants if v.kind == "mutant" and not v.pending]
    rows = C.leave_one_out({m: graded[m]["failures"] for m in mutants}, catalogue)
    print("| mutant | with the whole catalogue | with itself left out |")
    print("|---|---|---|")
    for r in rows:
        whole = ", ".join(n.replace("mutant_", "") for n in r["with_itself"]) or "none"
        held = ", ".join(n.replace("mutant_", "") for n in r["held_out"]) or "none"
        print(f"| {r['name']} | {whole} | {held} |")
    s = C.summary(rows)
    correct = [v.name for v in variants if v.kind == "correct"] + ["full_solution", "source_notebook_as_submitted"]
    false_causes = [n for n in correct if graded[n]["likely_causes"]]
    print()
    print(f"whole catalogue: precision {s['right']}/{s['diagnosed']} ({100 * s['precision']:.0f}%), "
          f"recall {s['right']}/{s['mutants']} ({100 * s['recall']:.0f}%); "
          f"{s['exact']} of them alone, {s['right'] - s['exact']} as 'one of'")
    print(f"itself left out: {s['held_out_abstained']}/{s['mutants']} get no cause (right), "
          f"{s['held_out_given_a_cause']} get another mutant's cause (wrong; "
          f"{s['held_out_right_task']} of them in the right task)")
    print(f"correct work given a cause: {len(false_causes)}/{len(correct)}"
          + (f" ({', '.join(false_causes)})" if false_causes else ""))
    print(f"graded {len(graded)} submissions in {seconds:.0f} s")
    return 0 if not false_causes else 1


if __name__ == "__main__":
    sys.exit(main())
