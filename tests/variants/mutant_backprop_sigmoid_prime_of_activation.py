"""Mutant: hidden deltas use sigmoid_prime(a), the activation, where sigmoid_prime expects z (so sigmoid is applied twice)."""
CELL = "task1_softmax_network_solution"
FAILS = ["task1_backprop_matches_finite_differences"]
KNOCK_ON = ["task4_backprop_deep_matches_finite_differences"]
SOURCE = '''
class Task1(Network):
    def feedforward(self, x):
        a = x
        for b, w in zip(self.biases[:-1], self.weights[:-1]):
            a = sigmoid(a @ w.T + b)
        return stable_softmax(a @ self.weights[-1].T + self.biases[-1], axis=-1)

    def backprop(self, x, y):
        activations = [x]
        for b, w in zip(self.biases[:-1], self.weights[:-1]):
            activations.append(sigmoid(activations[-1] @ w.T + b))
        p = stable_softmax(activations[-1] @ self.weights[-1].T + self.biases[-1], axis=-1)
        delta = (p - y) / x.shape[0]
        nabla_b, nabla_w = [None] * len(self.biases), [None] * len(self.weights)
        for l in range(1, self.num_layers):
            nabla_b[-l], nabla_w[-l] = delta.sum(axis=0), delta.T @ activations[-l]
            if l < self.num_layers - 1:
                delta = (delta @ self.weights[-l]) * sigmoid_prime(activations[-l])   # BUG: wants z
        return nabla_b, nabla_w
'''
