"""Correct: AdamW written as torch computes it: step_size = lr / bc1, denom = sqrt(v) / sqrt(bc2) + eps, lazily created state."""
CELL = "task3_adamw_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
import math

class AdamW(Task1):
    def __init__(self, sizes, weight_decay=1e-2, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(sizes)
        self.weight_decay, self.betas, self.eps = weight_decay, betas, eps
        self.state = {}

    def _step(self, key, param, grad, lr, decay):
        beta1, beta2 = self.betas
        if key not in self.state:
            self.state[key] = {'step': 0, 'exp_avg': np.zeros_like(param), 'exp_avg_sq': np.zeros_like(param)}
        s = self.state[key]
        s['step'] += 1
        param = param * (1 - lr * decay)
        s['exp_avg'] = s['exp_avg'] * beta1 + grad * (1 - beta1)
        s['exp_avg_sq'] = s['exp_avg_sq'] * beta2 + grad * grad * (1 - beta2)
        bias_correction1 = 1 - beta1 ** s['step']
        bias_correction2 = 1 - beta2 ** s['step']
        step_size = lr / bias_correction1
        denom = np.sqrt(s['exp_avg_sq']) / math.sqrt(bias_correction2) + self.eps
        return param - step_size * s['exp_avg'] / denom

    def learning_step(self, x_mini_batch, y_mini_batch, learning_rate):
        grads_w, grads_b = self.backprop(x_mini_batch, y_mini_batch)
        self.weights = [self._step(('w', i), w, g, learning_rate, self.weight_decay)
                        for i, (w, g) in enumerate(zip(self.weights, grads_w))]
        self.biases = [self._step(('b', i), b, g, learning_rate, 0.0)
                       for i, (b, g) in enumerate(zip(self.biases, grads_b))]
'''
