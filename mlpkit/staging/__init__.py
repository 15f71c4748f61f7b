"""Staging a submission: repaired against the release, copied aside, scanned. Nothing runs yet.

Step 1 of a submission's path (docs/design.md), in the main grading process:
- `stage.py`: one submission into grading/normalized/<student>/mlp_lab/ (submitted/ is never touched);
- `normalize.py`: deleted, reordered, duplicated or edited nbgrader cells put back as the
  release has them, with status flags (pure: notebooks in, notebook out);
- `scan.py`: a static scan of the student's code for tampering with the grader (pure; it
  flags, it never changes a score).
"""
