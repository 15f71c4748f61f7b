"""The leak check: no line of the student version may show the instructor's material.

    leak_check(course)          # [Leak(file, cell, text, why)] for the course's release/

Compares every line of release/ (notebook cells and outputs, and the given files) with the
source notebook's solution, hidden-test and mark-scheme regions and model answers
(mlpkit.notebook.secret_lines); any surviving nbgrader region marker is a leak too.
"""
from dataclasses import dataclass
from pathlib import Path

from mlpkit import notebook
from mlpkit.notebook import MARKER_RE, grade_id, secret_lines


@dataclass
class Leak:
    file: str
    cell: str      # grade_id, or "cell <index>" for cells without one
    text: str
    why: str

    def __str__(self):
        return f"{self.file} [{self.cell}]: {self.why}: {self.text!r}"


def leak_check(course, release_dir=None):
    """Every leak of source secrets into `release_dir` (default: the course's release/)."""
    release_dir = Path(release_dir or course.release_dir)
    secrets = secret_lines(course.source_notebook())
    leaks = []
    for path in sorted(release_dir.rglob("*")):
        if not path.is_file():
            continue
        rel = str(path.relative_to(release_dir.parent.parent))
        if path.suffix == ".ipynb":
            for index, cell in enumerate(notebook.read(path).cells):
                texts = [cell.source] + [_output_text(o) for o in cell.get("outputs", [])]
                name = grade_id(cell) or f"cell {index}"
                leaks += _leaks_in("\n".join(texts), secrets, rel, name)
        elif path.suffix in (".py", ".md", ".txt", ".json", ".csv"):
            # Given files ship to students too: a reference solution left in source/ is a leak.
            leaks += _leaks_in(path.read_text(errors="replace"), secrets, rel, "file")
    return leaks


def _leaks_in(text, secrets, file, cell):
    found = []
    for line in text.splitlines():
        if MARKER_RE.search(line):
            found.append(Leak(file, cell, line.strip(), "nbgrader region marker"))
        elif line.strip() in secrets:
            found.append(Leak(file, cell, line.strip(), f"text of {secrets[line.strip()]} in source"))
    return found


def _output_text(output):
    text = output.get("text", "")
    for value in output.get("data", {}).values():
        if isinstance(value, str):
            text += "\n" + value
    return text + "\n".join(output.get("traceback", []))
