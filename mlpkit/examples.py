"""Transitional alias of devtools.examples (developer tooling, moved out of the package).

Kept only because tests/test_mutation.py (owned by the lab rewrite) still imports
`mlpkit.examples.EXAMPLES`; delete this file once it imports `devtools.examples`.
"""
from devtools.examples import *  # noqa: F401,F403
