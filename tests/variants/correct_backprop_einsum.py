"""Correct: Task1 with einsum for every product and the layers walked by explicit index (num_layers == len(weights))."""
CELL = "task1_softmax_network_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
class Task1(Network):
    def feedforward(self, x):
        a = x
        for i in range(self.num_layers):
            z = np.einsum("bj,ij->bi", a, self.weights[i]) + self.biases[i]
            a = stable_softmax(z, axis=1) if i == self.num_layers - 1 else sigmoid(z)
        return a

    def backprop(self, x, y):
        L = self.num_layers
        acts, zs = [x], []
        for i in range(L):
            zs.append(np.einsum("bj,ij->bi", acts[-1], self.weights[i]) + self.biases[i])
            acts.append(stable_softmax(zs[-1], axis=1) if i == L - 1 else sigmoid(zs[-1]))
        grads_w, grads_b = [None] * L, [None] * L
        delta = (acts[-1] - y) / len(x)
        for i in reversed(range(L)):
            grads_w[i] = np.einsum("bi,bj->ij", delta, acts[i])
            grads_b[i] = np.einsum("bi->i", delta)
            if i > 0:
                delta = np.einsum("bi,ij->bj", delta, self.weights[i]) * sigmoid_prime(zs[i - 1])
        return grads_w, grads_b
'''
