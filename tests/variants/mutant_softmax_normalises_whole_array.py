"""Mutant: softmax divides by the sum of the whole array instead of the sum along `axis`."""
CELL = "task0_stable_softmax_solution"
FAILS = ["task0_softmax_matches_reference", "task0_softmax_no_overflow"]
CAUSE = 'The softmax divides by the sum of the whole array instead of the sum along axis.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []  # later tasks are probed with a known-good softmax
MESSAGE = 'sum of the whole array'
SOURCE = '''
def stable_softmax(x, axis=-1):
    exps = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return exps / np.sum(exps)
'''
