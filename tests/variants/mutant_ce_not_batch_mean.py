"""Mutant: the cross-entropy gradient is summed over the batch, not averaged (no division by B)."""
CELL = "task1_softmax_network_solution"
FAILS = ["task1_backprop_matches_finite_differences"]
CAUSE = 'The cross-entropy gradient is summed over the batch instead of averaged (no division by the batch size).'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'summed over the batch'
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
        delta = p - y               # BUG: not divided by the batch size
        for l in reversed(range(self.num_layers)):
            grads_w.append(delta.T @ gs[l])
            grads_b.append(delta.sum(axis=0))
            if l > 0:
                delta = (delta @ self.weights[l]) * gs[l] * (1 - gs[l])
        grads_w.reverse()
        grads_b.reverse()
        return grads_w, grads_b
'''
