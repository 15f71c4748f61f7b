"""Correct: numpy-only shifts with np.roll, zeroing the rows and columns that wrapped around."""
CELL = "task3_augment_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
def augment(x, rng):
    out = np.array(x, dtype=float).reshape(-1, 28, 28)
    for i in range(len(out)):
        dy, dx = (int(s) for s in rng.integers(-2, 3, size=2))
        out[i] = np.roll(out[i], (dy, dx), axis=(0, 1))
        if dy > 0: out[i, :dy] = 0
        if dy < 0: out[i, dy:] = 0
        if dx > 0: out[i, :, :dx] = 0
        if dx < 0: out[i, :, dx:] = 0
    return out.reshape(len(x), 784)
'''
