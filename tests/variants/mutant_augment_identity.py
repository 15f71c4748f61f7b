"""Mutant: augment returns an unchanged copy of its input."""
CELL = "task3_augment_solution"
FAILS = ["task3_augment_changes_images", "task3_augment_reproducible"]
CAUSE = 'augment returns its images unchanged.'  # the misconception, in plain words (judges/mlp_lab_causes.json)
KNOCK_ON = []
MESSAGE = 'changed only'
SOURCE = '''
def augment(x, rng):
    return x.copy()
'''
