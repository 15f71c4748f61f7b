"""The cheat suite: no trick in tests/attacks/ scores more than its honest twin, on any grade cell.

Each `tests/attacks/cheat_*.py` is the honest twin's bug (`_twin.py`, a 2-D-only softmax) plus a
trick: TRICK before the bug, AFTER behind it, or LATER appended to another solution cell
(LATER_CELL). Every submission is graded twice, with the static scan switched off (it only
flags, it never changes a score; here it cannot even do that):
- through the kit (`mlpkit autograde`'s grade_all: sandbox, judge);
- through plain `nbgrader autograde` with the course's nbgrader_config.py, as the formgrader's
  Autograde button runs it.
Then, per grade cell, the cheat's score <= the twin's. The twin must lose the points its bug
costs, or the comparison would prove nothing.

Run: python -m pytest tests/test_cheats.py -q   (@slow: about a minute)
"""
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from devtools import variants as V
from mlpkit import notebook
from mlpkit.staging import stage

REPO = Path(__file__).resolve().parents[1]
ATTACKS = REPO / "tests" / "attacks"
TWIN = runpy.run_path(str(ATTACKS / "_twin.py"))
CHEATS = sorted(p.stem for p in ATTACKS.glob("cheat_*.py"))
TWIN_LOSES = {"task0_softmax_matches_reference", "task0_softmax_no_overflow", "task0_softmax_input_unchanged"}

pytestmark = pytest.mark.slow


def submissions(release, source):
    """{student: notebook}: the twin and one submission per cheat."""
    refs = V.reference_solutions(source)
    out = {"honest_twin": V.build_submission(release, source, {TWIN["CELL"]: TWIN["BUG"]})}
    for name in CHEATS:
        cheat = runpy.run_path(str(ATTACKS / f"{name}.py"))
        cells = {TWIN["CELL"]: cheat.get("TRICK", "") + TWIN["BUG"] + cheat.get("AFTER", "")}
        if "LATER_CELL" in cheat:
            cells[cheat["LATER_CELL"]] = refs[cheat["LATER_CELL"]] + cheat["LATER"]
        out[name] = V.build_submission(release, source, cells)
    return out


def scores_from_gradebook(course, students):
    from nbgrader.api import Gradebook
    out = {}
    with Gradebook(course.db_url, course_id="mlp-lab") as gb:
        for student in students:
            nb = gb.find_submission_notebook("mlp_lab", "mlp_lab", student)
            out[student] = {g.name: (g.score, g.max_score) for g in nb.grades if g.cell.cell_type == "code"}
    return out


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """{path: {student: {grade_id: (score, max_score)}}} for path in ("mlpkit", "nbgrader")."""
    results = {}
    for path in ("mlpkit", "nbgrader"):
        course = V.make_grading_course(REPO, tmp_path_factory.mktemp(f"cheats-{path}"))
        subs = submissions(course.release_notebook(), course.source_notebook())
        subs["edited_lab_checks"] = subs["honest_twin"]
        for student, nb in subs.items():
            notebook.write(nb, course.submission_path(student))
        # A student hands in an edited lab_checks.py whose probe forges nothing but says "passed".
        edited = course.submission_path("edited_lab_checks").parent / "lab_checks.py"
        edited.write_text((course.source_dir / "lab_checks.py").read_text()
                          + "\n\ndef probe(grade_id, observe):\n    print('passed')\n")
        if path == "mlpkit":
            patch = pytest.MonkeyPatch()
            patch.setattr(stage, "scan_findings", lambda nb: [])  # scan off: scores alone decide
            try:
                graded = V.grade_submissions(course, subs)
            finally:
                patch.undo()
            results[path] = {s: graded[s]["scores"] for s in subs}
            results["feedback_course"] = course
        else:
            env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
            run = subprocess.run(["nbgrader", "autograde", "mlp_lab", "--force"], cwd=course.root, env=env,
                                 capture_output=True, text=True, timeout=900)
            assert run.returncode == 0, run.stderr[-3000:]
            results[path] = scores_from_gradebook(course, subs)
    return results


@pytest.mark.parametrize("path", ["mlpkit", "nbgrader"])
def test_the_twin_loses_what_its_bug_costs(graded, path):
    twin = graded[path]["honest_twin"]
    lost = {gid for gid, (score, max_score) in twin.items() if (score or 0) < max_score}
    assert lost == TWIN_LOSES, lost


@pytest.mark.parametrize("path", ["mlpkit", "nbgrader"])
@pytest.mark.parametrize("cheat", CHEATS)
def test_no_cheat_scores_more_than_its_twin(graded, path, cheat):
    twin, scores = graded[path]["honest_twin"], graded[path][cheat]
    assert scores, f"{cheat}: no grades recorded"
    gained = {gid: (scores[gid][0], twin[gid][0]) for gid in twin if (scores[gid][0] or 0) > (twin[gid][0] or 0)}
    assert not gained, f"{cheat} gained points over its honest twin (cheat, twin): {gained}"


def test_autograde_restores_lab_checks_from_the_source(graded):
    course = graded["feedback_course"]
    restored = course.autograded_path("edited_lab_checks").parent / "lab_checks.py"
    assert restored.read_text() == (course.source_dir / "lab_checks.py").read_text()
    assert graded["mlpkit"]["edited_lab_checks"] == graded["mlpkit"]["honest_twin"]


def test_exfiltrated_hidden_tests_reach_neither_feedback_nor_files(graded):
    course = graded["feedback_course"]
    from mlpkit.gradebook import feedback
    feedback.generate_all(course) if hasattr(feedback, "generate_all") else subprocess.run(
        [sys.executable, "-m", "mlpkit", "feedback"], cwd=course.root, check=True, capture_output=True)
    autograded = notebook.read(course.autograded_path("cheat_exfiltrates_hidden_tests"))
    printed = "".join(o.get("text", "") for c in autograded.cells for o in c.get("outputs", []))
    assert 'probe("task0_softmax_matches_reference"' in printed, "the attack did not run: this test proves nothing"
    html = course.feedback_path("cheat_exfiltrates_hidden_tests").read_text()
    assert 'probe("task0_softmax_matches_reference"' not in html and "probe(&quot;task0" not in html
    leaked = [p for p in course.root.rglob("exfiltrated.txt")]
    assert not leaked, f"files written by the cheat reached the course: {leaked}"


def test_the_scan_flags_cheats_for_the_ta_and_no_honest_variant(tmp_path):
    """The static scan stays, as a signal for TAs (it never changes a score): a cheat that patches
    numpy and the builtins is flagged "tampering suspected"; no correct variant, hand-written or
    generated, is."""
    from devtools.generated_variants import generate
    from mlpkit.staging.scan import scan_notebook
    release, source = V.course_notebooks(REPO)
    subs = submissions(release, source)
    assert scan_notebook(subs["cheat_patches_numpy_and_builtins"]), "the scan missed numpy/builtins patching"
    correct = [v for v in V.load_variants(REPO) if v.kind == "correct"] + generate(REPO)
    flagged = [v.name for v in correct if scan_notebook(V.build_submission(release, source, v.cells))]
    assert not flagged, f"honest variants flagged as tampering: {flagged}"
