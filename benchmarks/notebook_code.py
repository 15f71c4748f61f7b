"""The lab's code without its experiments: exec chosen cells of the SOURCE notebook into a namespace.

    PYTHONPATH=. python benchmarks/notebook_code.py [--course .] [--small]   # prints which cells it runs

Used by the benchmarks (epoch_time.py) to get the given `Network` and the reference
`Task1` exactly as the notebook defines them, without running its training cells:

    from notebook_code import notebook_namespace
    ns = notebook_namespace()                       # defaults below
    Network, Task1 = ns["Network"], ns["Task1"]

Which cells run, in notebook order:
- code *solution* cells (their reference solution, `### BEGIN/END SOLUTION` lines
  stripped by `devtools.variants.reference_solutions`) whose grade_id is in
  `solutions` (default: every code solution except `task4_*`, the experiment code);
- cells whose grade_id is in `cells`, or whose source contains one of `containing`;
- from every other code cell, by content, the statements that only *define* things:
  imports, `def`, `class`, and assignments that call nothing that trains, evaluates or
  plots (`definition_statements`); loops, bare calls and everything else are dropped.
Test cells (graded, not solutions) and markdown never run. IPython magics are
dropped. While the cells run, `MLP_LAB_SUBSET=1` (a set-up cell that loads MNIST
gets the small committed subset, not the full set) and `MPLBACKEND=Agg`.
"""
import argparse
import ast
import os
import sys
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from devtools.variants import reference_solutions  # noqa: E402
from mlpkit import notebook  # noqa: E402
from mlpkit.course import Course  # noqa: E402

# A call to one of these in an assignment marks a cell as an experiment, not a definition.
EXPERIMENT_CALLS = ("train", "fit", "evaluate", "experiment", "run_", "compare", "plot", "show",
                    "sweep", "grid", "display")


def source_notebook_path(course=REPO):
    return Course(course).source_nb_path


def _called_names(node):
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            f = sub.func
            yield f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")


def _is_definition(stmt):
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return True  # a docstring or a bare constant
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return not any(word in name.lower() for name in _called_names(stmt) for word in EXPERIMENT_CALLS)
    if isinstance(stmt, ast.If):  # e.g. `if GRADING: EPOCHS = 1 else: EPOCHS = 10`
        return all(_is_definition(s) for s in stmt.body + stmt.orelse)
    if isinstance(stmt, ast.Try):
        return all(_is_definition(s) for s in stmt.body + [s for h in stmt.handlers for s in h.body])
    return False


def definition_statements(source):
    """(kept, total): the top-level statements of a cell that only define things, of how many."""
    try:
        tree = ast.parse(notebook.strip_magics(source))
    except SyntaxError:
        return [], 0
    return [s for s in tree.body if _is_definition(s)], len(tree.body)


def is_definition_cell(source):
    """True if every top-level statement defines something (no loops, no bare calls, no training)."""
    kept, total = definition_statements(source)
    return total > 0 and len(kept) == total


def select_cells(nb, solutions=None, cells=(), containing=(), exclude=()):
    """[(index, grade_id or None, why, code)] of the cells `notebook_namespace` runs.

    `code` is the source to run, or for the other cells an `ast.Module` of their
    definition statements only (a cell defining `Task1And2` and then training it keeps
    the class and drops the training).
    """
    refs = reference_solutions(nb)
    chosen = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        gid = notebook.grade_id(cell)
        if gid in exclude or notebook.is_autograded_test(cell):
            continue  # tests never run here
        if notebook.is_solution(cell):
            wanted = gid in solutions if solutions is not None else not gid.startswith("task4_")
            if wanted or gid in cells:
                chosen.append((i, gid, "reference solution", refs[gid]))
            continue
        if gid and gid in cells:
            chosen.append((i, gid, "by grade_id", cell.source))
        elif any(text in cell.source for text in containing):
            chosen.append((i, gid, "by content", cell.source))
        else:
            kept, total = definition_statements(cell.source)
            if kept:
                why = "definitions" if len(kept) == total else f"definitions ({len(kept)}/{total} statements)"
                chosen.append((i, gid, why, ast.Module(body=kept, type_ignores=[])))
    return chosen


@contextmanager
def _cell_environment(workdir):
    saved_env = {k: os.environ.get(k) for k in ("MLP_LAB_SUBSET", "MPLBACKEND")}
    os.environ["MLP_LAB_SUBSET"] = "1"
    os.environ["MPLBACKEND"] = "Agg"
    saved_cwd, saved_path = os.getcwd(), list(sys.path)
    os.chdir(workdir)
    sys.path.insert(0, str(workdir))  # given files next to the notebook (mnist_loader.py)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def notebook_namespace(source=None, *, solutions=None, cells=(), containing=(), exclude=(), verbose=False):
    """Exec the selected cells of the source notebook (see module docstring); return the namespace."""
    path = Path(source) if source else source_notebook_path()
    if not path.is_file():
        raise FileNotFoundError(f"no source notebook at {path}")
    nb = notebook.read(path)
    ns = {"__name__": "__mlp_lab__"}
    with _cell_environment(path.parent):
        for i, gid, why, text in select_cells(nb, solutions, cells, containing, exclude):
            if verbose:
                print(f"  cell {i:3d}  {gid or '-':40s}  {why}", file=sys.stderr)
            code = compile(text if isinstance(text, ast.Module) else notebook.strip_magics(text),
                           f"<{path.name} cell {i}>", "exec")
            exec(code, ns)  # noqa: S102 - the course's own notebook
    return ns


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", type=Path, default=REPO, help="course root (default: this repo)")
    parser.add_argument("--small", action="store_true", help="accepted for symmetry with the other scripts")
    args = parser.parse_args(argv)
    path = source_notebook_path(args.course)
    nb = notebook.read(path)
    chosen = select_cells(nb)
    ns = notebook_namespace(path)
    print(f"cells of {path.relative_to(args.course.resolve())} run without experiments:")
    print(f"{'cell':>4}  {'grade_id':40s}  {'why':32s}  first line")
    for i, gid, why, text in chosen:
        shown = ast.unparse(text) if isinstance(text, ast.Module) else text
        first = next((line for line in shown.splitlines() if line.strip() and not line.startswith("#")), "")
        print(f"{i:4d}  {gid or '-':40s}  {why:32s}  {first[:60]}")
    skipped = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and i not in {c[0] for c in chosen}]
    print(f"code cells not run (tests, experiments): {', '.join(map(str, skipped)) or 'none'}")
    names = sorted(k for k, v in ns.items() if isinstance(v, type) and getattr(v, "__module__", "") == "__mlp_lab__")
    print(f"classes defined: {', '.join(names)}")
    return 0 if "Network" in ns else 1


if __name__ == "__main__":
    raise SystemExit(main())
