"""Correct: small random rotations (up to 15 degrees) by nearest-neighbour resampling, in numpy only."""
CELL = "task3_augment_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
def augment(x, rng):
    images = x.reshape(-1, 28, 28)
    out = np.zeros_like(images, dtype=float)
    rows, cols = np.mgrid[0:28, 0:28] - 13.5
    for i, angle in enumerate(np.deg2rad(rng.uniform(-15, 15, size=len(images)))):
        # the source pixel of each output pixel: rotate the output grid back
        src_r = np.rint(np.cos(angle) * rows - np.sin(angle) * cols + 13.5).astype(int)
        src_c = np.rint(np.sin(angle) * rows + np.cos(angle) * cols + 13.5).astype(int)
        inside = (src_r >= 0) & (src_r < 28) & (src_c >= 0) & (src_c < 28)
        out[i][inside] = images[i][src_r[inside], src_c[inside]]
    return out.reshape(len(x), 784)
'''
