"""Mutant: 'stable' softmax that clips the inputs to [-700, 700] instead of shifting, so [1e6, 1e6 + 1] becomes [0.5, 0.5]."""
CELL = "task0_stable_softmax_solution"
FAILS = ["task0_softmax_no_overflow"]
CAUSE = 'The softmax clips its inputs instead of subtracting the maximum, which changes the result for large inputs.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'clips the inputs'
SOURCE = '''
def stable_softmax(x, axis=-1):
    exps = np.exp(np.clip(x, -700, 700))     # BUG: no overflow, but wrong values
    return exps / np.sum(exps, axis=axis, keepdims=True)
'''
