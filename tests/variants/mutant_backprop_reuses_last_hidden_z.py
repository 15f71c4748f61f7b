"""Mutant: every hidden layer's delta uses sigmoid_prime of the LAST hidden layer's z; right for one hidden layer only."""
CELL = "task1_softmax_network_solution"
FAILS = ["task4_backprop_deep_matches_finite_differences"]
CAUSE = "Every hidden layer's delta uses the derivative at the same (last hidden) layer instead of at its own layer."  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
SOURCE = '''
class Task1(Network):
    def feedforward(self, x):
        g = x
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            g = sigmoid(g @ w.T + b)
        return stable_softmax(g @ self.weights[-1].T + self.biases[-1])

    def backprop(self, x, y):
        activations, zs = [x], []
        for w, b in zip(self.weights, self.biases):
            zs.append(activations[-1] @ w.T + b)
            activations.append(sigmoid(zs[-1]))
        delta = (stable_softmax(zs[-1]) - y) / len(x)
        grads_w = [np.zeros(w.shape) for w in self.weights]
        grads_b = [np.zeros(b.shape) for b in self.biases]
        grads_w[-1], grads_b[-1] = delta.T @ activations[-2], delta.sum(axis=0)
        for l in range(2, self.num_layers + 1):
            delta = (delta @ self.weights[-l + 1]) * sigmoid_prime(zs[-2])   # BUG: should be zs[-l]
            grads_w[-l], grads_b[-l] = delta.T @ activations[-l - 1], delta.sum(axis=0)
        return grads_w, grads_b
'''
