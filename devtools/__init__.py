"""Developer tooling of the kit, not shipped with `mlpkit`: mutation variants and example submissions.

Run from the repository root, e.g. `python -m devtools.examples --update`.
"""
