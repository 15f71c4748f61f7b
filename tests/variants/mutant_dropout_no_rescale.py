"""Mutant: the dropout mask is 0/1, without the inverted-dropout scaling 1/(1-p)."""
CELL = "task3_dropout_solution"
FAILS = ['task3_dropout_mask_values']
CAUSE = 'The kept units are not scaled up by 1 / (1 - p) (inverted dropout).'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'rescale'
SOURCE = '''
class Dropout(Task1):
    def __init__(self, sizes, p=0.2, seed=None):
        super().__init__(sizes)
        self.p = p
        self.rng = np.random.default_rng(seed)

    def dropout_mask(self, shape):
        return (self.rng.random(shape) >= self.p).astype(float)    # BUG: not divided by 1 - p

    def backprop(self, x, y):
        gs, derivatives = [x], []
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            g = sigmoid(gs[-1] @ w.T + b)
            mask = self.dropout_mask(g.shape)
            gs.append(g * mask)
            derivatives.append(g * (1 - g) * mask)
        p = stable_softmax(gs[-1] @ self.weights[-1].T + self.biases[-1])
        grads_w, grads_b = [], []
        delta = (p - y) / len(x)
        for l in reversed(range(self.num_layers)):
            grads_w.append(delta.T @ gs[l])
            grads_b.append(delta.sum(axis=0))
            if l > 0:
                delta = (delta @ self.weights[l]) * derivatives[l - 1]
        grads_w.reverse()
        grads_b.reverse()
        return grads_w, grads_b
'''
