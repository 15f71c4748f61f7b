"""Mutant: Adagrad overwrites G with the current g^2 instead of accumulating it (G += g^2)."""
CELL = "task3_adagrad_solution"
FAILS = ["task3_adagrad_trajectory", "task3_adagrad_eps"]
CAUSE = "Adagrad's accumulator should keep a running sum of squared gradients over all steps, not hold only the current step's."  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'must accumulate'
SOURCE = '''
class Adagrad(Task1):
    def __init__(self, sizes, eps=1e-8):
        super().__init__(sizes)
        self.eps = eps
        self.G_w = [np.zeros_like(w) for w in self.weights]
        self.G_b = [np.zeros_like(b) for b in self.biases]

    def learning_step(self, x_mini_batch, y_mini_batch, learning_rate):
        grads_w, grads_b = self.backprop(x_mini_batch, y_mini_batch)
        for i in range(self.num_layers):
            self.G_w[i] = grads_w[i] ** 2          # BUG: should be +=
            self.G_b[i] = grads_b[i] ** 2
            self.weights[i] = self.weights[i] - learning_rate * grads_w[i] / np.sqrt(self.G_w[i] + self.eps)
            self.biases[i] = self.biases[i] - learning_rate * grads_b[i] / np.sqrt(self.G_b[i] + self.eps)
'''
