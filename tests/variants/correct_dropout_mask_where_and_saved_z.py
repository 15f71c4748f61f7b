"""Correct: dropout mask with np.where(rng.random(shape) < p, 0, 1/(1-p)); backprop keeps the z's and uses sigmoid_prime(z) * mask."""
CELL = "task3_dropout_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
class Dropout(Task1):
    def __init__(self, sizes, p=0.2, seed=None):
        super().__init__(sizes)
        self.p = p
        self.rng = np.random.default_rng(seed)

    def dropout_mask(self, shape):
        return np.where(self.rng.random(shape) < self.p, 0.0, 1.0 / (1.0 - self.p))

    def backprop(self, x, y):
        gs, zs, masks = [x], [], []
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            zs.append(gs[-1] @ w.T + b)
            masks.append(self.dropout_mask(zs[-1].shape))
            gs.append(sigmoid(zs[-1]) * masks[-1])
        p = stable_softmax(gs[-1] @ self.weights[-1].T + self.biases[-1])
        grads_w, grads_b = [], []
        delta = (p - y) / len(x)
        for l in reversed(range(self.num_layers)):
            grads_w.append(delta.T @ gs[l])
            grads_b.append(delta.sum(axis=0))
            if l > 0:
                delta = (delta @ self.weights[l]) * sigmoid_prime(zs[l - 1]) * masks[l - 1]
        grads_w.reverse()
        grads_b.reverse()
        return grads_w, grads_b
'''
