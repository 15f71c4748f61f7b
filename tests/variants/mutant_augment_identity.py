"""Mutant: augment returns an unchanged copy of its input."""
CELL = "task3_augment_solution"
FAILS = ["task3_augment_changes_images", "task3_augment_reproducible"]
KNOCK_ON = []
MESSAGE = 'changed only'
SOURCE = '''
def augment(x, rng):
    return x.copy()
'''
