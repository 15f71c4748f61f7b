"""The example submissions under submitted/, named by what they show (developer tooling).

    python -m devtools.examples            # check submitted/ equals a fresh generation (exit 1 + diff summary)
    python -m devtools.examples --update   # (re)write submitted/<student>/mlp_lab/mlp_lab.ipynb, run as a
                                           # student (a few minutes: devtools/student_runs.py)
    python -m devtools.examples --course PATH ...   # another course root (default: this checkout)

Run from the repository root (tests/test_examples.py checks submitted/ is current).
Each example is the committed release notebook with every code solution cell filled with
the source's reference solution (markers stripped, see devtools/variants.py), the model
answers in the reflections, then one change. The typical buggy students reuse mutants
from tests/variants/, so the mutation suite proves each of them loses points in its own
cells only.

Each example carries the outputs of a real student-mode run on the committed subset
(devtools/student_runs.py), so the demo class shows the TA view: the student's own tables
and plots beside the reflections. The check compares the sources (outputs aside: the
timings in them differ run to run) and requires each example to carry its run's outputs.
"""
import argparse
import difflib
import sys
from pathlib import Path

from devtools.student_runs import run_as_student, without_outputs
from devtools.variants import build_submission, course_notebooks, load_variants, reference_solutions
from mlpkit import notebook
from mlpkit.course import Course

REPO = Path(__file__).resolve().parents[1]

CRASH_SOURCE = '''
import os
os._exit(1)  # "restart the kernel" the hard way: the kernel dies mid-notebook
'''

HANG_SOURCE = '''
# Train until the cross-entropy goes negative (it never does: -log(p) >= 0).
net = Task1And2([4, 3, 2])
x_tiny, y_tiny = np.zeros((1, 4)), np.array([[1.0, 0.0]])
loss = 0.0
while loss >= 0:
    net.learning_step(x_tiny, y_tiny, 0.1)
    loss = -np.log(net.feedforward(x_tiny)[0, 0])
'''

# student -> (what it shows, how it is built): None = the release itself; the name of a variant
# in tests/variants/; or {grade_id or cell id: code appended to that solution cell's reference
# solution, or to that free cell}.
# When every example was handed in (nbgrader's timestamp.txt), before the due date in
# nbgrader_config.py, so the formgrader shows a time and no example is late.
TIMESTAMP = "2026-12-17 18:00:00.000000 UTC"

EXAMPLES = {
    "full_solution": ("the reference solution everywhere: full marks", {}),
    "untouched_release": ("the release as handed out: 0 on every autograded cell", None),
    "bug_softmax_overflow": ("softmax without the max shift overflows on large inputs",
                             "mutant_softmax_no_shift"),
    "bug_ce_not_batch_mean": ("cross-entropy gradient summed, not averaged over the batch",
                              "mutant_ce_not_batch_mean"),
    "bug_l2_on_biases": ("L2 decay applied to the biases too", "mutant_l2_on_biases"),
    "bug_dropout_at_evaluation": ("bonus: dropout also active in feedforward",
                                  "mutant_dropout_at_evaluation"),
    "crash_kernel_dies": ("os._exit after the Task 2 class: the kernel dies",
                          {"task2_l2_momentum_solution": CRASH_SOURCE}),
    "hangs_infinite_loop": ("a Task 4 training loop that never ends: the cell times out",
                            {"task4_own_experiments": HANG_SOURCE}),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.examples", description=__doc__.splitlines()[0])
    parser.add_argument("--course", type=Path, default=REPO, help="course root (default: this checkout)")
    parser.add_argument("--update", action="store_true",
                        help="rewrite the example submissions instead of checking them")
    args = parser.parse_args(argv)
    course = Course(args.course)
    if not course.release_nb_path.is_file():
        print(f"no release notebook at {course.release_nb_path}: run `mlpkit release` first",
              file=sys.stderr)
        return 2
    fresh = generate(course.root)
    if args.update:
        for student, text in fresh.items():
            path = course.submission_path(student)
            path.parent.mkdir(parents=True, exist_ok=True)
            ran = run_as_student(notebook.reads(text), course.release_dir)
            path.write_text(notebook.writes(ran) + "\n")
            (path.parent / "timestamp.txt").write_text(TIMESTAMP)
            print(f"wrote {path.relative_to(course.root)}  ({EXAMPLES[student][0]})")
        return 0
    problems = compare(course, fresh)
    if problems:
        print("submitted/ differs from a fresh generation (run `python -m devtools.examples --update`):")
        for line in problems:
            print("  " + line)
        return 1
    print(f"submitted/ holds the {len(fresh)} example submissions, up to date.")
    return 0


def example_notebooks(course_root) -> dict:
    """student -> notebook (nbformat NotebookNode) for every example."""
    release, source = course_notebooks(course_root)
    names = [spec for _, spec in EXAMPLES.values() if isinstance(spec, str)]
    variants = {v.name: v for v in load_variants(course_root, names)}
    references = None
    out = {}
    for student, (_, spec) in EXAMPLES.items():
        if spec is None:
            out[student] = release
            continue
        if isinstance(spec, str):
            cells = variants[spec].cells
        else:
            if references is None:
                references = reference_solutions(source)
            cells = {gid: references[gid].rstrip("\n") + "\n" + extra.lstrip("\n")
                     for gid, extra in spec.items() if gid in references}
        nb = build_submission(release, source, cells, fill_markdown=True)
        if isinstance(spec, dict):  # the student's free cells (no nbgrader metadata), by cell id
            for cell in nb.cells:
                if cell.get("id") in spec and cell.get("id") not in cells:
                    cell.source = cell.source.rstrip("\n") + "\n" + spec[cell["id"]].lstrip("\n")
        out[student] = nb
    return out


def generate(course_root) -> dict:
    """student -> the notebook file's text, exactly as --update writes it."""
    return {student: notebook.writes(nb) + "\n"
            for student, nb in example_notebooks(course_root).items()}


def ran_as_student(nb) -> bool:
    """True when the notebook carries the outputs of a run (any code cell with an output)."""
    return any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")


def compare(course, fresh) -> list:
    """One line per difference between submitted/ and `fresh` (empty when equal)."""
    problems = []
    for student, text in fresh.items():
        path = course.submission_path(student)
        if not path.is_file():
            problems.append(f"missing: {path.relative_to(course.root)}")
            continue
        stamp = path.parent / "timestamp.txt"
        if not stamp.is_file() or stamp.read_text() != TIMESTAMP:
            problems.append(f"differs: {stamp.relative_to(course.root)} (the hand-in time nbgrader records)")
        committed = notebook.reads(path.read_text())
        if not ran_as_student(committed):
            problems.append(f"no student run: {path.relative_to(course.root)} carries no outputs")
        old = notebook.writes(without_outputs(committed)) + "\n"
        if old != text:
            diff = list(difflib.unified_diff(old.splitlines(), text.splitlines(), lineterm="", n=0))
            changed = sum(1 for d in diff if d[:1] in "+-" and d[:3] not in ("+++", "---"))
            first = next((d for d in diff if d[:1] in "+-" and d[:3] not in ("+++", "---")), "")
            problems.append(f"differs: {path.relative_to(course.root)} ({changed} lines; first: {first[:70]!r})")
    for student in course.submitted_students():
        if student not in fresh:
            problems.append(f"not an example: submitted/{student} (remove it, or add it to EXAMPLES)")
    return problems


if __name__ == "__main__":
    sys.exit(main())
