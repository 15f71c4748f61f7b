"""Correct: dropout mask drawn with rng.binomial(1, 1 - p, shape) / (1 - p), backward pass by explicit layer index."""
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
        return self.rng.binomial(1, 1 - self.p, size=shape) / (1 - self.p)

    def backprop(self, x, y):
        L = self.num_layers
        acts, zs, masks = [x], [], []
        for i in range(L - 1):
            zs.append(acts[i] @ self.weights[i].T + self.biases[i])
            masks.append(self.dropout_mask(zs[i].shape))
            acts.append(sigmoid(zs[i]) * masks[i])
        delta = (stable_softmax(acts[-1] @ self.weights[-1].T + self.biases[-1], axis=1) - y) / len(x)
        grads_w, grads_b = [None] * L, [None] * L
        for i in reversed(range(L)):
            grads_w[i] = delta.T @ acts[i]
            grads_b[i] = delta.sum(axis=0)
            if i > 0:
                delta = (delta @ self.weights[i]) * masks[i - 1] * sigmoid_prime(zs[i - 1])
        return grads_w, grads_b
'''
