"""Mutant: Task1's output delta keeps Network's cost_derivative, 2 (p - y) / (B N^L), the MSE's gradient, where softmax with the mean cross-entropy gives (p - y) / B."""
CELL = "task1_softmax_network_solution"
FAILS = ["task1_backprop_matches_finite_differences"]
CAUSE = "The output delta still uses the mean squared error's derivative; softmax with cross-entropy needs its own, simpler one."  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = "cost_derivative"
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
        delta = self.cost_derivative(p, y)       # BUG: the MSE's gradient, 2 (p - y) / (B N^L)
        for l in reversed(range(self.num_layers)):
            grads_w.append(delta.T @ gs[l])
            grads_b.append(delta.sum(axis=0))
            if l > 0:
                delta = (delta @ self.weights[l]) * gs[l] * (1 - gs[l])
        grads_w.reverse()
        grads_b.reverse()
        return grads_w, grads_b
'''
