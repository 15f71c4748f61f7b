"""A synthetic class of about 80 students made from the catalogue, to see the class report at scale.

    python -m devtools.synthetic_class /tmp/class [--students 80] [--seed 0]   # writes the course
    mlpkit --course /tmp/class autograde --quiet && mlpkit --course /tmp/class report

Writes a course (this checkout's nbgrader_config.py, source/, judges/, release/) whose
submitted/ holds `--students` notebooks built like the mutation suite's (devtools/variants.py):
the release with the reference solutions, then, drawn with a seeded generator, per student
0 to 2 mutants of the catalogue in different solution cells (a class makes the common bugs more
than once: the draw favours a few), sometimes a correct variant, optional Task 3 parts left as
released (the bonus spreads out), and a few hand-ins after the due date. Two students' kernels
die mid-notebook. The notebooks are then graded for real (about 2 minutes on 2 cores), so every
grade, message, likely cause and timing in the report is the kit's own. Developer tooling, run
from the repository root.
"""
import argparse
import shutil
import sys
from pathlib import Path

import numpy as np

from devtools.variants import build_submission, load_variants, reference_solutions
from mlpkit import notebook
from mlpkit.course import Course

REPO = Path(__file__).resolve().parents[1]
ON_TIME, LATE = "2026-12-17 18:00:00.000000 UTC", "2026-12-19 09:30:00.000000 UTC"   # due: nbgrader_config.py
TASK3 = ("task3_adamw_solution", "task3_adagrad_solution", "task3_dropout_solution", "task3_augment_solution")
CRASH = "\nimport os\nos._exit(1)  # the kernel dies here\n"


def student_cells(rng, mutants, correct, release_cells):
    """{solution grade_id: source} of one synthetic student and a one-line description."""
    cells, story = {}, []
    weights = 1.0 / np.arange(1, len(mutants) + 1) ** 0.8   # a few bugs are common, most are rare
    for index in rng.choice(len(mutants), size=rng.choice([0, 1, 1, 2]), replace=False, p=weights / weights.sum()):
        mutant = mutants[index]
        if not set(mutant.cells) & set(cells):
            cells.update(mutant.cells)
            story.append(mutant.name)
    if rng.random() < 0.15:
        variant = correct[rng.integers(len(correct))]
        if not set(variant.cells) & set(cells):
            cells.update(variant.cells)
            story.append(variant.name)
    for gid in TASK3:   # the bonus: each part skipped by about a third of the class
        if gid not in cells and rng.random() < 0.35:
            cells[gid] = release_cells[gid]
            story.append(f"{gid.split('_')[1]} skipped")
    return cells, story


def write_class(root, students=80, seed=0):
    """Write the course at `root`; returns {student: what was planted}."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for name in ("source", "judges", "release"):
        shutil.copytree(REPO / name, root / name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "nbgrader_config.py", root)
    course = Course(root)
    release, source = course.release_notebook(), course.source_notebook()
    release_cells = {notebook.grade_id(c): c.source for c in release.cells if notebook.grade_id(c)}
    variants = [v for v in load_variants(REPO) if not v.pending]
    mutants = [v for v in variants if v.kind == "mutant"]
    correct = [v for v in variants if v.kind == "correct"]
    references = reference_solutions(source)
    rng = np.random.default_rng(seed)
    rng.shuffle(mutants)
    planted = {}
    for i in range(students):
        student = f"student_{i + 1:02d}"
        cells, story = student_cells(rng, mutants, correct, release_cells)
        if i in (17, 53):   # two kernels die after Task 2
            cells["task2_l2_momentum_solution"] = cells.get("task2_l2_momentum_solution", references["task2_l2_momentum_solution"]) + CRASH
            story.append("kernel dies")
        late = rng.random() < 0.08
        path = course.submission_path(student)
        path.parent.mkdir(parents=True, exist_ok=True)
        notebook.write(build_submission(release, source, cells, fill_markdown=True), path)
        (path.parent / "timestamp.txt").write_text(LATE if late else ON_TIME)
        planted[student] = story + (["late"] if late else [])
    return planted


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.synthetic_class", description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the course folder to write (created)")
    parser.add_argument("--students", type=int, default=80)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if (args.root / "submitted").exists():
        print(f"{args.root}/submitted exists: choose a new folder", file=sys.stderr)
        return 2
    for student, story in write_class(args.root, args.students, args.seed).items():
        print(f"{student}: {', '.join(story) or 'full solution'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
