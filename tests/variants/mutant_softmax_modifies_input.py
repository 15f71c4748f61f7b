"""Mutant: softmax shifts its input in place (`x -= max`), so the caller's array changes."""
CELL = "task0_stable_softmax_solution"
FAILS = ["task0_softmax_input_unchanged"]
CAUSE = "The softmax changes its input array in place; it must leave the caller's array unchanged."  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'modified its input'
SOURCE = '''
def stable_softmax(x, axis=-1):
    x -= np.max(x, axis=axis, keepdims=True)
    exps = np.exp(x)
    return exps / np.sum(exps, axis=axis, keepdims=True)
'''
