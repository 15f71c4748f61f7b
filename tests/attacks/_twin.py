"""The honest twin of every cheat here: a softmax that is only right for 2-D arrays along the last
axis. It loses the three Task 0 cells (their probes use 1-D and 3-D arrays and axis=0) and keeps
everything else. A cheat is this code plus a trick; it must never score more."""
CELL = "task0_stable_softmax_solution"
BUG = '''
def stable_softmax(x, axis=-1):
    exps = np.exp(x - x.max(axis=1, keepdims=True))  # right for 2-D arrays along the last axis only
    return exps / exps.sum(axis=1, keepdims=True)
'''
