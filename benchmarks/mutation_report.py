"""Mutation score of the lab's hidden tests: which bugs they catch, which answers they accept.

    PYTHONPATH=. python benchmarks/mutation_report.py [--course .] [--only NAME ...] [--markdown] [--fast]
                                                      [--no-generated]

Autogrades every variant of tests/variants/ (devtools/variants.py) and the correct variants
generated from the reference solutions (devtools/generated_variants.py; --no-generated leaves
them out) in a throw-away course through nbgrader, then prints one row per variant: expected
cells (FAILS, + KNOCK_ON allowed), the cells that actually lost points, and the verdict; then
the totals. A PENDING variant shows a known unfairness of the grader whose fix is proposed: it
is expected to be judged wrong until the fix lands (as in tests/test_mutation.py). Exit status
1 if any verdict is not the expected one. The output is recorded in docs/mutation.md.
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devtools import generated_variants as G  # noqa: E402
from devtools import variants as V  # noqa: E402
from mlpkit.course import Course  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--only", nargs="*", help="grade only these variants")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--fast", action="store_true",
                        help="exec the cells in this process instead of autograding (a quick preview)")
    parser.add_argument("--no-generated", dest="generated", action="store_false",
                        help="leave out the correct variants generated from the reference solutions")
    args = parser.parse_args(argv)

    chosen = choose_variants(args.course, args.only, args.generated)
    started = time.perf_counter()
    if args.fast:
        course = Course(args.course)
        source = course.source_notebook()
        workdir = course.source_dir
        # Cheats patch numpy for good and would poison this process: nbgrader level only.
        chosen = [v for v in chosen if "cheat" not in v.name]
        results = {v.name: {"scores": V.run_in_process(V.build_submission(source, source, v.cells), workdir)}
                   for v in chosen}
    else:
        with tempfile.TemporaryDirectory(prefix="mlpkit-mutation-") as tmp:
            results = V.grade_variants(args.course, chosen, Path(tmp) / "course", references=True)
    seconds = time.perf_counter() - started

    rows, ok = [], {}
    for v in chosen:
        ok[v.name], failed, message = V.verdict(v, results[v.name]["scores"])
        expected = ", ".join(v.fails) + (f" (+ may: {', '.join(v.knock_on)})" if v.knock_on else "")
        verdict = "ok" if ok[v.name] else f"WRONG: {message}"
        if v.pending:
            verdict += f" [PENDING fix: {v.pending}]"
        rows.append((v.name, expected or "-", ", ".join(failed) or "-", verdict))
    print_table(rows, args.markdown)

    mutants = [v for v in chosen if v.kind == "mutant"]
    correct = [v for v in chosen if v.kind == "correct" and not v.name.startswith("generated_")]
    generated = [v for v in chosen if v.name.startswith("generated_")]
    caught = sum(ok[v.name] for v in mutants)
    accepted = sum(ok[v.name] for v in correct)
    pending = [v.name for v in chosen if v.pending]
    print()
    print(f"bugs caught in their own cells and no other: {caught}/{len(mutants)}"
          f" ({100 * caught / max(len(mutants), 1):.0f}%)")
    print(f"correct variants at full marks:             {accepted}/{len(correct)}"
          f" ({100 * accepted / max(len(correct), 1):.0f}%)")
    if generated:
        kept = sum(ok[v.name] for v in generated)
        print(f"generated correct variants at full marks:   {kept}/{len(generated)}"
              f" ({100 * kept / len(generated):.0f}%)")
    for student in ("full_solution", "untouched_release"):
        if student in results:
            scores = results[student]["scores"] or {}
            print(f"{student + ':':44s}{sum(a for a, _ in scores.values()):g}"
                  f"/{sum(b for _, b in scores.values()):g} points on the autograded cells")
    if pending:
        print(f"pending fixes (expected wrong until fixed): {', '.join(pending)}")
    print(f"graded {len(results)} submissions in {seconds:.0f} s")
    # As the suite's strict xfail: a PENDING variant must still be judged wrong, every other one right.
    return 0 if all(ok[v.name] != bool(v.pending) for v in chosen) else 1


def choose_variants(course, only=None, generated=True) -> list:
    """The variant files of `course` (all, or those named in `only`), then its generated variants."""
    files = V.load_variants(course, None)
    made = G.generate(course) if generated else []
    chosen = files + made
    if only is not None:
        missing = set(only) - {v.name for v in chosen}
        if missing:
            raise SystemExit(f"no such variant(s): {', '.join(sorted(missing))}")
        chosen = [v for v in chosen if v.name in set(only)]
    return chosen


def print_table(rows, markdown):
    header = ("variant", "expected cells", "failed cells", "verdict")
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        return
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(2)]
    for row in [header] + rows:
        print(f"{row[0]:{widths[0]}}  {row[1]:{widths[1]}}  {row[2]}  ->  {row[3]}")


if __name__ == "__main__":
    raise SystemExit(main())
