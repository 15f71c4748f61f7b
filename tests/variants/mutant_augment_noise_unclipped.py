"""Mutant: augment adds Gaussian pixel noise and forgets to clip, so values leave [0, 1]."""
CELL = "task3_augment_solution"
FAILS = ["task3_augment_shape_and_range"]
CAUSE = 'augment lets pixel values leave the range from 0 to 1.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = r'not \[0, 1\]'
SOURCE = '''
def augment(x, rng):
    return x + rng.normal(0.0, 0.1, size=x.shape)     # BUG: no np.clip
'''
