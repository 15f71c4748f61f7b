"""Correct: every documented call made by keyword, as the notebook names the parameters: stable_softmax(x=z, axis=-1) in Task1 and Dropout, self.backprop(x=..., y=...) in Task2, AdamW and Adagrad, self.dropout_mask(shape=...) in Dropout."""
FAILS = []
KNOCK_ON = []
CELLS = {
    "task1_softmax_network_solution": '''
class Task1(Network):
    def __init__(self, sizes):
        super().__init__(sizes)

    def feedforward(self, x):
        g = x
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            g = sigmoid(z=g @ w.T + b)
        return stable_softmax(x=g @ self.weights[-1].T + self.biases[-1], axis=-1)

    def backprop(self, x, y):
        gs = [x]
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            gs.append(sigmoid(z=gs[-1] @ w.T + b))
        p = stable_softmax(x=gs[-1] @ self.weights[-1].T + self.biases[-1], axis=-1)
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
''',
    "task2_l2_momentum_solution": '''
class Task2(Network):
    def __init__(self, sizes, l2_factor=1e-5, momentum=0.2):
        super().__init__(sizes=sizes)
        self.l2_factor = l2_factor
        self.momentum = momentum
        self.velocity_w = [np.zeros_like(w) for w in self.weights]
        self.velocity_b = [np.zeros_like(b) for b in self.biases]

    def learning_step(self, x_mini_batch, y_mini_batch, learning_rate):
        grads_w, grads_b = self.backprop(x=x_mini_batch, y=y_mini_batch)
        for i in range(self.num_layers):
            self.velocity_w[i] = self.momentum * self.velocity_w[i] + grads_w[i] + self.l2_factor * self.weights[i]
            self.velocity_b[i] = self.momentum * self.velocity_b[i] + grads_b[i]
            self.weights[i] = self.weights[i] - learning_rate * self.velocity_w[i]
            self.biases[i] = self.biases[i] - learning_rate * self.velocity_b[i]
''',
    "task3_adagrad_solution": '''
class Adagrad(Task1):
    def __init__(self, sizes, eps=1e-8):
        super().__init__(sizes=sizes)
        self.eps = eps
        self.sums = [np.zeros_like(p) for p in self.weights + self.biases]

    def learning_step(self, x_mini_batch, y_mini_batch, learning_rate):
        grads_w, grads_b = self.backprop(x=x_mini_batch, y=y_mini_batch)
        n = self.num_layers
        params = self.weights + self.biases
        for i, g in enumerate(grads_w + grads_b):
            self.sums[i] = self.sums[i] + g**2
            params[i] = params[i] - learning_rate * g / np.sqrt(self.sums[i] + self.eps)
        self.weights, self.biases = params[:n], params[n:]
''',
    "task3_dropout_solution": '''
class Dropout(Task1):
    def __init__(self, sizes, p=0.2, seed=None):
        super().__init__(sizes)
        self.p = p
        self.rng = np.random.default_rng(seed)

    def dropout_mask(self, shape):
        return np.where(self.rng.random(size=shape) < self.p, 0.0, 1.0 / (1.0 - self.p))

    def backprop(self, x, y):
        gs, slopes = [x], []
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            g = sigmoid(z=gs[-1] @ w.T + b)
            mask = self.dropout_mask(shape=g.shape)
            gs.append(g * mask)
            slopes.append(g * (1 - g) * mask)
        p = stable_softmax(x=gs[-1] @ self.weights[-1].T + self.biases[-1], axis=-1)
        grads_w, grads_b = [], []
        delta = (p - y) / len(x)
        for l in reversed(range(self.num_layers)):
            grads_w.append(delta.T @ gs[l])
            grads_b.append(delta.sum(axis=0))
            if l > 0:
                delta = (delta @ self.weights[l]) * slopes[l - 1]
        return grads_w[::-1], grads_b[::-1]
''',
}
