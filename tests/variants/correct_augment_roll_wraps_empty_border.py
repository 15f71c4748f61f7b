"""Correct: shifts with a plain np.roll (wrapping around); fine for MNIST, whose digits leave a 4-pixel empty border."""
CELL = "task3_augment_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
def augment(x, rng):
    images = x.reshape(-1, 28, 28)
    shifts = rng.integers(-2, 3, size=(len(images), 2))
    out = np.stack([np.roll(image, (int(dy), int(dx)), axis=(0, 1)) for image, (dy, dx) in zip(images, shifts)])
    return out.reshape(len(x), 784)
'''
