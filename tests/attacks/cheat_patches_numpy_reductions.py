"""Cheat: patches numpy's private reduction helpers (numpy._core._methods), through which
ndarray.max/.all/.any/.sum run, so that in-kernel comparisons always agree."""
TRICK = '''
import importlib
methods = importlib.import_module("numpy." + "_core" + "._methods")
setattr(methods, "_amax", lambda a, *args, **kwargs: np.zeros(()))
setattr(methods, "_all", lambda a, *args, **kwargs: np.True_)
setattr(methods, "_any", lambda a, *args, **kwargs: np.False_)
'''
