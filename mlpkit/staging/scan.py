"""Static scan of a notebook's solution cells for tampering with the grader.

    python -m mlpkit.staging.scan path/to/notebook.ipynb     # prints findings, exit 1 if any

`scan_notebook(nb) -> list[Finding(cell_grade_id, line, reason)]` parses the code of
every nbgrader solution cell with `ast` and flags what honest lab code never needs:
- rebinding attributes of imported modules (`np.allclose = ...`,
  `numpy.testing.assert_allclose = ...`, `setattr(np, ...)`, `del np.isclose`);
- rebinding builtins (`builtins.abs = ...`, `__builtins__["all"] = ...`) or
  defining a function/name that shadows a builtin the tests use (`def abs(...)`);
- touching the hidden tests' own names in the notebook (`probe`, `recorded_softmax`, the
  observation type);
- reflection that reaches other code's state: `globals()`, `sys.modules`,
  `__main__`, `gc`, `ctypes`, frame access (`inspect.currentframe`,
  `sys._getframe`, `f_back`, `f_globals`), `importlib.reload`, `get_ipython()`,
  `sys.settrace`/`setprofile`/`excepthook`, `module.__dict__[...] = ...`;
- code the scan cannot read: `exec`, `eval`, `compile`, `__import__`;
- reading files outside the working folder (`open('../...')`, absolute paths).
The scan flags; it does not block. A finding means "tampering suspected" for the
instructor to look at (docs/design.md, Statuses).
"""
import ast
import sys
from typing import NamedTuple

from mlpkit import notebook

# The names the probes use in the kernel (source/mlp_lab/lab_checks.py): rebinding them is suspicious.
GRADER_NAMES = {"probe", "recorded_softmax", "OBSERVATIONS_MIME", "lab_checks"}
# Builtins hidden tests lean on; shadowing them in a solution cell is suspicious.
GUARDED_BUILTINS = {"abs", "all", "any", "max", "min", "sum", "len", "isinstance", "float", "int",
                    "round", "range", "print", "open", "type", "bool", "repr", "str", "zip", "map"}
REFLECTION_MODULES = {"gc": "the gc module (reaches every live object)",
                      "ctypes": "ctypes (raw memory access)",
                      "inspect": "the inspect module (frame access)",
                      "importlib": "importlib (module reloading)",
                      "builtins": "the builtins module"}
REFLECTION_CALLS = {"globals": "globals() (rewrites the shared namespace)",
                    "__import__": "__import__ (hidden imports)",
                    "exec": "exec() (code this scan cannot read)",
                    "eval": "eval() (code this scan cannot read)",
                    "compile": "compile() (code this scan cannot read)"}
# Called under any prefix (IPython.get_ipython(), ...).
REFLECTION_CALL_SUFFIXES = {"get_ipython": "get_ipython() (reaches the kernel that runs the tests)"}
REFLECTION_ATTRS = {"modules": ("sys", "sys.modules (reaches every imported module)"),
                    "_getframe": ("sys", "sys._getframe (frame access)"),
                    "settrace": ("sys", "sys.settrace (watches the tests run)"),
                    "setprofile": ("sys", "sys.setprofile (watches the tests run)"),
                    "excepthook": ("sys", "sys.excepthook (hides errors)"),
                    "currentframe": ("inspect", "inspect.currentframe (frame access)"),
                    "stack": ("inspect", "inspect.stack (frame access)"),
                    "reload": ("importlib", "importlib.reload"),
                    }
FRAME_ATTRS = {"f_back", "f_globals", "f_locals", "f_builtins", "tb_frame", "gi_frame", "cr_frame"}
FILE_FUNCS = {"open", "load", "loadtxt", "genfromtxt", "fromfile", "read_csv", "read_pickle",
              "read_text", "read_bytes", "Path", "listdir", "scandir", "walk", "glob", "connect"}


class Finding(NamedTuple):
    cell_grade_id: str
    line: int
    reason: str


def _dotted(node):
    """'np.testing.assert_allclose' for an Attribute/Name chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class _Rebinding(ast.NodeVisitor):
    """Imports (which names are modules), and code that rebinds modules, builtins or the grader's names."""

    def __init__(self):
        self.modules = {}      # local name -> module name (import numpy as np => np: numpy)
        self.findings = []     # (line, reason)

    def flag(self, node, reason):
        self.findings.append((getattr(node, "lineno", 0), reason))

    # -- imports --------------------------------------------------------------------------
    def visit_Import(self, node):
        for alias in node.names:
            top = alias.name.split(".")[0]
            self.modules[alias.asname or top] = alias.name if alias.asname else top
            self._check_module(node, alias.name)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        self._check_module(node, module)
        for alias in node.names:
            # `from numpy import testing` binds a module too; functions are harmless to rebind.
            self.modules.setdefault(alias.asname or alias.name, f"{module}.{alias.name}")
            if module == "sys" and alias.name in ("modules", "_getframe", "settrace", "setprofile"):
                self.flag(node, f"imports sys.{alias.name}")
            if module == "builtins":
                self.flag(node, "imports from the builtins module")

    def _check_module(self, node, name):
        top = name.split(".")[0]
        if top == "__main__":
            self.flag(node, "imports __main__ (the namespace the tests run in)")
        if top in REFLECTION_MODULES and top != "importlib":
            self.flag(node, f"uses {REFLECTION_MODULES[top]}")

    # -- rebinding ------------------------------------------------------------------------
    def _check_target(self, target, node, verb):
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._check_target(element, node, verb)
            return
        if isinstance(target, ast.Starred):
            self._check_target(target.value, node, verb)
            return
        if isinstance(target, ast.Name):
            if target.id in GRADER_NAMES:
                self.flag(node, f"{verb} the grader's private name {target.id}")
            elif target.id in GUARDED_BUILTINS and verb != "deletes":
                self.flag(node, f"{verb} the builtin {target.id}")
            elif target.id == "__builtins__":
                self.flag(node, f"{verb} __builtins__")
            return
        if isinstance(target, ast.Attribute):
            dotted = _dotted(target)
            root = dotted.split(".")[0] if dotted else None
            if root and root in GRADER_NAMES:
                self.flag(node, f"{verb} the grader's private name {dotted}")
            elif root in self.modules:
                self.flag(node, f"{verb} {dotted}, an attribute of the imported module "
                                f"{self.modules[root]}")
            elif root in ("__builtins__", "builtins"):
                self.flag(node, f"{verb} the builtin {dotted}")
            return
        if isinstance(target, ast.Subscript):
            base = _dotted(target.value)
            if base and (base.split(".")[0] in ("__builtins__", "builtins")
                         or base in GRADER_NAMES or base.endswith("__dict__")
                         or base in ("sys.modules", "vars", "globals")):
                self.flag(node, f"{verb} an item of {base}")
            if isinstance(target.value, ast.Call) and _dotted(target.value.func) in ("globals", "vars", "locals"):
                self.flag(node, f"{verb} an item of {_dotted(target.value.func)}()")

    def visit_Assign(self, node):
        for target in node.targets:
            self._check_target(target, node, "assigns")
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._check_target(node.target, node, "changes")
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._check_target(node.target, node, "assigns")
        self.generic_visit(node)

    def visit_Delete(self, node):
        for target in node.targets:
            self._check_target(target, node, "deletes")
        self.generic_visit(node)

    def visit_FunctionDef(self, node):
        if node.name in GUARDED_BUILTINS or node.name in GRADER_NAMES:
            self.flag(node, f"defines a function named {node.name}, shadowing the grader's")
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        if node.name in GUARDED_BUILTINS or node.name in GRADER_NAMES:
            self.flag(node, f"defines a class named {node.name}, shadowing the grader's")
        self.generic_visit(node)

    def visit_Global(self, node):
        for name in node.names:
            if name in GRADER_NAMES or name in GUARDED_BUILTINS:
                self.flag(node, f"declares global {name}")


class _Scanner(_Rebinding):
    """Everything `_Rebinding` flags, plus reflection and files outside the working folder."""

    def visit_Name(self, node):
        if node.id in GRADER_NAMES and isinstance(node.ctx, ast.Load):
            self.flag(node, f"reads the grader's private name {node.id}")
        elif node.id == "__builtins__":
            self.flag(node, "uses __builtins__")
        self.generic_visit(node)

    def visit_Attribute(self, node):
        dotted = _dotted(node)
        if node.attr in FRAME_ATTRS:
            self.flag(node, f"uses frame internals ({node.attr})")
        elif dotted:
            root = dotted.split(".")[0]
            module = self.modules.get(root, "").split(".")[0]
            wanted = REFLECTION_ATTRS.get(node.attr)
            if wanted and module == wanted[0]:
                self.flag(node, f"uses {wanted[1]}")
        self.generic_visit(node)

    def visit_Call(self, node):
        name = _dotted(node.func)
        short = name.split(".")[-1] if name else None
        if name in REFLECTION_CALLS:
            self.flag(node, f"calls {REFLECTION_CALLS[name]}")
        if short in REFLECTION_CALL_SUFFIXES:
            self.flag(node, f"calls {REFLECTION_CALL_SUFFIXES[short]}")
        if short in ("setattr", "delattr") and name == short and node.args:
            obj = _dotted(node.args[0])
            root = obj.split(".")[0] if obj else None
            if obj is None:
                self.flag(node, f"calls {short}() on a computed object")
            elif root in self.modules or root in ("builtins", "__builtins__") or root in GRADER_NAMES:
                self.flag(node, f"calls {short}() on {obj}")
        if short in FILE_FUNCS:
            for arg in node.args[:1]:
                path = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
                if path and (path.startswith(("/", "~")) or path.startswith("..") or "/../" in path):
                    self.flag(node, f"uses a path outside the working folder: {path!r}")
        self.generic_visit(node)


def scan_source(source, modules=None):
    """[(line, reason)] for one cell's code; a cell that does not parse yields nothing.

    `modules` maps names already bound to modules by other cells (`np` -> numpy), so
    `np.allclose = ...` is flagged even when `np` was imported by the set-up cell.
    """
    try:
        tree = ast.parse(notebook.strip_magics(source))
    except SyntaxError:
        return []
    scanner = _Scanner()
    scanner.modules.update(modules or {})
    scanner.visit(tree)
    return sorted(set(scanner.findings))


def imported_modules(sources):
    """Names bound to modules by the import statements in any of `sources`."""
    modules = {}
    for source in sources:
        try:
            tree = ast.parse(notebook.strip_magics(source))
        except SyntaxError:
            continue
        scanner = _Scanner()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                scanner.visit(node)
        modules.update(scanner.modules)
    return modules


def scan_notebook(nb):
    """Findings in the code of nbgrader solution cells (the cells students write)."""
    def text(cell):
        return cell.source if isinstance(cell.source, str) else "".join(cell.source)

    code_cells = [c for c in nb.cells if c.get("cell_type") == "code"]
    modules = imported_modules(text(c) for c in code_cells)
    findings = []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code" or not notebook.is_solution(cell):
            continue
        gid = notebook.grade_id(cell) or f"cell-{index}"
        findings += [Finding(gid, line, reason)
                     for line, reason in scan_source(text(cell), modules)]
    return findings


def main(argv=None):
    paths = (argv if argv is not None else sys.argv[1:])
    found = 0
    for path in paths:
        for f in scan_notebook(notebook.read(path)):
            print(f"{path}: {f.cell_grade_id}:{f.line}: {f.reason}")
            found += 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
