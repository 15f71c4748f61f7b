"""Mutant: softmax subtracts the global max, not each row's max, so rows far below it underflow to 0/0."""
CELL = "task0_stable_softmax_solution"
FAILS = ["task0_softmax_no_overflow"]
CAUSE = "The softmax subtracts the maximum of the whole array instead of each row's maximum along axis."  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []  # later tasks are probed with a known-good softmax
MESSAGE = 'max of the whole array'
SOURCE = '''
def stable_softmax(x, axis=-1):
    exps = np.exp(x - np.max(x))
    return exps / np.sum(exps, axis=axis, keepdims=True)
'''
