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

    def learning_step(self, x, y, learning_rate):
        nabla_b, nabla_w = self.backprop(x, y)
        grads = [g + self.l2_factor * w for g, w in zip(nabla_w, self.weights)] + list(nabla_b)
        if self.buffers is None:
            self.buffers = [g.copy() for g in grads]
        else:
            self.buffers = [self.momentum * buf + g for buf, g in zip(self.buffers, grads)]
        n = len(self.weights)
        self.weights = [w - learning_rate * buf for w, buf in zip(self.weights, self.buffers[:n])]
        self.biases = [b - learning_rate * buf for b, buf in zip(self.biases, self.buffers[n:])]
'''
