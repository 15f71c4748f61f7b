"""Every status flag of a graded submission: the `status` column of grades.csv, `;`-joined.

    from mlpkit import statuses
    statuses.FAILED_TO_EXECUTE          # "failed to execute"

Set by staging (mlpkit/staging/normalize.py: the repairs), by the pipeline
(mlpkit/gradebook/results.py: execution, tampering, manual grading, the kit's own
faults) and by the grade table (mlpkit/gradebook/scores.py: missing, manual grading
re-read from the gradebook). docs/design.md lists what each one means.
"""
OK = "ok"
FAILED_TO_EXECUTE = "failed to execute"          # kernel died, timeouts, limits
NEEDS_MANUAL_GRADING = "needs manual grading"    # a reflection waits for a TA
TAMPERING_SUSPECTED = "tampering suspected"      # mlpkit/staging/scan.py found something
INVALID_NOTEBOOK = "invalid notebook"            # not a readable notebook: graded as the release
CELLS_REPAIRED = "cells repaired"                # nbgrader cells deleted, reordered or duplicated
TEST_CELL_EDITED = "test cell edited"            # nbgrader restores it from the source
MISSING = "missing"                              # nothing handed in
GRADING_ERROR = "grading error"                  # the kit could not record the submission

ALL = (OK, FAILED_TO_EXECUTE, NEEDS_MANUAL_GRADING, TAMPERING_SUSPECTED, INVALID_NOTEBOOK, CELLS_REPAIRED,
       TEST_CELL_EDITED, MISSING, GRADING_ERROR)
