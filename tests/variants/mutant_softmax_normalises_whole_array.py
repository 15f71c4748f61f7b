"""Mutant: softmax divides by the sum of the whole array instead of the sum along `axis`."""
CELL = "task0_stable_softmax_solution"
FAILS = ["task0_softmax_matches_reference", "task0_softmax_no_overflow"]
KNOCK_ON = [
    "task1_feedforward_probabilities",
    "task1_feedforward_matches_reference",
    "task1_backprop_matches_finite_differences",
    "task3_dropout_backprop_matches_finite_differences",
    "task4_backprop_deep_matches_finite_differences",
    "task4_deep_training_reduces_loss",
]
SOURCE = '''
def stable_softmax(x, axis=-1):
    exps = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return exps / np.sum(exps)
'''
