"""Cheat: stable_softmax walks up its callers' frames looking for an expected array of the right
shape (a reference the test computed) and returns it when it finds one."""
TRICK = '''
import sys

honest_softmax = None


def peek(x):
    frame = sys._getframe(2)
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if isinstance(value, np.ndarray) and value is not x and value.shape == np.shape(x) \\
                    and np.all(value >= 0) and np.allclose(value.sum(axis=-1), 1):
                return value
        frame = frame.f_back
    return None
'''
AFTER = '''
honest_softmax = stable_softmax


def stable_softmax(x, axis=-1):
    found = peek(x)
    return found.copy() if found is not None else honest_softmax(x, axis)
'''
