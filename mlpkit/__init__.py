"""mlpkit: release, autograde and return a graded numpy-MLP lab with nbgrader.

Run `python -m mlpkit --help` (or `mlpkit --help`) for the instructor commands.
"""
__version__ = "0.1.0"

# jsonschema (via nbformat) imports rfc3987_syntax when present, which builds a parser
# grammar on every import (~1 s per grading process). The kit never validates IRIs,
# and jsonschema treats the module as optional, so it is blocked here.
import sys as _sys

_sys.modules.setdefault("rfc3987_syntax", None)
