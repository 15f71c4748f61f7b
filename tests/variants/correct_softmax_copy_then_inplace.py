"""Correct: softmax that copies its input first, then works in place on the copy."""
CELL = "task0_stable_softmax_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
def stable_softmax(x, axis=-1):
    out = np.array(x, dtype=float, copy=True)
    out -= out.max(axis=axis, keepdims=True)
    np.exp(out, out=out)
    out /= out.sum(axis=axis, keepdims=True)
    return out
'''
