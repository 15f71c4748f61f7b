"""Releasing the assignment: the student version generated from the source, proven leak-free, published.

- `generate.py`: nbgrader's generate_assignment (it also records the cells, hidden tests and
  due date in gradebook.db), outputs stripped, the roster recorded, the release published to
  the exchange; `release(course)` does all of it, as `mlpkit release` (mlpkit/commands/release.py);
- `leaks.py`: every line of release/ checked against the source's solutions, hidden tests
  and mark schemes, and the committed release/ compared with a fresh generation.
"""
