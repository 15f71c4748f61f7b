"""Mutant: Dropout writes dropout_mask but not backprop, so training inherits Task1's backprop and never drops a unit."""
CELL = "task3_dropout_solution"
FAILS = ["task3_dropout_mask_calls", "task3_dropout_backprop_matches_finite_differences"]
CAUSE = "Dropout's backprop is not written, so training never drops a unit."  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = "never called dropout_mask"
SOURCE = '''
class Dropout(Task1):
    def __init__(self, sizes, p=0.2, seed=None):
        super().__init__(sizes)
        self.p = p
        self.rng = np.random.default_rng(seed)

    def dropout_mask(self, shape):
        return (self.rng.random(shape) >= self.p) / (1 - self.p)

    # BUG: no backprop here: Task1's is inherited, and it never calls dropout_mask
'''
