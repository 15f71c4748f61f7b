"""nbgrader configuration for the course (read by nbgrader and by mlpkit).

The kit drives nbgrader through its Python API; see docs/design.md.
"""
import os
import warnings

from sqlalchemy.exc import SAWarning

from mlpkit.preprocessors import offline_math
from mlpkit.preprocessors.validate_summary import use_in_nbgrader

c = get_config()  # noqa: F821  (injected by traitlets)

c.CourseDirectory.course_id = "mlp-lab"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]

# Released code cells get this stub in place of the reference solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Every mlpkit step below is in mlpkit/preprocessors/, one per module.
# Execution is done by mlpkit's sandboxed runner (mlpkit/preprocessors/sandboxed_execute.py), not
# nbgrader's Execute: it runs the notebook in bubblewrap with limits and survives dead kernels.
# nbgrader's sanitize step, its metadata check with the schema checked once per process
# instead of once per cell (mlpkit/preprocessors/check_cell_metadata.py).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    # What the release hands out differs from the gradebook by design (hidden tests removed,
    # Task 3's points recorded as extra credit); restored quietly here, so that OverwriteCells
    # warns only about cells a student changed (mlpkit/preprocessors/released_as_recorded.py).
    "mlpkit.preprocessors.released_as_recorded.ReleasedAsRecorded",
    "nbgrader.preprocessors.OverwriteCells",
    "mlpkit.preprocessors.check_cell_metadata.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "mlpkit.preprocessors.sandboxed_execute.SandboxedExecute",
    # A notebook that failed to execute, timed out or looks tampered with is flagged in the
    # gradebook (the formgrader's flag), with its reason in a TA-only cell at its top.
    "mlpkit.preprocessors.flag_for_ta.FlagForTA",
    # Hidden tests are judged here, outside the kernel: probed cells get the judge's verdict.
    "mlpkit.preprocessors.judge_probes.JudgeProbes",
    # The failed checks matched against the catalogue of known bugs (judges/mlp_lab_causes.json):
    # a "Likely causes" cell for the TA and the feedback, and grading/<student>.json's likely_causes
    # (mlpkit/preprocessors/likely_causes.py).
    "mlpkit.preprocessors.likely_causes.LikelyCauses",
    # The TA's view in the formgrader: the student's own experiment outputs (grading mode reruns
    # them on a tiny budget) and the mark scheme beside each reflection, TA-only
    # (mlpkit/preprocessors/ta_view.py; ScrubFeedback removes TA-only cells).
    "mlpkit.preprocessors.ta_view.GraftStudentRuns",
    "nbgrader.preprocessors.IgnorePattern",
    "nbgrader.preprocessors.LimitOutput",
    # nbgrader's SaveAutoGrades in one transaction per notebook: a crash leaves old grades, never a
    # mix. The same transaction records Task 3 as extra credit, so totals are out of the core
    # points (mlpkit/gradebook/save.py).
    "mlpkit.preprocessors.save_autogrades.AtomicSaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    # No trailing CheckCellMetadata: the sanitize step validated this metadata before execution
    # and nothing since changes it; a second jsonschema pass costs 50-250 ms per notebook.
]
# Only the student's own files come back: nbgrader copies a submission's folder into
# autograded/ (and autograded/ into feedback/) following symbolic links, so before it does,
# links, special files and files over the size caps (GradingLimits.extra_file_bytes,
# extra_total_bytes) are moved to grading/refused/<student>/ with a note of why
# (mlpkit/preprocessors/own_files.py). The formgrader's buttons run these hooks too.
c.Autograde.pre_convert_hook = "mlpkit.preprocessors.own_files.before_autograde"
c.GenerateFeedback.pre_convert_hook = "mlpkit.preprocessors.own_files.before_feedback"

# Per-cell and whole-notebook limits in grading mode (every limit: mlpkit/limits.py).
# 15 s: the whole lab runs in about 5 s in grading mode; a hang should not cost 30 s.
c.GradingLimits.cell_timeout = 15
c.GradingLimits.notebook_timeout = 180

# Feedback is what students receive: the kit's scrubber runs first on every path that
# writes it (`nbgrader generate_feedback`, the formgrader's button, `mlpkit feedback`),
# because stock nbgrader shows hidden tests and full tracebacks in feedback.
c.GenerateFeedback.preprocessors = [
    "mlpkit.preprocessors.scrub_feedback.ScrubFeedback",
    # First cell: core and bonus points, as grades.csv has them.
    "mlpkit.preprocessors.score_summary.ScoreSummary",
    "nbgrader.preprocessors.GetGrades",
    # The header: core points out of the core maximum; each Task 3 cell: its bonus points out of
    # its own maximum (the gradebook keeps the bonus as extra credit, max_score 0).
    "mlpkit.preprocessors.score_summary.BonusOutOfItsMaximum",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    # MathJax beside the page, which students open as a file: math without a CDN.
    "mlpkit.preprocessors.offline_math.MathJaxBeside",
]

# A course-local exchange, so release/collect work out of the box and the formgrader
# shows the assignment as released; `mlpkit release` creates it. On JupyterHub point it
# at a folder shared by instructors and students (docs/instructor.md).
c.Exchange.root = os.path.join(c.CourseDirectory.root, "exchange")

# The formgrader's "debug" panel (on by default) prints the whole server config on Manage
# Assignments via json.dumps, which fails on jupyter_server's own extension toggles (a traitlets
# LazyConfigValue), so every formgrader page logged "Formgrader config is not serializable".
# The course's settings are in this file; the panel is off.
c.FormgradeExtension.debug = False

# The due date `mlpkit release` records in the gradebook (nbgrader's late flags and
# penalties use it); a format nbgrader.utils.parse_utc reads, or "" for none.
c.AssignmentSchedule.duedate = "2026-12-18 23:59:00 UTC"

# The bonus maxima (Task 3 as extra credit) from generate_assignment on too: mlpkit release and
# the formgrader's Generate button (mlpkit/preprocessors/bonus_extra_credit.py).
c.GenerateAssignment.post_convert_hook = "mlpkit.preprocessors.bonus_extra_credit.after_generate_assignment"

# nbgrader's Validate (JupyterLab's button and `nbgrader validate`): a per-task summary, then one
# line per failing check, instead of every failing cell's source and traceback. nbgrader builds
# its Validator by name, so this points that name at the kit's subclass
# (mlpkit/preprocessors/validate_summary.py); the students' config does the same (docs/jupyterhub/).
use_in_nbgrader()


# The kernels nbgrader starts in-process (Validate: JupyterLab's button, `nbgrader validate`) get
# CurveZMQ keys from jupyter_client, as the python3 kernelspec supports; over plain TCP, ipykernel
# logs "Kernel is running over TCP without encryption" at every start. (The kit's sandboxed
# kernels and its reference run are set up in mlpkit/sandbox/ and mlpkit/judging/reference.py.)
c.KernelManager.transport_encryption = "auto"


# Math offline: the formgrader's pages and the feedback load MathJax from the pip package
# jupyter_server_mathjax, not from a CDN; feedback gets a copy beside each page (the
# MathJaxBeside step above; mlpkit/preprocessors/offline_math.py).
c.HTMLExporter.extra_template_basedirs = offline_math.template_basedirs()


# nbgrader's add_submission, under SQLAlchemy 2, builds a new student's submission objects while
# the session autoflushes, and SQLAlchemy prints "SAWarning: Object of type <SubmittedAssignment>
# not in session" (three of them, with source lines) at the first autograde of each student. The
# rows are written all the same (nbgrader adds them right after); no one can act on it, so that
# one message, and only it, is silenced for the processes that read this config (the CLI and the
# formgrader's server).
warnings.filterwarnings("ignore", message=r"Object of type <Submitted\w+> not in session", category=SAWarning)
