"""Mutant: backprop hard-wired to exactly one hidden layer (weights[0] and weights[1]), so deeper networks get wrong or missing gradients."""
CELL = "task1_softmax_network_solution"
FAILS = [
    "task1_backprop_matches_finite_differences",
    "task4_backprop_deep_matches_finite_differences",
]
KNOCK_ON = ["task4_deep_training_reduces_loss"]
SOURCE = '''
class Task1(Network):
    def feedforward(self, x):
        a = x
        for b, w in zip(self.biases[:-1], self.weights[:-1]):
            a = sigmoid(a @ w.T + b)
        return stable_softmax(a @ self.weights[-1].T + self.biases[-1], axis=-1)

    def backprop(self, x, y):
        # BUG: assumes sizes == [n_in, n_hidden, n_out]
        z1 = x @ self.weights[0].T + self.biases[0]
        a1 = sigmoid(z1)
        p = stable_softmax(a1 @ self.weights[-1].T + self.biases[-1], axis=-1)
        delta2 = (p - y) / x.shape[0]
        delta1 = (delta2 @ self.weights[-1]) * sigmoid_prime(z1)
        nabla_b = [np.zeros_like(b) for b in self.biases]
        nabla_w = [np.zeros_like(w) for w in self.weights]
        nabla_b[0], nabla_w[0] = delta1.sum(axis=0), delta1.T @ x
        nabla_b[-1], nabla_w[-1] = delta2.sum(axis=0), delta2.T @ a1
        return nabla_b, nabla_w
'''
