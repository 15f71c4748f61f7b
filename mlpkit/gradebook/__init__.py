"""What the kit records and reports about grades: gradebook.db, grading/<student>.json, grades.csv, feedback.

Step 4 of a submission's path (docs/design.md), and what the instructor reads after it:
- `record.py`: a student recorded through nbgrader's own autograde (the gradebook's only
  writer while grading), and the scores read back;
- `save.py`: how nbgrader's save step writes a notebook's grades: one transaction, the
  Task 3 bonus as extra credit (the step itself: mlpkit/preprocessors/save_autogrades.py);
- `totals.py`: which points are the bonus, and the core and bonus totals, counted once;
- `results.py`: the per-student result, grading/<student>.json, its statuses and the summary table;
- `scores.py`: the grade table (grades.csv), from the gradebook and the stored statuses;
- `feedback.py`: feedback files through nbgrader's generate_feedback, scrubbed first;
- `roster.py`: students' names in the gradebook;
- `analysis.py` and `report.py`: the class report of `mlpkit report` (tables, figures, HTML, CSV).
"""
