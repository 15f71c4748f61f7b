"""Mutant: augment shifts by up to 14 pixels, pushing much of each digit off the image."""
CELL = "task3_augment_solution"
FAILS = ["task3_augment_preserves_ink"]
CAUSE = 'augment moves the digits so far that much of their ink falls off the image.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'ink'
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
        dy, dx = rng.integers(-14, 15, size=2)     # BUG: far beyond a small shift
        out[i] = shift_image(images[i], dy, dx)
    return out.reshape(len(x), 784)
'''
