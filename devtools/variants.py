"""Mutation-testing variants: load them, turn them into submissions, grade them.

A *variant* is one small file in `tests/variants/`, named by the behaviour it shows:
`mutant_<bug>.py` (a known bug) or `correct_<style>.py` (another correct answer).

    '''Mutant: softmax subtracts the global max, so far-below rows underflow.'''
    CELL = "task0_stable_softmax_solution"      # the solution cell it replaces
    FAILS = ["task0_softmax_no_overflow"]       # grade cells it must fail ([] if correct)
    KNOCK_ON = ["task1_feedforward_probabilities"]  # may fail too (later tasks build on it)
    CAUSE = "The softmax subtracts the maximum of the whole array, not each row's."  # for students
    SOURCE = '''def stable_softmax(x, axis=-1): ...'''

A variant may replace several cells with `CELLS = {grade_id: source}` instead. A variant that
shows a known weakness of the notebook's tests (a fix has been proposed) says so in
`PENDING = "why"`: the suite then expects its verdict to be wrong (strict xfail) until the fix lands.
A mutant whose cause the judge's message names says so in `MESSAGE = "a regex"`: the message of
one of its FAILS cells must match it (re.search); the variants list that cell first.

A submission is built from the RELEASE notebook: every code solution cell gets the
reference solution taken from the SOURCE notebook (solution markers stripped), then the
variant's cells are swapped in. `grade_variants` autogrades many submissions at once in a
throw-away course and returns per-grade-cell scores. Used by tests/test_mutation.py,
benchmarks/mutation_report.py and devtools/examples.py. Developer tooling: not part of
the shipped `mlpkit` package (run from the repository root).
"""
import copy
import os
import runpy
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nbclient import NotebookClient

from mlpkit import notebook
from mlpkit.judging.causes import failures
from mlpkit.judging.verdicts import judge_notebook, load_judges
from mlpkit.judging.reference import reference_observations
from mlpkit.pipeline.grade import grade_all
from mlpkit.course import ASSIGNMENT, Course
from mlpkit.releasing.generate import generate

VARIANTS_DIR = Path("tests") / "variants"


@dataclass(frozen=True)
class Variant:
    name: str          # file stem, e.g. "mutant_softmax_global_shift"
    kind: str          # "mutant" or "correct"
    doc: str           # the file's docstring: what the variant does
    cells: dict        # grade_id of a code solution cell -> replacement source
    fails: tuple       # grade cells that must lose points (empty for correct variants)
    knock_on: tuple    # grade cells that may also lose points
    path: Path
    pending: str = ""  # a known weakness of the notebook's tests, fix proposed: expected to break
    message: str = ""  # a regex the judge's message of a FAILS cell must match ("" = no check)
    cause: str = ""    # a mutant's misconception in plain words, for students (judges/<a>_causes.json)


def load_variant(path) -> Variant:
    """Read one variant file; raise ValueError naming the file if it breaks the format."""
    path = Path(path)
    ns = runpy.run_path(str(path))
    name = path.stem
    kind = name.split("_", 1)[0]
    where = f"{path}:"
    if kind not in ("mutant", "correct"):
        raise ValueError(f"{where} name must start with mutant_ or correct_")
    if ("CELLS" in ns) == ("CELL" in ns):
        raise ValueError(f"{where} define either CELL + SOURCE or CELLS")
    cells = dict(ns["CELLS"]) if "CELLS" in ns else {ns["CELL"]: ns["SOURCE"]}
    fails, knock_on = tuple(ns.get("FAILS", ())), tuple(ns.get("KNOCK_ON", ()))
    if kind == "mutant" and not fails:
        raise ValueError(f"{where} a mutant must name the grade cells it FAILS")
    if kind == "correct" and (fails or knock_on):
        raise ValueError(f"{where} a correct variant must have FAILS = KNOCK_ON = []")
    cause = str(ns.get("CAUSE", "")).strip()
    if kind == "mutant" and not cause:
        raise ValueError(f"{where} a mutant must say its misconception in CAUSE (one line, no code)")
    if set(fails) & set(knock_on):
        raise ValueError(f"{where} a cell is in both FAILS and KNOCK_ON")
    doc = (ns.get("__doc__") or "").strip()
    if not doc:
        raise ValueError(f"{where} the docstring must say what the variant does")
    cells = {gid: src.strip("\n") + "\n" for gid, src in cells.items()}
    return Variant(name, kind, doc, cells, fails, knock_on, path, str(ns.get("PENDING", "")),
                   str(ns.get("MESSAGE", "")), cause)


def load_variants(course, names=None) -> list:
    """All variants under `<course>/tests/variants/`, sorted by name (or just `names`)."""
    folder = Path(course) / VARIANTS_DIR
    paths = sorted(folder.glob("*.py"))
    variants = [load_variant(p) for p in paths if not p.name.startswith("_")]
    if names is not None:
        wanted = set(names)
        variants = [v for v in variants if v.name in wanted]
        missing = wanted - {v.name for v in variants}
        if missing:
            raise ValueError(f"no such variant(s): {', '.join(sorted(missing))}")
    return variants


# ---------------------------------------------------------------- notebooks

code_solution_ids = notebook.code_solution_ids
autograded_ids = notebook.autograded_ids


def reference_solutions(source_nb) -> dict:
    """grade_id -> the source notebook's solution cell text with solution markers stripped
    (and, for markdown, the mark scheme removed: the model answer alone)."""
    refs = {}
    for cell in source_nb.cells:
        if not notebook.is_solution(cell):
            continue
        if cell.cell_type == "code":
            text = notebook.strip_solution_markers(cell.source)
        else:
            text = notebook.strip_solution_markers(notebook.strip_mark_scheme(cell.source)).strip() + "\n"
        refs[notebook.grade_id(cell)] = text
    return refs


def build_submission(release_nb, source_nb, replacements=None, *, fill_markdown=False):
    """A student notebook: the release with every code solution filled in, then `replacements`.

    `replacements` maps code-solution grade_ids to sources (a variant's `cells`).
    `fill_markdown` also writes the model answers into the reflection cells.
    """
    replacements = dict(replacements or {})
    unknown = set(replacements) - set(code_solution_ids(release_nb))
    if unknown:
        raise ValueError(f"not code solution cells of the release: {', '.join(sorted(unknown))}")
    refs = reference_solutions(source_nb)
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        if not notebook.is_solution(cell):
            continue
        gid = notebook.grade_id(cell)
        if cell.cell_type == "code":
            cell.source = replacements.get(gid, refs[gid])
        elif fill_markdown:
            cell.source = refs[gid]
    return nb


def course_notebooks(course):
    """(release_nb, source_nb) of the course."""
    course = Course(course)
    return course.release_notebook(), course.source_notebook()


# ---------------------------------------------------------------- grading

def make_grading_course(course, workdir):
    """A throw-away course in `workdir`: the config, source/ and judges/ of `course`, release generated."""
    grading = Course(workdir)
    grading.root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(Path(course) / "nbgrader_config.py", grading.config_file)
    shutil.copytree(Path(course) / "source", grading.root / "source", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    if (Path(course) / "judges").is_dir():
        shutil.copytree(Path(course) / "judges", grading.root / "judges", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    generate(grading)
    return grading


def grade_submissions(grading_course, students) -> dict:
    """Autograde `students` (already under submitted/) with the kit's parallel, sandboxed grader.

    Returns student -> {"scores": {grade_id: (score, max_score)} of the autograded cells, or
    None if no grade was recorded; "status": the kit's status flags; "likely_causes": as in
    grading/<student>.json; "failures": {grade_id: the judge's message} of the failed cells}.
    """
    autograded = set(autograded_ids(grading_course.source_notebook()))
    results = grade_all(grading_course, students=list(students), progress=False)
    out = {}
    for student in students:
        res = results.get(student)
        scores = {gid: (s["score"], s["max_score"]) for gid, s in (res.scores if res else {}).items()
                  if gid in autograded}
        out[student] = {"scores": scores or None, "status": list(res.status) if res else ["missing"],
                        "likely_causes": list(res.likely_causes) if res else [],
                        "failures": _failures(grading_course, student)}
    return out


def _failures(grading_course, student):
    """{grade_id: the judge's message} of the cells the student's autograded notebook fails."""
    path = grading_course.autograded_path(student)
    return failures(notebook.read(path)) if path.is_file() else {}


def grade_variants(course, variants, workdir, *, extra=None, references=False) -> dict:
    """Autograde one submission per variant (plus `extra` {student: nb}) in a throw-away course.

    `references=True` adds the three fixed points: "full_solution" (every reference solution),
    "untouched_release" and "source_notebook_as_submitted". Returns what `grade_submissions`
    returns, keyed by variant name and student.
    """
    grading = make_grading_course(course, workdir)
    release, source = grading.release_notebook(), grading.source_notebook()
    submissions = {v.name: build_submission(release, source, v.cells) for v in variants}
    if references:
        submissions.update(full_solution=build_submission(release, source),
                           untouched_release=release, source_notebook_as_submitted=source)
    submissions.update(extra or {})
    for student, nb in submissions.items():
        notebook.write(nb, grading.submission_path(student))
    return grade_submissions(grading, submissions)


def run_in_process(nb, workdir) -> dict:
    """The fast, nbgrader-free level: run `nb` in grading mode in a plain kernel and judge it.

    Returns {grade_id: (score, max_score)} for the autograded cells. Test and locked cells are
    taken from the source first, as nbgrader's OverwriteCells does. No sandbox: only for our
    own trusted variants, never for student code; nbgrader's run stays the one that counts.
    """
    workdir = Path(workdir)
    source = notebook.read(workdir / f"{ASSIGNMENT}.ipynb")
    nb = copy.deepcopy(nb)
    given = {notebook.grade_id(c): c.source for c in source.cells if notebook.grade_id(c)}
    for cell in nb.cells:
        if notebook.is_locked(cell) or notebook.is_autograded_test(cell):
            cell.source = given[notebook.grade_id(cell)]
    before = os.environ.get("NBGRADER_EXECUTION")
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        with tempfile.TemporaryDirectory(prefix="mlpkit-variant-") as scratch:
            shutil.copytree(workdir, scratch, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.ipynb"))
            NotebookClient(nb, timeout=30, allow_errors=True, resources={"metadata": {"path": scratch}}).execute()
    finally:
        if before is None:
            os.environ.pop("NBGRADER_EXECUTION", None)
        else:
            os.environ["NBGRADER_EXECUTION"] = before
    judge_notebook(nb, load_judges(workdir.parents[1], ASSIGNMENT), reference_observations(workdir, f"{ASSIGNMENT}.ipynb"))
    scores = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and notebook.is_autograded_test(cell):
            failed = any(o.get("output_type") == "error" or o.get("name") == "stderr" for o in cell.outputs)
            points = float(cell.metadata["nbgrader"].get("points", 0))
            scores[notebook.grade_id(cell)] = (0.0 if failed else points, points)
    return scores


def verdict(variant, scores) -> tuple:
    """(ok, failed_cells, message) for one variant's per-cell scores.

    A mutant must lose points on every FAILS cell and keep full points on every cell outside
    FAILS and KNOCK_ON; a correct variant must keep full points everywhere.
    """
    if scores is None:
        return False, (), "no grades recorded (grading failed)"
    failed = tuple(sorted(gid for gid, (score, max_score) in scores.items()
                          if (score or 0) < max_score))
    unknown = (set(variant.fails) | set(variant.knock_on)) - set(scores)
    problems = []
    if unknown:
        problems.append(f"names cells that do not exist: {', '.join(sorted(unknown))}")
    missed = [gid for gid in variant.fails if gid not in failed]
    if missed:
        problems.append(f"should fail but passed: {', '.join(missed)}")
    extra = [gid for gid in failed if gid not in variant.fails and gid not in variant.knock_on]
    if extra:
        problems.append(f"lost points it should keep: {', '.join(extra)}")
    return not problems, failed, "; ".join(problems) or "ok"
