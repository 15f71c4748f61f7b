"""Mutant: Nesterov momentum (step along g + mu v) where the text asks for nesterov=False."""
CELL = "task2_l2_momentum_solution"
FAILS = ["task2_trajectory_matches_sgd", "task2_l2_through_momentum_buffer"]
CAUSE = 'This is Nesterov momentum; the notebook asks for plain (heavy-ball) momentum.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'Nesterov'
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
            g_w = grads_w[i] + self.l2_factor * self.weights[i]
            self.velocity_w[i] = self.momentum * self.velocity_w[i] + g_w
            self.velocity_b[i] = self.momentum * self.velocity_b[i] + grads_b[i]
            self.weights[i] = self.weights[i] - learning_rate * (g_w + self.momentum * self.velocity_w[i])  # BUG
            self.biases[i] = self.biases[i] - learning_rate * (grads_b[i] + self.momentum * self.velocity_b[i])
'''
