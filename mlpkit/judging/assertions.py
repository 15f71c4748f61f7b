"""The assertions of a lab's judges (judges/<assignment>.py): compare what a probe saw with the reference.

A judge is a function named after its grade cell, `judge(seen, expected)`: `seen` holds the
student's observations, `expected` the reference solution's, for the same probe on the same
inputs. It returns None to pass, or raises `Failed("what is wrong, in numbers")`. Nothing here
ever shows an expected value to the student: messages say where and by how much, and name the
likely cause when the numbers show it.

    from mlpkit.judging import Failed, close, same_inputs, softmax_calls_honest, gradients_match

(mlpkit/judging/__init__.py re-exports this module's names: the judges import them from there.)
"""
import numpy as np


class Failed(AssertionError):
    """A hidden check failed; the message is shown to the student."""


def as_array(value, what):
    """`value` as a float64 array, or Failed naming `what`."""
    if isinstance(value, np.ndarray) and value.dtype != object:
        return value.astype(np.float64)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Failed(f"{what} is not an array of numbers (it is {value!r:.80})") from None
    return array


def relative_error(a, b):
    scale = max(float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)), 1e-300)
    return float(np.abs(a - b).max(initial=0.0)) / scale


def close(seen, expected, what, rtol=1e-9, atol=1e-12):
    """Failed unless `seen` has the shape of `expected` and |seen - expected| <= atol + rtol |expected|."""
    expected = as_array(expected, "the reference")
    seen = as_array(seen, what)
    if seen.shape != expected.shape:
        raise Failed(f"{what} has shape {seen.shape}, expected {expected.shape}")
    finite = np.isfinite(seen)
    if not finite.all():
        raise Failed(f"{what} has {int((~finite).sum())} NaN or infinite entries out of {seen.size}")
    excess = np.abs(seen - expected) - (atol + rtol * np.abs(expected))
    if seen.size and excess.max() > 0:
        worst = tuple(int(i) for i in np.unravel_index(int(excess.argmax()), excess.shape))
        raise Failed(f"{what} is wrong at index {worst}: {int((excess > 0).sum())} of {seen.size} "
                     f"entries are off, the worst by a relative error of "
                     f"{relative_error(seen[worst], expected[worst]):.3g}")


def agrees(seen, expected, rtol=1e-9, atol=1e-12):
    """True when `close` would pass."""
    try:
        close(seen, expected, "", rtol, atol)
    except Failed:
        return False
    return True


def same_inputs(seen, expected, what="the check's inputs"):
    """Failed unless the inputs a probe reports are bit for bit the reference's (so the student's
    code cannot have chosen or changed them)."""
    if not _identical(seen, expected):
        raise Failed(f"{what} were changed while the check ran: does your code modify numpy's "
                     "random generators or the arrays it is given?")


def _identical(a, b):
    if isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b))
    if isinstance(b, (list, tuple)):
        return isinstance(a, (list, tuple)) and len(a) == len(b) and all(map(_identical, a, b))
    if isinstance(b, dict):
        return isinstance(a, dict) and a.keys() == b.keys() and all(_identical(a[k], b[k]) for k in b)
    return a == b


def softmax(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=axis, keepdims=True)


def softmax_calls_honest(seen):
    """Failed unless every call of the substituted softmax (recorded by `lab_checks.recorded_softmax`)
    returned the softmax of its input: then the results can be trusted to test this task alone."""
    for call in seen.get("softmax_calls") or []:
        try:
            z, axis, result = as_array(call[0], "z"), int(call[1]), as_array(call[2], "p")
            honest = result.shape == z.shape and agrees(result, softmax(z, axis), 1e-9, 1e-15)
        except (Failed, TypeError, ValueError, IndexError, np.AxisError):
            honest = False
        if not honest:
            raise Failed("the softmax this check puts in place of stable_softmax gave wrong results: "
                         "does your code replace or change unstable_softmax, stable_softmax or numpy?")


def structure(value, count, what):
    """A list of `count` arrays, or Failed."""
    if not isinstance(value, list) or len(value) != count:
        got = len(value) if isinstance(value, list) else type(value).__name__
        raise Failed(f"{what} should be a list of {count} arrays, one per layer; it is {got}")
    return [as_array(v, f"{what}[{i}]") for i, v in enumerate(value)]


_NUM_LAYERS = "num_layers == len(weights) == len(sizes) - 1 (in Nielsen's book num_layers is len(sizes))"


def gradient_structure(seen, expected, what):
    """(grads_w, grads_b) as lists of arrays shaped like the reference's, or Failed naming the convention
    broken: the pair, its order, one array per layer, the shapes (a transposed weight gradient)."""
    prefix = f"{what}: " if what else ""
    if not isinstance(seen, list) or len(seen) != 2:
        raise Failed(f"{prefix}backprop must return a pair (grads_w, grads_b)")
    layers = len(expected[0])
    ref = [[as_array(a, "") for a in part] for part in expected]
    for part, name in ((0, "grads_w"), (1, "grads_b")):
        value = seen[part]
        if not isinstance(value, list):
            raise Failed(f"{prefix}{name} should be a list of {layers} arrays, one per layer; it is {type(value).__name__}")
        if len(value) != layers:
            raise Failed(f"{prefix}{name} holds {len(value)} arrays for {layers} layers: one per weight matrix, "
                         f"{_NUM_LAYERS}")
        missing = [i for i, v in enumerate(value) if v is None]
        if missing:
            raise Failed(f"{prefix}{name}[{missing[0]}] is None: the loop over the layers never reached layer "
                         f"{missing[0]}; {_NUM_LAYERS}")
    grads = [[as_array(v, f"{prefix}{name}[{i}]") for i, v in enumerate(seen[part])]
             for part, name in ((0, "grads_w"), (1, "grads_b"))]
    shapes = [[g.shape for g in part] for part in grads]
    ref_shapes = [[r.shape for r in part] for part in ref]
    if shapes == ref_shapes[::-1] != ref_shapes:
        raise Failed(f"{prefix}backprop returned (grads_b, grads_w); the course's order is (grads_w, grads_b)")
    for part, name in ((0, "grads_w"), (1, "grads_b")):
        for i, (g, r) in enumerate(zip(grads[part], ref[part])):
            if g.shape != r.shape:
                hint = ""
                if part == 0 and g.shape == r.shape[::-1]:
                    hint = (f": the transpose of weights[{i}], which are indexed by target node first, "
                            f"(N^{{i+1}}, N^i); delta.T @ g, not g.T @ delta")
                elif part == 1 and g.shape == (1,) + r.shape:
                    hint = ": keep it 1-D, delta.sum(axis=0) without keepdims"
                elif part == 1 and g.ndim == 2:
                    hint = ": sum delta over the batch (axis 0)"
                raise Failed(f"{prefix}{name}[{i}] has shape {g.shape}, expected {r.shape} like "
                             f"{('weights', 'biases')[part]}[{i}]{hint}")
            if not np.isfinite(g).all():
                raise Failed(f"{prefix}{name}[{i}] has NaN or infinite entries")
    return grads, ref


def _off(g, r, threshold):
    return relative_error(g, r) > threshold


def gradients_match(seen, expected, what, batch_size=None, threshold=1e-6, masked=False):
    """Failed unless `seen` = (grads_w, grads_b) agrees with the reference's, naming the likely cause:
    the order, a transpose, the batch mean, the sign, a skipped layer, the layer where it goes wrong.
    `masked`: the network is a dropout network trained with given masks (the hints mention them)."""
    grads, ref = gradient_structure(seen, expected, what)
    flat = [(g, r) for part in (0, 1) for g, r in zip(grads[part], ref[part])]
    errors = [relative_error(g, r) for g, r in flat]
    if max(errors) <= threshold:
        return
    _fail_on_a_scale_factor(grads, ref, what, batch_size, threshold)
    _fail_on_a_transpose_or_a_skipped_layer(grads, ref, what, threshold)
    layers = len(ref[0])
    worst = int(np.argmax(errors))
    part, i = divmod(worst, layers)
    raise Failed(f"{what}: {('grads_w', 'grads_b')[part]}[{i}] is off by a relative error of {errors[worst]:.2g}; "
                 f"{_where_it_goes_wrong(grads, ref, threshold, masked)}")


def _fail_on_a_scale_factor(grads, ref, what, batch_size, threshold):
    """Failed naming the cause when all gradients, or one kind, are the reference's times a telling factor."""
    def scaled(pairs, factor):
        return all(relative_error(g, factor * r) <= threshold for g, r in pairs)

    flat = [(g, r) for part in (0, 1) for g, r in zip(grads[part], ref[part])]
    causes = []
    if batch_size and batch_size > 1:
        causes += [(batch_size, "the gradients are summed over the batch, not averaged: the loss is the batch's "
                                "mean, so delta at the logits is (p - y) / B"),
                   (1 / batch_size, "the gradients are divided by the batch size twice")]
    causes += [(-1.0, "the sign of the gradients is flipped: delta at the logits is (p - y) / B, not (y - p) / B")]
    outputs = ref[1][-1].shape[0]
    if outputs > 2:  # (2 / N^L = 1 for two outputs: then nothing shows)
        causes += [(2.0 / outputs, "the gradients are those of Network.cost_derivative, 2 (p - y) / (B N^L), the "
                                   "MSE's: with softmax and the mean cross-entropy, delta at the logits is (p - y) / B")]
    for factor, cause in causes:
        if scaled(flat, factor):
            raise Failed(f"{what}: {cause}")
    pairs_w, pairs_b = list(zip(grads[0], ref[0])), list(zip(grads[1], ref[1]))
    for pairs, other, name in ((pairs_b, pairs_w, "bias"), (pairs_w, pairs_b, "weight")):
        if scaled(other, 1.0) and batch_size and batch_size > 1:
            if scaled(pairs, 1 / batch_size):
                raise Failed(f"{what}: the {name} gradients are divided by the batch size twice (delta already "
                             "holds the 1/B of the mean: sum over the batch, do not average again)")
            if scaled(pairs, batch_size):
                raise Failed(f"{what}: the {name} gradients are summed over the batch, not averaged")


def _fail_on_a_transpose_or_a_skipped_layer(grads, ref, what, threshold):
    for i, (g, r) in enumerate(zip(grads[0], ref[0])):
        if g.shape[0] == g.shape[1] and g.shape[0] > 1 and _off(g, r, threshold) and not _off(g, r.T, threshold):
            raise Failed(f"{what}: grads_w[{i}] is the transpose of the gradient: weights[{i}] is indexed by "
                         "target node first, so grads_w[i] = delta.T @ g")
    skipped = [i for i in range(len(ref[0])) if not np.any(grads[0][i]) and not np.any(grads[1][i])
               and (np.any(ref[0][i]) or np.any(ref[1][i]))]
    if skipped:
        layer = skipped[0]
        raise Failed(f"{what}: grads_w[{layer}] and grads_b[{layer}] are all zeros: the backward loop skipped "
                     f"layer {layer}; it must visit every layer, and {_NUM_LAYERS}")


def _where_it_goes_wrong(grads, ref, threshold, masked):
    """The hint: the output layer, or the first hidden layer whose gradients are off."""
    last_right = not _off(grads[0][-1], ref[0][-1], threshold) and not _off(grads[1][-1], ref[1][-1], threshold)
    if not last_right and masked:
        return ("the output layer's gradients are off (grads_w[-1], grads_b[-1]): is the forward pass the thinned "
                "network's, g = sigmoid(z) * mask in every hidden layer, and the gradient at the logits (p - y) / B?")
    if not last_right:
        return ("the output layer's gradients are off (grads_w[-1], grads_b[-1]): with softmax and the mean "
                "cross-entropy, the gradient at the logits is (p - y) / B, p the softmax of each example's "
                "logits, with no sigmoid' factor")
    first_bad = min(j for j in range(len(ref[0])) if _off(grads[0][j], ref[0][j], threshold)
                    or _off(grads[1][j], ref[1][j], threshold))
    return (f"the output layer is right, but layer {first_bad} is off: the error is in the backward pass "
            "through the hidden layers (delta @ weights[l], times sigmoid'(z) = g (1 - g) of that layer"
            + (", times its mask)" if masked else ")"))


def trajectory_close(seen, expected, what, rtol=1e-6, atol=1e-12):
    """Failed unless every step's (weights, biases) agrees with the reference trajectory."""
    if not isinstance(seen, list) or len(seen) != len(expected):
        raise Failed(f"{what}: expected the parameters after {len(expected)} steps")
    for step, (got, ref) in enumerate(zip(seen, expected), start=1):
        if not isinstance(got, list) or len(got) != 2:
            raise Failed(f"{what}: the parameters after step {step} are not (weights, biases)")
        for part, name in ((0, "weights"), (1, "biases")):
            arrays = structure(got[part], len(ref[part]), f"{what}: {name} after step {step}")
            for i, (g, r) in enumerate(zip(arrays, ref[part])):
                if g.shape == (1,) + r.shape or (name == "biases" and g.ndim == 2):
                    raise Failed(f"{what}: {name}[{i}] has become {g.shape}: does learning_step unpack "
                                 "grads_w, grads_b = self.backprop(...) in this order?")
                close(g, r, f"{what}: after step {step}, {name}[{i}]", rtol, atol)
