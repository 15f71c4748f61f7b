"""Mutant: hidden deltas use sigmoid_prime(g), the activation, where sigmoid_prime expects z (so sigmoid is applied twice)."""
CELL = "task1_softmax_network_solution"
FAILS = ["task1_backprop_matches_finite_differences"]
CAUSE = 'sigmoid_prime is applied to the activations instead of the pre-activations z, so the sigmoid is applied twice.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'backward pass through the hidden layers'
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
        delta = (p - y) / len(x)
        for l in reversed(range(self.num_layers)):
            grads_w.append(delta.T @ gs[l])
            grads_b.append(delta.sum(axis=0))
            if l > 0:
                delta = (delta @ self.weights[l]) * sigmoid_prime(gs[l])   # BUG: sigmoid_prime wants z
        grads_w.reverse()
        grads_b.reverse()
        return grads_w, grads_b
'''
