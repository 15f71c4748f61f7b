"""Correct: AdamW that updates its moments and the parameters in place (*=, +=, -=), one loop over weights then biases."""
CELL = "task3_adamw_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
class AdamW(Task1):
    def __init__(self, sizes, weight_decay=1e-2, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(sizes)
        self.weight_decay, self.betas, self.eps = weight_decay, betas, eps
        self.t = 0
        self.moments = [(np.zeros_like(p), np.zeros_like(p)) for p in self.weights + self.biases]

    def learning_step(self, x_mini_batch, y_mini_batch, learning_rate):
        grads_w, grads_b = self.backprop(x_mini_batch, y_mini_batch)
        self.t += 1
        beta1, beta2 = self.betas
        decays = [self.weight_decay] * len(self.weights) + [0.0] * len(self.biases)
        for p, g, (m, v), decay in zip(self.weights + self.biases, grads_w + grads_b, self.moments, decays):
            p *= 1 - learning_rate * decay
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            p -= learning_rate * (m / (1 - beta1 ** self.t)) / (np.sqrt(v / (1 - beta2 ** self.t)) + self.eps)
'''
