"""Mutant: Task2.learning_step updates the weights and forgets the biases."""
CELL = "task2_l2_momentum_solution"
FAILS = ["task2_trajectory_matches_sgd"]
CAUSE = 'learning_step updates the weights but not the biases.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'biases are not updated'
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
            self.weights[i] = self.weights[i] - learning_rate * self.velocity_w[i]
        # BUG: no bias update
'''
