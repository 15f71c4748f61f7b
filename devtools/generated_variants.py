"""Correct variants generated from the reference solutions by AST rewrites (issue 17, part 2).

    python -m devtools.generated_variants              # list them: name, rewrite families, what changed
    python -m devtools.generated_variants NAME         # print one variant's cell
    python -m devtools.generated_variants NAME --diff  # ... as a diff against the reference

Each recipe (devtools/variant_recipes.py) takes one code solution cell of the SOURCE notebook
(solution markers stripped, devtools/variants.py) and stacks one to three rewrites
(devtools/ast_rewrites.py) that keep what it computes: calls by keyword or by position with the
parameter names the RELEASE notebook documents, tuples for lists, in-place for copied updates
of the object's own state, loops for comprehensions and back, renamed locals, independent
statements reordered, equivalent formulas, other containers for the per-layer state. The result
is a `Variant` of kind "correct" that tests/test_mutation.py grades through nbgrader and expects
at full marks. Variants are built in memory, so they follow the notebook whenever its reference
changes, and nothing generated is committed. A rewrite that no longer applies raises
`NotApplicable` naming the variant, and so does a recipe whose result is the reference itself.
"""
import argparse
import ast
import difflib
import sys
from dataclasses import dataclass
from pathlib import Path

from devtools import variants as V
from devtools.ast_rewrites import NotApplicable, normalized, signatures_in
from devtools.variant_recipes import FAMILIES, Rewrite  # noqa: F401 - re-exported for the tests and the report
from devtools.variant_recipes import CELL_LABELS, RECIPES, rewrites_by_cell
from mlpkit import notebook

REPO = Path(__file__).resolve().parents[1]

@dataclass(frozen=True)
class Generated:
    variant: V.Variant
    families: frozenset


def documented_signatures(release_nb) -> dict:
    """The parameters of every function and method the release notebook defines (its documentation)."""
    sources = []
    for cell in release_nb.cells:
        if cell.cell_type == "code":
            source = notebook.strip_magics(cell.source)
            try:
                ast.parse(source)
            except SyntaxError:  # a cell only the notebook can run; it documents nothing we call
                continue
            sources.append(source)
    return signatures_in(sources)


def build(cell, reference, rewrites) -> Generated:
    """One variant: `rewrites` applied in order to the reference solution of `cell`."""
    name = "generated_" + "_".join([CELL_LABELS[cell]] + [r.label for r in rewrites])
    tree = ast.parse(reference)
    for rewrite in rewrites:
        for step in rewrite.steps:
            before = ast.dump(tree)
            try:
                step(tree)
            except NotApplicable as error:
                raise NotApplicable(f"{name}: {rewrite.label}: {error}") from None
            if ast.dump(tree) == before:
                raise NotApplicable(f"{name}: {rewrite.label} changed nothing")
    source = ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    compile(source, name, "exec")
    if normalized(source) == normalized(reference):
        raise NotApplicable(f"{name}: the rewrites give back the reference")
    doc = f"Generated from the reference {cell}: " + "; ".join(r.doc for r in rewrites) + "."
    variant = V.Variant(name, "correct", doc, {cell: source}, (), (), Path(__file__).relative_to(REPO))
    return Generated(variant, frozenset(r.family for r in rewrites))


def build_all(source_nb, release_nb) -> list:
    """Every recipe applied to the source notebook's references (Generated: the variant and its families)."""
    references = V.reference_solutions(source_nb)
    rewrites = rewrites_by_cell(documented_signatures(release_nb))
    built = [build(cell, references[cell], [rewrites[cell][label] for label in recipe])
             for cell, recipes in RECIPES.items() for recipe in recipes]
    names = [g.variant.name for g in built]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"two recipes give the same name: {duplicates}")
    return built


def generate(course=REPO) -> list:
    """The generated correct variants of `course` (its source and release notebooks), as Variants."""
    release, source = V.course_notebooks(course)
    return [g.variant for g in build_all(source, release)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", help="print this variant's cell")
    parser.add_argument("--diff", action="store_true", help="as a diff against the reference")
    parser.add_argument("--course", type=Path, default=REPO)
    args = parser.parse_args(argv)
    release, source = V.course_notebooks(args.course)
    built = build_all(source, release)
    if not args.name:
        for g in built:
            pending = "  [PENDING grader fix]" if g.variant.pending else ""
            print(f"{g.variant.name}  ({', '.join(sorted(g.families))}){pending}\n    {g.variant.doc}")
        cells = {cell for g in built for cell in g.variant.cells}
        print(f"\n{len(built)} generated correct variants over {len(cells)} cells")
        return 0
    found = [g.variant for g in built if g.variant.name == args.name]
    if not found:
        print(f"no generated variant {args.name}", file=sys.stderr)
        return 1
    (cell, text), = found[0].cells.items()
    if args.diff:
        reference = ast.unparse(ast.parse(V.reference_solutions(source)[cell])) + "\n"
        sys.stdout.writelines(difflib.unified_diff(reference.splitlines(True), text.splitlines(True),
                                                   f"reference {cell}", args.name))
    else:
        print(f"# {found[0].doc}\n{text}", end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
