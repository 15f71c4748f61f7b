"""The catalogue of likely causes, generated from the mutants, and its leave-one-out measure.

    python -m devtools.causes            # check judges/mlp_lab_causes.json equals a fresh generation
    python -m devtools.causes --update   # (re)write it from tests/variants/mutant_*.py

Each mutant of tests/variants/ names the cells it FAILS, the cells it may fail with them
(KNOCK_ON), the judge's MESSAGE and its misconception in plain words (CAUSE); the catalogue is
those fields, per mutant, nothing else (no code). tests/test_causes.py checks the committed file
is current; the mutation suite (tests/test_mutation.py) proves every mutant fails exactly its
cells, so the catalogue agrees with the judges. Matching: mlpkit/judging/causes.py.

`leave_one_out(observed, catalogue)` diagnoses each mutant's graded failures twice: with the
whole catalogue, and with its own entry removed (a bug the catalogue does not know, which should
get no cause). benchmarks/causes_report.py grades the mutants and prints both; docs/mutation.md
records its output. Developer tooling, run from the repository root.
"""
import argparse
import json
import sys
import tempfile
from pathlib import Path

from devtools.variants import grade_variants, load_variants, verdict
from mlpkit.judging.causes import catalogue_path, diagnose, part_of
from mlpkit.notebook import task_of

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "mlp_lab"


def build(course=REPO):
    """The catalogue as a dict, from the course's mutants (sorted by name)."""
    entries = []
    for v in load_variants(course):
        if v.kind != "mutant" or v.pending:
            continue
        cell = sorted(v.cells)[0]
        entries.append({"name": v.name, "task": task_of(cell), "part": part_of(cell), "cause": v.cause,
                        "fails": list(v.fails), "knock_on": list(v.knock_on), "message": v.message})
    return {"generated_by": "python -m devtools.causes --update (from tests/variants/mutant_*.py)",
            "entries": entries}


def render(catalogue):
    return json.dumps(catalogue, indent=1, ensure_ascii=False) + "\n"


def _names(causes):
    return {name.strip() for c in causes for name in c["matches"].split(",")}


def leave_one_out(observed, catalogue):
    """Rows per mutant of `observed` ({name: {grade_id: message}}, its graded failures):
    {"name", "with_itself": names matched with the whole catalogue, "held_out": names matched
    with its own entry removed, "held_out_task_right": whether those name its own task}."""
    entries = {e["name"]: e for e in catalogue}
    rows = []
    for name, failed in sorted(observed.items()):
        others = [e for e in catalogue if e["name"] != name]
        held = diagnose(failed, others)
        rows.append({"name": name, "with_itself": sorted(_names(diagnose(failed, catalogue))),
                     "held_out": sorted(_names(held)),
                     "held_out_task_right": all(c["task"] == entries[name]["task"] for c in held)})
    return rows


def summary(rows):
    """Precision and recall, in-sample and held out (the definitions are in docs/mutation.md)."""
    n = len(rows)
    given = [r for r in rows if r["with_itself"]]
    right = [r for r in given if r["name"] in r["with_itself"]]
    exact = [r for r in right if r["with_itself"] == [r["name"]]]
    held = [r for r in rows if r["held_out"]]
    return {"mutants": n, "diagnosed": len(given), "right": len(right), "exact": len(exact),
            "precision": len(right) / len(given) if given else 1.0, "recall": len(right) / n if n else 0.0,
            "held_out_given_a_cause": len(held), "held_out_abstained": n - len(held),
            "held_out_right_task": sum(r["held_out_task_right"] for r in held)}


def recheck_catalogue(course=REPO, jobs=None, sandbox="auto"):
    """(ok, report): grade every mutant of `course` in a throw-away course (nothing of `course` is
    written) and check each still loses exactly its points (devtools.variants.verdict) and is
    diagnosed with its own cause. `mlpkit autograde --dry-run --catalogue` prints the report."""
    mutants = [v for v in load_variants(course) if v.kind == "mutant" and not v.pending]
    with tempfile.TemporaryDirectory(prefix="mlpkit-catalogue-") as tmp:
        graded = grade_variants(course, mutants, Path(tmp) / "course", references=True)
    lines, ok = [], True
    for v in mutants:
        right, failed, message = verdict(v, graded[v.name]["scores"])
        named = _names(graded[v.name]["likely_causes"])
        cause = "own cause" if v.name in named else f"cause: {', '.join(sorted(named)) or 'none'}"
        ok &= right
        lines.append(f"{v.name}: {'ok' if right else 'WRONG: ' + message} ({cause})")
    for student in ("full_solution", "untouched_release"):
        causes = graded[student]["likely_causes"]
        ok &= not causes
        lines.append(f"{student}: {'no cause' if not causes else 'WRONG: ' + str(causes)}")
    lines.append(f"{sum(line.split(': ')[1].startswith('ok') for line in lines[:len(mutants)])}/{len(mutants)} "
                 "mutants lose exactly their points; nothing of the course was written")
    return ok, "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.causes", description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the catalogue instead of checking it")
    args = parser.parse_args(argv)
    path, fresh = catalogue_path(REPO, ASSIGNMENT), render(build())
    if args.update:
        path.write_text(fresh)
        print(f"wrote {path}")
        return 0
    if not path.is_file() or path.read_text() != fresh:
        print(f"{path} is stale: run `python -m devtools.causes --update`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
