"""Checks for the MLP lab: the helpers its test cells use (use them in your own checks too).

    from lab_checks import *        # the notebook's set-up cell does this

Vectors are rows: a batch of B inputs is `x: (B, N^0)`, its one-hot targets `y: (B, N^L)`;
`weights[i]: (N^{i+1}, N^i)`, `biases[i]: (N^{i+1},)`; gradients come as `(grads_w, grads_b)`,
lists shaped like `weights` and `biases`.

- comparing: `rel_error`, `assert_close`, `assert_softmax_close`, `finite_differences`,
  `assert_gradients_match`;
- seeded inputs: `make_parameters`, `make_batch`, `make_gradients`, `make_digits` (the grader
  rebuilds the same inputs from the same seeds, outside your kernel);
- stand-ins: `set_parameters`, `stub_backprop`, `stub_masks`, `parameter_snapshot`, `small_net`
  (a [2, 1] network to follow by hand), `run_optimiser` (seeded steps of an optimiser);
- grading: `probe(grade_id, observe)` runs a hidden test's probe and hands what it saw to
  the grader as a cell output of the type `OBSERVATIONS_MIME`; the grader, not the kernel,
  decides pass or fail (docs/sandbox.md of the course kit);
- `optional_part(name)`: around the checks of an optional part, so that Run All goes on when
  the part is left as released ("not attempted", 0 bonus points) and still stops when it fails;
- `lazy_module(name)`: a module imported on first use (grading mode never draws a plot).

Numpy and the standard library only.
"""
import base64
import importlib
import traceback
import types
import zlib
from contextlib import contextmanager

import numpy as np

__all__ = ["rel_error", "assert_close", "assert_softmax_close", "finite_differences", "assert_gradients_match",
           "check_gradient_structure", "check_parameter_shapes",
           "make_parameters", "make_batch", "make_gradients", "make_digits", "set_parameters",
           "stub_backprop", "stub_masks", "parameter_snapshot", "small_net", "x_small", "y_small",
           "run_optimiser", "probe", "recorded_softmax", "optional_part", "lazy_module"]

# The protocol with the grader (mlpkit keeps its side in step: tests/test_protocol.py).
OBSERVATIONS_MIME = "application/vnd.mlp-lab.observations+json"  # a probe's one output
NOT_ATTEMPTED = "not attempted (optional, 0 bonus points)"  # printed by optional_part


# ---- comparing ----

def _floats(value, what):
    try:
        return np.asarray(value, dtype=np.float64)
    except Exception as error:  # noqa: BLE001 - any failure means "not numbers"
        raise AssertionError(f"{what} is not a numeric array ({type(value).__name__}: {error})") from None


def rel_error(x, y):
    """max|x - y| / max(max|x|, max|y|): below 1e-6 means agreement for float64 finite differences.

    Relative to the largest entry (unlike CS231n's entrywise version), so that tiny entries,
    where finite differences are only accurate in absolute terms, do not dominate."""
    x, y = _floats(x, "x"), _floats(y, "y")
    assert x.shape == y.shape, f"cannot compare shapes {x.shape} and {y.shape}"
    scale = max(float(np.abs(x).max(initial=0.0)), float(np.abs(y).max(initial=0.0)), 1e-300)
    return float(np.abs(x - y).max(initial=0.0)) / scale


def assert_close(actual, expected, what, rtol=1e-6, atol=1e-12):
    """Fail unless |actual - expected| <= atol + rtol * |expected| everywhere, saying where and by how much."""
    actual, expected = _floats(actual, what), _floats(expected, f"the reference for {what}")
    assert actual.shape == expected.shape, f"{what} has shape {actual.shape}, expected {expected.shape}"
    bad = int((~np.isfinite(actual)).sum())
    assert bad == 0, f"{what} has {bad} NaN or infinite entries out of {actual.size}"
    excess = np.abs(actual - expected) - (atol + rtol * np.abs(expected))
    if actual.size and excess.max() > 0:
        worst = np.unravel_index(int(excess.argmax()), excess.shape)
        raise AssertionError(f"{what} is wrong at index {tuple(int(i) for i in worst)}: "
                             f"{int((excess > 0).sum())} of {actual.size} entries are off, the worst "
                             f"by a relative error of {rel_error(actual[worst], expected[worst]):.3g}")


def assert_softmax_close(actual, expected, what, axis=-1, atol=1e-5):
    """Fail unless `actual` has the shape of `expected`, sums to 1 along `axis` and equals
    `expected` within `atol` (the warm-up's own test compares softmaxes this way)."""
    actual, expected = _floats(actual, what), _floats(expected, f"the reference for {what}")
    assert actual.shape == expected.shape, f"{what} has shape {actual.shape}, expected {expected.shape}"
    bad = int((~np.isfinite(actual)).sum())
    assert bad == 0, f"{what} has {bad} NaN or infinite entries out of {actual.size}"
    sums = actual.sum(axis=axis)
    assert np.allclose(sums, 1.0, rtol=0.0, atol=atol), (
        f"{what} does not sum to 1 along axis={axis}: the sums range from {sums.min():.6g} to {sums.max():.6g}")
    assert_close(actual, expected, what, rtol=0.0, atol=atol)


def finite_differences(loss, arrays, h=1e-6):
    """Central differences (loss(a + h) - loss(a - h)) / 2h for every entry of every array.

    `loss()` takes no argument and reads `arrays`, which are perturbed in place and restored."""
    gradients = []
    for array in arrays:
        flat = array.reshape(-1)  # a view: the arrays must be contiguous
        gradient = np.zeros(flat.size)
        for i in range(flat.size):
            saved = flat[i]
            flat[i] = saved + h
            plus = loss()
            flat[i] = saved - h
            minus = loss()
            flat[i] = saved
            gradient[i] = (plus - minus) / (2 * h)
        gradients.append(gradient.reshape(array.shape))
    return gradients


def assert_gradients_match(grads, numerical, name, threshold=1e-6):
    """Check a list of gradients (grads_w or grads_b) against finite differences, array by array."""
    grads = list(grads)
    assert len(grads) == len(numerical), f"{name} has {len(grads)} arrays, expected {len(numerical)} (one per layer)"
    for i, expected in enumerate(numerical):
        mine = _floats(grads[i], f"{name}[{i}]")
        assert mine.shape == expected.shape, (
            f"{name}[{i}] has shape {mine.shape}, expected {expected.shape}: backprop returns "
            "(grads_w, grads_b), grads_w[i] shaped like weights[i] and grads_b[i] like biases[i]")
        error = rel_error(mine, expected)
        if error > threshold and not np.any(mine) and np.any(expected):
            raise AssertionError(f"{name}[{i}] is all zeros, but the loss depends on layer {i}: did the loop over "
                                 f"the layers skip it? num_layers == len(weights) == {len(numerical)} here "
                                 "(in Nielsen's book num_layers is len(sizes))")
        assert error <= threshold, f"{name}[{i}]: max relative error {error:.2g} against finite differences"


def check_gradient_structure(result, net):
    """(grads_w, grads_b) from what `net.backprop` returned, or a failed check naming the convention broken."""
    assert isinstance(result, (tuple, list)) and len(result) == 2, "backprop must return a pair (grads_w, grads_b)"
    grads_w, grads_b = list(result[0]), list(result[1])
    layers = len(net.weights)
    for name, grads in (("grads_w", grads_w), ("grads_b", grads_b)):
        for i, g in enumerate(grads):
            assert g is not None, (f"{name}[{i}] is None: the loop over the layers never reached layer {i}; "
                                   f"num_layers == len(weights) == {layers} (in Nielsen's book num_layers is len(sizes))")
    for name, grads in (("grads_w", grads_w), ("grads_b", grads_b)):
        assert len(grads) == layers, (f"{name} holds {len(grads)} arrays, expected {layers}: one per layer, "
                                      f"num_layers == len(weights) == {layers}")
    shapes_w = [np.shape(g) for g in grads_w]
    shapes_b = [np.shape(g) for g in grads_b]
    if shapes_w == [b.shape for b in net.biases] and shapes_b == [w.shape for w in net.weights]:
        raise AssertionError("backprop returned (grads_b, grads_w): the course's order is (grads_w, grads_b)")
    for i, (w, b) in enumerate(zip(net.weights, net.biases)):
        if shapes_w[i] == w.shape[::-1] != w.shape:
            raise AssertionError(f"grads_w[{i}] has shape {shapes_w[i]}, the transpose of weights[{i}] "
                                 f"{w.shape}: weights are indexed by target node first, (N^{{i+1}}, N^i)")
        assert shapes_w[i] == w.shape, f"grads_w[{i}] has shape {shapes_w[i]}, expected {w.shape} like weights[{i}]"
        assert shapes_b[i] == b.shape, f"grads_b[{i}] has shape {shapes_b[i]}, expected {b.shape} like biases[{i}]"
    return grads_w, grads_b


def check_parameter_shapes(net, sizes):
    """Fail unless net.weights and net.biases still have the shapes of a network of these sizes."""
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w, b = np.shape(net.weights[i]), np.shape(net.biases[i])
        if b == (n_out, n_in):
            raise AssertionError(f"biases[{i}] has become {b}, the shape of weights[{i}]: does learning_step "
                                 "unpack grads_w, grads_b = self.backprop(...) in this order?")
        assert w == (n_out, n_in), f"weights[{i}] has shape {w}, expected {(n_out, n_in)}"
        assert b == (n_out,), f"biases[{i}] has shape {b}, expected {(n_out,)}"


# ---- seeded inputs ----

def make_parameters(sizes, seed, scale=1.0):
    """(weights, biases) for layer sizes [N^0, ..., N^L], standard normal times `scale`."""
    generator = np.random.default_rng(seed)
    weights = [scale * generator.standard_normal((n_out, n_in)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    biases = [scale * generator.standard_normal(n_out) for n_out in sizes[1:]]
    return weights, biases


def make_batch(sizes, batch_size, seed):
    """x: (B, N^0) standard normal and y: (B, N^L) one-hot."""
    generator = np.random.default_rng(seed)
    x = generator.standard_normal((batch_size, sizes[0]))
    y = np.eye(sizes[-1])[generator.integers(0, sizes[-1], batch_size)]
    return x, y


def make_gradients(sizes, steps, seed):
    """`steps` random (grads_w, grads_b) pairs: magnitudes from 1e-3 to 10 and some exact zeros."""
    generator = np.random.default_rng(seed)

    def one(shape):
        magnitude = 10.0 ** generator.uniform(-3, 1, size=shape)
        sign = generator.choice([-1.0, 1.0], size=shape)
        return np.where(generator.random(shape) < 0.2, 0.0, sign * magnitude)

    return [([one((n_out, n_in)) for n_in, n_out in zip(sizes[:-1], sizes[1:])],
             [one((n,)) for n in sizes[1:]]) for _ in range(steps)]


def make_digits(count, seed):
    """(count, 784) synthetic 28x28 "digits" in [0, 1]: blurry strokes in the central 16x16
    pixels and an empty border, like MNIST's."""
    generator = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:28, 0:28]
    images = np.zeros((count, 28, 28))
    for image in images:
        for _ in range(generator.integers(2, 5)):
            row, col = generator.uniform(10, 18, size=2)
            width = generator.uniform(1.0, 2.0)
            image += np.exp(-((rows - row) ** 2 + (cols - col) ** 2) / (2 * width**2))
    images[:, :6, :] = images[:, -6:, :] = images[:, :, :6] = images[:, :, -6:] = 0.0
    return np.clip(images, 0.0, 1.0).reshape(count, 784)


# ---- stand-ins ----

def set_parameters(net, weights, biases):
    """Give `net` copies of the given parameters (the caller keeps its own)."""
    net.weights = [w.copy() for w in weights]
    net.biases = [b.copy() for b in biases]


def stub_backprop(net, gradients):
    """Make `net.backprop` return the given (grads_w, grads_b) pairs, one per call (the last
    one repeats), as fresh copies. Returns the list of calls, so that a check can count them."""
    calls = []

    def backprop(x, y):
        calls.append(len(calls))
        grads_w, grads_b = gradients[min(len(calls), len(gradients)) - 1]
        return [g.copy() for g in grads_w], [g.copy() for g in grads_b]

    net.backprop = backprop
    return calls


def stub_masks(net, masks):
    """Make `net.dropout_mask` return the given masks in order; returns the shapes it was asked for."""
    shapes = []

    def dropout_mask(shape):
        shapes.append(tuple(int(n) for n in shape))
        assert len(shapes) <= len(masks), (
            f"dropout_mask was called {len(shapes)} times in one backprop, expected {len(masks)} (once per hidden layer)")
        mask = masks[len(shapes) - 1]
        assert shapes[-1] == mask.shape, (
            f"call {len(shapes)} of dropout_mask asked for shape {shapes[-1]}, expected {mask.shape} = (B, N^l)")
        return mask.copy()

    net.dropout_mask = dropout_mask
    return shapes


def small_net(network_class, **hyperparameters):
    """A network_class([2, 1], **hyperparameters) with W = [[2, -1]], b = [1] whose backprop always
    returns grads_w = [[0.5, 0.5]], grads_b = [0.25]: small enough to follow by hand.
    Returns (net, calls), calls being the list of backprop calls. Step it with x_small, y_small."""
    net = network_class([2, 1], **hyperparameters)
    set_parameters(net, [np.array([[2.0, -1.0]])], [np.array([1.0])])
    calls = stub_backprop(net, [([np.array([[0.5, 0.5]])], [np.array([0.25])])])
    return net, calls


x_small, y_small = np.zeros((1, 2)), np.zeros((1, 1))  # a batch for small_net: its backprop ignores it


def run_optimiser(net, sizes, seed, steps, learning_rate, gradients=None):
    """Give net seeded parameters and a stand-in backprop (seeded gradients unless given), take
    `steps` learning steps and return what a check needs: the start, the gradients, every step."""
    start = make_parameters(sizes, seed)
    gradients = gradients or make_gradients(sizes, steps, seed)
    set_parameters(net, start[0], start[1])
    stub_backprop(net, gradients)
    x, y = make_batch(sizes, 2, seed)
    trajectory = []
    for _ in range(steps):
        net.learning_step(x, y, learning_rate=learning_rate)
        trajectory.append(parameter_snapshot(net))
    return {"start": start, "gradients": gradients, "trajectory": trajectory}


def parameter_snapshot(net):
    """Float64 copies of net's (weights, biases)."""
    return ([_floats(w, f"weights[{i}]").copy() for i, w in enumerate(net.weights)],
            [_floats(b, f"biases[{i}]").copy() for i, b in enumerate(net.biases)])


# ---- grading: probes in the kernel, verdicts outside it ----

@contextmanager
def recorded_softmax(namespace, softmax, limit=16):
    """Within the block, `namespace["stable_softmax"]` is `softmax`, and every call is recorded.

    A task that builds on Task 0 is probed with a known-good softmax, so that a Task 0 bug
    costs Task 0 points only; the grader checks each recorded call, so a replaced `softmax`
    shows. The stand-in takes exactly the arguments of the notebook's `stable_softmax(x, axis=-1)`,
    by position or by name. Yields (calls, count): the first `limit` calls as (x, axis, result),
    and [number of calls]."""
    count = [0]
    calls = []
    saved = namespace.get("stable_softmax")

    def stable_softmax(x, axis=-1):
        result = softmax(x, axis=axis)
        if len(calls) < limit:
            calls.append((np.array(x, dtype=np.float64), axis, np.array(result, dtype=np.float64)))
        count[0] += 1
        return result

    stable_softmax.__qualname__ = "stable_softmax"  # error messages name the function the student calls
    namespace["stable_softmax"] = stable_softmax
    try:
        yield calls, count
    finally:
        namespace["stable_softmax"] = saved


@contextmanager
def optional_part(name):
    """Around the visible checks of an optional part: a part left as released (its code still raises
    NotImplementedError) prints "<name>: not attempted (optional, 0 bonus points)" instead of
    stopping Run All. Any other failure stops the cell as usual; the grader scores unattempted
    parts 0 either way."""
    try:
        yield
    except NotImplementedError:
        print(f"{name}: {NOT_ATTEMPTED}")


def _describe(error):
    """What a probe tells the grader about an exception raised by the code under test."""
    if isinstance(error, NotImplementedError):
        return "not implemented yet (NotImplementedError)"
    # Where in the notebook's code it happened, as the student wrote it: the innermost frame of a
    # notebook cell other than the check's own, by function name and line. No file paths, no frames
    # of numpy or of these helpers: feedback shows causes, not tracebacks.
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if "ipykernel" in f.filename and f.name not in ("observe", "<module>")]
    where = f" (in {frames[-1].name}: {frames[-1].line})" if frames and frames[-1].line else ""
    return f"your code raised {type(error).__name__}: {error}{where}"[:4000]


def _encode(value, depth=0):
    """JSON-ready form of an observation: arrays as dtype, shape and their bytes, compressed
    (masks and images are mostly repeats) and in base64."""
    if depth > 8:
        return "<too deeply nested>"
    if isinstance(value, (str, type(None))):
        return value if value is None else value[:4000]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)) and abs(int(value)) < 2**53:
        return int(value)
    if isinstance(value, float) and np.isfinite(value):  # np.float64 too
        return float(value)
    if isinstance(value, dict):
        return {str(k): _encode(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, depth + 1) for v in value]
    try:
        array = np.asarray(value)
        if array.dtype == object:
            raise TypeError("not numeric")
        array = np.ascontiguousarray(array.astype("<f8" if array.dtype.kind in "fiu" else "|b1"))
    except Exception:  # noqa: BLE001 - the grader is told what came back instead
        return {"__unencodable__": type(value).__name__}
    return {"__array__": array.dtype.str, "shape": list(array.shape),
            "zlib": base64.b64encode(zlib.compress(array.tobytes(), 6)).decode("ascii")}


def probe(grade_id, observe):
    """Run `observe()` (which calls the code under test and returns a dict of what it saw)
    and publish the result as one output of type OBSERVATIONS_MIME. Never raises."""
    from IPython.display import publish_display_data  # the kernel has IPython; the grader does not need it

    try:
        values = {"error": None, **observe()}
    except Exception as error:  # noqa: BLE001 - every failure is the grader's to judge
        values = {"error": _describe(error)}
    publish_display_data({OBSERVATIONS_MIME: {"cell": grade_id, "values": _encode(values)},
                          "text/plain": f"[{grade_id}: observations recorded for the grader]"})


# ---- grading mode ----

def lazy_module(name):
    """A stand-in for `import name` that imports the module on first attribute access."""
    class LazyModule(types.ModuleType):
        def __getattr__(self, attribute):
            module = importlib.import_module(name)
            self.__dict__.update(module.__dict__)
            return getattr(module, attribute)

    return LazyModule(name)
