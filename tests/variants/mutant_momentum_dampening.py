"""Mutant: momentum as an exponential moving average, v = mu v + (1 - mu) g (dampening = momentum, not 0)."""
CELL = "task2_l2_momentum_solution"
FAILS = ["task2_trajectory_matches_sgd", "task2_l2_through_momentum_buffer"]
CAUSE = 'The velocity is a moving average that scales the gradient by (1 - momentum); the stated update adds the full gradient.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'dampening'
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
        mu = self.momentum
        for i in range(self.num_layers):
            self.velocity_w[i] = mu * self.velocity_w[i] + (1 - mu) * (grads_w[i] + self.l2_factor * self.weights[i])  # BUG
            self.velocity_b[i] = mu * self.velocity_b[i] + (1 - mu) * grads_b[i]
            self.weights[i] = self.weights[i] - learning_rate * self.velocity_w[i]
            self.biases[i] = self.biases[i] - learning_rate * self.velocity_b[i]
'''
