"""The roster: students' names in gradebook.db, so that the formgrader shows them.

    roster = import_roster(course, course.root / "roster.csv")   # {id: {first_name, last_name, email}}
    record_students(course, {"alice": {"first_name": "Alice", ...}}, overwrite=False)

A roster is a CSV with a header `id,first_name,last_name,email` (nbgrader's own
student-import format; only `id` is required). `mlpkit release` records the course's
`roster.csv`; `mlpkit collect` records `--roster` and the names its `--regexp` finds.
"""
import csv
import re
from pathlib import Path

from mlpkit.course import CourseError, venv_bin_on_path

ROSTER_FIELDS = ("first_name", "last_name", "email")
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")


def default_roster(course):
    path = course.root / "roster.csv"
    return path if path.is_file() else None


def read_roster(path):
    """{student id: {first_name, last_name, email}} from a roster CSV; CourseError names the bad row."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [(h or "").strip() for h in (reader.fieldnames or [])]
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CourseError(f"cannot read the roster {path}: {exc}") from None
    if "id" not in header:
        raise CourseError(f"the roster {path} needs a header row with an `id` column "
                          f"(id,first_name,last_name,email); found {header or 'nothing'}")
    roster = {}
    for line, row in enumerate(rows, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        student = row["id"]
        if not STUDENT_ID.match(student):
            raise CourseError(f"{path}, line {line}: {student!r} is not a usable student id")
        if student in roster:
            raise CourseError(f"{path}, line {line}: {student} is listed twice")
        roster[student] = {k: row.get(k) or None for k in ROSTER_FIELDS}
    return roster


def import_roster(course, path):
    """Record every roster row in gradebook.db (names shown by the formgrader); returns the roster."""
    roster = read_roster(path)
    record_students(course, roster)
    return roster


def record_students(course, students, *, overwrite=True):
    """{id: {first_name, last_name, email}} into the gradebook; overwrite=False fills gaps only."""
    with venv_bin_on_path(), course.gradebook() as gb:
        for student, info in students.items():
            fields = {k: v for k, v in info.items() if v}
            if not overwrite:
                known = {s.id: s for s in gb.students}.get(student)
                fields = {k: v for k, v in fields.items() if known is None or not getattr(known, k)}
            gb.update_or_create_student(student, **fields)
