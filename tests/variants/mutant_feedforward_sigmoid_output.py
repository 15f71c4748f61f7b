"""Mutant: backprop is right, but feedforward is still Network's, with a sigmoid output layer, so rows don't sum to 1."""
CELL = "task1_softmax_network_solution"
FAILS = ['task1_feedforward_probabilities', 'task1_feedforward_matches_reference']
CAUSE = 'feedforward still ends with a sigmoid; the output layer must be a softmax.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'sum to 1'
SOURCE = '''
class Task1(Network):
    # BUG: feedforward is inherited from Network (sigmoid output)

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
