"""Mutant: augment draws its shifts from np.random, not from rng, so it is not reproducible."""
CELL = "task3_augment_solution"
FAILS = ["task3_augment_reproducible"]
CAUSE = "augment draws its randomness from numpy's global generator instead of the rng it is given, so it is not reproducible."  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'randomness from rng'
SOURCE = '''
def shift_image(image, dy, dx):
    """image: (28, 28); moved by (dy, dx) pixels, zero-filled."""
    out = np.zeros_like(image)
    h, w = image.shape
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        image[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out

def augment(x, rng):
    images = x.reshape(-1, 28, 28)
    out = np.empty_like(images)
    for i in range(len(images)):
        dy, dx = np.random.randint(-2, 3, size=2)    # BUG: ignores rng
        out[i] = shift_image(images[i], dy, dx)
    return out.reshape(len(x), 784)
'''
