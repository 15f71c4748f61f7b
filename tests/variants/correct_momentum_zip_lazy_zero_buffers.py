"""Correct: Task2 with zero velocities created at the first step, and new parameter lists built with zip at every step."""
CELL = "task2_l2_momentum_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
class Task2(Network):
    def __init__(self, sizes, l2_factor=1e-5, momentum=0.2):
        super().__init__(sizes)
        self.l2_factor = l2_factor
        self.momentum = momentum
        self.v_w = self.v_b = None

    def learning_step(self, x_mini_batch, y_mini_batch, learning_rate):
        grads_w, grads_b = self.backprop(x_mini_batch, y_mini_batch)
        if self.v_w is None:
            self.v_w = [np.zeros_like(w) for w in self.weights]
            self.v_b = [np.zeros_like(b) for b in self.biases]
        self.v_w = [self.momentum * v + g + self.l2_factor * w for v, g, w in zip(self.v_w, grads_w, self.weights)]
        self.v_b = [self.momentum * v + g for v, g in zip(self.v_b, grads_b)]
        self.weights = [w - learning_rate * v for w, v in zip(self.weights, self.v_w)]
        self.biases = [b - learning_rate * v for b, v in zip(self.biases, self.v_b)]
'''
