"""Mutant: Adagrad without eps, so a parameter whose gradient has always been 0 gets 0/0 = NaN."""
CELL = "task3_adagrad_solution"
FAILS = ["task3_adagrad_trajectory", "task3_adagrad_eps"]
CAUSE = "The small eps in Adagrad's denominator is missing, so a parameter whose gradient has always been zero divides zero by zero."  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'eps is not used'
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
            self.G_w[i] = self.G_w[i] + grads_w[i] ** 2
            self.G_b[i] = self.G_b[i] + grads_b[i] ** 2
            self.weights[i] = self.weights[i] - learning_rate * grads_w[i] / np.sqrt(self.G_w[i])   # BUG
            self.biases[i] = self.biases[i] - learning_rate * grads_b[i] / np.sqrt(self.G_b[i])
'''
