"""The reference the judges compare with is itself right: checked against independent oracles.

The judges compare a student's observations with the source notebook's (mlpkit/reference.py).
Here those reference observations meet oracles that share no code with the notebook:
- every gradient (Task 1, Task 4, Dropout) against central finite differences of the loss in
  float64, written here from the formula (tolerance 1e-6 relative to the largest entry);
- every optimiser trajectory against the update rule written out in numpy (1e-9), and against
  PyTorch's own SGD / AdamW / Adagrad when torch is installed (1e-7);
- the softmax against scipy-free log-sum-exp (1e-12).
The inputs are rebuilt from the seeds the probes name, with lab_checks' seeded generators.

Run: python -m pytest tests/test_notebook_oracles.py -q
"""
import sys
from pathlib import Path

import numpy as np
import pytest

from mlpkit.judging.observations import decode
from mlpkit.judging.reference import reference_observations

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "source" / "mlp_lab"))
import lab_checks as L  # noqa: E402


@pytest.fixture(scope="module")
def ref():
    payloads = reference_observations(REPO / "source" / "mlp_lab")
    return {gid: decode(p["values"], [10**9]) for gid, p in payloads.items()}


def rel(a, b):
    return float(np.abs(a - b).max()) / max(float(np.abs(a).max()), float(np.abs(b).max()), 1e-300)


def mean_cross_entropy(weights, biases, x, y, masks=()):
    g = x
    for i, (w, b) in enumerate(zip(weights[:-1], biases[:-1])):
        g = 1.0 / (1.0 + np.exp(-(g @ w.T + b)))
        if masks:
            g = g * masks[i]
    z = g @ weights[-1].T + biases[-1]
    log_p = z - z.max(axis=1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    return -(y * log_p).sum() / len(x)


def fd_gradients(sizes, seed, batch_size, masks=()):
    weights, biases = L.make_parameters(sizes, seed)
    x, y = L.make_batch(sizes, batch_size, seed)
    numerical = L.finite_differences(lambda: mean_cross_entropy(weights, biases, x, y, masks), weights + biases)
    n = len(weights)
    return numerical[:n], numerical[n:]


TASK4_CASES = [((5, 4, 3), 3, 112), ((4, 6, 2), 2, 113), ((5, 4, 4, 3, 3), 3, 110), ((4, 5, 4, 3, 4, 2), 2, 111)]


@pytest.mark.parametrize("gid, cases", [
    ("task1_backprop_matches_finite_differences", [((4, 5, 3), 1, 40), ((4, 5, 3), 6, 41), ((3, 6, 2), 5, 42), ((6, 3, 4), 2, 43)]),
    ("task4_backprop_deep_matches_finite_differences", TASK4_CASES),
])
def test_backprop_references_match_finite_differences(ref, gid, cases):
    assert len(ref[gid]["results"]) == len(cases)
    for (sizes, batch_size, seed), (grads_w, grads_b) in zip(cases, ref[gid]["results"]):
        fd_w, fd_b = fd_gradients(sizes, seed, batch_size)
        for mine, oracle in zip(grads_w + grads_b, fd_w + fd_b):
            assert rel(mine, oracle) < 1e-6


def test_deep_feedforward_reference_is_sigmoid_layers_then_log_sum_exp_softmax(ref):
    cases = [((4, 5, 3), 5, 117), ((3, 6, 4), 2, 118), ((4, 5, 4, 3), 5, 114), ((3, 6, 4, 5, 4), 2, 115),
             ((5, 4, 3, 4, 3, 2), 3, 116)]
    outputs = ref["task4_feedforward_deep_matches_reference"]["outputs"]
    assert len(outputs) == len(cases)
    for (sizes, batch_size, seed), p in zip(cases, outputs):
        weights, biases = L.make_parameters(sizes, seed)
        g = L.make_batch(sizes, batch_size, seed)[0]
        for w, b in zip(weights[:-1], biases[:-1]):
            g = 1.0 / (1.0 + np.exp(-(g @ w.T + b)))
        z = g @ weights[-1].T + biases[-1]
        log_p = z - z.max(axis=1, keepdims=True)
        assert np.allclose(p, np.exp(log_p - np.log(np.exp(log_p).sum(axis=1, keepdims=True))), rtol=1e-12, atol=1e-300)


def test_dropout_backprop_reference_matches_finite_differences_of_the_thinned_network(ref):
    for (sizes, batch_size, p, seed), (grads_w, grads_b) in zip(
            [((4, 5, 3), 4, 0.5, 95), ((3, 6, 5, 2), 3, 0.25, 96)],
            ref["task3_dropout_backprop_matches_finite_differences"]["results"]):
        draws = np.random.default_rng(seed)
        masks = [np.where(draws.random((batch_size, n)) < p, 0.0, 1.0 / (1.0 - p)) for n in sizes[1:-1]]
        fd_w, fd_b = fd_gradients(sizes, seed, batch_size, masks)
        for mine, oracle in zip(grads_w + grads_b, fd_w + fd_b):
            assert rel(mine, oracle) < 1e-6


def test_softmax_references_match_log_sum_exp(ref):
    for gid in ("task0_softmax_matches_reference", "task0_softmax_no_overflow"):
        for (x, axis), result in zip(ref[gid]["inputs"], ref[gid]["results"]):
            log_p = x - x.max(axis=axis, keepdims=True)
            log_p = log_p - np.log(np.exp(log_p).sum(axis=axis, keepdims=True))
            assert np.allclose(result, np.exp(log_p), rtol=1e-12, atol=1e-300)


def sgd(start, gradients, lr, l2, momentum):
    (weights, biases), out = start, []
    params = [p.copy() for p in weights + biases]
    velocity = [np.zeros_like(p) for p in params]
    n = len(weights)
    for grads_w, grads_b in gradients:
        for i, g in enumerate(grads_w + grads_b):
            velocity[i] = momentum * velocity[i] + g + (l2 * params[i] if i < n else 0.0)
            params[i] = params[i] - lr * velocity[i]
        out.append((params[:n], params[n:]))
    return out


def close_trajectories(mine, oracle, rtol):
    for (w, b), (ow, ob) in zip(mine, oracle):
        for a, o in zip(list(w) + list(b), list(ow) + list(ob)):
            assert np.allclose(a, o, rtol=rtol, atol=1e-12)


def test_task2_reference_follows_pytorch_sgd_written_out(ref):
    for run, (sizes, l2, momentum, lr, seed) in zip(ref["task2_trajectory_matches_sgd"]["runs"],
                                                     [((3, 4, 2), 0.1, 0.9, 0.05, 60), ((2, 3, 3, 2), 0.01, 0.5, 0.3, 61)]):
        oracle = sgd(L.make_parameters(sizes, seed), L.make_gradients(sizes, 5, seed), lr, l2, momentum)
        close_trajectories(run, oracle, 1e-9)


def adamw(run, lr, decay, betas, eps):
    (weights, biases), out = run["start"], []
    params = [p.copy() for p in weights + biases]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    n = len(weights)
    for t, (grads_w, grads_b) in enumerate(run["gradients"], start=1):
        for i, g in enumerate(grads_w + grads_b):
            if i < n:
                params[i] = params[i] * (1 - lr * decay)
            m[i] = betas[0] * m[i] + (1 - betas[0]) * g
            v[i] = betas[1] * v[i] + (1 - betas[1]) * g * g
            params[i] = params[i] - lr * (m[i] / (1 - betas[0]**t)) / (np.sqrt(v[i] / (1 - betas[1]**t)) + eps)
        out.append((params[:n], params[n:]))
    return out


ADAMW_RUNS = [(0.01, 0.1, (0.8, 0.95), 1e-8), (0.05, 0.02, (0.9, 0.99), 1e-6)]


def test_adamw_reference_follows_the_stated_update(ref):
    for run, hyper in zip(ref["task3_adamw_trajectory"]["runs"], ADAMW_RUNS):
        close_trajectories(run["trajectory"], adamw(run, *hyper), 1e-9)


def test_optimiser_references_match_pytorch():
    torch = pytest.importorskip("torch")  # optional: the numpy oracles above always run
    payloads = reference_observations(REPO / "source" / "mlp_lab")
    sgd_runs = decode(payloads["task2_trajectory_matches_sgd"]["values"], [10**9])["runs"]
    adamw_runs = decode(payloads["task3_adamw_trajectory"]["values"], [10**9])["runs"]

    def torch_run(start, gradients, make_optimisers):
        weights, biases = start
        params = [torch.tensor(p.copy(), dtype=torch.float64, requires_grad=True) for p in weights + biases]
        optimisers = make_optimisers(params[:len(weights)], params[len(weights):])
        out = []
        for grads_w, grads_b in gradients:
            for p, g in zip(params, grads_w + grads_b):
                p.grad = torch.tensor(g, dtype=torch.float64)
            for opt in optimisers:
                opt.step()
            out.append(([p.detach().numpy().copy() for p in params[:len(weights)]],
                        [p.detach().numpy().copy() for p in params[len(weights):]]))
        return out

    for run, (sizes, l2, momentum, lr, seed) in zip(sgd_runs, [((3, 4, 2), 0.1, 0.9, 0.05, 60), ((2, 3, 3, 2), 0.01, 0.5, 0.3, 61)]):
        oracle = torch_run(L.make_parameters(sizes, seed), L.make_gradients(sizes, 5, seed), lambda w, b: [
            torch.optim.SGD(w, lr=lr, momentum=momentum, weight_decay=l2), torch.optim.SGD(b, lr=lr, momentum=momentum)])
        close_trajectories(run, oracle, 1e-7)
    for run, (lr, decay, betas, eps) in zip(adamw_runs, ADAMW_RUNS):
        oracle = torch_run(run["start"], run["gradients"], lambda w, b: [
            torch.optim.AdamW(w, lr=lr, betas=betas, eps=eps, weight_decay=decay),
            torch.optim.AdamW(b, lr=lr, betas=betas, eps=eps, weight_decay=0.0)])
        close_trajectories(run["trajectory"], oracle, 1e-7)
