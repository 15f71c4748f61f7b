"""Mutant: the momentum buffer is a local variable, recreated at zero every step, so momentum never acts."""
CELL = "task2_l2_momentum_solution"
FAILS = ["task2_trajectory_matches_sgd", "task2_l2_through_momentum_buffer"]
CAUSE = 'The momentum buffer is not kept between steps, so momentum never acts.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'not kept'
SOURCE = '''
class Task2(Network):
    def __init__(self, sizes, l2_factor=1e-5, momentum=0.2):
        super().__init__(sizes)
        self.l2_factor = l2_factor
        self.momentum = momentum

    def learning_step(self, x_mini_batch, y_mini_batch, learning_rate):
        grads_w, grads_b = self.backprop(x_mini_batch, y_mini_batch)
        for i in range(self.num_layers):
            velocity_w = np.zeros_like(self.weights[i])   # BUG: forgotten between steps
            velocity_b = np.zeros_like(self.biases[i])
            velocity_w = self.momentum * velocity_w + grads_w[i] + self.l2_factor * self.weights[i]
            velocity_b = self.momentum * velocity_b + grads_b[i]
            self.weights[i] = self.weights[i] - learning_rate * velocity_w
            self.biases[i] = self.biases[i] - learning_rate * velocity_b
'''
