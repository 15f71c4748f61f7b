"""Cheat: patches np.allclose, np.isclose, np.isfinite, np.testing and the builtins all and abs to
always agree, hoping the checks trust them."""
TRICK = '''
import builtins

np.allclose = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.isfinite = lambda a, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.testing.assert_allclose = lambda *args, **kwargs: None
builtins.all = lambda iterable: True
builtins.abs = lambda x: 0 * x
'''
