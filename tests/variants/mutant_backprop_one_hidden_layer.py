"""Mutant: backprop hard-wired to exactly one hidden layer (weights[0] and weights[-1]), so deeper networks get wrong or missing gradients."""
CELL = "task1_softmax_network_solution"
FAILS = ["task4_backprop_deep_matches_finite_differences", "task4_deep_training_reduces_loss"]
CAUSE = 'backprop assumes exactly one hidden layer; it must loop over all the layers.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
SOURCE = '''
class Task1(Network):
    def feedforward(self, x):
        g = x
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            g = sigmoid(g @ w.T + b)
        return stable_softmax(g @ self.weights[-1].T + self.biases[-1])

    def backprop(self, x, y):
        # BUG: assumes sizes == [n_in, n_hidden, n_out]
        g1 = sigmoid(x @ self.weights[0].T + self.biases[0])
        p = stable_softmax(g1 @ self.weights[-1].T + self.biases[-1])
        delta2 = (p - y) / len(x)
        delta1 = (delta2 @ self.weights[-1]) * g1 * (1 - g1)
        grads_w = [np.zeros_like(w) for w in self.weights]
        grads_b = [np.zeros_like(b) for b in self.biases]
        grads_w[0], grads_b[0] = delta1.T @ x, delta1.sum(axis=0)
        grads_w[-1], grads_b[-1] = delta2.T @ g1, delta2.sum(axis=0)
        return grads_w, grads_b
'''
