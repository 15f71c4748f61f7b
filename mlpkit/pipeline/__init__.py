"""The autograde pipeline: every submission staged, run, judged and recorded, in parallel.

- `grade.py`: `grade_all(course, ...)`, the pipeline top to bottom: one autograde per course
  at a time, the gradebook synced, each submission staged (mlpkit/staging/), the workers,
  grading/<student>.json written as each student comes back;
- `workers.py`: N worker processes, each taking one student at a time from run to gradebook
  through nbgrader (mlpkit/gradebook/record.py), in its own warm sandbox (mlpkit/sandbox/).
"""
