"""Correct: Adagrad whose accumulators are created on the first step and updated in place."""
CELL = "task3_adagrad_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
class Adagrad(Task1):
    def __init__(self, sizes, eps=1e-8):
        super().__init__(sizes)
        self.eps = eps
        self.sum_sq = None

    def learning_step(self, x_mini_batch, y_mini_batch, learning_rate):
        grads_w, grads_b = self.backprop(x_mini_batch, y_mini_batch)
        grads = list(grads_w) + list(grads_b)
        if self.sum_sq is None:
            self.sum_sq = [np.zeros_like(g) for g in grads]
        for acc, g in zip(self.sum_sq, grads):
            acc += g * g
        steps = [learning_rate * g / np.sqrt(acc + self.eps) for g, acc in zip(grads, self.sum_sq)]
        n = self.num_layers
        self.weights = [w - s for w, s in zip(self.weights, steps[:n])]
        self.biases = [b - s for b, s in zip(self.biases, steps[n:])]
'''
