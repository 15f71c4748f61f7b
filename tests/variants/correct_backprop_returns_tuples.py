"""Correct: Task1 whose backprop fills preallocated lists by index, with np.dot, and returns the pair as tuples (grads_w, grads_b)."""
CELL = "task1_softmax_network_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
class Task1(Network):
    def feedforward(self, x):
        return self._forward(x)[-1]

    def _forward(self, x):
        acts = [x]
        for i in range(self.num_layers):
            z = np.dot(acts[-1], self.weights[i].T) + self.biases[i]
            acts.append(stable_softmax(z, axis=-1) if i == self.num_layers - 1 else sigmoid(z))
        return acts

    def backprop(self, x, y):
        acts = self._forward(x)
        grads_w = [np.empty_like(w) for w in self.weights]
        grads_b = [np.empty_like(b) for b in self.biases]
        delta = (acts[-1] - y) / x.shape[0]
        for i in range(self.num_layers - 1, -1, -1):
            grads_w[i] = np.dot(delta.T, acts[i])
            grads_b[i] = np.sum(delta, axis=0)
            if i:
                delta = np.dot(delta, self.weights[i]) * acts[i] * (1.0 - acts[i])
        return tuple(grads_w), tuple(grads_b)
'''
