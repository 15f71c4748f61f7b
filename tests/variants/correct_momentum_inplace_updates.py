"""Correct: Task2 that updates its own buffers and parameters in place (+=, -=), never touching the gradients it receives."""
CELL = "task2_l2_momentum_solution"
FAILS = []
KNOCK_ON = []
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
        for w, b, vw, vb, gw, gb in zip(self.weights, self.biases, self.velocity_w, self.velocity_b, grads_w, grads_b):
            vw *= self.momentum
            vw += gw + self.l2_factor * w
            vb *= self.momentum
            vb += gb
            w -= learning_rate * vw
            b -= learning_rate * vb
'''
