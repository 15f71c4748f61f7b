"""Correct: Task1 backprop that loops over the samples one at a time and averages their gradients."""
CELL = "task1_softmax_network_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
class Task1(Network):
    def feedforward(self, x):
        a = x
        for b, w in zip(self.biases[:-1], self.weights[:-1]):
            a = sigmoid(a @ w.T + b)
        return stable_softmax(a @ self.weights[-1].T + self.biases[-1], axis=-1)

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for xs, ys in zip(x, y):
            acts, zs = [xs], []
            for b, w in zip(self.biases, self.weights):
                zs.append(w @ acts[-1] + b)
                acts.append(sigmoid(zs[-1]))
            delta = stable_softmax(zs[-1]) - ys
            nabla_b[-1] += delta
            nabla_w[-1] += np.outer(delta, acts[-2])
            for l in range(2, self.num_layers):
                delta = (self.weights[-l + 1].T @ delta) * sigmoid_prime(zs[-l])
                nabla_b[-l] += delta
                nabla_w[-l] += np.outer(delta, acts[-l - 1])
        n = len(x)
        return [g / n for g in nabla_b], [g / n for g in nabla_w]
'''
