"""Mutant: softmax reduces without keepdims, so the max and the sum broadcast along the wrong axis."""
CELL = "task0_stable_softmax_solution"
FAILS = [
    "task0_softmax_matches_reference",
    "task0_softmax_no_overflow",
    "task0_softmax_input_unchanged",
]
KNOCK_ON = [
    "task1_feedforward_probabilities",
    "task1_feedforward_matches_reference",
    "task1_backprop_shapes",
    "task1_backprop_matches_finite_differences",
    "task1_does_not_modify_inputs",
    "task3_dropout_feedforward_deterministic",
    "task3_dropout_backprop_matches_finite_differences",
    "task4_backprop_deep_matches_finite_differences",
    "task4_deep_training_reduces_loss",
]
SOURCE = '''
def stable_softmax(x, axis=-1):
    exps = np.exp(x - np.max(x, axis=axis))
    return exps / np.sum(exps, axis=axis)
'''
