"""The rewrites behind the generated correct variants (devtools/ast_rewrites.py, def_use.py,
generated_variants.py): each refuses code it must not rewrite, and the generator fails loudly.

A generated variant is only worth grading if it is (a) another program and (b) still correct.
tests/test_mutation.py grades them; here, without nbgrader, every generic pass is shown to raise
on code where its rewrite would change what the code computes, and the generator to raise when
the reference changes under a recipe. Run: PYTHONPATH=. python -m pytest tests/test_ast_rewrites.py -q
"""
import ast
import textwrap
from pathlib import Path

import pytest

from devtools import ast_rewrites as A
from devtools import container_rewrites as C
from devtools import def_use
from devtools import generated_variants as G
from devtools import variants as V
from mlpkit import notebook

REPO = Path(__file__).resolve().parents[1]
SOURCE_NB = REPO / "source" / "mlp_lab" / "mlp_lab.ipynb"
RELEASE_NB = REPO / "release" / "mlp_lab" / "mlp_lab.ipynb"
needs_lab = pytest.mark.skipif(not (SOURCE_NB.is_file() and RELEASE_NB.is_file()), reason="no lab notebook yet")


def _tree(code):
    return ast.parse(textwrap.dedent(code))


def _rewritten(step, code):
    tree = _tree(code)
    step(tree)
    return ast.unparse(ast.fix_missing_locations(tree))


# ------------------------------------------------------------ the generator fails loudly

def _with_cell(source_nb, gid, edit):
    nb = notebook.reads(notebook.writes(source_nb))
    cell = next(c for c in nb.cells if notebook.grade_id(c) == gid)
    edited = edit(cell.source)
    assert edited != cell.source, "the test's edit did not apply"
    cell.source = edited
    return nb


@needs_lab
@pytest.mark.parametrize("gid, old, new, recipe", [
    ("task2_l2_momentum_solution", "velocity_w", "vel_w", "generated_task2_momentum"),
    ("task1_softmax_network_solution", "grads_b.append(delta.sum(axis=0))",
     "grads_b.append(np.sum(delta, axis=0))", "bias_gradient_matmul"),
    ("task3_augment_solution", "out = np.zeros_like(images)", "out = np.zeros(images.shape)", "comprehension"),
])
def test_generator_raises_when_the_reference_no_longer_fits_a_recipe(gid, old, new, recipe):
    """Check that a changed reference solution stops the generator, naming the recipe (never a silent no-op)."""
    source, release = notebook.read(SOURCE_NB), notebook.read(RELEASE_NB)
    G.build_all(source, release)  # the committed notebook fits every recipe
    with pytest.raises(A.NotApplicable, match=recipe):
        G.build_all(_with_cell(source, gid, lambda text: text.replace(old, new)), release)


@needs_lab
def test_a_rewrite_that_changes_nothing_or_undoes_itself_raises():
    reference = V.reference_solutions(notebook.read(SOURCE_NB))["task0_stable_softmax_solution"]
    noop = G.Rewrite("noop", "formulas", "nothing", (lambda tree: None,))
    with pytest.raises(A.NotApplicable, match="changed nothing"):
        G.build("task0_stable_softmax_solution", reference, [noop])
    there_and_back = G.Rewrite("renamed", "renamed_locals", "exps and back", (
        A.rename_locals("stable_softmax", {"exps": "e"}), A.rename_locals("stable_softmax", {"e": "exps"})))
    with pytest.raises(A.NotApplicable, match="give back the reference"):
        G.build("task0_stable_softmax_solution", reference, [there_and_back])


# ------------------------------------------------------------ each pass refuses what it must not rewrite

SIGNATURES = {"f": [("x", None), ("axis", ast.Constant(-1))]}

# name: (step, code it must refuse, a minimally different twin it must accept, or None)
REFUSED = {
    "rename onto a name in use": (A.rename_locals("g", {"a": "b"}), """
        def g(x):
            a = x + 1
            b = 2
            return a * b""", """
        def g(x):
            a = x + 1
            c = 2
            return a * c"""),
    "rename a parameter": (A.rename_locals("g", {"x": "y"}), "def g(x):\n    return x",
                           "def g(z):\n    x = z\n    return x"),
    "keywords without a documented call": (A.keyword_calls(SIGNATURES), "def g(x):\n    return h(x)",
                                           "def g(x):\n    return f(x)"),
    "in place when the rest reads the target": (A.augmented_updates("g", ["self.v"]), """
        def g(self, i):
            self.v[i] = self.m * self.v[i] + self.v[i - 1]""", """
        def g(self, i):
            self.v[i] = self.m * self.v[i] + self.w[i - 1]"""),
    "in place on what the object was given": (A.augmented_updates("g", ["self.v"]), """
        def g(self, x):
            x[0] = x[0] - 1""", """
        def g(self, x):
            self.v[0] = self.v[0] - 1"""),
    "in place on a named buffer that is gone": (A.augmented_updates("g", ["self.v", "self.w"]), """
        def g(self, i):
            self.v[i] = self.v[i] + 1""", """
        def g(self, i):
            self.v[i] = self.v[i] + 1
            self.w[i] = self.w[i] + 1"""),
    "a loop that reads another iteration's entry": (C.indexed_loops_to_comprehensions("g"), """
        def g(a, n):
            for i in range(n):
                a[i] = a[i - 1] + 1""", """
        def g(a, n):
            for i in range(n):
                a[i] = a[i] + 1"""),
    "a loop whose variable is used afterwards": (C.indexed_loops_to_comprehensions("g"), """
        def g(a, n):
            for i in range(n):
                a[i] = a[i] + 1
            return i""", """
        def g(a, n):
            for i in range(n):
                a[i] = a[i] + 1
            return n"""),
    "a loop whose list has another handle": (C.indexed_loops_to_comprehensions("g"), """
        def g(self, n):
            alias = self.a
            for i in range(n):
                self.a[i] = self.a[i] + 1
            return alias""", """
        def g(self, n):
            size = len(self.b)
            for i in range(n):
                self.a[i] = self.a[i] + 1
            return size"""),
    "a loop with an impure call": (C.indexed_loops_to_comprehensions("g"), """
        def g(self, n):
            for i in range(n):
                self.a[i] = self.rng.random()""", """
        def g(self, n):
            for i in range(n):
                self.a[i] = np.sqrt(self.a[i])"""),
    "a comprehension variable used elsewhere": (C.comprehensions_to_loops("g"), """
        def g(ws):
            w = 1
            v = [2 * w for w in ws]
            return v, w""", """
        def g(ws):
            u = 1
            v = [2 * w for w in ws]
            return v, u"""),
    "a comprehension that reads its own target": (C.comprehensions_to_loops("g"), """
        def g(self):
            self.w = [w - 1 for w in self.w]""", """
        def g(self):
            self.w = [w - 1 for w in self.v]"""),
    "reorder dependent statements": (A.reorder_independent("g"), """
        def g(x):
            a = x + 1
            b = a * 2
            return b""", """
        def g(x):
            a = x + 1
            b = x * 2
            return b"""),
    "reorder through an alias": (A.reorder_independent("g"), """
        def g(self):
            w = self.weights[0]
            w -= 1
            total = self.weights[0].sum()
            return total""", """
        def g(self):
            w = self.weights[0]
            w -= 1
            total = self.biases[0].sum()
            return total"""),
    "reorder around impure calls": (A.reorder_independent("g"), """
        def g(self, x):
            grads = self.backprop(x)
            draw = self.rng.integers(3)
            return grads, draw""", """
        def g(self, x):
            grads = np.exp(x)
            draw = np.sqrt(x)
            return grads, draw"""),
    "tuples for state stored by index": (C.state_as_tuples("C", ["v"]), """
        class C:
            def __init__(self):
                self.v = [0 for _ in range(3)]
            def step(self, i):
                self.v[i] = 1""", """
        class C:
            def __init__(self):
                self.v = [0 for _ in range(3)]
            def step(self, i):
                return self.v[i]"""),
    "a dict for state that is iterated": (C.state_as_dict("C", ["v"]), """
        class C:
            def __init__(self):
                self.v = [0 for _ in range(3)]
            def step(self):
                return [x + 1 for x in self.v]""", """
        class C:
            def __init__(self):
                self.v = [0 for _ in range(3)]
            def step(self):
                return [self.v[i] + 1 for i in range(3)]"""),
    "tuples for a list that is reversed": (C.appended_lists_to_tuples("g", {"out"}), """
        def g(xs):
            out = []
            for x in xs:
                out.append(x)
            out.reverse()
            return out[0]""", """
        def g(xs):
            out = []
            for x in xs:
                out.append(x)
            return out[0]"""),
    "lazy state that is not a zero buffer": (C.lazy_state("C", ["v"], "step"), """
        class C:
            def __init__(self):
                self.v = [self.rng.random() for _ in range(3)]
            def step(self):
                return self.v""", """
        class C:
            def __init__(self):
                self.v = [np.zeros_like(w) for w in self.weights]
            def step(self):
                return self.v"""),
    "an expression that is not there": (A.replace_expr("g", "len(x)", "x.shape[0]"), "def g(x):\n    return x.size",
                                        "def g(x):\n    return len(x)"),
    "statements that are not there": (A.replace_stmts("g", "a = 1", "a = 2"), "def g():\n    return 1", None),
    "a function that is not there": (A.return_tuples("h"), "def g(a, b):\n    return a, b", None),
}


@pytest.mark.parametrize("step, code, twin", list(REFUSED.values()), ids=list(REFUSED))
def test_a_pass_refuses_code_it_must_not_rewrite(step, code, twin):
    """Check that the pass raises on `code`, and (the reason is the one named) rewrites its twin."""
    with pytest.raises(A.NotApplicable):
        step(_tree(code))
    if twin is not None:
        assert _rewritten(step, twin) != ast.unparse(_tree(twin))


def test_passes_rewrite_what_they_may():
    """Check the positive side on small code: each pass gives the expected program."""
    assert _rewritten(A.reorder_independent("g"), """
        def g(x, y):
            a = x + 1
            b = y * 2
            return a + b""") == "def g(x, y):\n    b = y * 2\n    a = x + 1\n    return a + b"
    assert _rewritten(A.keyword_calls(SIGNATURES, explicit_defaults=True), "f(z)") == "f(x=z, axis=-1)"
    assert _rewritten(A.positional_calls(SIGNATURES, explicit_defaults=True), "f(x=z)") == "f(z, -1)"
    assert _rewritten(A.augmented_updates("g", ["self.v"]), """
        def g(self, i, d):
            self.v[i] = self.m * self.v[i] + d""") == (
        "def g(self, i, d):\n    self.v[i] *= self.m\n    self.v[i] += d")
    assert _rewritten(C.indexed_loops_to_comprehensions("g"), """
        def g(self, n):
            for i in range(n):
                self.v[i] = self.v[i] + 1
                self.w[i] = self.w[i] - self.v[i]""") == (
        "def g(self, n):\n    self.v = [self.v[i] + 1 for i in range(n)]\n"
        "    self.w = [self.w[i] - self.v[i] for i in range(n)]")


def test_def_use_sees_writes_through_aliases():
    function = _tree("""
        def g(self):
            params = self.weights + self.biases
            params[0] -= 1
            w = self.weights[0]""").body[0]
    aliases = def_use.alias_map(function)
    write, read = (def_use.effects(s, aliases) for s in function.body[1:])
    assert ("self", "weights") in write.writes
    assert not def_use.independent(write, read)
