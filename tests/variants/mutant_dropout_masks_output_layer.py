"""Mutant: dropout also masks the softmax output, one dropout_mask call per layer instead of per hidden layer."""
CELL = "task3_dropout_solution"
FAILS = ['task3_dropout_mask_calls', 'task3_dropout_backprop_matches_finite_differences']
CAUSE = 'Dropout is also applied to the output layer; only hidden layers are dropped.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'once per hidden layer'
SOURCE = '''
class Dropout(Task1):
    def __init__(self, sizes, p=0.2, seed=None):
        super().__init__(sizes)
        self.p = p
        self.rng = np.random.default_rng(seed)

    def dropout_mask(self, shape):
        return (self.rng.random(shape) >= self.p) / (1 - self.p)

    def backprop(self, x, y):
        gs, derivatives = [x], []
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            g = sigmoid(gs[-1] @ w.T + b)
            mask = self.dropout_mask(g.shape)
            gs.append(g * mask)
            derivatives.append(g * (1 - g) * mask)
        p = stable_softmax(gs[-1] @ self.weights[-1].T + self.biases[-1])
        grads_w, grads_b = [], []
        delta = (p * self.dropout_mask(p.shape) - y) / len(x)    # BUG: the output layer is not a hidden layer
        for l in reversed(range(self.num_layers)):
            grads_w.append(delta.T @ gs[l])
            grads_b.append(delta.sum(axis=0))
            if l > 0:
                delta = (delta @ self.weights[l]) * derivatives[l - 1]
        grads_w.reverse()
        grads_b.reverse()
        return grads_w, grads_b
'''
