"""The judges of the MLP lab: one function per hidden test, named after its grade cell.

Instructor-only: this folder is never released and never enters the sandbox. Each judge gets
`seen`, what the cell's probe observed of the student's code, and `expected`, what the same
probe observed of the source notebook's solutions (mlpkit/judging/reference.py), and raises
`Failed(message)` or returns. The probes themselves are the hidden regions of the source
notebook's test cells. Run them with `mlpkit autograde` (or nbgrader's own autograde);
tests/test_judge.py checks that every judge passes the reference itself.
"""
import importlib.util
import re
from pathlib import Path

import numpy as np

from mlpkit.judging import (Failed, agrees, as_array, close, gradient_structure, gradients_match, relative_error,
                            same_inputs, softmax, softmax_calls_honest, structure, trajectory_close)


def rules(*ids):
    """The rows of the ledger (docs/lab.md, "The rules the checks rely on") whose rules this judge's
    conditions check; tests/test_ledger.py keeps the two in step."""
    def mark(judge):
        judge.rules = ids
        return judge
    return mark


# ---- Task 0: stable_softmax ----

def _replays(x, axis):
    """Known wrong softmaxes of x, each with the cause it names (evaluated with numpy's warnings off)."""
    def whole_sum(x):
        exps = np.exp(x - x.max(axis=axis, keepdims=True))
        return exps / exps.sum()

    def unshifted(x):
        exps = np.exp(x)
        return exps / exps.sum(axis=axis, keepdims=True)

    def global_shift(x):
        exps = np.exp(x - x.max())
        return exps / exps.sum(axis=axis, keepdims=True)

    def clipped(bound):
        return lambda x: unshifted(np.clip(x, -bound, bound))

    return [(whole_sum, "it divides by the sum of the whole array, not by the sum along the axis (keepdims=True)"),
            (unshifted, "the exponents are not shifted: exp overflows for entries above about 709; subtract the max "
                        "along the axis first, so that the largest exponent is 0"),
            (global_shift, "it subtracts the max of the whole array: a slice far below it underflows to 0/0; subtract "
                           "each slice's own max (np.max(x, axis=axis, keepdims=True))")] + [
        (clipped(bound), "it clips the inputs: that avoids the overflow but changes the probabilities; shift by the "
                         "max instead, which changes nothing") for bound in (700.0, 709.0, 500.0, 100.0)]


def _softmax_cause(x, axis, result):
    with np.errstate(all="ignore"):
        for replay, cause in _replays(x, axis):
            try:
                if np.allclose(result, replay(x), rtol=1e-9, atol=1e-15, equal_nan=True):
                    return cause
            except (ValueError, TypeError):
                continue
    return None


def _softmax_results(seen, expected, what, rtol):
    same_inputs(seen["inputs"], expected["inputs"])
    if not isinstance(seen["results"], list) or len(seen["results"]) != len(expected["results"]):
        raise Failed(f"{what}: expected one result per input")
    for (x, axis), result, reference in zip(expected["inputs"], seen["results"], expected["results"]):
        where = f"{what} of an array of shape {x.shape} along axis={axis}"
        result = as_array(result, where)
        if result.shape != x.shape:
            raise Failed(f"{where} has shape {result.shape}, not the shape of x")
        if agrees(result, softmax(x.reshape(-1)).reshape(x.shape), rtol) and x.ndim > 1:
            raise Failed(f"{where}: the whole array was normalised, not each slice along the axis")
        if axis % x.ndim != x.ndim - 1 and agrees(result, softmax(x, -1), rtol):
            raise Failed(f"{where}: the softmax was taken along the last axis, not along axis={axis}")
        if not np.isfinite(result).all() or not agrees(result, reference, rtol, 1e-15):
            cause = _softmax_cause(x, axis, result)
            if not np.isfinite(result).all():
                raise Failed(f"{where} holds NaN or infinite entries: "
                             + (cause or "an exponent overflowed, or a whole slice underflowed to 0/0"))
            try:
                close(result, reference, where, rtol=rtol, atol=1e-15)
            except Failed as failure:
                raise _with_cause(failure, cause) from None


@rules("T0a", "T0b", "G1")
def task0_softmax_matches_reference(seen, expected):
    _softmax_results(seen, expected, "stable_softmax", rtol=1e-6)


@rules("T0a", "T0b", "T0c", "T0d", "G1")
def task0_softmax_no_overflow(seen, expected):
    _softmax_results(seen, expected, "stable_softmax of large inputs", rtol=1e-6)


@rules("T0e", "C6")
def task0_softmax_input_unchanged(seen, expected):
    for i, (after, reference) in enumerate(zip(seen["inputs_after"], expected["inputs_after"])):
        if not np.array_equal(as_array(after, "x"), reference):
            raise Failed(f"stable_softmax modified its input x (call {i + 1}, x of shape {reference.shape})")


# ---- Task 1: softmax output and cross-entropy ----

def _used_stable_softmax(seen):
    softmax_calls_honest(seen)
    if not seen.get("softmax_count"):
        raise Failed("feedforward must compute the probabilities with your stable_softmax (Task 0)")


@rules("T1a", "C1", "C7", "C8", "G1")
def task1_feedforward_probabilities(seen, expected):
    softmax_calls_honest(seen)
    for i, (p, reference) in enumerate(zip(seen["outputs"], expected["outputs"])):
        p = as_array(p, "feedforward(x)")
        if p.shape != reference.shape:
            raise Failed(f"feedforward(x) for case {i + 1} has shape {p.shape}, expected {reference.shape} = (B, N^L)")
        if not np.isfinite(p).all() or p.min() < 0:
            raise Failed(f"feedforward(x) for case {i + 1} has negative, NaN or infinite entries")
        if not agrees(p.sum(axis=1), np.ones(len(p)), 1e-9):
            if len(p) > 1 and agrees(p.sum(axis=0), np.ones(p.shape[1]), 1e-9):
                raise Failed(f"the columns of feedforward(x) for case {i + 1} sum to 1, not its rows: the softmax was "
                             "taken over the batch (axis=0); take it over each example's outputs (axis=-1)")
            raise Failed(f"the rows of feedforward(x) for case {i + 1} do not sum to 1: is the output a softmax?")
    _used_stable_softmax(seen)


_FEEDFORWARD_CASES = ["a batch of 7", "a batch of 2", "a batch of 3"]


@rules("T1c", "T1d", "T1h", "C1", "C7", "C8", "G1")
def task1_feedforward_matches_reference(seen, expected):
    softmax_calls_honest(seen)
    for i, (p, reference) in enumerate(zip(seen["outputs"], expected["outputs"])):
        what = f"feedforward(x) for case {i + 1} ({_FEEDFORWARD_CASES[i] if i < 3 else 'another batch'})"
        try:
            close(p, reference, what)
        except Failed as failure:
            p = as_array(p, what)
            over_batch = p.ndim == 2 and len(p) > 1 and agrees(p.sum(axis=0), np.ones(p.shape[1]), 1e-9)
            raise _with_cause(failure, "its columns sum to 1: the softmax was taken over the batch (axis=0)"
                              if over_batch else None) from None


@rules("T1f", "C2", "C3", "C4", "C7", "G1")
def task1_backprop_shapes(seen, expected):
    softmax_calls_honest(seen)
    for i, (result, reference) in enumerate(zip(seen["results"], expected["results"])):
        gradient_structure(result, reference, f"case {i + 1}")


_TASK1_BATCHES = [1, 6, 5, 2]


@rules("T1b", "T1c", "T1d", "T1e", "T1f", "T1h", "C2", "C3", "C4", "C5", "C7", "G1")
def task1_backprop_matches_finite_differences(seen, expected):
    softmax_calls_honest(seen)
    for i, (result, reference) in enumerate(zip(seen["results"], expected["results"])):
        gradients_match(result, reference, f"case {i + 1} (batch of {_TASK1_BATCHES[i]})", _TASK1_BATCHES[i])


@rules("T1g", "C6", "C7")
def task1_does_not_modify_inputs(seen, expected):
    for name in ("x", "y"):
        if not np.array_equal(as_array(seen[name], name), expected[name]):
            raise Failed(f"feedforward or backprop modified {name} in place")
    for name in ("weights", "biases"):
        for i, (got, ref) in enumerate(zip(structure(seen[name], len(expected[name]), name), expected[name])):
            if got.shape != ref.shape or not np.array_equal(got, ref):
                raise Failed(f"feedforward or backprop modified {name}[{i}]")


# ---- Task 2: L2 and momentum ----
# The probes' inputs, rebuilt from their seeds as lab_checks does (the probe reports only the
# parameters after each step). They serve to name the cause only: a verdict is always the comparison
# with the reference's observations, and a cause is named only if replaying the stated update on these
# inputs reproduces the reference's numbers.

def _lab_checks():
    """The lab's own lab_checks.py (source/mlp_lab/): the judges rebuild a probe's inputs with the
    very generators the probe used, never with a copy of them."""
    path = Path(__file__).resolve().parents[1] / "source" / "mlp_lab" / "lab_checks.py"
    spec = importlib.util.spec_from_file_location("mlp_lab_checks_for_judges", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_LAB = _lab_checks()
_make_parameters, _make_gradients = _LAB.make_parameters, _LAB.make_gradients


def _zero_gradients(sizes, seed):
    weights, biases = _make_parameters(sizes, seed)
    return [([np.zeros_like(w) for w in weights], [np.zeros_like(b) for b in biases])]


# grade_id -> the probe's runs: (sizes, l2_factor, momentum, learning_rate, seed, steps, gradients)
_TASK2_RUNS = {
    "task2_trajectory_matches_sgd": [((3, 4, 2), 0.1, 0.9, 0.05, 60, 5, lambda: _make_gradients((3, 4, 2), 5, 60)),
                                     ((2, 3, 3, 2), 0.01, 0.5, 0.3, 61, 5, lambda: _make_gradients((2, 3, 3, 2), 5, 61))],
    "task2_l2_through_momentum_buffer": [((3, 4, 2), 0.2, 0.5, 0.1, 64, 4, lambda: _zero_gradients((3, 4, 2), 64))],
    "task2_momentum_zero_is_sgd_plus_l2": [((4, 3, 2), 0.05, 0.0, 0.2, 65, 3, lambda: _make_gradients((4, 3, 2), 1, 65))],
}

_TASK2_MISTAKES = [
    ("decay_biases", "the biases are decayed too: L2 applies to the weights only"),
    ("l2_outside", "l2_factor * W is added to the step, after the velocity: it must enter the velocity, "
                   "v = momentum * v + grad + l2_factor * W"),
    ("l2_twice", "the L2 term is 2 * l2_factor * W: the stated update adds l2_factor * W"),
    ("dampening", "the velocity is an average, v = momentum * v + (1 - momentum) * g: there is no dampening, "
                  "v = momentum * v + g"),
    ("nesterov", "this is Nesterov's momentum (a step along g + momentum * v): the step is along v"),
    ("no_buffer", "the velocity is not kept from one step to the next"),
    ("late", "the parameters move with the previous step's velocity: update v first, then the parameters"),
    ("biases_frozen", "the biases are not updated"),
    ("skip_last", "the last layer is never updated: loop over every layer, range(self.num_layers), where "
                  "num_layers == len(weights) (in Nielsen's book num_layers is len(sizes))"),
    ("two_calls", "backprop is called more than once per step: call it once and unpack grads_w, grads_b"),
]


def _sgd(sizes, l2, momentum, lr, seed, steps, gradients, mistake=None):
    weights, biases = _make_parameters(sizes, seed)
    n = len(weights)
    params = [p.copy() for p in weights + biases]
    velocity = [np.zeros_like(p) for p in params]
    out, calls = [], 0
    for _ in range(steps):
        def call():
            nonlocal calls
            calls += 1
            grads_w, grads_b = gradients[min(calls, len(gradients)) - 1]
            return grads_w, grads_b
        grads_w, grads_b = call()
        if mistake == "two_calls":
            grads_b = call()[1]
        for i, g in enumerate(grads_w + grads_b):
            if mistake == "skip_last" and i % n == n - 1:
                continue
            if mistake == "biases_frozen" and i >= n:
                continue
            decayed = i < n or mistake == "decay_biases"
            l2_term = (2.0 if mistake == "l2_twice" else 1.0) * l2 * params[i] if decayed else 0.0
            g = g + (0.0 if mistake == "l2_outside" else l2_term)
            old = velocity[i]
            if mistake == "no_buffer":
                old = np.zeros_like(old)
            velocity[i] = momentum * old + ((1 - momentum) * g if mistake == "dampening" else g)
            step = {"nesterov": g + momentum * velocity[i], "late": old}.get(mistake, velocity[i])
            if mistake == "l2_outside":
                step = step + l2_term
            params[i] = params[i] - lr * step
        out.append(([p.copy() for p in params[:n]], [p.copy() for p in params[n:]]))
    return out


def _agrees_runs(seen, reference, weights_only):
    try:
        if weights_only:
            for got, ref in zip(seen, reference, strict=True):
                for g, r in zip(structure(got, len(ref), ""), ref, strict=True):
                    close(g, r, "", rtol=1e-6)
        else:
            trajectory_close(seen, reference, "")
    except (Failed, ValueError, TypeError):
        return False
    return True


def _frozen_layer(seen, weights_only):
    """The index of a layer whose weights never changed over the steps, or None."""
    try:
        steps = [structure(s if weights_only else s[0], len(seen[0] if weights_only else seen[0][0]), "") for s in seen]
    except (Failed, TypeError, IndexError, KeyError):
        return None
    if len(steps) < 2:
        return None
    for i in range(len(steps[0])):
        if all(s[i].shape == steps[0][i].shape and np.array_equal(s[i], steps[0][i]) for s in steps):
            return i
    return None


def _task2_cause(grade_id, case, seen, expected, weights_only=False):
    """A name for the Task 2 mistake these numbers show, or None."""
    try:
        sizes, l2, momentum, lr, seed, steps, gradients = _TASK2_RUNS[grade_id][case]
        gradients = gradients()
        pick = (lambda run: [w for w, _ in run]) if weights_only else (lambda run: run)
        if not _agrees_runs(expected, pick(_sgd(sizes, l2, momentum, lr, seed, steps, gradients)), weights_only):
            return None  # the probe's inputs are not those replayed here: name nothing
        causes = [cause for mistake, cause in _TASK2_MISTAKES
                  if _agrees_runs(seen, pick(_sgd(sizes, l2, momentum, lr, seed, steps, gradients, mistake)), weights_only)]
        if causes:  # on some inputs two mistakes give the same numbers: name them all
            return causes[0] if len(causes) == 1 else "the numbers fit any of: " + "; or ".join(causes)
    except Exception:  # noqa: BLE001 - naming a cause must never break a verdict
        return None
    frozen = _frozen_layer(seen, weights_only)
    if frozen is not None:
        return (f"weights[{frozen}] never changed over the steps: is every layer updated? range(self.num_layers) "
                "visits them all (num_layers == len(weights))")
    return None


def _with_cause(failure, cause):
    return Failed(f"{failure}: {cause}" if cause else str(failure))


@rules("T2b", "T2c", "T2d", "T2e", "T2f", "T2g", "C3", "C7")
def task2_trajectory_matches_sgd(seen, expected):
    for i, (run, reference) in enumerate(zip(seen["runs"], expected["runs"])):
        try:
            trajectory_close(run, reference, f"case {i + 1}")
        except Failed as failure:
            raise _with_cause(failure, _task2_cause("task2_trajectory_matches_sgd", i, run, reference)) from None


@rules("T2d", "C7")
def task2_one_backprop_call_per_step(seen, expected):
    counts = [int(c) for c in seen["counts"]]
    if counts != expected["counts"]:
        raise Failed(f"after 1, 2, 3, 4 learning steps backprop had been called {counts} times: once per step")


@rules("T2b", "T2c", "T2g", "C3", "C7")
def task2_biases_not_decayed(seen, expected):
    weights, biases = expected["start"]
    end_w, end_b = seen["end"]
    for i, (b, start) in enumerate(zip(structure(end_b, len(biases), "biases"), biases)):
        if b.shape != start.shape:
            raise Failed(f"biases[{i}] has become {b.shape}: does learning_step unpack grads_w, grads_b in this order?")
        if not np.array_equal(b, start):
            raise Failed(f"with zero gradients, biases[{i}] changed: biases must not be decayed")
    for i, (w, start) in enumerate(zip(structure(end_w, len(weights), "weights"), weights)):
        if w.shape == start.shape and np.array_equal(w, start) and i > 0:
            raise Failed(f"with zero gradients and l2_factor=0.5, weights[{i}] never changed: is every layer updated? "
                         "range(self.num_layers) visits them all (num_layers == len(weights))")
        if w.shape != start.shape or not np.abs(w).sum() < np.abs(start).sum():
            raise Failed(f"with zero gradients and l2_factor=0.5, weights[{i}] did not shrink")


def _weights_steps(seen, expected, grade_id, what):
    try:
        for step, (got, ref) in enumerate(zip(seen["weights"], expected["weights"], strict=True), start=1):
            for i, (g, r) in enumerate(zip(structure(got, len(ref), "weights"), ref)):
                close(g, r, f"{what}, after step {step}, weights[{i}]", rtol=1e-6)
    except ValueError:
        raise Failed(f"{what}: expected the weights after {len(expected['weights'])} steps") from None
    except Failed as failure:
        raise _with_cause(failure, _task2_cause(grade_id, 0, seen["weights"], expected["weights"], weights_only=True)) from None


@rules("T2b", "T2e", "T2f", "T2g", "C7")
def task2_l2_through_momentum_buffer(seen, expected):
    _weights_steps(seen, expected, "task2_l2_through_momentum_buffer", "with zero gradients")


@rules("T2b", "T2e", "T2g", "C7")
def task2_momentum_zero_is_sgd_plus_l2(seen, expected):
    _weights_steps(seen, expected, "task2_momentum_zero_is_sgd_plus_l2", "with momentum=0")


def _same_runs(seen, what):
    """The student's default and explicit runs agree with each other (not with the reference:
    an update bug is another cell's business)."""
    trajectory_close(seen["default"], seen["explicit"], what, rtol=1e-12, atol=1e-15)


@rules("T2a", "C7")
def task2_default_hyperparameters(seen, expected):
    try:
        _same_runs(seen, "Task2(sizes) compared with Task2(sizes, l2_factor=1e-5, momentum=0.2)")
    except Failed as failure:
        raise Failed(f"{failure}: are the defaults l2_factor=1e-5 and momentum=0.2?") from None


# ---- Task 3a, 3b: AdamW and Adagrad ----

def _optimiser_runs(seen_runs, expected_runs, what, rtol=1e-6):
    for i, (run, reference) in enumerate(zip(seen_runs, expected_runs)):
        same_inputs(run["start"], reference["start"])
        trajectory_close(run["trajectory"], reference["trajectory"], f"{what}, case {i + 1}", rtol=rtol)


_ADAMW_MISTAKES = [
    (dict(decay_biases=True), "the biases are decayed too: AdamW decays the weights only"),
    (dict(correct=False), "the moments are not bias-corrected (m / (1 - beta1**t), v / (1 - beta2**t))"),
    (dict(eps_inside=True), "eps is inside the square root; AdamW adds it outside, sqrt(v_hat) + eps"),
    (dict(coupled=True), "weight_decay * W is added to the gradient (Adam with L2): AdamW decays the weights "
                         "directly, p = p * (1 - learning_rate * weight_decay), outside the moments"),
    (dict(decay_after=True), "the weights are decayed after the Adam step: decay them first"),
    (dict(t_mode="frozen"), "t does not grow: it counts the learning_step calls, this one included"),
    (dict(t_mode="per_array"), "t grows once per parameter array: it counts the learning_step calls"),
]


def _adamw_cause(run, reference):
    """A name for the AdamW mistake these numbers show, or None (also when the replay of the stated
    update does not reproduce the reference: then the probe's inputs are not those assumed here)."""
    try:
        if not _agrees_trajectory(reference["trajectory"], _adamw(reference)):
            return None
        causes = [cause for variant, cause in _ADAMW_MISTAKES
                  if _agrees_trajectory(run["trajectory"], _adamw(reference, **variant))]
    except Exception:  # noqa: BLE001 - naming a cause must never break a verdict
        return None
    if not causes:
        return None
    return causes[0] if len(causes) == 1 else "the numbers fit any of: " + "; or ".join(causes)


def _adamw(reference, decay_biases=False, correct=True, eps_inside=False, coupled=False, decay_after=False,
           t_mode="step"):
    lr, decay, (beta1, beta2), eps = reference["hyper"]
    weights, biases = reference["start"]
    params = [np.array(p, dtype=np.float64) for p in list(weights) + list(biases)]
    n = len(weights)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    gradients = reference["gradients"]
    out, t = [], 0
    for step in range(1, len(reference["trajectory"]) + 1):
        grads_w, grads_b = gradients[min(step, len(gradients)) - 1]
        t = {"step": step, "frozen": 1}.get(t_mode, t)
        for i, g in enumerate(list(grads_w) + list(grads_b)):
            if t_mode == "per_array":
                t += 1
            decayed = i < n or decay_biases
            if coupled:
                g = g + decay * params[i] if decayed else g
            elif decayed and not decay_after:
                params[i] = params[i] * (1 - lr * decay)
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            m_hat, v_hat = (m[i] / (1 - beta1**t), v[i] / (1 - beta2**t)) if correct else (m[i], v[i])
            denominator = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
            params[i] = params[i] - lr * m_hat / denominator
            if decayed and decay_after and not coupled:
                params[i] = params[i] * (1 - lr * decay)
        out.append([[p.copy() for p in params[:n]], [p.copy() for p in params[n:]]])
    return out


def _agrees_trajectory(seen, reference):
    try:
        trajectory_close(seen, reference, "")
    except Failed:
        return False
    return True


_ADAMW_HYPER = [(0.01, 0.1, (0.8, 0.95), 1e-8), (0.05, 0.02, (0.9, 0.99), 1e-6)]
_ADAMW_DEFAULTS = ((0.9, 0.999), 1e-8)


def _adamw_run(run, reference, hyper, what, rtol=1e-6):
    same_inputs(run["start"], reference["start"])
    try:
        trajectory_close(run["trajectory"], reference["trajectory"], what, rtol=rtol)
    except Failed as failure:
        raise _with_cause(failure, _adamw_cause(run, {**reference, "hyper": hyper})) from None


@rules("T3a", "T3b", "T3c", "T3d", "T3e", "C7", "G1")
def task3_adamw_trajectory(seen, expected):
    for i, (run, reference) in enumerate(zip(seen["runs"], expected["runs"])):
        _adamw_run(run, reference, _ADAMW_HYPER[i], f"AdamW, case {i + 1}")


@rules("T3b", "T3c", "T3e", "C7", "G1")
def task3_adamw_decoupled_weight_decay(seen, expected):
    _adamw_run(seen, expected, (0.1, 0.3, *_ADAMW_DEFAULTS),
               "with zero gradients (weights shrink by 1 - lr * weight_decay per step, biases stay)", rtol=1e-9)


@rules("T3b", "T3d", "T3e", "C7", "G1")
def task3_adamw_bias_correction(seen, expected):
    _adamw_run(seen, expected, (0.01, 0.0, *_ADAMW_DEFAULTS),
               "with a constant gradient and no decay (is m / (1 - beta1**t) with t counting the steps?)")


@rules("T3b", "C7", "G1")
def task3_adamw_default_hyperparameters(seen, expected):
    for run in (seen["default"], seen["explicit"]):
        same_inputs(run["start"], expected["default"]["start"])
    try:
        trajectory_close(seen["default"]["trajectory"], seen["explicit"]["trajectory"], "AdamW(sizes) compared with "
                         "AdamW(sizes, weight_decay=1e-2, betas=(0.9, 0.999), eps=1e-8)", rtol=1e-12, atol=1e-15)
    except Failed as failure:
        raise Failed(f"{failure}: are the defaults those stated?") from None


def _adagrad(reference, eps, eps_inside, accumulate="square"):
    weights, biases = reference["start"]
    params = [np.array(p, dtype=np.float64) for p in list(weights) + list(biases)]
    sums = [np.zeros_like(p) for p in params]
    n, out = len(weights), []
    lr = reference["learning_rate"]
    for grads_w, grads_b in reference["gradients"]:
        for i, g in enumerate(list(grads_w) + list(grads_b)):
            sums[i] = {"square": sums[i] + g * g, "abs": sums[i] + np.abs(g), "last": g * g}[accumulate]
            with np.errstate(all="ignore"):
                params[i] = params[i] - lr * g / (np.sqrt(sums[i] + eps) if eps_inside else np.sqrt(sums[i]) + eps)
        out.append([[p.copy() for p in params[:n]], [p.copy() for p in params[n:]]])
    return out


def _agrees_with_nans(seen, reference):
    """Like _agrees_trajectory, with NaN in the same places counted as agreement."""
    try:
        for got, ref in zip(seen, reference, strict=True):
            for part in (0, 1):
                for g, r in zip(got[part], ref[part], strict=True):
                    g = as_array(g, "")
                    if g.shape != r.shape or not np.allclose(g, r, rtol=1e-6, atol=1e-12, equal_nan=True):
                        return False
    except (Failed, ValueError, TypeError, IndexError):
        return False
    return True


def _adagrad_runs(seen, expected, learning_rates, what):
    eps = expected["eps"]
    for i, (run, reference) in enumerate(zip(seen["runs"], expected["runs"])):
        same_inputs(run["start"], reference["start"])
        same_inputs(run["gradients"], reference["gradients"])
        reference = {**reference, "learning_rate": learning_rates[i]}
        if _agrees_trajectory(run["trajectory"], _adagrad(reference, eps, eps_inside=False)):
            continue  # PyTorch's placement of eps
        try:
            trajectory_close(run["trajectory"], _adagrad(reference, eps, eps_inside=True), f"{what}, case {i + 1}")
        except Failed as failure:
            cause = None
            try:
                if _agrees_with_nans(run["trajectory"], _adagrad(reference, 0.0, eps_inside=True)):
                    cause = ("eps is not used: where every gradient so far is 0, g / sqrt(G) is 0/0 = NaN; "
                             "eps goes into the denominator")
                else:
                    for inside in (True, False):
                        for accumulate, name in (("abs", "G accumulates |g|, not g**2"),
                                                 ("last", "G holds only the last g**2: it must accumulate, G = G + g**2")):
                            if cause is None and _agrees_trajectory(run["trajectory"], _adagrad(reference, eps, inside, accumulate)):
                                cause = name
            except Exception:  # noqa: BLE001 - naming a cause must never break a verdict
                cause = None
            raise _with_cause(failure, cause) from None


@rules("T3a", "T3f", "T3g", "C7", "G1")
def task3_adagrad_trajectory(seen, expected):
    _adagrad_runs(seen, expected, [0.1, 0.5], "Adagrad")


@rules("T3f", "T3g", "C7", "G1")
def task3_adagrad_eps(seen, expected):
    _adagrad_runs(seen, expected, [0.1], "Adagrad(sizes, eps=0.25)")


# ---- Task 3c: dropout ----

def _mask(value, shape, p, what):
    mask = as_array(value, what)
    if mask.shape != shape:
        raise Failed(f"{what} has shape {mask.shape}, expected {shape}")
    zero = np.isclose(mask, 0.0, rtol=0.0, atol=1e-12)
    if not (zero | np.isclose(mask, 1.0 / (1.0 - p), rtol=1e-12, atol=0.0)).all():
        if (zero | np.isclose(mask, 1.0)).all():
            raise Failed(f"{what}: the kept entries are 1, not 1/(1-p): the mask must rescale them")
        raise Failed(f"{what} holds values other than 0 and 1/(1-p)")
    return mask, zero


@rules("T3h")
def task3_dropout_mask_values(seen, expected):
    for run in seen["runs"]:
        p = float(run["p"])
        mask, zero = _mask(run["mask"], (100, 80), p, f"dropout_mask((100, 80)) with p={p}")
        rate = float(zero.mean())
        if abs(rate - p) > 0.05:
            swapped = abs(rate - (1 - p)) <= 0.05
            raise Failed(f"with p={p}, {rate:.1%} of the mask is 0, expected about {p:.0%}"
                         + (": p is the probability to drop a unit, not to keep it" if swapped else ""))
        if not np.array_equal(mask, as_array(run["same_seed"], "mask")):
            raise Failed(f"two Dropout networks with the same seed gave different masks: draw them from self.rng")
        if np.array_equal(mask, as_array(run["other_seed"], "mask")):
            raise Failed("Dropout networks with different seeds gave the same mask: draw it from self.rng")


def _shaped(value, shape, what):
    array = as_array(value, what)
    if array.shape != shape:
        raise Failed(f"{what} has shape {array.shape}, expected {shape}")
    return array


@rules("T3h")
def task3_dropout_masks_fresh(seen, expected):
    # Freshness only: the values of a mask (0 and 1/(1-p), the rate) are task3_dropout_mask_values' business.
    masks = [_shaped(m, (50, 40), "dropout_mask((50, 40))") for m in seen["masks"]]
    if any(np.array_equal(masks[i], masks[j]) for i in range(3) for j in range(i)):
        raise Failed("two calls of dropout_mask with the same shape gave the same mask: "
                     "draw a new mask at every call, so that other units are dropped each time")
    _shaped(seen["other_shape"], (20, 40), "dropout_mask((20, 40))")


@rules("T3k", "C7")
def task3_dropout_feedforward_deterministic(seen, expected):
    outputs = [as_array(o, "feedforward(x)") for o in seen["outputs"]]
    if any(o.shape != outputs[0].shape or not np.array_equal(o, outputs[0]) for o in outputs):
        raise Failed("repeated calls of Dropout.feedforward(x) differ: feedforward must not drop units")
    # The probe ran a right Task1.feedforward: Dropout's must be that one, unchanged.
    close(outputs[0], expected["outputs"][0], "Dropout.feedforward(x) compared with Task1.feedforward", rtol=1e-12,
          atol=1e-15)


@rules("T3i", "C7")
def task3_dropout_mask_calls(seen, expected):
    for shapes, reference in zip(seen["shapes"], expected["shapes"]):
        got = [tuple(int(n) for n in s) for s in shapes]
        if not got and reference:
            raise Failed("Dropout.backprop never called dropout_mask: does Dropout define its own backprop "
                         "(Task1's drops nothing), with one mask per hidden layer?")
        if got != [tuple(s) for s in reference]:
            raise Failed(f"backprop asked dropout_mask for the shapes {got}, expected {[tuple(s) for s in reference]} "
                         "(one (B, N^l) mask per hidden layer, first hidden layer first)")


@rules("T3i", "T3j", "C2", "C3", "C4", "C5", "C7", "G1")
def task3_dropout_backprop_matches_finite_differences(seen, expected):
    softmax_calls_honest(seen)
    for i, (result, reference) in enumerate(zip(seen["results"], expected["results"])):
        gradients_match(result, reference, f"case {i + 1}, masks given", [4, 3][i], masked=True)


# ---- Task 3d: augmentation ----

def _images(value, shape, what):
    images = as_array(value, what)
    if images.shape != shape:
        raise Failed(f"{what} has shape {images.shape}, expected {shape}")
    if not np.isfinite(images).all():
        raise Failed(f"{what} holds NaN or infinite entries")
    return images


@rules("T3l")
def task3_augment_shape_and_range(seen, expected):
    for out, reference in zip(seen["outputs"], expected["outputs"]):
        out = _images(out, reference.shape, f"augment of {len(reference)} images")
        if out.min() < -1e-12 or out.max() > 1 + 1e-12:
            raise Failed(f"augment of {len(reference)} images has values in [{out.min():.3g}, {out.max():.3g}], not [0, 1]")


@rules("T3n", "C6")
def task3_augment_input_unchanged(seen, expected):
    if not np.array_equal(as_array(seen["x_after"], "x"), expected["x_after"]):
        raise Failed("augment(x, rng) modified x in place")


@rules("T3m")
def task3_augment_reproducible(seen, expected):
    # Reproducibility only, whatever the shape (task3_augment_shape_and_range checks that).
    outs = [as_array(o, "augment(x, rng)") for o in seen["outputs"]]
    if outs[0].shape != outs[1].shape or not np.array_equal(outs[0], outs[1]):
        raise Failed("two generators with the same seed gave different outputs: draw all randomness from rng")
    if outs[0].shape == outs[2].shape and np.array_equal(outs[0], outs[2]):
        raise Failed("generators with different seeds gave the same output: draw the randomness from rng")


@rules("T3o", "G1")
def task3_augment_changes_images(seen, expected):
    same_inputs(seen["x"], expected["x"])
    x = expected["x"]
    for out in seen["outputs"]:
        changed = int((np.abs(_images(out, x.shape, "augment(x, rng)") - x).max(axis=1) > 1e-6).sum())
        if changed <= len(x) // 2:
            raise Failed(f"augment changed only {changed} of {len(x)} images: change most of them (more than half)")


@rules("T3p", "G1")
def task3_augment_preserves_ink(seen, expected):
    same_inputs(seen["x"], expected["x"])
    x = expected["x"]
    ratios = _images(seen["output"], x.shape, "augment(x, rng)").sum(axis=1) / x.sum(axis=1)
    # "about ±30 %": nine images in ten within it pass (a real shift can clip a stroke at the border).
    inside = float(((ratios > 0.7) & (ratios < 1.3)).mean())
    if inside < 0.9:
        raise Failed(f"only {inside:.0%} of the images keep their ink within ±30% "
                     f"(ratios from {ratios.min():.2f} to {ratios.max():.2f})")


# ---- Task 4: deeper networks ----
# Task 4's points are for what depth adds (one mistake, one task). Each probe also runs the student's
# Task1 on networks with one hidden layer, Task 1's depth (the "controls"). Controls right: the deep
# results must be right. Controls wrong (Task 1's checks count that): a mistake recognised in the
# controls must give the deep numbers it gives there; otherwise only the structure depth needs.

def _sibling(name):
    """A module of this folder, loaded by path (the grader loads this file by path, not as a package)."""
    spec = importlib.util.spec_from_file_location(f"mlp_lab_judges_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_MISTAKES = _sibling("mlp_lab_task1_mistakes")
BACKPROP_MISTAKES, FEEDFORWARD_MISTAKES = _MISTAKES.BACKPROP_MISTAKES, _MISTAKES.FEEDFORWARD_MISTAKES
backprop, feedforward = _MISTAKES.backprop, _MISTAKES.feedforward


def _replay_backprop(case, mistake):
    """(grads_w, grads_b) the mistake gives on a probe's case (sizes, batch_size, seed)."""
    sizes, batch_size, seed = case
    return backprop(*_make_parameters(tuple(sizes), seed), *_LAB.make_batch(tuple(sizes), batch_size, seed), mistake=mistake)


def _replay_feedforward(case, mistake):
    sizes, batch_size, seed = case
    return feedforward(*_make_parameters(tuple(sizes), seed), _LAB.make_batch(tuple(sizes), batch_size, seed)[0],
                       mistake=mistake)


def _is_control(case):
    return len(case[0]) == 3


def _grads_agree(seen, replay, threshold=1e-6):
    try:
        if not isinstance(seen, list) or len(seen) != 2:
            return False
        for part, reference in zip(seen, replay):
            if not isinstance(part, list) or len(part) != len(reference):
                return False
            for g, r in zip(part, reference):
                g = as_array(g, "")
                if g.shape != r.shape or not np.isfinite(g).all() or relative_error(g, r) > threshold:
                    return False
    except Failed:
        return False
    return True


def _outputs_agree(seen, replay):
    try:
        return agrees(seen, replay, rtol=1e-9, atol=1e-12)
    except Failed:
        return False


def _recognised(pairs, mistakes, run, agree):
    """The names of the catalogued mistakes that reproduce every control, or []."""
    return [name for name in mistakes
            if all(agree(seen, run(case, name)) for case, seen in pairs)]


def _cosine(a, b):
    a, b = np.ravel(a), np.ravel(b)
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return abs(float(a @ b)) / norm if norm > 0 else 0.0


def _deep_structure(result, reference, what):
    """Failed unless `result` holds one finite gradient per layer in each list, the output layer's
    at least roughly parallel to the reference's (|cosine| >= 0.5, weights and biases together)."""
    if not isinstance(result, list) or len(result) != 2:
        raise Failed(f"{what}: backprop must return a pair (grads_w, grads_b)")
    layers = len(reference[0])
    parts = []
    for part, name in zip(result, ("grads_w", "grads_b")):
        if not isinstance(part, list) or len(part) != layers:
            raise Failed(f"{what}: {name} should hold {layers} arrays, one per layer; {_NUM_LAYERS}")
        arrays = [as_array(g, f"{what}: {name}[{i}]") for i, g in enumerate(part)]
        if not all(np.isfinite(a).all() for a in arrays):
            raise Failed(f"{what}: {name} has NaN or infinite entries")
        parts.append(arrays)
    top = np.concatenate([np.ravel(a[-1]) for a in parts])
    true_top = np.concatenate([np.ravel(reference[0][-1]), np.ravel(reference[1][-1])])
    if top.size != true_top.size or _cosine(top, true_top) < 0.5:
        raise Failed(f"{what}: the output layer's gradients are far from the true ones (|cosine| < 0.5), "
                     "which the mistake seen with one hidden layer does not explain")


_NUM_LAYERS = "num_layers == len(weights) == len(sizes) - 1"


@rules("T4a", "T4b", "T4c", "T4d", "T4f", "C7", "C8", "G1")
def task4_feedforward_deep_matches_reference(seen, expected):
    softmax_calls_honest(seen)
    same_inputs(seen["cases"], expected["cases"])
    cases = list(zip(expected["cases"], seen["outputs"], expected["outputs"]))
    controls = [(case, out) for case, out, _ in cases if _is_control(case)]
    control_right = all(_outputs_agree(out, ref) for case, out, ref in cases if _is_control(case))
    mistakes = [] if control_right else _recognised(controls, FEEDFORWARD_MISTAKES, _replay_feedforward, _outputs_agree)
    for case, out, reference in cases:
        if _is_control(case):
            continue
        what = f"feedforward(x) with {len(case[0]) - 2} hidden layers"
        if control_right:
            close(out, reference, what)
        elif mistakes:
            if not any(_outputs_agree(out, _replay_feedforward(case, m)) for m in mistakes):
                raise Failed(f"{what}: with one hidden layer feedforward has a mistake (Task 1's checks count it); "
                             "deeper, it gives other numbers than that mistake would: is every hidden layer a sigmoid layer?")
        else:
            out = as_array(out, what)
            if out.shape != reference.shape or not np.isfinite(out).all():
                raise Failed(f"{what} has shape {out.shape} or non-finite entries; expected finite outputs of shape "
                             f"{reference.shape} = (B, N^L)")


@rules("T4a", "T4b", "T4c", "T4e", "T4f", "C2", "C3", "C4", "C5", "C7", "G1")
def task4_backprop_deep_matches_finite_differences(seen, expected):
    softmax_calls_honest(seen)
    same_inputs(seen["cases"], expected["cases"])
    cases = list(zip(expected["cases"], seen["results"], expected["results"]))
    control_right = all(_grads_agree(result, ref) for case, result, ref in cases if _is_control(case))
    controls = [(case, result) for case, result, _ in cases if _is_control(case)]
    mistakes = [] if control_right else _recognised(controls, BACKPROP_MISTAKES, _replay_backprop, _grads_agree)
    for case, result, reference in cases:
        if _is_control(case):
            continue
        what = f"{len(case[0]) - 2} hidden layers"
        if control_right:
            try:
                gradients_match(result, reference, what, case[1])
            except Failed as failure:
                raise Failed(f"{failure} (with one hidden layer backprop is right: the error comes with depth)") from None
        elif mistakes:
            if not any(_grads_agree(result, _replay_backprop(case, m)) for m in mistakes):
                raise Failed(f"{what}: with one hidden layer backprop has a mistake ({BACKPROP_MISTAKES[mistakes[0]]}; "
                             "Task 1's checks count it); deeper, it gives other numbers than that mistake would: "
                             "the backward loop goes wrong with depth too")
        else:
            _deep_structure(result, reference, what)


def _cross_entropy(weights, biases, x, y):
    g = x
    for w, b in zip(weights[:-1], biases[:-1]):
        g = 1.0 / (1.0 + np.exp(-(g @ w.T + b)))
    z = g @ weights[-1].T + biases[-1]
    shifted = z - z.max(axis=1, keepdims=True)
    return float(-(y * (shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))).sum() / len(x))


@rules("T4a", "T4b", "T4c", "T4e", "T4f", "C7", "G1")
def task4_deep_training_reduces_loss(seen, expected):
    softmax_calls_honest(seen)
    same_inputs([seen["x"], seen["y"], seen["start"], seen["controls"]],
                [expected["x"], expected["y"], expected["start"], expected["controls"]])
    controls = list(zip(expected["controls"], seen["control_results"], expected["control_results"]))
    if not all(_grads_agree(result, ref) for _, result, ref in controls):
        # Task 1's checks count this mistake, and the training follows from it: nothing new to judge,
        # unless the gradients are no gradients at all (then the run says nothing about depth).
        if _recognised([(case, result) for case, result, _ in controls], BACKPROP_MISTAKES, _replay_backprop, _grads_agree):
            return
        for case, result, reference in controls:
            _deep_structure(result, reference, "backprop with one hidden layer")
        return
    if seen["training_error"]:
        raise Failed(f"300 full-batch steps of Network's SGD on a network with 3 hidden layers stopped with "
                     f"{seen['training_error']}, though backprop is right with one hidden layer")
    ref_w, ref_b = expected["end"]
    weights = structure(seen["end"][0], len(ref_w), "weights")
    biases = structure(seen["end"][1], len(ref_b), "biases")
    if [w.shape for w in weights] != [w.shape for w in ref_w] or [b.shape for b in biases] != [b.shape for b in ref_b]:
        raise Failed("the trained network's parameters changed shape")
    start = _cross_entropy(*expected["start"], expected["x"], expected["y"])
    after = _cross_entropy(weights, biases, expected["x"], expected["y"])
    if not np.isfinite(after) or after > 0.5 * start:
        raise Failed(f"300 full-batch steps of Network's SGD on a network with 3 hidden layers did not halve the "
                     f"loss (from {start:.3f} to {after:.3f}), though backprop is right with one hidden layer: "
                     "is it right for any depth?")


# ---- errors raised by the student's code ----

_BROADCAST = re.compile(r"operands could not be broadcast together with shapes \((\d+),(\d+)\) \((\d+),\)")


def explain_error(grade_id, error):
    """A likely cause for an error the student's code raised in a probe (the text the probe reported),
    or None. For the judge step (mlpkit/judging/verdicts.py) to append to the error's message; it must never guess
    values."""
    if grade_id.startswith("task4_") and "NotImplementedError" not in (error or ""):
        return ("these checks run networks with 1 to 4 hidden layers: if your Task1 raises only with more than one, "
                "does every loop go over all the layers (range(self.num_layers), or zip(self.weights, self.biases)) "
                "instead of assuming one hidden layer?")
    match = _BROADCAST.search(error or "")
    if not match:
        return None
    rows, _, length = (int(n) for n in match.groups())
    if grade_id.startswith("task0_"):
        return "a reduction lost its axis: np.max and np.sum need keepdims=True to broadcast against x"
    if rows == length and (grade_id.startswith(("task2_", "task3_adamw", "task3_adagrad"))):
        return ("a weight-shaped array met a bias-shaped one: does learning_step unpack "
                "grads_w, grads_b = self.backprop(...) in this order?")
    return None
