"""Mutant: the bias gradients are delta.sum(axis=0, keepdims=True), shaped (1, N^{l+1}) instead of biases[l]'s (N^{l+1},) (the scaffold's shape assertions deleted)."""
CELL = "task1_softmax_network_solution"
FAILS = ["task1_backprop_shapes", "task1_backprop_matches_finite_differences"]
CAUSE = 'The bias gradients keep an extra batch dimension; each must have the shape of its bias vector.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = "keepdims"
SOURCE = '''
class Task1(Network):
    def feedforward(self, x):
        g = x
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            g = sigmoid(g @ w.T + b)
        return stable_softmax(g @ self.weights[-1].T + self.biases[-1])

    def backprop(self, x, y):
        gs = [x]
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            gs.append(sigmoid(gs[-1] @ w.T + b))
        p = stable_softmax(gs[-1] @ self.weights[-1].T + self.biases[-1])
        grads_w, grads_b = [], []
        delta = (p - y) / len(x)
        for l in reversed(range(self.num_layers)):
            grads_w.append(delta.T @ gs[l])
            grads_b.append(delta.sum(axis=0, keepdims=True))    # BUG: shape (1, N^{l+1})
            if l > 0:
                delta = (delta @ self.weights[l]) * gs[l] * (1 - gs[l])
        grads_w.reverse()
        grads_b.reverse()
        return grads_w, grads_b
'''
