"""Mutant: augment returns (B, 28, 28) images, forgetting to flatten back to (B, 784)."""
CELL = "task3_augment_solution"
FAILS = [
    "task3_augment_shape_and_range",
    "task3_augment_changes_images",
    "task3_augment_preserves_ink",
]
CAUSE = 'augment returns images as 28 x 28 grids; each image must be flattened back to 784 values.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = r'shape \(1, 28, 28\)'
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
        dy, dx = rng.integers(-2, 3, size=2)
        out[i] = shift_image(images[i], dy, dx)
    return out                                     # BUG: shape (B, 28, 28)
'''
