"""Mutant: keeps the MSE habit of multiplying the output delta by sigmoid'(z), which the fused softmax gradient must not."""
CELL = "task1_softmax_network_solution"
FAILS = ["task1_backprop_matches_finite_differences"]
CAUSE = "The output delta is multiplied by the sigmoid's derivative; with softmax and cross-entropy it must not be."  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = "no sigmoid' factor"
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
        z = gs[-1] @ self.weights[-1].T + self.biases[-1]
        p = stable_softmax(z)
        grads_w, grads_b = [], []
        delta = (p - y) * sigmoid_prime(z) / len(x)      # BUG: sigmoid' at the softmax output
        for l in reversed(range(self.num_layers)):
            grads_w.append(delta.T @ gs[l])
            grads_b.append(delta.sum(axis=0))
            if l > 0:
                delta = (delta @ self.weights[l]) * gs[l] * (1 - gs[l])
        grads_w.reverse()
        grads_b.reverse()
        return grads_w, grads_b
'''
