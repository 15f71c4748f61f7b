"""Mutant: Nielsen's backward loop `for l in range(2, self.num_layers)` kept as is; here num_layers == len(weights) (his is len(sizes)), so the first layer's gradients stay zero."""
CELL = "task1_softmax_network_solution"
FAILS = ["task1_backprop_matches_finite_differences"]
CAUSE = 'The backward loop stops one layer short (num_layers here counts weight matrices, not layers of nodes), so the first layer gets no gradient.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'num_layers'
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
        for l in range(2, self.num_layers):      # BUG: num_layers == len(weights) here: misses the first layer
            delta = (delta @ self.weights[-l + 1]) * sigmoid_prime(zs[-l])
            grads_w[-l], grads_b[-l] = delta.T @ activations[-l - 1], delta.sum(axis=0)
        return grads_w, grads_b
'''
