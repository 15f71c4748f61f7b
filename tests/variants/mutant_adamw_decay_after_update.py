"""Mutant: AdamW shrinks the parameters by (1 - lr * weight_decay) after the Adam step, not before it."""
CELL = "task3_adamw_solution"
FAILS = ["task3_adamw_trajectory"]
CAUSE = "AdamW's weight decay should shrink the weights before the Adam step, not after it."  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'decayed after the Adam step'
SOURCE = '''
class AdamW(Task1):
    def __init__(self, sizes, weight_decay=1e-2, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(sizes)
        self.weight_decay, self.betas, self.eps = weight_decay, betas, eps
        self.t = 0
        self.m = [np.zeros_like(p) for p in self.weights + self.biases]
        self.v = [np.zeros_like(p) for p in self.weights + self.biases]

    def learning_step(self, x_mini_batch, y_mini_batch, learning_rate):
        grads_w, grads_b = self.backprop(x_mini_batch, y_mini_batch)
        self.t += 1
        beta1, beta2 = self.betas
        n = self.num_layers
        params, grads = self.weights + self.biases, grads_w + grads_b
        for i, (p, g) in enumerate(zip(params, grads)):
            self.m[i] = beta1 * self.m[i] + (1 - beta1) * g
            self.v[i] = beta2 * self.v[i] + (1 - beta2) * g * g
            m_hat = self.m[i] / (1 - beta1 ** self.t)
            v_hat = self.v[i] / (1 - beta2 ** self.t)
            p = p - learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)
            if i < n:
                p = p * (1 - learning_rate * self.weight_decay)   # BUG: decays the updated value
            params[i] = p
        self.weights, self.biases = params[:n], params[n:]
'''
