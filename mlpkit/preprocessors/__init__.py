"""nbgrader preprocessors of the kit, one per module, named in nbgrader_config.py.

- `scrub_feedback.ScrubFeedback`: first step of nbgrader's GenerateFeedback; removes
  hidden tests, instructor solutions, mark schemes, traceback lines and TA-only cells
  from what students receive (`nbgrader generate_feedback`, the formgrader's button
  and `mlpkit feedback` all run it).
- `score_summary.ScoreSummary`: GenerateFeedback step; a first cell with the core and
  bonus points, as grades.csv has them.
- `bonus_extra_credit`: Task 3 points become nbgrader extra credit (inside
  mlpkit/save_grades.py's transaction), so nbgrader's totals are out of the core points.
- `ta_view.GraftStudentRuns`: Autograde step; the student's own experiment outputs
  and the mark scheme, for the TA, in the autograded notebook.
- `check_cell_metadata.CheckCellMetadata`: Autograde's sanitize step; nbgrader's metadata
  validation with its schema checked once per process instead of once per cell.

Not a command: nbgrader builds these from the dotted names in the config.
"""


def course_root(preprocessor):
    """The course root of the nbgrader converter running `preprocessor`.

    nbgrader builds preprocessors with the exporter as parent, whose parent is the
    converter holding the CourseDirectory; converters run from the course root.
    """
    import os
    parent = preprocessor.parent
    while parent is not None:
        coursedir = getattr(parent, "coursedir", None)
        if coursedir is not None:
            return coursedir.root
        parent = getattr(parent, "parent", None)
    return os.getcwd()
