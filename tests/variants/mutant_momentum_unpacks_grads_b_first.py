"""Mutant: Task2 unpacks `grads_b, grads_w = self.backprop(...)`, Nielsen's order, while the course's backprop returns (grads_w, grads_b)."""
CELL = "task2_l2_momentum_solution"
FAILS = [
    "task2_trajectory_matches_sgd",
    "task2_one_backprop_call_per_step",
    "task2_biases_not_decayed",
    "task2_l2_through_momentum_buffer",
    "task2_momentum_zero_is_sgd_plus_l2",
    "task2_default_hyperparameters",
]
CAUSE = "backprop's result is unpacked in the wrong order: it returns weight gradients first, then bias gradients."  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'weight-shaped array met a bias-shaped one'
SOURCE = '''
class Task2(Network):
    def __init__(self, sizes, l2_factor=1e-5, momentum=0.2):
        super().__init__(sizes)
        self.l2_factor = l2_factor
        self.momentum = momentum
        self.velocity_w = [np.zeros_like(w) for w in self.weights]
        self.velocity_b = [np.zeros_like(b) for b in self.biases]

    def learning_step(self, x_mini_batch, y_mini_batch, learning_rate):
        grads_b, grads_w = self.backprop(x_mini_batch, y_mini_batch)    # BUG: backprop returns (grads_w, grads_b)
        for i in range(self.num_layers):
            self.velocity_w[i] = self.momentum * self.velocity_w[i] + grads_w[i] + self.l2_factor * self.weights[i]
            self.velocity_b[i] = self.momentum * self.velocity_b[i] + grads_b[i]
            self.weights[i] = self.weights[i] - learning_rate * self.velocity_w[i]
            self.biases[i] = self.biases[i] - learning_rate * self.velocity_b[i]
'''
