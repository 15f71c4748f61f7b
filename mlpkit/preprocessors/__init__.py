"""Every nbgrader extension point of the kit, one per module, named in nbgrader_config.py.

nbgrader builds these from their dotted names; each is a thin step over the kit's stages.

Autograde (`c.Autograde.sanitize_preprocessors` / `autograde_preprocessors`, in this order):
- `released_as_recorded.ReleasedAsRecorded`: sanitize step, before nbgrader's OverwriteCells;
  untouched released cells get the gradebook's hidden tests and Task 3's recorded maximum (0,
  extra credit), so a clean submission raises no "... has changed!" warning.
- `check_cell_metadata.CheckCellMetadata`: sanitize step; nbgrader's metadata validation with
  its schema checked once per process instead of once per cell.
- `sandboxed_execute.SandboxedExecute`: nbgrader's execute step, run in the kit's sandbox
  with the course's limits, through the run cache (mlpkit/sandbox/).
- `flag_for_ta.FlagForTA`: a notebook that failed to execute, timed out or looks tampered
  with is flagged in the gradebook, its reason in a TA-only cell at its top.
- `judge_probes.JudgeProbes`: each probed cell's outputs replaced by its judge's verdict
  (mlpkit/judging/).
- `ta_view.GraftStudentRuns`: the student's own experiment outputs and the mark scheme, for
  the TA, in the autograded notebook.
- `save_autogrades.AtomicSaveAutoGrades`: nbgrader's SaveAutoGrades in one transaction per
  notebook, the Task 3 bonus as extra credit (mlpkit/gradebook/save.py).

GenerateFeedback (`c.GenerateFeedback.preprocessors`):
- `scrub_feedback.ScrubFeedback`: first step; removes hidden tests, instructor solutions,
  mark schemes, traceback lines and TA-only cells from what students receive.
- `score_summary.ScoreSummary`: a first cell with the core and bonus points, as grades.csv has them.
- `score_summary.BonusOutOfItsMaximum`: after GetGrades, the header's core score out of the core
  maximum and each bonus cell out of its own points.
- `offline_math.MathJaxBeside`: a copy of MathJax beside each feedback page (math offline).

Autograde and GenerateFeedback (`c.Autograde.pre_convert_hook`, `c.GenerateFeedback.pre_convert_hook`):
- `own_files.before_autograde` / `before_feedback`: links, special files and files over the size
  caps moved out of the input folder before nbgrader copies it (mlpkit/staging/beside.py).

Validate (JupyterLab's button, `nbgrader validate`; `use_in_nbgrader()` in nbgrader_config.py):
- `validate_summary.TaskSummaryValidator`: nbgrader's Validator reporting a per-task summary
  and one line per failing check, without sources or traceback frames.

GenerateAssignment (`c.GenerateAssignment.post_convert_hook`):
- `bonus_extra_credit.after_generate_assignment`: bonus maxima to 0 as soon as the cells are
  in the gradebook.

Each finds its course with mlpkit.paths.course_root(config=self.config).
"""
