"""Transitional alias of devtools.variants (developer tooling, moved out of the package).

Kept only because tests/test_mutation.py (owned by the lab rewrite) still imports
`mlpkit.variants`; delete this file once it imports `devtools.variants`.
"""
from devtools.variants import *  # noqa: F401,F403
