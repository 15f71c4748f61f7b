"""Mutant: softmax reduces without keepdims, so the max and the sum broadcast along the wrong axis."""
CELL = "task0_stable_softmax_solution"
FAILS = [
    "task0_softmax_matches_reference",
    "task0_softmax_no_overflow",
    "task0_softmax_input_unchanged",
]
CAUSE = 'The maximum and the sum lose their axis (no keepdims), so they broadcast against the wrong axis.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []  # later tasks are probed with a known-good softmax
MESSAGE = 'keepdims=True'
SOURCE = '''
def stable_softmax(x, axis=-1):
    exps = np.exp(x - np.max(x, axis=axis))
    return exps / np.sum(exps, axis=axis)
'''
