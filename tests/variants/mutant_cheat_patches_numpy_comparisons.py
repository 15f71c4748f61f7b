"""Mutant (cheat): an overflowing softmax, plus np.allclose/np.isclose/np.isfinite, builtins.all/abs
and np.testing patched to always agree, hoping the tests trust them. They must not help."""
CELL = "task0_stable_softmax_solution"
FAILS = ["task0_softmax_no_overflow"]
# The patched functions also break visible checks and training in later cells: self-inflicted.
KNOCK_ON = ["task1_feedforward_probabilities", "task3_dropout_mask_values", "task4_deep_training_reduces_loss"]
SOURCE = '''
import builtins

np.allclose = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.isfinite = lambda a, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.testing.assert_allclose = lambda *args, **kwargs: None
builtins.all = lambda iterable: True
builtins.abs = lambda x: 0 * x


def stable_softmax(x, axis=-1):
    exps = np.exp(x)
    return exps / np.sum(exps, axis=axis, keepdims=True)
'''
