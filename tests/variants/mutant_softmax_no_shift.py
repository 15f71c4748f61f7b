"""Mutant: softmax exponentiates without subtracting the max, so large inputs overflow to inf/inf = NaN."""
CELL = "task0_stable_softmax_solution"
FAILS = ["task0_softmax_no_overflow"]
CAUSE = 'The softmax does not subtract the maximum before exponentiating, so large inputs overflow.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []  # later tasks are probed with a known-good softmax
MESSAGE = 'not shifted'
SOURCE = '''
def stable_softmax(x, axis=-1):
    exps = np.exp(x)
    return exps / np.sum(exps, axis=axis, keepdims=True)
'''
