"""Mutant: augment draws its shifts from the notebook's global `rng` instead of its `rng` argument."""
CELL = "task3_augment_solution"
FAILS = ["task3_augment_reproducible"]
CAUSE = 'augment draws its randomness from a generator of the notebook instead of the rng it is given.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'randomness from rng'
SOURCE = '''
def augment(x, generator):
    images = np.pad(x.reshape(-1, 28, 28), ((0, 0), (2, 2), (2, 2)))
    out = np.empty((len(x), 28, 28))
    for i, (top, left) in enumerate(rng.integers(0, 5, size=(len(x), 2))):   # BUG: the notebook's rng
        out[i] = images[i, top:top + 28, left:left + 28]
    return out.reshape(len(x), 784)
'''
