"""Mutant: L2 decay is applied to the biases as well as the weights."""
CELL = "task2_l2_momentum_solution"
FAILS = ["task2_trajectory_matches_sgd", "task2_biases_not_decayed"]
CAUSE = 'L2 decay is also applied to the biases; it applies to the weights only.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'biases are decayed'
SOURCE = '''
class Task2(Network):
    def __init__(self, sizes, l2_factor=1e-5, momentum=0.2):
        super().__init__(sizes)
        self.l2_factor = l2_factor
        self.momentum = momentum
        self.velocity_w = [np.zeros_like(w) for w in self.weights]
        self.velocity_b = [np.zeros_like(b) for b in self.biases]

    def learning_step(self, x_mini_batch, y_mini_batch, learning_rate):
        grads_w, grads_b = self.backprop(x_mini_batch, y_mini_batch)
        for i in range(self.num_layers):
            self.velocity_w[i] = self.momentum * self.velocity_w[i] + grads_w[i] + self.l2_factor * self.weights[i]
            self.velocity_b[i] = self.momentum * self.velocity_b[i] + grads_b[i] + self.l2_factor * self.biases[i]  # BUG
            self.weights[i] = self.weights[i] - learning_rate * self.velocity_w[i]
            self.biases[i] = self.biases[i] - learning_rate * self.velocity_b[i]
'''
