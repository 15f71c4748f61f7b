"""Every stand-in a check swaps in has exactly the signature of the function it replaces.

The checks replace some of a student's functions, or given ones, while they run: `stable_softmax`
(a known-good softmax, lab_checks.recorded_softmax), `backprop` (fixed gradients,
lab_checks.stub_backprop and the visible checks' lambdas), `dropout_mask` (given masks,
lab_checks.stub_masks), `Task1.feedforward` (a right Task 1 in the Dropout check's probe). A
student's code calls them as the release notebook documents them, by position or by keyword, so
each stand-in must take the same parameters, with the same names, kinds and defaults, as the
function the release defines (its `self` aside). A stand-in that names a parameter otherwise
turns `stable_softmax(x=z)` into a TypeError the student never wrote.
"""
import ast
import inspect
import types

import pytest

from conftest import REPO
from mlpkit import notebook

RELEASE = REPO / "release" / "mlp_lab" / "mlp_lab.ipynb"
SOURCE = REPO / "source" / "mlp_lab" / "mlp_lab.ipynb"


def _lab_checks():
    module = types.ModuleType("lab_checks_under_test")
    exec(compile((REPO / "source" / "mlp_lab" / "lab_checks.py").read_text(), "lab_checks.py", "exec"), module.__dict__)
    return module


def _parameters(args: ast.arguments, drop_self=False):
    """[(name, kind, default)] of a def or lambda, as inspect names the kinds."""
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + [ast.literal_eval(d) for d in args.defaults]
    out = [(a.arg, "POSITIONAL_ONLY" if a in args.posonlyargs else "POSITIONAL_OR_KEYWORD", d)
           for a, d in zip(positional, defaults)]
    if args.vararg:
        out.append((args.vararg.arg, "VAR_POSITIONAL", None))
    out += [(a.arg, "KEYWORD_ONLY", None if d is None else ast.literal_eval(d))
            for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg:
        out.append((args.kwarg.arg, "VAR_KEYWORD", None))
    return out[1:] if drop_self else out


def _of_callable(function):
    return [(p.name, p.kind.name, None if p.default is inspect.Parameter.empty else p.default)
            for p in inspect.signature(function).parameters.values()]


def _release_defs():
    """{"stable_softmax": params, "Network.backprop": params (self dropped), ...} from the release's code."""
    defs = {}
    for cell in notebook.read(RELEASE).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.parse(notebook.strip_magics(cell.source)).body:
            if isinstance(node, ast.FunctionDef):
                defs[node.name] = _parameters(node.args)
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef):
                        defs[f"{node.name}.{item.name}"] = _parameters(item.args, drop_self=True)
    return defs


RELEASE_DEFS = _release_defs()


class _Net:
    """Enough of a network for lab_checks' stubs to install themselves on."""


def test_lab_checks_stand_ins_take_the_documented_parameters():
    lab = _lab_checks()
    namespace = {}
    with lab.recorded_softmax(namespace, lambda x, axis=-1: x):
        softmax = namespace["stable_softmax"]
    net = _Net()
    lab.stub_backprop(net, [([], [])])
    lab.stub_masks(net, [])
    for stand_in, replaced in [(softmax, "stable_softmax"), (net.backprop, "Network.backprop"),
                               (net.backprop, "Task1.backprop"), (net.backprop, "Dropout.backprop"),
                               (net.dropout_mask, "Dropout.dropout_mask")]:
        assert _of_callable(stand_in) == RELEASE_DEFS[replaced], (
            f"the stand-in for {replaced} takes {_of_callable(stand_in)}; the release documents {RELEASE_DEFS[replaced]}")
    assert softmax.__qualname__ == "stable_softmax", "a TypeError would name a function the student never wrote"


def _swaps(source):
    """(target, parameters) of each stand-in a check cell installs: `obj.method = lambda ...`, and
    `Class.method = f` for a function `f` the cell defines."""
    tree = ast.parse(source)
    local_defs = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign):
            continue
        targets = [t for target in node.targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
        values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value] * len(targets)
        for target, value in zip(targets, values):
            if not isinstance(target, ast.Attribute):
                continue
            if isinstance(value, ast.Lambda):
                found.append((target, _parameters(value.args)))
            elif isinstance(value, ast.Name) and value.id in local_defs:
                found.append((target, _parameters(local_defs[value.id].args, drop_self=True)))
    return found


def _owner(target, methods):
    """The release's `Class.method` a swap replaces: `Task1.feedforward` as written, `net.backprop`
    as any class's `backprop` (all of them must agree)."""
    if isinstance(target.value, ast.Name) and f"{target.value.id}.{target.attr}" in methods:
        return [f"{target.value.id}.{target.attr}"]
    return [name for name in methods if name.endswith(f".{target.attr}")]


def test_every_stand_in_a_check_cell_installs_takes_the_documented_parameters():
    checked = 0
    for cell in notebook.read(SOURCE).cells:
        if not notebook.is_autograded_test(cell):
            continue
        for target, params in _swaps(cell.source):
            owners = _owner(target, RELEASE_DEFS)
            assert owners, f"{notebook.grade_id(cell)} swaps in {ast.unparse(target)}, which the release does not define"
            for owner in owners:
                assert params == RELEASE_DEFS[owner], (
                    f"{notebook.grade_id(cell)}: {ast.unparse(target)} takes {params}; the release's {owner} "
                    f"takes {RELEASE_DEFS[owner]}")
                checked += 1
    assert checked >= 5, "the scan found almost no stand-ins: has the way checks install them changed?"


def test_the_comparison_catches_a_stand_in_with_another_parameter_name():
    """The checks above can fail: the stand-in this kit once had, stable_softmax(z, axis=-1), and a
    lambda naming its parameters (a, b) both differ from what the release documents."""
    def stable_softmax(z, axis=-1):
        return z

    assert _of_callable(stable_softmax) != RELEASE_DEFS["stable_softmax"]
    with pytest.raises(TypeError):
        stable_softmax(x=1.0)  # what a correct student's keyword call met
    (target, params), = _swaps("net.backprop = lambda a, b: ([], [])")
    assert params != RELEASE_DEFS[_owner(target, RELEASE_DEFS)[0]]
