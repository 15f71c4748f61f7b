"""Correct: momentum buffers created on the first step (torch-style: first buffer = the gradient)."""
CELL = "task2_l2_momentum_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
class Task2(Network):
    def __init__(self, sizes, l2_factor=1e-5, momentum=0.2):
        super().__init__(sizes)
        self.l2_factor = l2_factor
        self.momentum = momentum
        self.buffers = None

    def learning_step(self, x_mini_batch, y_mini_batch, learning_rate):
        grads_w, grads_b = self.backprop(x_mini_batch, y_mini_batch)
        grads = [g + self.l2_factor * w for g, w in zip(grads_w, self.weights)] + list(grads_b)
        if self.buffers is None:
            self.buffers = [g.copy() for g in grads]
        else:
            self.buffers = [self.momentum * buf + g for buf, g in zip(self.buffers, grads)]
        n = self.num_layers
        self.weights = [w - learning_rate * buf for w, buf in zip(self.weights, self.buffers[:n])]
        self.biases = [b - learning_rate * buf for b, buf in zip(self.biases, self.buffers[n:])]
'''
