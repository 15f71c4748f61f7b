"""Mutant: backprop is right, but feedforward still applies sigmoid to the output layer, so rows don't sum to 1."""
CELL = "task1_softmax_network_solution"
FAILS = ["task1_feedforward_probabilities", "task1_feedforward_matches_reference"]
KNOCK_ON = []
SOURCE = '''
class Task1(Network):
    # BUG: feedforward is inherited from Network (sigmoid output)

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
        return nabla_b, nabla_w
'''
