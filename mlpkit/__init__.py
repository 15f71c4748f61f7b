"""mlpkit: release, autograde and return a graded numpy-MLP lab with nbgrader.

Run `python -m mlpkit --help` (or `mlpkit --help`) for the instructor commands.

The package follows a submission's path (docs/design.md): staging/ (repair and scan), sandbox/
(run), judging/ (verdicts), gradebook/ (record and report), driven by pipeline/; releasing/
makes the student version. Two doors lead in: commands/ (the CLI, cli.py) and preprocessors/
(nbgrader's steps). Shared by all: course.py, paths.py, limits.py, notebook.py, statuses.py.
"""
__version__ = "0.1.0"

# jsonschema (via nbformat) imports rfc3987_syntax when present, which builds a parser
# grammar on every import (~1 s per grading process). The kit never validates IRIs,
# and jsonschema treats the module as optional, so it is blocked here.
import sys as _sys

_sys.modules.setdefault("rfc3987_syntax", None)
