"""Mutant: feedforward hard-wired to one hidden layer (weights[0], then weights[-1]): right at the experiments' depth, wrong for deeper networks (backprop is right)."""
CELL = "task1_softmax_network_solution"
FAILS = ["task4_feedforward_deep_matches_reference"]
CAUSE = 'feedforward assumes exactly one hidden layer; it must loop over all the layers.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = "hidden layers"
SOURCE = '''
class Task1(Network):
    def feedforward(self, x):
        hidden = sigmoid(x @ self.weights[0].T + self.biases[0])     # BUG: assumes one hidden layer
        return stable_softmax(hidden @ self.weights[-1].T + self.biases[-1])

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
                delta = (delta @ self.weights[l]) * gs[l] * (1 - gs[l])
        grads_w.reverse()
        grads_b.reverse()
        return grads_w, grads_b
'''
