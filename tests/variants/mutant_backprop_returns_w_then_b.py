"""Mutant: backprop returns (nabla_w, nabla_b), the reverse of the stated (nabla_b, nabla_w) order."""
CELL = "task1_softmax_network_solution"
FAILS = ["task1_backprop_shapes", "task1_backprop_matches_finite_differences"]
KNOCK_ON = ["task4_backprop_deep_matches_finite_differences", "task4_deep_training_reduces_loss"]
SOURCE = '''
class Task1(Network):
    def feedforward(self, x):
        a = x
        for b, w in zip(self.biases[:-1], self.weights[:-1]):
            a = sigmoid(a @ w.T + b)
        return stable_softmax(a @ self.weights[-1].T + self.biases[-1], axis=-1)

    def backprop(self, x, y):
        activations, zs = [x], []
        for b, w in zip(self.biases, self.weights):
            zs.append(activations[-1] @ w.T + b)
            activations.append(sigmoid(zs[-1]))
        delta = (stable_softmax(zs[-1], axis=-1) - y) / x.shape[0]
        nabla_b, nabla_w = [None] * len(self.biases), [None] * len(self.weights)
        nabla_b[-1], nabla_w[-1] = delta.sum(axis=0), delta.T @ activations[-2]
        for l in range(2, self.num_layers):
            delta = (delta @ self.weights[-l + 1]) * sigmoid_prime(zs[-l])
            nabla_b[-l], nabla_w[-l] = delta.sum(axis=0), delta.T @ activations[-l - 1]
        return nabla_w, nabla_b    # BUG: order
'''
