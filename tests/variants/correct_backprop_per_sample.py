"""Correct: Task1 backprop that loops over the samples one at a time (Nielsen's loop, adapted to num_layers == len(weights)) and averages their gradients."""
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
        grads_w = [np.zeros(w.shape) for w in self.weights]
        grads_b = [np.zeros(b.shape) for b in self.biases]
        for xs, ys in zip(x, y):
            acts, zs = [xs], []
            for w, b in zip(self.weights, self.biases):
                zs.append(w @ acts[-1] + b)
                acts.append(sigmoid(zs[-1]))
            delta = stable_softmax(zs[-1]) - ys
            grads_w[-1] += np.outer(delta, acts[-2])
            grads_b[-1] += delta
            for l in range(2, self.num_layers + 1):      # num_layers counts the weight matrices
                delta = (self.weights[-l + 1].T @ delta) * sigmoid_prime(zs[-l])
                grads_w[-l] += np.outer(delta, acts[-l - 1])
                grads_b[-l] += delta
        n = len(x)
        return [g / n for g in grads_w], [g / n for g in grads_b]
'''
