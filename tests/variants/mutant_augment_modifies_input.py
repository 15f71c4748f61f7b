"""Mutant: augment shifts the images in place, inside the caller's array, and returns it."""
CELL = "task3_augment_solution"
FAILS = ["task3_augment_input_unchanged"]
CAUSE = "augment changes the caller's array in place instead of working on a copy."  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'in place'
SOURCE = '''
def shift_image(image, dy, dx):
    """image: (28, 28); moved by (dy, dx) pixels, zero-filled."""
    out = np.zeros_like(image)
    h, w = image.shape
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        image[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out

def augment(x, rng):
    images = x.reshape(-1, 28, 28)             # a view: writes go into x
    for i in range(len(images)):
        dy, dx = rng.integers(-2, 3, size=2)
        images[i] = shift_image(images[i], dy, dx)
    return x
'''
