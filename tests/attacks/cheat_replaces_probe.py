"""Cheat: finds the hidden tests' probe among the globals (by a name built at run time) and
replaces it with a no-op, hoping that a test which observes nothing passes."""
TRICK = '''
name = "".join(["pro", "be"])
globals()[name] = lambda *args, **kwargs: None
'''
