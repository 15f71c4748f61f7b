"""Mutant: Task2 creates momentum buffers for the first two weight matrices only (written for a (784, 30, 10) net), so deeper networks crash."""
CELL = "task2_l2_momentum_solution"
FAILS = ["task2_trajectory_matches_sgd"]  # its case 2 has three weight matrices; Task 4 trains with Network's step
CAUSE = 'Momentum buffers are created for a fixed number of layers instead of one per weight matrix and bias vector.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'IndexError'
SOURCE = '''
class Task2(Network):
    def __init__(self, sizes, l2_factor=1e-5, momentum=0.2):
        super().__init__(sizes)
        self.l2_factor = l2_factor
        self.momentum = momentum
        # BUG: one hidden layer assumed, so at most two weight matrices
        self.velocity_w = [np.zeros_like(w) for w in self.weights[:2]]
        self.velocity_b = [np.zeros_like(b) for b in self.biases[:2]]

    def learning_step(self, x_mini_batch, y_mini_batch, learning_rate):
        grads_w, grads_b = self.backprop(x_mini_batch, y_mini_batch)
        for i in range(self.num_layers):
            self.velocity_w[i] = self.momentum * self.velocity_w[i] + grads_w[i] + self.l2_factor * self.weights[i]
            self.velocity_b[i] = self.momentum * self.velocity_b[i] + grads_b[i]
            self.weights[i] = self.weights[i] - learning_rate * self.velocity_w[i]
            self.biases[i] = self.biases[i] - learning_rate * self.velocity_b[i]
'''
