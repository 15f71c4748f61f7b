"""The one command line of the kit: `mlpkit <command>` or `python -m mlpkit <command>`.

Each command lives in its own module, mlpkit/commands/<command>.py, which defines
`add_arguments(parser)` and `run(args) -> int` (the exit code). Only the chosen command's
module is imported, so `mlpkit --help` and a broken command cost the others nothing.
(The example submissions are developer tooling: `python -m devtools.examples`.)
"""
import argparse
import importlib
import os
import sys
from pathlib import Path

from mlpkit.paths import course_root

# command (its module: mlpkit.commands.<command>) -> one-line help, in the order of the instructor's loop.
COMMANDS = {
    "data": "fetch and verify MNIST, or rebuild the committed subset",
    "release": "generate the student version and check it leaks nothing",
    "collect": "import submissions from a folder of notebooks or an LMS zip",
    "autograde": "grade submissions (sandboxed, in parallel) into the gradebook",
    "feedback": "write per-student HTML feedback without hidden tests",
    "grades": "export a CSV with per-task columns, totals and status",
    "report": "write the class report: score distributions, item analysis, likely causes (HTML + CSV)",
    "check": "run the visible tests of one notebook (for students and TAs)",
    "demo": "release, autograde the example submissions and print the grade table",
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="mlpkit", description=__doc__.splitlines()[0])
    parser.add_argument("--course", type=Path, default=None,
                        help="course root holding nbgrader_config.py (default: current folder)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    argv = sys.argv[1:] if argv is None else list(argv)
    for name, help_text in COMMANDS.items():
        module = f"mlpkit.commands.{name}"
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        # Only the chosen command's module is imported, so one broken command
        # cannot take the others down.
        if name in argv:
            importlib.import_module(module).add_arguments(p)
    args = parser.parse_args(argv)
    # nbgrader runs `alembic` by name (see mlpkit.course); imported here, after parsing,
    # so that `mlpkit --help` does not pay for nbgrader.
    from mlpkit.course import path_with_venv_bin
    os.environ["PATH"] = path_with_venv_bin()
    args.course = args.course.resolve() if args.course else course_root()
    return int(importlib.import_module(args._module).run(args) or 0)
