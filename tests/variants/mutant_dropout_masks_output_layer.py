"""Mutant: dropout also masks the softmax output, one dropout_mask call per layer instead of per hidden layer."""
CELL = "task3_dropout_solution"
FAILS = ["task3_dropout_mask_calls", "task3_dropout_backprop_matches_finite_differences"]
KNOCK_ON = []
SOURCE = '''
class Dropout(Task1):
    def __init__(self, sizes, p=0.2, seed=None):
        super().__init__(sizes)
        self.p = p
        self.rng = np.random.default_rng(seed)

    def dropout_mask(self, shape):
        return (self.rng.random(shape) >= self.p) / (1 - self.p)

    def backprop(self, x, y):
        activations, zs, masks = [x], [], []
        for b, w in zip(self.biases[:-1], self.weights[:-1]):
            zs.append(activations[-1] @ w.T + b)
            masks.append(self.dropout_mask(zs[-1].shape))
            activations.append(sigmoid(zs[-1]) * masks[-1])
        z_out = activations[-1] @ self.weights[-1].T + self.biases[-1]
        out_mask = self.dropout_mask(z_out.shape)          # BUG: the output layer is not a hidden layer
        delta = (stable_softmax(z_out, axis=-1) * out_mask - y) / x.shape[0]
        nabla_b, nabla_w = [None] * len(self.biases), [None] * len(self.weights)
        nabla_b[-1], nabla_w[-1] = delta.sum(axis=0), delta.T @ activations[-1]
        for l in range(2, self.num_layers):
            delta = (delta @ self.weights[-l + 1]) * masks[-l + 1] * sigmoid_prime(zs[-l + 1])
            nabla_b[-l], nabla_w[-l] = delta.sum(axis=0), delta.T @ activations[-l]
        return nabla_b, nabla_w
'''
