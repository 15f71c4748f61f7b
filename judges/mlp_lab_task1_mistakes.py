"""Task 1's known mistakes, replayed: the numbers a wrong `Task1` gives, for the Task 4 judges.

Task 4's points are for what depth adds. When a student's `Task1` is already wrong with one
hidden layer, the Task 4 judges look here for the mistake that reproduces its numbers there, and
then ask that deeper networks get the numbers the same mistake gives deeper (nothing new).

    backprop(weights, biases, x, y, mistake=None) -> (grads_w, grads_b)
    feedforward(weights, biases, x, mistake=None) -> p: (B, N^L)

`weights[i]: (N^{i+1}, N^i)`, `biases[i]: (N^{i+1},)`, `x: (B, N^0)`, `y: (B, N^L)` one-hot;
`mistake=None` is the right computation. Each mistake is one the mutation suite holds
(tests/variants/mutant_*.py) and one the course's students make; its text names it for the student.
"""
import numpy as np

BACKPROP_MISTAKES = {
    "summed": "the gradients are summed over the batch, not averaged",
    "sign": "the sign of the gradient at the logits is flipped",
    "mse": "the gradient at the logits is the MSE's cost_derivative",
    "sigmoid_at_output": "the gradient at the logits is multiplied by sigmoid'",
    "bias_mean_twice": "the bias gradients are divided by the batch size twice",
    "sigmoid_prime_of_activation": "sigmoid' is taken of the activation g instead of z",
    "transposed": "the weight gradients are transposed",
    "bias_keepdims": "the bias gradients keep a batch axis",
    "b_then_w": "backprop returns (grads_b, grads_w)",
    "first_layer_skipped": "the backward loop skips the first layer",
    "batch_axis": "the softmax is taken over the batch axis",
}
FEEDFORWARD_MISTAKES = {
    "sigmoid_output": "the output layer is a sigmoid, not a softmax",
    "batch_axis": "the softmax is taken over the batch axis",
}


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z, axis):
    exps = np.exp(z - z.max(axis=axis, keepdims=True))
    return exps / exps.sum(axis=axis, keepdims=True)


def _hidden(weights, biases, x):
    """The activations of the input and every hidden layer, [x, g^1, ..., g^{L-1}]."""
    gs = [x]
    for w, b in zip(weights[:-1], biases[:-1]):
        gs.append(_sigmoid(gs[-1] @ w.T + b))
    return gs


def feedforward(weights, biases, x, mistake=None):
    z = _hidden(weights, biases, x)[-1] @ weights[-1].T + biases[-1]
    if mistake == "sigmoid_output":
        return _sigmoid(z)
    return _softmax(z, axis=0 if mistake == "batch_axis" else -1)


def _output_delta(z, y, mistake):
    """The gradient at the logits, (B, N^L), as the mistake computes it."""
    batch = len(z)
    p = _softmax(z, axis=0 if mistake == "batch_axis" else -1)
    if mistake == "summed":
        return p - y
    if mistake == "sign":
        return (y - p) / batch
    if mistake == "mse":
        return 2 * (p - y) / p.size
    if mistake == "sigmoid_at_output":
        return (p - y) * _sigmoid(z) * (1 - _sigmoid(z)) / batch
    return (p - y) / batch


def backprop(weights, biases, x, y, mistake=None):
    gs = _hidden(weights, biases, x)
    delta = _output_delta(gs[-1] @ weights[-1].T + biases[-1], y, mistake)
    layers = len(weights)
    grads_w, grads_b = [np.zeros_like(w) for w in weights], [np.zeros_like(b) for b in biases]
    for l in reversed(range(layers)):
        if mistake == "first_layer_skipped" and l == 0:
            break
        grads_w[l] = gs[l].T @ delta if mistake == "transposed" else delta.T @ gs[l]
        grads_b[l] = {"bias_mean_twice": delta.mean(axis=0),
                      "bias_keepdims": delta.sum(axis=0, keepdims=True)}.get(mistake, delta.sum(axis=0))
        if l > 0:
            g = gs[l]
            slope = _sigmoid(g) * (1 - _sigmoid(g)) if mistake == "sigmoid_prime_of_activation" else g * (1 - g)
            delta = (delta @ weights[l]) * slope
    return (grads_b, grads_w) if mistake == "b_then_w" else (grads_w, grads_b)
