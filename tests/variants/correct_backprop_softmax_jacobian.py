"""Correct: unfused Task1 gradient, dL/dp = -y/(B p) pushed through the softmax Jacobian diag(p) - p p^T."""
CELL = "task1_softmax_network_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
class Task1(Network):
    def feedforward(self, x):
        a = x
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            a = sigmoid(a @ w.T + b)
        return stable_softmax(a @ self.weights[-1].T + self.biases[-1], axis=-1)

    def backprop(self, x, y):
        activations, zs = [x], []
        for w, b in zip(self.weights, self.biases):
            zs.append(activations[-1] @ w.T + b)
            activations.append(sigmoid(zs[-1]))
        p = stable_softmax(zs[-1], axis=-1)
        dL_dp = -y / p / x.shape[0]
        jacobian = np.einsum("bi,ij->bij", p, np.eye(p.shape[1])) - np.einsum("bi,bj->bij", p, p)
        delta = np.einsum("bij,bi->bj", jacobian, dL_dp)
        grads_w, grads_b = [None] * self.num_layers, [None] * self.num_layers
        grads_w[-1], grads_b[-1] = delta.T @ activations[-2], delta.sum(axis=0)
        for l in range(2, self.num_layers + 1):
            delta = (delta @ self.weights[-l + 1]) * sigmoid_prime(zs[-l])
            grads_w[-l], grads_b[-l] = delta.T @ activations[-l - 1], delta.sum(axis=0)
        return grads_w, grads_b
'''
