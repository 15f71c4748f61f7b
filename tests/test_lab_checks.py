"""The helpers shipped beside the notebook (source/mlp_lab/lab_checks.py): each check can fail.

Run: python -m pytest tests/test_lab_checks.py -q
"""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "source" / "mlp_lab"))
import lab_checks as L  # noqa: E402

pytestmark = pytest.mark.fast   # pure: the lab's helpers, in this process


class Net:
    """A bare network of the course's shapes: weights[i] (N^{i+1}, N^i), biases[i] (N^{i+1},)."""

    def __init__(self, sizes, seed=0):
        self.weights, self.biases = L.make_parameters(sizes, seed)


def test_rel_error_is_relative_to_the_largest_entry():
    assert L.rel_error(np.array([1.0, 1e-9]), np.array([1.0, 2e-9])) < 1e-8
    assert L.rel_error(np.array([1.0]), np.array([1.1])) == pytest.approx(0.1 / 1.1)


def test_assert_close_passes_and_fails_with_where_and_how_much():
    L.assert_close(np.ones(3), np.ones(3) + 1e-9, "x")
    with pytest.raises(AssertionError, match=r"x is wrong at index \(1,\): 1 of 3 entries"):
        L.assert_close(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.1, 3.0]), "x")
    with pytest.raises(AssertionError, match="shape"):
        L.assert_close(np.ones(3), np.ones(4), "x")
    with pytest.raises(AssertionError, match="NaN or infinite"):
        L.assert_close(np.array([np.nan]), np.zeros(1), "x")


def test_finite_differences_match_an_analytic_gradient_and_restore_the_arrays():
    a = np.array([[0.3, -1.2], [2.0, 0.5]])
    before = a.copy()
    (numerical,) = L.finite_differences(lambda: float(np.sum(np.sin(a) * a)), [a])
    assert np.allclose(numerical, np.sin(before) + before * np.cos(before), rtol=1e-8)
    assert np.array_equal(a, before)


def test_assert_gradients_match_names_the_layer_and_the_convention():
    good = [np.ones((2, 3))]
    L.assert_gradients_match(good, [np.ones((2, 3))], "grads_w")
    with pytest.raises(AssertionError, match=r"grads_w\[0\]: max relative error"):
        L.assert_gradients_match([2 * np.ones((2, 3))], [np.ones((2, 3))], "grads_w")
    with pytest.raises(AssertionError, match=r"\(grads_w, grads_b\)"):
        L.assert_gradients_match([np.ones((3, 2))], [np.ones((2, 3))], "grads_w")
    with pytest.raises(AssertionError, match="one per layer"):
        L.assert_gradients_match([], [np.ones((2, 3))], "grads_w")


def test_check_gradient_structure_names_each_course_habit():
    net = Net([5, 4, 3])
    grads_w = [np.zeros_like(w) for w in net.weights]
    grads_b = [np.zeros_like(b) for b in net.biases]
    assert L.check_gradient_structure((grads_w, grads_b), net)[0] is not None
    with pytest.raises(AssertionError, match=r"returned \(grads_b, grads_w\)"):
        L.check_gradient_structure((grads_b, grads_w), net)
    with pytest.raises(AssertionError, match="num_layers == len\\(weights\\) == 2"):
        L.check_gradient_structure((grads_w[1:], grads_b[1:]), net)
    with pytest.raises(AssertionError, match="transpose"):
        L.check_gradient_structure(([g.T for g in grads_w], grads_b), net)
    with pytest.raises(AssertionError, match="pair"):
        L.check_gradient_structure(grads_w[0], net)


def test_check_parameter_shapes_names_a_swapped_unpacking():
    net = Net([2, 1])
    L.check_parameter_shapes(net, [2, 1])
    net.biases = [np.zeros((1, 2))]
    with pytest.raises(AssertionError, match="unpack grads_w, grads_b"):
        L.check_parameter_shapes(net, [2, 1])


def test_seeded_inputs_are_reproducible_and_shaped_by_the_convention():
    weights, biases = L.make_parameters([4, 3, 2], seed=5)
    assert [w.shape for w in weights] == [(3, 4), (2, 3)] and [b.shape for b in biases] == [(3,), (2,)]
    x, y = L.make_batch([4, 3, 2], 6, seed=5)
    assert x.shape == (6, 4) and y.shape == (6, 2) and np.array_equal(y.sum(axis=1), np.ones(6))
    (grads_w, grads_b), = L.make_gradients([4, 3, 2], 1, seed=5)
    assert [g.shape for g in grads_w] == [(3, 4), (2, 3)] and [g.shape for g in grads_b] == [(3,), (2,)]
    assert np.array_equal(L.make_digits(3, 1), L.make_digits(3, 1))
    digits = L.make_digits(3, 1).reshape(3, 28, 28)
    assert digits[:, :6].max() == 0 and 0 < digits.max() <= 1


def test_stub_backprop_returns_fresh_copies_and_counts_calls():
    net = Net([2, 1])
    gradients = L.make_gradients([2, 1], 2, seed=0)
    calls = L.stub_backprop(net, gradients)
    first = net.backprop(None, None)
    first[0][0][:] = 99.0  # a learning step that updates in place must not change the next call
    second, third = net.backprop(None, None), net.backprop(None, None)
    assert len(calls) == 3 and np.array_equal(second[0][0], gradients[1][0][0])
    assert np.array_equal(third[0][0], gradients[1][0][0])  # the last pair repeats


def test_stub_masks_checks_count_and_shape():
    net = Net([3, 4, 2])
    shapes = L.stub_masks(net, [np.ones((2, 4))])
    net.dropout_mask((2, 4))
    assert shapes == [(2, 4)]
    with pytest.raises(AssertionError, match="called 2 times"):
        net.dropout_mask((2, 4))
    L.stub_masks(net, [np.ones((2, 4))])
    with pytest.raises(AssertionError, match="expected \\(2, 4\\)"):
        net.dropout_mask((4, 2))


def test_recorded_softmax_substitutes_records_and_restores():
    namespace = {"stable_softmax": "the student's"}
    softmax = lambda z, axis=-1: np.exp(z) / np.exp(z).sum(axis=axis, keepdims=True)  # noqa: E731
    with L.recorded_softmax(namespace, softmax, limit=1) as (calls, count):
        namespace["stable_softmax"](np.zeros((2, 3)))
        namespace["stable_softmax"](np.zeros((2, 3)), axis=0)
    assert namespace["stable_softmax"] == "the student's"
    assert count == [2] and len(calls) == 1 and np.allclose(calls[0][2], 1 / 3)


def test_lazy_module_imports_on_first_use():
    module = L.lazy_module("json")
    assert "dumps" not in vars(module)
    assert module.dumps([1]) == "[1]"


def test_grading_mode_never_imports_pandas_or_matplotlib_but_students_can_use_them(tmp_path):
    """The set-up and ModelResults cells, run in grading mode in a fresh interpreter: no table and no
    plot means no pandas and no matplotlib import; a student's own `pd.DataFrame` still works."""
    import json
    import subprocess
    nb = json.loads((Path(L.__file__).parent / "mlp_lab.ipynb").read_text())
    code = {c["metadata"].get("nbgrader", {}).get("grade_id"): "".join(c["source"]) for c in nb["cells"]}
    script = "\n".join([
        "import sys", "display = print", code["setup"], code["model_results"],
        "model_results.add_result('m', 1.0, 0.5)", "model_results.display_results()",
        "assert 'pandas' not in sys.modules and 'matplotlib' not in sys.modules, 'imported in grading mode'",
        "assert pd.DataFrame({'a': [1]}).shape == (1, 1) and 'pandas' in sys.modules", "print('ok')"])
    env = dict(__import__("os").environ, NBGRADER_EXECUTION="autograde", PYTHONPATH=str(Path(L.__file__).parent))
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0 and run.stdout.strip().endswith("ok"), run.stderr[-2000:]
