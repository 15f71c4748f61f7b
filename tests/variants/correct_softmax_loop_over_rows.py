"""Correct: softmax that moves `axis` last and loops over the rows one at a time."""
CELL = "task0_stable_softmax_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
def stable_softmax(x, axis=-1):
    moved = np.moveaxis(np.array(x, dtype=float), axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    out = np.empty_like(rows)
    for i in range(rows.shape[0]):
        shifted = rows[i] - rows[i].max()
        out[i] = np.exp(shifted) / np.exp(shifted).sum()
    return np.moveaxis(out.reshape(moved.shape), -1, axis)
'''
