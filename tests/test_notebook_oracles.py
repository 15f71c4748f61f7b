"""The notebook's optimiser tests agree with PyTorch's optimisers.

The hidden tests of Task 2, AdamW and Adagrad carry their own reference trajectories
written in plain numpy. Here they are run, unchanged (taken from the source notebook by
grade_id), against classes whose `learning_step` is `torch.optim.SGD`, `AdamW` or `Adagrad`:
a correct torch-backed optimiser must get full marks, and torch configured against the
lab's conventions (biases decayed, L2 instead of decoupled decay, ...) must fail the cell
that names that convention.

Run: PYTHONPATH=. python -m pytest tests/test_notebook_oracles.py -q   (skipped without torch)
"""
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

NOTEBOOK = Path(__file__).resolve().parents[1] / "source" / "mlp_lab" / "mlp_lab.ipynb"
GIVEN_CELLS = ("setup", "helpers", "network")

TASK2_CELLS = ["task2_trajectory_matches_sgd", "task2_one_backprop_call_per_step", "task2_biases_not_decayed",
               "task2_l2_through_momentum_buffer", "task2_momentum_zero_is_sgd_plus_l2", "task2_default_hyperparameters"]
ADAMW_CELLS = ["task3_adamw_trajectory", "task3_adamw_decoupled_weight_decay", "task3_adamw_bias_correction",
               "task3_adamw_default_hyperparameters"]
ADAGRAD_CELLS = ["task3_adagrad_trajectory", "task3_adagrad_eps"]


def _cells():
    notebook = json.loads(NOTEBOOK.read_text())
    cells = {}
    for cell in notebook["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id:
            cells[grade_id] = "".join(cell["source"])
    return cells


CELLS = _cells()


def _torch_network_class(namespace, make_optimizer, defaults):
    """A Network subclass whose learning_step is one step of the torch optimiser make_optimizer(groups, **h)."""
    Network = namespace["Network"]

    class TorchOptimised(Network):
        def __init__(self, sizes, **hyperparameters):
            super().__init__(sizes)
            self.hyperparameters = {**defaults, **hyperparameters}
            self.optimizer = None

        def learning_step(self, x, y, learning_rate):
            nabla_b, nabla_w = self.backprop(x, y)
            if self.optimizer is None:  # the tests set the parameters after construction
                self.tensors_w = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in self.weights]
                self.tensors_b = [torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in self.biases]
                self.optimizer = make_optimizer(self.tensors_w, self.tensors_b, learning_rate, **self.hyperparameters)
            for tensor, gradient in zip(self.tensors_w + self.tensors_b, list(nabla_w) + list(nabla_b)):
                tensor.grad = torch.tensor(gradient, dtype=torch.float64)
            self.optimizer.step()
            self.weights = [t.detach().numpy().copy() for t in self.tensors_w]
            self.biases = [t.detach().numpy().copy() for t in self.tensors_b]

    return TorchOptimised


def sgd(weights, biases, lr, l2_factor, momentum, decay_biases=False):
    return torch.optim.SGD([{"params": weights, "weight_decay": l2_factor},
                            {"params": biases, "weight_decay": l2_factor if decay_biases else 0.0}],
                           lr=lr, momentum=momentum, dampening=0, nesterov=False)


def adamw(weights, biases, lr, weight_decay, betas, eps, coupled_l2=False):
    optimizer = torch.optim.Adam if coupled_l2 else torch.optim.AdamW
    return optimizer([{"params": weights, "weight_decay": weight_decay}, {"params": biases, "weight_decay": 0.0}],
                     lr=lr, betas=betas, eps=eps, amsgrad=False)


def adagrad(weights, biases, lr, eps):
    return torch.optim.Adagrad(weights + biases, lr=lr, eps=eps, lr_decay=0, initial_accumulator_value=0)


SGD_DEFAULTS = {"l2_factor": 1e-5, "momentum": 0.2}
ADAMW_DEFAULTS = {"weight_decay": 1e-2, "betas": (0.9, 0.999), "eps": 1e-8}
ADAGRAD_DEFAULTS = {"eps": 1e-8}


def run_cells(grade_ids, **classes_by_name):
    """Run the given test cells with the named classes; returns {grade_id: error message or None}."""
    namespace = {"__name__": "__main__"}
    for grade_id in GIVEN_CELLS:
        exec(compile(CELLS[grade_id], f"<{grade_id}>", "exec"), namespace)
    results = {}
    for grade_id in grade_ids:
        cell_namespace = dict(namespace)
        cell_namespace.update({name: make(cell_namespace) for name, make in classes_by_name.items()})
        try:
            exec(compile(CELLS[grade_id], f"<{grade_id}>", "exec"), cell_namespace)
            results[grade_id] = None
        except Exception as error:  # a failed test cell
            results[grade_id] = f"{type(error).__name__}: {error}"
    return results


def _with(make_optimizer, defaults, **fixed):
    return lambda ns: _torch_network_class(ns, lambda w, b, lr, **h: make_optimizer(w, b, lr, **h, **fixed), defaults)


def test_torch_sgd_passes_every_task2_cell():
    results = run_cells(TASK2_CELLS, Task2=_with(sgd, SGD_DEFAULTS))
    assert results == {grade_id: None for grade_id in TASK2_CELLS}


def test_torch_adamw_passes_every_adamw_cell():
    results = run_cells(ADAMW_CELLS, AdamW=_with(adamw, ADAMW_DEFAULTS))
    assert results == {grade_id: None for grade_id in ADAMW_CELLS}


def test_torch_adagrad_passes_every_adagrad_cell():
    # torch puts eps outside the root; the notebook states it inside and accepts both.
    results = run_cells(ADAGRAD_CELLS, Adagrad=_with(adagrad, ADAGRAD_DEFAULTS))
    assert results == {grade_id: None for grade_id in ADAGRAD_CELLS}


@pytest.mark.parametrize("make_class, failing", [
    # torch.optim.SGD's plain weight_decay also decays the biases.
    (_with(sgd, SGD_DEFAULTS, decay_biases=True), {"task2_trajectory_matches_sgd", "task2_biases_not_decayed"}),
    # other default hyperparameters than the stated ones
    (_with(sgd, {"l2_factor": 1e-4, "momentum": 0.2}), {"task2_default_hyperparameters"}),
])
def test_task2_cells_reject_torch_sgd_against_the_conventions(make_class, failing):
    results = run_cells(TASK2_CELLS, Task2=make_class)
    assert {grade_id for grade_id, error in results.items() if error} == failing


@pytest.mark.parametrize("make_class, failing", [
    # Adam with L2 in the gradient instead of AdamW's decoupled decay
    (_with(adamw, ADAMW_DEFAULTS, coupled_l2=True), {"task3_adamw_trajectory", "task3_adamw_decoupled_weight_decay"}),
    (_with(adamw, {**ADAMW_DEFAULTS, "betas": (0.9, 0.99)}), {"task3_adamw_default_hyperparameters"}),
])
def test_adamw_cells_reject_torch_adam_against_the_conventions(make_class, failing):
    results = run_cells(ADAMW_CELLS, AdamW=make_class)
    assert {grade_id for grade_id, error in results.items() if error} == failing


def test_adagrad_cells_reject_a_wrong_eps():
    # eps fixed at torch's default 1e-10 whatever the argument: the eps cell must notice, and so
    # does the trajectory (its gradients down to 1e-3 make eps = 1e-8 visible).
    wrong = _with(lambda w, b, lr, eps: adagrad(w, b, lr, eps=1e-10), ADAGRAD_DEFAULTS)
    results = run_cells(ADAGRAD_CELLS, Adagrad=wrong)
    assert {grade_id for grade_id, error in results.items() if error} == {"task3_adagrad_eps", "task3_adagrad_trajectory"}
