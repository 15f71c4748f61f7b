"""nbgrader configuration for the course (read by nbgrader and by mlpkit).

The kit drives nbgrader through its Python API; see docs/design.md.
"""
import os

c = get_config()  # noqa: F821  (injected by traitlets)

c.CourseDirectory.course_id = "mlp-lab"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]

# Released code cells get this stub in place of the reference solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Execution is done by mlpkit's sandboxed runner (mlpkit/sandboxed_execute.py), not nbgrader's
# Execute: it runs the notebook in bubblewrap with limits and survives dead kernels.
c.Autograde.autograde_preprocessors = [
    "mlpkit.sandboxed_execute.SandboxedExecute",
    # Hidden tests are judged here, outside the kernel: probed cells get the judge's verdict.
    "mlpkit.judge.JudgeProbes",
    "nbgrader.preprocessors.IgnorePattern",
    "nbgrader.preprocessors.LimitOutput",
    # nbgrader's SaveAutoGrades in one transaction per notebook: a crash leaves old grades, never a mix.
    "mlpkit.save_grades.AtomicSaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    # No trailing CheckCellMetadata: the sanitize step validated this metadata before execution
    # and nothing since changes it; a second jsonschema pass costs 50-250 ms per notebook.
]
# Per-cell and whole-notebook limits in grading mode (every limit: mlpkit/limits.py).
# 15 s: the whole lab runs in about 5 s in grading mode; a hang should not cost 30 s.
c.GradingLimits.cell_timeout = 15
c.GradingLimits.notebook_timeout = 180
