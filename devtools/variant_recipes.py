"""The catalogue of generated correct variants: which rewrites apply to which reference cell.

Read by devtools/generated_variants.py (what a generated variant is, how to list them). Per
code solution cell: named rewrites, each of one family (FAMILIES) and made of one or more
devtools/ast_rewrites.py steps, and RECIPES, the rewrites each variant stacks, in order. A
cell-specific rewrite quotes the reference code it replaces: when the reference changes, it
raises instead of matching something else.

In-place updates touch only what the object owns: its velocities, moments and accumulators
(made by its own __init__ or first step) and, in Task 2, its parameters (set_parameters gives
the network copies; Task 3's text says "nothing modified in place", so its parameters are left
alone); never x, y, the gradients or anything else a method is given.
"""
from dataclasses import dataclass

from devtools.ast_rewrites import (augmented_updates, copied_updates, keyword_calls, positional_calls, rename_locals,
                                   reorder_independent, replace_expr, replace_stmts, return_tuples,
                                   tuple_arguments_as_lists)
from devtools.container_rewrites import (appended_lists_to_tuples, comprehensions_to_loops,
                                         indexed_loops_to_comprehensions, lazy_state, state_as_dict, state_as_tuples)

FAMILIES = {
    "keyword_calls": "calls of documented functions and methods with keyword arguments",
    "positional_calls": "keyword or default arguments passed by position",
    "tuples_lists": "tuples where the reference has lists, or lists for tuples",
    "inplace_copied": "in-place updates of the object's own state, or copied ones",
    "loops_comprehensions": "loops for comprehensions, or comprehensions for loops",
    "renamed_locals": "local variables renamed",
    "reordered": "independent statements in another order (def-use analysis)",
    "formulas": "equivalent formulas",
    "container_shapes": "other containers for per-layer state",
}

CELL_LABELS = {
    "task0_stable_softmax_solution": "task0_softmax",
    "task1_softmax_network_solution": "task1_network",
    "task2_l2_momentum_solution": "task2_momentum",
    "task3_adamw_solution": "task3_adamw",
    "task3_adagrad_solution": "task3_adagrad",
    "task3_dropout_solution": "task3_dropout",
    "task3_augment_solution": "task3_augment",
}

# numpy's own parameter names (numpy's documentation), for calls of functions the lab does not define.
NUMPY_SIGNATURES = {
    "np.max": [("a", None), ("axis", None)],
    "np.sum": [("a", None), ("axis", None)],
    "np.roll": [("a", None), ("shift", None), ("axis", None)],
    "rng.integers": [("low", None), ("high", None), ("size", None)],
}


@dataclass(frozen=True)
class Rewrite:
    label: str     # its part of the variant's name
    family: str    # a key of FAMILIES
    doc: str       # what it rewrites, for the variant's doc line
    steps: tuple   # ast_rewrites steps; each must change the cell


def _catalogue(*rewrites) -> dict:
    return {r.label: r for r in rewrites}


def _softmax():
    cell = "stable_softmax"
    return _catalogue(
        Rewrite("renamed", "renamed_locals", "exps renamed exponentials",
                (rename_locals(cell, {"exps": "exponentials"}),)),
        Rewrite("positional_axis", "positional_calls", "np.max and np.sum take axis by position",
                (positional_calls(NUMPY_SIGNATURES, only={"np.max", "np.sum"}),)),
        Rewrite("logsumexp", "formulas", "softmax as exp(shifted - log(sum(exp(shifted))))", (replace_stmts(
            cell, """
            exps = np.exp(x - np.max(x, axis=axis, keepdims=True))
            return exps / np.sum(exps, axis=axis, keepdims=True)""", """
            shifted = x - np.max(x, axis=axis, keepdims=True)
            return np.exp(shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True)))"""),)),
        Rewrite("array_methods", "formulas", "x.max(...) and exps.sum(...) for np.max and np.sum", (
            replace_expr(cell, "np.max(x, axis=axis, keepdims=True)", "x.max(axis=axis, keepdims=True)"),
            replace_expr(cell, "np.sum(exps, axis=axis, keepdims=True)", "exps.sum(axis=axis, keepdims=True)"))),
        Rewrite("inplace_normalise", "inplace_copied", "the exponentials (its own new array, never x) divided in place",
                (replace_stmts(cell, "return exps / np.sum(exps, axis=axis, keepdims=True)", """
                 exps /= np.sum(exps, axis=axis, keepdims=True)
                 return exps"""),)),
    )


def _backprop(cls, documented):
    """Rewrites of a backprop in the reference's shape (Task1's and Dropout's)."""
    method = f"{cls}.backprop"
    return _catalogue(
        Rewrite("batch_size_from_shape", "formulas", "x.shape[0] for len(x)",
                (replace_expr(method, "len(x)", "x.shape[0]"),)),
        Rewrite("bias_gradient_matmul", "formulas", "np.ones(len(delta)) @ delta for delta.sum(axis=0)",
                (replace_expr(method, "delta.sum(axis=0)", "np.ones(len(delta)) @ delta"),)),
        Rewrite("softmax_axis_positional", "positional_calls", "stable_softmax(z, -1): the default axis by position",
                (positional_calls(documented, only={"stable_softmax"}, explicit_defaults=True),)),
        Rewrite("keyword_calls", "keyword_calls", "every documented call by keyword, stable_softmax(x=...) included",
                (keyword_calls(documented, explicit_defaults=True),)),
        Rewrite("tuple_returns", "tuples_lists", "backprop returns tuple(grads_w), tuple(grads_b)",
                (return_tuples(method),)),
        Rewrite("reordered", "reordered", "independent statements of backprop reversed",
                (reorder_independent(method),)),
    )


def _network(documented):
    method = "Task1.backprop"
    return {**_backprop("Task1", documented), **_catalogue(
        Rewrite("keyword_sigmoid", "keyword_calls", "sigmoid(z=...)", (keyword_calls(documented, only={"sigmoid"}),)),
        Rewrite("renamed", "renamed_locals", "gs, delta, l, p and g renamed", (
            rename_locals(method, {"gs": "activations", "delta": "error", "l": "layer", "p": "probabilities"}),
            rename_locals("Task1.feedforward", {"g": "a"}))),
        Rewrite("sigmoid_prime_of_z", "formulas", "sigmoid_prime(z) of saved z for g * (1 - g)", (
            replace_stmts(method, """
                for w, b in zip(self.weights[:-1], self.biases[:-1]):
                    gs.append(sigmoid(gs[-1] @ w.T + b))""", """
                zs = []
                for w, b in zip(self.weights[:-1], self.biases[:-1]):
                    zs.append(gs[-1] @ w.T + b)
                    gs.append(sigmoid(zs[-1]))"""),
            replace_expr(method, "(delta @ self.weights[l]) * gs[l] * (1 - gs[l])",
                         "(delta @ self.weights[l]) * sigmoid_prime(zs[l - 1])"))),
        Rewrite("gradients_by_index", "container_shapes",
                "gradients stored by layer index in preallocated lists, nothing reversed", (
                    replace_stmts(method, "grads_w, grads_b = [], []",
                                  "grads_w, grads_b = [None] * self.num_layers, [None] * self.num_layers"),
                    replace_stmts(method, """
                        grads_w.append(delta.T @ gs[l])
                        grads_b.append(delta.sum(axis=0))""", """
                        grads_w[l] = delta.T @ gs[l]
                        grads_b[l] = delta.sum(axis=0)"""),
                    replace_stmts(method, "grads_w.reverse()\ngrads_b.reverse()", ""))),
        Rewrite("activations_tuple", "tuples_lists", "the activations gs kept in a growing tuple",
                (appended_lists_to_tuples(method, {"gs"}),)),
        Rewrite("backward_range", "formulas", "range(L - 1, -1, -1) and (gs[l].T @ delta).T", (
            replace_expr(method, "reversed(range(self.num_layers))", "range(self.num_layers - 1, -1, -1)"),
            replace_expr(method, "delta.T @ gs[l]", "(gs[l].T @ delta).T"))),
    )}


def _keyword_backprop(documented):
    return Rewrite("keyword_calls", "keyword_calls", "self.backprop(x=..., y=...)", (keyword_calls(documented),))


def _momentum(documented):
    step, init = "Task2.learning_step", "Task2.__init__"
    velocities = ["self.velocity_w", "self.velocity_b"]
    reference_buffers = """
        self.velocity_w = [np.zeros_like(w) for w in self.weights]
        self.velocity_b = [np.zeros_like(b) for b in self.biases]"""
    return _catalogue(
        _keyword_backprop(documented),
        Rewrite("inplace_velocities", "inplace_copied", "velocities updated in place (*=, +=)",
                (augmented_updates(step, velocities),)),
        Rewrite("inplace_all", "inplace_copied", "velocities and the network's own parameters updated in place",
                (augmented_updates(step, velocities + ["self.weights", "self.biases"]),)),
        Rewrite("comprehensions", "loops_comprehensions", "the step's loop split into four comprehensions",
                (indexed_loops_to_comprehensions(step),)),
        Rewrite("init_loops", "loops_comprehensions", "__init__'s comprehensions as loops",
                (comprehensions_to_loops(init),)),
        Rewrite("tuple_state", "tuples_lists", "velocities kept as tuples",
                (state_as_tuples("Task2", ["velocity_w", "velocity_b"]),)),
        Rewrite("pairs", "container_shapes", "velocities as one list of (v_w, v_b) pairs", (
            replace_stmts(init, reference_buffers, """
                self.velocities = [(np.zeros_like(w), np.zeros_like(b)) for w, b in zip(self.weights, self.biases)]"""),
            replace_stmts(step, """
                self.velocity_w[i] = self.momentum * self.velocity_w[i] + grads_w[i] + self.l2_factor * self.weights[i]
                self.velocity_b[i] = self.momentum * self.velocity_b[i] + grads_b[i]""", """
                velocity_w, velocity_b = self.velocities[i]
                velocity_w = self.momentum * velocity_w + grads_w[i] + self.l2_factor * self.weights[i]
                velocity_b = self.momentum * velocity_b + grads_b[i]
                self.velocities[i] = (velocity_w, velocity_b)"""),
            replace_expr(step, "self.velocity_w[i]", "velocity_w"),
            replace_expr(step, "self.velocity_b[i]", "velocity_b"))),
        Rewrite("dict_state", "container_shapes", "velocities in dicts keyed by layer",
                (state_as_dict("Task2", ["velocity_w", "velocity_b"]),)),
        Rewrite("flat_state", "container_shapes", "one flat velocity list over weights + biases", (
            replace_stmts(init, reference_buffers,
                          "self.velocities = [np.zeros_like(p) for p in self.weights + self.biases]"),
            replace_expr(step, "self.velocity_w[i]", "self.velocities[i]"),
            replace_expr(step, "self.velocity_b[i]", "self.velocities[self.num_layers + i]"))),
        Rewrite("lazy_state", "container_shapes", "velocities created at the first step",
                (lazy_state("Task2", ["velocity_w", "velocity_b"]),)),
        Rewrite("renamed", "renamed_locals", "i, grads_w, grads_b renamed",
                (rename_locals(step, {"i": "layer", "grads_w": "weight_grads", "grads_b": "bias_grads"}),)),
        Rewrite("reordered", "reordered", "independent statements reversed", (reorder_independent("Task2"),)),
    )


def _adamw(documented):
    step, init = "AdamW.learning_step", "AdamW.__init__"
    return _catalogue(
        _keyword_backprop(documented),
        Rewrite("inplace_moments", "inplace_copied", "moments updated in place (*=, +=)",
                (augmented_updates(step, ["self.m", "self.v"]),)),
        Rewrite("counter_copied", "inplace_copied", "self.t = self.t + 1 for self.t += 1",
                (copied_updates(step, ["self.t"]),)),
        Rewrite("init_loops", "loops_comprehensions", "__init__'s comprehensions as loops",
                (comprehensions_to_loops(init),)),
        Rewrite("reordered", "reordered", "independent statements reversed", (reorder_independent("AdamW"),)),
        Rewrite("dict_state", "container_shapes", "moments in dicts keyed by layer",
                (state_as_dict("AdamW", ["m", "v"]),)),
        Rewrite("lazy_state", "container_shapes", "step count and moments created at the first step",
                (lazy_state("AdamW", ["t", "m", "v"]),)),
        Rewrite("moment_pairs", "container_shapes", "moments as one list of (m, v) pairs", (
            replace_stmts(init, """
                self.m = [np.zeros_like(p) for p in self.weights + self.biases]
                self.v = [np.zeros_like(p) for p in self.weights + self.biases]""", """
                self.moments = [(np.zeros_like(p), np.zeros_like(p)) for p in self.weights + self.biases]"""),
            replace_stmts(step, """
                self.m[i] = beta1 * self.m[i] + (1 - beta1) * g
                self.v[i] = beta2 * self.v[i] + (1 - beta2) * g**2""", """
                m, v = self.moments[i]
                m = beta1 * m + (1 - beta1) * g
                v = beta2 * v + (1 - beta2) * g**2
                self.moments[i] = (m, v)"""),
            replace_expr(step, "self.m[i]", "m"),
            replace_expr(step, "self.v[i]", "v"))),
        Rewrite("formulas", "formulas", "g * g for g**2, p - lr * wd * p for p * (1 - lr * wd)", (
            replace_expr(step, "g**2", "g * g"),
            replace_expr(step, "p * (1 - learning_rate * self.weight_decay)",
                         "p - learning_rate * self.weight_decay * p"))),
        Rewrite("renamed", "renamed_locals", "params, n, p, g, m_hat, v_hat renamed", (rename_locals(step, {
            "params": "parameters", "n": "n_weights", "p": "param", "g": "grad", "m_hat": "m_corrected",
            "v_hat": "v_corrected"}),)),
    )


def _adagrad(documented):
    step, init = "Adagrad.learning_step", "Adagrad.__init__"
    return _catalogue(
        _keyword_backprop(documented),
        Rewrite("inplace_sums", "inplace_copied", "accumulators updated in place (+=)",
                (augmented_updates(step, ["self.sum_squares"]),)),
        Rewrite("comprehensions", "loops_comprehensions", "the step's loop split into two comprehensions",
                (indexed_loops_to_comprehensions(step),)),
        Rewrite("init_loops", "loops_comprehensions", "__init__'s comprehension as a loop",
                (comprehensions_to_loops(init),)),
        Rewrite("dict_state", "container_shapes", "accumulators in a dict keyed by layer",
                (state_as_dict("Adagrad", ["sum_squares"]),)),
        Rewrite("lazy_state", "container_shapes", "accumulators created at the first step",
                (lazy_state("Adagrad", ["sum_squares"]),)),
        Rewrite("tuple_state", "tuples_lists", "accumulators kept as a tuple",
                (state_as_tuples("Adagrad", ["sum_squares"]),)),
        Rewrite("formulas", "formulas", "np.square(g) for g**2, (G + eps) ** 0.5 for np.sqrt(G + eps)", (
            replace_expr(step, "g**2", "np.square(g)"),
            replace_expr(step, "np.sqrt(self.sum_squares[i] + self.eps)", "(self.sum_squares[i] + self.eps) ** 0.5"))),
        Rewrite("renamed", "renamed_locals", "params, g, i, n renamed",
                (rename_locals(step, {"params": "parameters", "g": "grad", "i": "k", "n": "n_weights"}),)),
        Rewrite("layer_pairs", "container_shapes", "accumulators as (G_w, G_b) pairs per layer, one loop over layers", (
            replace_stmts(init, "self.sum_squares = [np.zeros_like(p) for p in self.weights + self.biases]",
                          "self.sum_squares = [(np.zeros_like(w), np.zeros_like(b)) "
                          "for w, b in zip(self.weights, self.biases)]"),
            replace_stmts(step, """
                params, n = self.weights + self.biases, self.num_layers
                for i, g in enumerate(grads_w + grads_b):
                    self.sum_squares[i] = self.sum_squares[i] + g**2
                    params[i] = params[i] - learning_rate * g / np.sqrt(self.sum_squares[i] + self.eps)
                self.weights, self.biases = params[:n], params[n:]""", """
                for i in range(self.num_layers):
                    sum_w, sum_b = self.sum_squares[i]
                    sum_w = sum_w + grads_w[i]**2
                    sum_b = sum_b + grads_b[i]**2
                    self.sum_squares[i] = (sum_w, sum_b)
                    self.weights[i] = self.weights[i] - learning_rate * grads_w[i] / np.sqrt(sum_w + self.eps)
                    self.biases[i] = self.biases[i] - learning_rate * grads_b[i] / np.sqrt(sum_b + self.eps)"""))),
    )


def _dropout(documented):
    method, mask = "Dropout.backprop", "Dropout.dropout_mask"
    reference_mask = "(self.rng.random(shape) >= self.p) / (1 - self.p)"
    return {**_backprop("Dropout", documented), **_catalogue(
        Rewrite("keyword_mask", "keyword_calls", "self.dropout_mask(shape=g.shape) and sigmoid(z=...)",
                (keyword_calls(documented, only={"self.dropout_mask", "sigmoid"}),)),
        Rewrite("sigmoid_prime_of_z", "formulas", "sigmoid_prime(z) * kept for g * (1 - g) * kept", (
            replace_stmts(method, "g = sigmoid(gs[-1] @ w.T + b)", "z = gs[-1] @ w.T + b\ng = sigmoid(z)"),
            replace_expr(method, "g * (1 - g) * kept", "sigmoid_prime(z) * kept"))),
        Rewrite("mask_where", "formulas", "mask by np.where(rng.random(shape) < p, 0, 1 / (1 - p))", (replace_expr(
            mask, reference_mask, "np.where(self.rng.random(shape) < self.p, 0.0, 1.0 / (1 - self.p))"),)),
        Rewrite("mask_astype", "formulas", "mask by (draw >= p).astype(float) * (1 / (1 - p))", (replace_expr(
            mask, reference_mask, "(self.rng.random(shape) >= self.p).astype(float) * (1 / (1 - self.p))"),)),
        Rewrite("renamed", "renamed_locals", "gs, derivatives, kept, delta, l renamed", (rename_locals(method, {
            "gs": "activations", "derivatives": "slopes", "kept": "mask", "delta": "error", "l": "layer"}),)),
        Rewrite("appended_tuples", "tuples_lists", "activations and derivatives kept in growing tuples",
                (appended_lists_to_tuples(method, {"gs", "derivatives"}),)),
    )}


def _augment():
    function = "augment"
    return _catalogue(
        Rewrite("renamed", "renamed_locals", "images, out, i, dy, dx renamed", (rename_locals(
            function, {"images": "digits", "out": "shifted", "i": "k", "dy": "down", "dx": "right"}),)),
        # np.reshape(list, shape) rather than np.stack: the same (0, 28, 28) array for an empty batch.
        Rewrite("comprehension", "loops_comprehensions", "the shifted images built by a comprehension",
                (replace_stmts(function, """
                    out = np.zeros_like(images)
                    for i, (dy, dx) in enumerate(rng.integers(-2, 3, size=(len(images), 2))):
                        out[i] = np.roll(images[i], (dy, dx), axis=(0, 1))""", """
                    shifts = enumerate(rng.integers(-2, 3, size=(len(images), 2)))
                    out = np.reshape([np.roll(images[i], (dy, dx), axis=(0, 1)) for i, (dy, dx) in shifts],
                                     images.shape)"""),)),
        Rewrite("list_arguments", "tuples_lists", "shifts, axes and sizes passed as lists",
                (tuple_arguments_as_lists(function),)),
        Rewrite("numpy_positional", "positional_calls", "np.roll and rng.integers with positional arguments",
                (positional_calls(NUMPY_SIGNATURES, only={"np.roll", "rng.integers"}),)),
        Rewrite("numpy_keywords", "keyword_calls", "np.roll and rng.integers with keyword arguments",
                (keyword_calls(NUMPY_SIGNATURES, only={"np.roll", "rng.integers"}),)),
        Rewrite("shape_formulas", "formulas", "images.shape[0] for len(images), reshape(len(x), 784)", (
            replace_expr(function, "len(images)", "images.shape[0]"),
            replace_expr(function, "out.reshape(-1, 784)", "out.reshape(len(x), 784)"))),
    )


def rewrites_by_cell(documented) -> dict:
    """{cell: {label: Rewrite}}, given the release notebook's documented signatures."""
    return {"task0_stable_softmax_solution": _softmax(), "task1_softmax_network_solution": _network(documented),
            "task2_l2_momentum_solution": _momentum(documented), "task3_adamw_solution": _adamw(documented),
            "task3_adagrad_solution": _adagrad(documented), "task3_dropout_solution": _dropout(documented),
            "task3_augment_solution": _augment()}


# The rewrites each generated variant stacks, in order, per cell.
RECIPES = {
    "task0_stable_softmax_solution": [
        ["renamed"], ["positional_axis"], ["logsumexp"], ["array_methods"],
        ["inplace_normalise", "renamed", "positional_axis"]],
    "task1_softmax_network_solution": [
        ["keyword_calls"], ["softmax_axis_positional"], ["tuple_returns", "keyword_sigmoid"], ["renamed"],
        ["batch_size_from_shape", "bias_gradient_matmul", "backward_range"], ["sigmoid_prime_of_z"], ["reordered"],
        ["gradients_by_index", "softmax_axis_positional"], ["activations_tuple", "reordered", "tuple_returns"],
        ["sigmoid_prime_of_z", "renamed", "reordered"]],
    "task2_l2_momentum_solution": [
        ["keyword_calls"], ["inplace_velocities"], ["inplace_all", "keyword_calls"], ["comprehensions"],
        ["init_loops", "reordered"], ["comprehensions", "tuple_state"], ["pairs"], ["dict_state", "inplace_velocities"],
        ["flat_state"], ["lazy_state", "renamed"], ["renamed", "reordered", "keyword_calls"]],
    "task3_adamw_solution": [
        ["keyword_calls"], ["inplace_moments", "counter_copied"], ["init_loops", "reordered"], ["dict_state"],
        ["lazy_state", "inplace_moments"], ["moment_pairs"], ["formulas", "renamed"],
        ["renamed", "reordered", "keyword_calls"]],
    "task3_adagrad_solution": [
        ["keyword_calls"], ["inplace_sums"], ["comprehensions"], ["dict_state", "inplace_sums"], ["lazy_state"],
        ["formulas", "renamed"], ["init_loops", "keyword_calls"], ["comprehensions", "tuple_state"], ["layer_pairs"]],
    "task3_dropout_solution": [
        ["keyword_calls"], ["keyword_mask", "tuple_returns"], ["softmax_axis_positional", "reordered"],
        ["sigmoid_prime_of_z"], ["mask_where"], ["mask_astype", "renamed"], ["appended_tuples"],
        ["batch_size_from_shape", "bias_gradient_matmul", "renamed"]],
    "task3_augment_solution": [
        ["renamed"], ["comprehension"], ["list_arguments", "numpy_positional"], ["numpy_keywords"],
        ["shape_formulas", "renamed"], ["comprehension", "numpy_keywords", "list_arguments"]],
}
