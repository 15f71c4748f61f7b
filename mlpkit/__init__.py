"""mlpkit: release, autograde and return a graded numpy-MLP lab with nbgrader.

Run `python -m mlpkit --help` (or `mlpkit --help`) for the instructor commands.
"""
__version__ = "0.1.0"
ASSIGNMENT = "mlp_lab"
