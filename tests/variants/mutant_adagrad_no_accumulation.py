"""Mutant: Adagrad overwrites G with the current g^2 instead of accumulating it (G += g^2)."""
CELL = "task3_adagrad_solution"
FAILS = ["task3_adagrad_trajectory", "task3_adagrad_eps"]
KNOCK_ON = []
SOURCE = '''
class Adagrad(Task1):
    def __init__(self, sizes, eps=1e-8):
        super().__init__(sizes)
        self.eps = eps
        self.G_w = [np.zeros_like(w) for w in self.weights]
        self.G_b = [np.zeros_like(b) for b in self.biases]

    def learning_step(self, x, y, learning_rate):
        nabla_b, nabla_w = self.backprop(x, y)
        for i in range(len(self.weights)):
            self.G_w[i] = nabla_w[i] ** 2          # BUG: should be +=
            self.G_b[i] = nabla_b[i] ** 2
            self.weights[i] = self.weights[i] - learning_rate * nabla_w[i] / np.sqrt(self.G_w[i] + self.eps)
            self.biases[i] = self.biases[i] - learning_rate * nabla_b[i] / np.sqrt(self.G_b[i] + self.eps)
'''
