"""The instructor's commands, one module per verb of `mlpkit <command>` (mlpkit/cli.py).

Each defines `add_arguments(parser)` and `run(args) -> int` and does little more than parse,
call the stage that does the work and print: data (MNIST), release (mlpkit/releasing/),
collect (submissions into submitted/), autograde (mlpkit/pipeline/), feedback and grades
(mlpkit/gradebook/), report (the class report, mlpkit/gradebook/report.py), check (one notebook's visible tests, mlpkit/sandbox/) and demo (all of it).
Nothing outside this package imports it.
"""
