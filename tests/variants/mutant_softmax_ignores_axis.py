"""Mutant: softmax always normalises over the last axis, whatever `axis` says."""
CELL = "task0_stable_softmax_solution"
FAILS = ["task0_softmax_matches_reference"]
CAUSE = 'The softmax always works along the last axis, whatever axis says.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'along the last axis'
SOURCE = '''
def stable_softmax(x, axis=-1):
    exps = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return exps / np.sum(exps, axis=-1, keepdims=True)
'''
