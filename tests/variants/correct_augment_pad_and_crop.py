"""Correct: numpy-only shifts by padding each image with 2 zero pixels and cropping a random 28x28 window."""
CELL = "task3_augment_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
def augment(x, rng):
    images = np.pad(x.reshape(-1, 28, 28), ((0, 0), (2, 2), (2, 2)))
    out = np.empty((len(x), 28, 28))
    for i, (top, left) in enumerate(rng.integers(0, 5, size=(len(x), 2))):
        out[i] = images[i, top:top + 28, left:left + 28]
    return out.reshape(len(x), 784)
'''
