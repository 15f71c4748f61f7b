"""Mutant: Task1 takes the softmax along axis=0, over the examples of the batch, instead of over each example's outputs."""
CELL = "task1_softmax_network_solution"
FAILS = ["task1_feedforward_probabilities", "task1_feedforward_matches_reference", "task1_backprop_matches_finite_differences"]
CAUSE = "Task1's softmax runs over the examples of the batch (axis 0) instead of over each example's outputs."  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = "axis=0"
SOURCE = '''
class Task1(Network):
    def feedforward(self, x):
        g = x
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            g = sigmoid(g @ w.T + b)
        return stable_softmax(g @ self.weights[-1].T + self.biases[-1], axis=0)     # BUG: over the batch

    def backprop(self, x, y):
        gs = [x]
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            gs.append(sigmoid(gs[-1] @ w.T + b))
        p = stable_softmax(gs[-1] @ self.weights[-1].T + self.biases[-1], axis=0)   # BUG: over the batch
        grads_w, grads_b = [], []
        delta = (p - y) / len(x)
        for l in reversed(range(self.num_layers)):
            grads_w.append(delta.T @ gs[l])
            grads_b.append(delta.sum(axis=0))
            if l > 0:
                delta = (delta @ self.weights[l]) * gs[l] * (1 - gs[l])
        grads_w.reverse()
        grads_b.reverse()
        return grads_w, grads_b
'''
