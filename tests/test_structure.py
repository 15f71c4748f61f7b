"""The layout of mlpkit/ keeps to its rules (issue 20, docs/design.md), and the checker can fail.

`violations(package)` reads the package's source (ast and text, nothing imported) and lists
every break of these rules; the first test wants none on mlpkit/, the others plant one break
each in a scratch package and want it found.

- TOP_LEVEL: at most 15 modules directly in mlpkit/ (__init__.py and __main__.py count).
- PREPROCESSORS: every nbgrader extension point is in mlpkit/preprocessors/: each class that
  derives from an nbconvert or nbgrader preprocessor (directly, or through another such class
  of the kit), and each mlpkit name nbgrader_config.py gives nbgrader.
- COMMANDS: nothing outside mlpkit/commands/ imports mlpkit.commands (cli.py dispatches to
  the commands by name, mlpkit.commands.<command>, and imports none).
- MIME: the observation MIME type is spelled once in mlpkit/ (in sandbox/inside/protocol.py).
- PROTOCOL: no module but protocol.py spells one of protocol.py's string constants (the paths
  inside the sandbox, the channel's keys), so both sides of the sandbox wall read them there.
- INSIDE: mlpkit/sandbox/inside/ imports only the standard library, the runner's own
  libraries (nbformat, nbclient, jupyter_client, zmq, traitlets, ipykernel) and its sibling
  modules, never mlpkit: the sandbox runs it as scripts, where mlpkit is not importable.
- MODULE_LINES: no module over 400 lines.
- FUNCTION_LINES: no function or method over 60 lines, counted from its `def` line (decorators
  excluded) to its last line, docstring, comments and nested functions included. A class is
  bounded by its methods and by its module.
- LAZY_IMPORTS: an import inside a function is deliberate, and says why in a comment on its
  line or the line above.
- DOCSTRINGS: every subpackage's __init__.py has a docstring saying what lives there.

Pure: part of the fast lane (`make test-fast`).
"""
import ast
import sys
from pathlib import Path

import nbconvert.preprocessors
import nbgrader.preprocessors
import pytest

pytestmark = pytest.mark.fast

REPO = Path(__file__).resolve().parents[1]
MAX_TOP_LEVEL, MAX_MODULE_LINES, MAX_FUNCTION_LINES = 15, 400, 60
MIME = "application/vnd.mlp-lab.observations+json"
INSIDE_LIBRARIES = {"nbformat", "nbclient", "jupyter_client", "zmq", "traitlets", "ipykernel"}
# nbconvert's and nbgrader's preprocessor classes, by name (ast sees names, not classes).
PREPROCESSOR_BASES = {name for module in (nbconvert.preprocessors, nbgrader.preprocessors)
                      for name, value in vars(module).items()
                      if isinstance(value, type) and issubclass(value, nbconvert.preprocessors.Preprocessor)}


def _modules(package):
    return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)


def _dotted_module(package, path):
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path, package, tree):
    """(line, absolute module name) of every import in `tree` (relative imports resolved)."""
    here = _dotted_module(package, path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            yield node.lineno, module
            for alias in node.names:   # `from mlpkit import commands` imports a module too
                yield node.lineno, f"{module}.{alias.name}"


def _base_names(cls):
    for base in cls.bases:
        if isinstance(base, ast.Attribute):
            yield base.attr
        elif isinstance(base, ast.Name):
            yield base.id


def _preprocessor_classes(trees):
    """{class name: path} of the classes that are preprocessors, found to a fixpoint."""
    classes = {node.name: (path, set(_base_names(node))) for path, tree in trees.items()
               for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    found = {}
    while True:
        new = {name: path for name, (path, bases) in classes.items()
               if name not in found and bases & (PREPROCESSOR_BASES | set(found))}
        if not new:
            return found
        found.update(new)


def _functions(tree):
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _strings(tree):
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _protocol_constants(protocol):
    tree = ast.parse(protocol.read_text())
    return {node.targets[0].id: node.value.value for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str) and isinstance(node.targets[0], ast.Name)}


def violations(package, config=None):
    """Every break of the module docstring's rules in `package` (a folder named mlpkit), as text."""
    package = Path(package)
    found = []
    trees = {path: ast.parse(path.read_text(), str(path)) for path in _modules(package)}
    rel = {path: path.relative_to(package.parent).as_posix() for path in trees}
    top = [p for p in trees if p.parent == package]
    if len(top) > MAX_TOP_LEVEL:
        found.append(f"TOP_LEVEL: {len(top)} modules directly in {package.name}/ (at most {MAX_TOP_LEVEL})")
    preprocessors = package / "preprocessors"
    for name, path in sorted(_preprocessor_classes(trees).items()):
        if preprocessors not in path.parents:
            found.append(f"PREPROCESSORS: {rel[path]} defines the preprocessor {name} outside preprocessors/")
    if config is not None:
        for node in _strings(ast.parse(Path(config).read_text())):
            if node.value.startswith(package.name + ".") and not node.value.startswith(f"{package.name}.preprocessors."):
                found.append(f"PREPROCESSORS: {Path(config).name} names {node.value}, outside preprocessors/")
    commands = package / "commands"
    inside = package / "sandbox" / "inside"
    protocol = inside / "protocol.py"
    constants = _protocol_constants(protocol) if protocol.is_file() else {}
    for path, tree in trees.items():
        lines = path.read_text().splitlines()
        if len(lines) > MAX_MODULE_LINES:
            found.append(f"MODULE_LINES: {rel[path]} has {len(lines)} lines (at most {MAX_MODULE_LINES})")
        for function in _functions(tree):
            length = function.end_lineno - function.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"FUNCTION_LINES: {rel[path]}:{function.lineno} {function.name} has {length} lines "
                             f"(at most {MAX_FUNCTION_LINES})")
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and not (
                        "#" in lines[node.lineno - 1] or lines[node.lineno - 2].strip().startswith("#")):
                    found.append(f"LAZY_IMPORTS: {rel[path]}:{node.lineno} imports inside {function.name} "
                                 "without a comment saying why")
        for line, module in _imported(path, package, tree):
            if commands not in path.parents and module.split(".")[:2] == [package.name, "commands"]:
                found.append(f"COMMANDS: {rel[path]}:{line} imports {module}")
            top_name = module.split(".")[0]
            if inside in path.parents and not (top_name in sys.stdlib_module_names or top_name in INSIDE_LIBRARIES
                                               or (inside / f"{top_name}.py").is_file()):
                found.append(f"INSIDE: {rel[path]}:{line} imports {module}")
        for node in _strings(tree):
            if path != protocol and node.value in constants.values() and node.value != MIME:
                name = next(k for k, v in constants.items() if v == node.value)
                found.append(f"PROTOCOL: {rel[path]}:{node.lineno} spells protocol.{name} ({node.value!r})")
        if path.name == "__init__.py" and path.parent != package and not ast.get_docstring(tree):
            found.append(f"DOCSTRINGS: {rel[path]} has no docstring")
    spelled = sum(path.read_text().count(MIME) for path in trees)
    if spelled != 1:
        found.append(f"MIME: the observation MIME type is spelled {spelled} times in {package.name}/ (once)")
    return found


def test_mlpkit_keeps_every_rule():
    assert violations(REPO / "mlpkit", REPO / "nbgrader_config.py") == []


# ---------------------------------------------------------------- the checker can fail

def plant(tmp_path, files):
    """A scratch package `mlpkit` that keeps every rule, with `files` ({relative path: source}) added."""
    package = tmp_path / "mlpkit"
    base = {"__init__.py": '"""The kit."""\n',
            "sandbox/__init__.py": '"""Runs."""\n',
            "sandbox/inside/__init__.py": '"""Inside."""\n',
            "sandbox/inside/protocol.py": f'OBSERVATIONS_MIME = "{MIME}"\nGIVEN = "/tmp/.given"\n',
            "sandbox/inside/runner.py": "import json\nimport protocol\nimport nbformat\n",
            "commands/__init__.py": '"""Commands."""\n',
            "commands/grades.py": "from mlpkit.gradebook import scores\n",
            "gradebook/__init__.py": '"""Grades."""\n',
            "gradebook/scores.py": "import json\n",
            "preprocessors/__init__.py": '"""Steps."""\n',
            "preprocessors/step.py": "from nbgrader.preprocessors import NbGraderPreprocessor\n\n\n"
                                     "class Step(NbGraderPreprocessor):\n    pass\n"}
    for relative, source in {**base, **files}.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return package


def test_the_planted_package_without_a_break_keeps_every_rule(tmp_path):
    assert violations(plant(tmp_path, {})) == []


LONG_FUNCTION = "def long():\n" + "    x = 1\n" * 60
PLANTED = {
    "TOP_LEVEL": {f"m{i}.py": "" for i in range(15)},
    "PREPROCESSORS": {"judging/__init__.py": '"""J."""\n',
                      "judging/step.py": "from mlpkit.preprocessors.step import Step\n\n\nclass Judge(Step):\n    pass\n"},
    "COMMANDS": {"gradebook/scores.py": "from mlpkit.commands import grades\n"},
    "MIME": {"gradebook/scores.py": f'MIME = "{MIME}"\n'},
    "PROTOCOL": {"sandbox/plan.py": 'SEED = "/tmp/.given"\n'},
    "INSIDE": {"sandbox/inside/runner.py": "import protocol\nfrom mlpkit import paths\n"},
    "MODULE_LINES": {"gradebook/scores.py": "x = 1\n" * 401},
    "FUNCTION_LINES": {"gradebook/scores.py": LONG_FUNCTION},
    "LAZY_IMPORTS": {"gradebook/scores.py": "def f():\n    import json\n    return json\n"},
    "DOCSTRINGS": {"gradebook/__init__.py": "import json\n"},
}


@pytest.mark.parametrize("rule", sorted(PLANTED))
def test_each_planted_break_is_found(tmp_path, rule):
    found = violations(plant(tmp_path, PLANTED[rule]))
    assert found and all(f.startswith(rule + ":") for f in found), found


def test_a_config_naming_a_step_outside_preprocessors_is_found(tmp_path):
    config = tmp_path / "nbgrader_config.py"
    config.write_text('c.Autograde.autograde_preprocessors = ["mlpkit.judge.JudgeProbes"]\n')
    found = violations(plant(tmp_path, {}), config)
    assert found == ["PREPROCESSORS: nbgrader_config.py names mlpkit.judge.JudgeProbes, outside preprocessors/"]
