"""Mutation tests: every known bug loses exactly its points, every correct variant keeps all.

Each file in tests/variants/ swaps one or more solution cells of an otherwise complete
submission (devtools/variants.py); devtools/generated_variants.py adds correct variants
rewritten from the reference solutions by AST transforms, in memory. One session-scoped
autograde grades them all at once, together with the full solution, the untouched release,
the source notebook itself and the committed example submissions, in a throw-away course
through nbgrader. Then, per grade cell:
- a mutant loses points on every cell it names in FAILS and keeps full points on every
  cell outside FAILS and KNOCK_ON;
- a correct variant, hand-written or generated, keeps full points everywhere.

Run: PYTHONPATH=. python -m pytest tests/test_mutation.py -q   (the graded part is @slow)
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devtools import generated_variants as G
from devtools import variants as V
from devtools.examples import EXAMPLES
from mlpkit import notebook

REPO = Path(__file__).resolve().parents[1]
SOURCE_NB = REPO / "source" / "mlp_lab" / "mlp_lab.ipynb"
RELEASE_NB = REPO / "release" / "mlp_lab" / "mlp_lab.ipynb"
VARIANTS = V.load_variants(REPO)
MUTANTS = [v for v in VARIANTS if v.kind == "mutant"]
CORRECT = [v for v in VARIANTS if v.kind == "correct"]
CODE_SOLUTIONS = ["task0_stable_softmax_solution", "task1_softmax_network_solution",
                  "task2_l2_momentum_solution", "task3_adamw_solution", "task3_adagrad_solution",
                  "task3_dropout_solution", "task3_augment_solution"]

needs_lab = pytest.mark.skipif(not SOURCE_NB.is_file(), reason="the lab notebook does not exist yet")


def _generate():
    """The generated variants, or the error that stopped the generator (test_generated_variants_... reports
    it, so that a rewrite that no longer applies fails one test, not the collection of this module)."""
    if not SOURCE_NB.is_file():
        return [], None
    try:
        return G.build_all(notebook.read(SOURCE_NB), notebook.read(RELEASE_NB)), None
    except Exception as error:  # noqa: BLE001 - reported by the generator's own test
        return [], error


BUILT, GENERATION_ERROR = _generate()
GENERATED = [g.variant for g in BUILT]


def _source():
    return notebook.read(SOURCE_NB)


# ------------------------------------------------------------ the variant files themselves

def test_enough_variants_over_every_task():
    assert len(MUTANTS) >= 25 and len(CORRECT) >= 12, (len(MUTANTS), len(CORRECT))
    for gid in CODE_SOLUTIONS:
        assert any(gid in v.cells for v in MUTANTS), f"no mutant of {gid}"
    # Task 4 has no graded solution cell: its tests catch Task 1 bugs that show on deep nets.
    assert any(f.startswith("task4_") for v in MUTANTS for f in v.fails), "no mutant fails a task4 cell"


@needs_lab
def test_generated_variants_cover_every_cell_and_family():
    """Check that the generator gives >= 40 correct variants over all 7 code cells and every rewrite family,
    each different from the reference (its normalized AST), compiling, and gradable (a valid student id)."""
    from devtools.ast_rewrites import normalized
    from mlpkit.gradebook.roster import STUDENT_ID
    if GENERATION_ERROR is not None:
        raise GENERATION_ERROR
    assert len(GENERATED) >= 40, len(GENERATED)
    assert {cell for v in GENERATED for cell in v.cells} == set(CODE_SOLUTIONS)
    assert set().union(*(g.families for g in BUILT)) == set(G.FAMILIES)
    assert {v.name for v in GENERATED}.isdisjoint(v.name for v in VARIANTS)
    assert len({v.name for v in GENERATED}) == len(GENERATED)
    references = V.reference_solutions(_source())
    for v in GENERATED:
        assert v.kind == "correct" and not v.fails and not v.knock_on and v.doc, v.name
        assert v.name.startswith("generated_") and STUDENT_ID.match(v.name), v.name
        (cell, source), = v.cells.items()
        compile(source, v.name, "exec")
        assert normalized(source) != normalized(references[cell]), f"{v.name} is the reference itself"


@needs_lab
def test_variants_name_real_cells():
    source = _source()
    solutions, autograded = set(V.code_solution_ids(source)), set(V.autograded_ids(source))
    for v in VARIANTS:
        assert set(v.cells) <= solutions, f"{v.name} replaces unknown cells {set(v.cells) - solutions}"
        unknown = (set(v.fails) | set(v.knock_on)) - autograded
        assert not unknown, f"{v.name} names cells that are not autograded tests: {sorted(unknown)}"


def test_load_variant_rejects_malformed_files(tmp_path):
    bad = {
        "mutant_without_fails.py": 'CELL = "c"\nSOURCE = "x"\nFAILS = []\n"""doc"""',
        "correct_with_fails.py": '"""doc"""\nCELL = "c"\nSOURCE = "x"\nFAILS = ["t"]',
        "mutant_no_doc.py": 'CELL = "c"\nSOURCE = "x"\nFAILS = ["t"]',
        "oddly_named.py": '"""doc"""\nCELL = "c"\nSOURCE = "x"',
        "mutant_both_forms.py": '"""doc"""\nCELL = "c"\nSOURCE = "x"\nCELLS = {}\nFAILS = ["t"]',
    }
    for name, text in bad.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(ValueError):
            V.load_variant(tmp_path / name)


@needs_lab
def test_build_submission_fills_references_then_swaps_the_variant():
    source = _source()
    release = notebook.read(RELEASE_NB) if RELEASE_NB.is_file() else pytest.skip("no release/")
    variant = next(v for v in MUTANTS if "task0_stable_softmax_solution" in v.cells)
    nb = V.build_submission(release, source, variant.cells)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    assert by_id["task0_stable_softmax_solution"].source == variant.cells["task0_stable_softmax_solution"]
    refs = V.reference_solutions(source)
    for gid in V.code_solution_ids(source):
        if gid not in variant.cells:
            assert by_id[gid].source == refs[gid]
            assert "BEGIN SOLUTION" not in refs[gid] and "NotImplementedError()" not in refs[gid]
    with pytest.raises(ValueError):
        V.build_submission(release, source, {"task0_softmax_no_such_cell": "pass"})


def test_verdict_rules():
    """The per-cell rule itself: each way of breaking it is reported."""
    mutant = V.Variant("mutant_x", "mutant", "doc", {}, ("a",), ("b",), Path("x"))
    correct = V.Variant("correct_x", "correct", "doc", {}, (), (), Path("x"))
    full, lost = (1.0, 1.0), (0.0, 1.0)
    assert V.verdict(mutant, {"a": lost, "b": lost, "c": full})[0]
    assert V.verdict(mutant, {"a": lost, "b": full, "c": full})[0]
    assert not V.verdict(mutant, {"a": full, "b": full, "c": full})[0]   # bug not caught
    assert not V.verdict(mutant, {"a": lost, "b": full, "c": lost})[0]   # caught in the wrong cell too
    assert not V.verdict(mutant, {"b": full, "c": full})[0]              # names a missing cell
    assert V.verdict(correct, {"a": full, "c": full})[0]
    assert not V.verdict(correct, {"a": full, "c": (0.5, 1.0)})[0]      # correct answer loses points
    assert not V.verdict(correct, None)[0]                               # grading failed outright


# ------------------------------------------------------------ fast level: one plain kernel, no nbgrader

def _param(v):
    # A PENDING variant documents a weakness of the notebook's tests whose fix is proposed:
    # strict xfail, so the suite turns red (XPASS) as soon as the fix lands and it can go.
    marks = [pytest.mark.xfail(strict=True, reason=f"notebook test fix pending: {v.pending}")] if v.pending else []
    return pytest.param(v, id=v.name, marks=marks)


@needs_lab
def test_reference_in_process_scores_full_marks():
    source = _source()
    scores = V.run_in_process(V.build_submission(source, source), SOURCE_NB.parent)
    assert set(scores) == set(V.autograded_ids(source))
    lost = {gid: sm for gid, sm in scores.items() if sm[0] < sm[1]}
    assert not lost, _table(lost)


# ------------------------------------------------------------ one autograde of everything

@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """Per-cell results of every variant, the references and the examples, graded at once."""
    if not SOURCE_NB.is_file():
        pytest.skip("the lab notebook does not exist yet")
    examples = {}
    for student in EXAMPLES:
        path = REPO / "submitted" / student / "mlp_lab" / "mlp_lab.ipynb"
        if path.is_file():
            examples[f"example_{student}"] = notebook.read(path)
    workdir = tmp_path_factory.mktemp("mutation") / "course"
    examples["task3_as_released"] = _task3_as_released()
    results = V.grade_variants(REPO, VARIANTS + GENERATED, workdir, extra=examples, references=True)
    results["_autograded"] = V.autograded_ids(_source())
    from mlpkit.course import Course
    for v in VARIANTS + GENERATED:  # the judge's message of every failed cell, for MESSAGE checks and reports
        path = Course(workdir).autograded_path(v.name)
        cells = notebook.read(path).cells if path.is_file() else []
        results[v.name]["messages"] = {c.metadata["nbgrader"]["grade_id"]: o.get("evalue", "")
                                       for c in cells if "nbgrader" in c.metadata
                                       for o in c.get("outputs", []) if o.get("output_type") == "error"}
    return results


def _task3_as_released():
    """A complete submission whose Task 3 cells are left as released: the optional part skipped."""
    release, source = notebook.read(RELEASE_NB), _source()
    untouched = {notebook.grade_id(c): c.source for c in release.cells
                 if notebook.grade_id(c) in CODE_SOLUTIONS and notebook.grade_id(c).startswith("task3_")}
    return V.build_submission(release, source, untouched)


def _table(scores):
    return "\n".join(f"  {gid:45s} {s:g}/{m:g}" for gid, (s, m) in sorted((scores or {}).items()))


@pytest.mark.slow
@pytest.mark.parametrize("variant", [_param(v) for v in VARIANTS])
def test_variant_loses_exactly_its_points(graded, variant):
    scores = graded[variant.name]["scores"]
    ok, failed, message = V.verdict(variant, scores)
    assert ok, f"{variant.name} ({variant.doc}): {message}\n{_table(scores)}"


@pytest.mark.slow
@pytest.mark.parametrize("variant", [_param(v) for v in GENERATED])
def test_generated_variant_keeps_every_point(graded, variant):
    """Check that a correct variant generated from the reference keeps every point (V.verdict)."""
    scores = graded[variant.name]["scores"]
    ok, failed, message = V.verdict(variant, scores)
    messages = {gid: text[:300] for gid, text in graded[variant.name]["messages"].items()}
    assert ok, f"{variant.name} ({variant.doc}): {message}\n{_table(scores)}\n{messages}"


@pytest.mark.slow
@pytest.mark.parametrize("variant", [_param(v) for v in MUTANTS if getattr(v, "message", "")])
def test_feedback_names_the_cause(graded, variant):
    """Check that a mutant whose cause the numbers show gets a message naming it (its MESSAGE)."""
    import re
    messages = graded[variant.name]["messages"]
    named = [gid for gid in variant.fails if re.search(variant.message, messages.get(gid, ""))]
    assert named, f"{variant.name}: no FAILS cell names the cause /{variant.message}/: {messages}"


@pytest.mark.slow
@pytest.mark.parametrize("student", ["full_solution", "source_notebook_as_submitted"])
def test_reference_scores_full_marks(graded, student):
    scores = graded[student]["scores"]
    assert scores and set(scores) == set(graded["_autograded"]), _table(scores)
    lost = {gid: sm for gid, sm in scores.items() if sm[0] < sm[1]}
    assert not lost, f"{student} loses points:\n{_table(lost)}"
    bad = {"failed to execute", "invalid notebook"}
    if student == "full_solution":  # (the source's test cells hold the hidden tests: "edited")
        bad.add("test cell edited")
    flags = set(graded[student]["status"]) & bad
    assert not flags, f"{student} is flagged {flags}"


@pytest.mark.slow
def test_skipped_optional_part_earns_no_bonus_and_costs_nothing_else(graded):
    """Check that Task 3 left as released scores 0 on every Task 3 cell and full marks elsewhere."""
    scores = graded["task3_as_released"]["scores"]
    assert scores is not None, _table(scores)
    wrong = {gid: sm for gid, sm in scores.items() if sm[0] != (0 if gid.startswith("task3_") else sm[1])}
    assert not wrong, f"a skipped Task 3 is graded wrongly:\n{_table(wrong)}"


def _task_of(grade_id):
    return grade_id.split("_", 1)[0]


@pytest.mark.slow
@pytest.mark.parametrize("variant", [_param(v) for v in MUTANTS])
def test_mutant_costs_points_in_one_task_only(graded, variant):
    """Check that one bug costs one task: every cell a mutant loses is in the task of its FAILS."""
    scores = graded[variant.name]["scores"]
    failed = {gid for gid, (score, max_score) in (scores or {}).items() if (score or 0) < max_score}
    tasks = {_task_of(gid) for gid in failed | set(variant.fails)}
    assert len(tasks) == 1, f"{variant.name} costs points in {sorted(tasks)}: {sorted(failed)}"


@pytest.mark.slow
def test_untouched_release_scores_zero_without_crashing_the_grader(graded):
    scores = graded["untouched_release"]["scores"]
    assert scores is not None, "the untouched release got no grades at all"
    assert set(scores) == set(graded["_autograded"])
    earned = {gid: sm for gid, sm in scores.items() if sm[0] != 0}
    assert not earned, f"the untouched release earns points:\n{_table(earned)}"


@pytest.mark.slow
@pytest.mark.parametrize("student", [s for s, (_, spec) in EXAMPLES.items() if isinstance(spec, str)])
def test_buggy_example_loses_points_in_its_own_cells(graded, student):
    key = f"example_{student}"
    if key not in graded:
        pytest.skip("submitted/ has no examples yet (python -m devtools.examples --update)")
    variant = V.load_variants(REPO, [EXAMPLES[student][1]])[0]
    ok, failed, message = V.verdict(variant, graded[key]["scores"])
    assert ok, f"{student}: {message}"


@pytest.mark.slow
@pytest.mark.parametrize("student", [s for s in EXAMPLES if s.startswith("bug_")])
def test_buggy_example_gets_a_likely_cause_in_a_task_it_lost_points_in(graded, student):
    """Check that each bug_* example's grading names a likely cause for a task it lost points in."""
    key = f"example_{student}"
    if key not in graded:
        pytest.skip("submitted/ has no examples yet (python -m devtools.examples --update)")
    result = graded[key]
    lost = {_task_of(gid) for gid, (score, max_score) in result["scores"].items() if score < max_score}
    named = [c for c in result["likely_causes"] if c["task"] in lost]
    assert named, f"{student}: likely causes {result['likely_causes']}, lost points in {sorted(lost)}"
    assert EXAMPLES[student][1] in {m.strip() for c in named for m in c["matches"].split(",")}


CAUSELESS = (["full_solution", "source_notebook_as_submitted", "example_full_solution"]
             + [v.name for v in CORRECT] + [v.name for v in GENERATED])


@pytest.mark.slow
@pytest.mark.parametrize("student", CAUSELESS)
def test_correct_work_gets_no_likely_cause(graded, student):
    """Check that the full solution and every correct variant, hand-written or generated, get no cause."""
    if student not in graded:
        pytest.skip(f"{student} was not graded (no examples yet)")
    assert graded[student]["likely_causes"] == [], graded[student]["likely_causes"]


@pytest.mark.slow
@pytest.mark.parametrize("student", ["untouched_release", "task3_as_released", "example_crash_kernel_dies"])
def test_unwritten_or_unfinished_work_gets_no_likely_cause(graded, student):
    """Check that a part left as released, or a notebook that died, is not diagnosed as a bug."""
    if student not in graded:
        pytest.skip(f"{student} was not graded (no examples yet)")
    assert graded[student]["likely_causes"] == [], graded[student]["likely_causes"]


@pytest.mark.slow
@pytest.mark.parametrize("variant", [_param(v) for v in MUTANTS])
def test_mutant_is_diagnosed_with_its_own_cause(graded, variant):
    """Check that each mutant's graded failures match its own catalogue entry (alone, or as "one of"
    with the entries it cannot be told apart from): the catalogue agrees with the judges."""
    causes = graded[variant.name]["likely_causes"]
    named = {m.strip() for c in causes for m in c["matches"].split(",")}
    assert variant.name in named, f"{variant.name}: {causes}; failures {graded[variant.name]['failures']}"


def _cells_of_task(graded, *prefixes):
    return [gid for gid in graded["_autograded"] if gid.startswith(prefixes)]


@pytest.mark.slow
def test_crashing_example_keeps_the_points_before_the_crash(graded):
    """os._exit at the end of the Task 2 cell: Tasks 0 and 1 keep their points, Task 2 loses."""
    if "example_crash_kernel_dies" not in graded:
        pytest.skip("submitted/ has no examples yet (python -m devtools.examples --update)")
    result = graded["example_crash_kernel_dies"]
    assert "failed to execute" in result["status"], result["status"]
    scores = result["scores"]
    assert scores is not None, "the crashing submission got no grades at all"
    for gid in _cells_of_task(graded, "task0_", "task1_"):
        assert scores[gid][0] == scores[gid][1], f"{gid} lost points before the crash"
    assert all(scores[gid][0] == 0 for gid in _cells_of_task(graded, "task2_")), _table(scores)


@pytest.mark.slow
def test_hanging_example_times_out_and_keeps_every_autograded_point(graded):
    """The endless loop is in the student's free Task 4 cell, after every test."""
    if "example_hangs_infinite_loop" not in graded:
        pytest.skip("submitted/ has no examples yet (python -m devtools.examples --update)")
    result = graded["example_hangs_infinite_loop"]
    assert "failed to execute" in result["status"], result["status"]
    scores = result["scores"]
    assert scores and all(s == m for s, m in scores.values()), _table(scores)


@pytest.mark.slow
def test_example_full_solution_and_untouched_release_grade_as_named(graded):
    if "example_full_solution" not in graded:
        pytest.skip("submitted/ has no examples yet (python -m devtools.examples --update)")
    full = graded["example_full_solution"]["scores"]
    assert full and all(s == m for s, m in full.values()), _table(full)
    # Built from the committed release: a stale release would show up as edited test cells.
    assert "test cell edited" not in graded["example_full_solution"]["status"], (
        "submitted/ was built from a release/ that is out of date with source/")
    untouched = graded["example_untouched_release"]["scores"]
    assert untouched and all(s == 0 for s, _ in untouched.values()), _table(untouched)


# ------------------------------------------------------------ release checks

@needs_lab
@pytest.mark.slow
def test_committed_release_equals_a_fresh_regeneration_and_leaks_nothing():
    """`mlpkit release --check`: regenerates in a scratch course, compares, then leak-checks."""
    proc = subprocess.run([sys.executable, "-m", "mlpkit", "--course", str(REPO), "release", "--check"],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@needs_lab
def test_release_has_no_solution_or_hidden_test_text():
    from mlpkit.course import Course
    from mlpkit.releasing.leaks import leak_check
    if not RELEASE_NB.is_file():
        pytest.fail("release/ is missing: run `mlpkit release` and commit it")
    leaks = leak_check(Course(REPO))
    assert not leaks, "\n".join(map(str, leaks))
    # Independently of the line-based scan: no reference solution body survives in release/.
    text = RELEASE_NB.read_text()
    for gid, ref in V.reference_solutions(_source()).items():
        body = [line.strip() for line in ref.splitlines() if len(line.strip()) > 30]
        leaked = [line for line in body if line in text and line not in _public_lines()]
        assert not leaked, f"{gid}: {leaked[:3]}"


def _public_lines():
    """Lines the source shows outside its secret regions (given code, stubs, test cells)."""
    public = set()
    for cell in _source().cells:
        secret = {line.strip() for kind in ("solution", "hidden", "mark_scheme")
                  for line in notebook.regions(cell.source, kind)}
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and not secret:
            continue
        public |= {line.strip() for line in cell.source.splitlines() if line.strip() not in secret}
    return public


@needs_lab
def test_leak_scan_catches_a_planted_hidden_test_line(tmp_path):
    """The release leak check fails when one hidden-test line is pasted into the release."""
    from mlpkit.course import Course
    from mlpkit.releasing.leaks import leak_check
    if not RELEASE_NB.is_file():
        pytest.skip("no release/ yet")
    hidden = next(line for cell in _source().cells for line in notebook.regions(cell.source, "hidden")
                  if len(line.strip()) > 30)
    planted = tmp_path / "release" / "mlp_lab"
    shutil.copytree(RELEASE_NB.parent, planted)
    assert not leak_check(Course(REPO), planted)
    nb = notebook.read(planted / "mlp_lab.ipynb")
    nb.cells[-1].source += "\n" + hidden
    notebook.write(nb, planted / "mlp_lab.ipynb")
    assert leak_check(Course(REPO), planted)


# ------------------------------------------------------------ the report script

@needs_lab
def test_mutation_report_runs_and_flags_a_wrong_expectation(tmp_path):
    """benchmarks/mutation_report.py --fast: exit 0 on right expectations, 1 and WRONG otherwise."""
    course = tmp_path / "course"
    shutil.copytree(REPO / "source", course / "source")
    shutil.copy2(REPO / "nbgrader_config.py", course)
    shutil.copytree(REPO / "judges", course / "judges")
    (course / "tests" / "variants").mkdir(parents=True)
    for name in ("mutant_softmax_no_shift", "correct_softmax_logsumexp"):
        shutil.copy2(REPO / "tests" / "variants" / f"{name}.py", course / "tests" / "variants")
    script = [sys.executable, str(REPO / "benchmarks" / "mutation_report.py"), "--fast", "--no-generated",
              "--course", str(course)]
    proc = subprocess.run(script, capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "bugs caught in their own cells and no other: 1/1 (100%)" in proc.stdout
    wrong = (REPO / "tests" / "variants" / "mutant_softmax_no_shift.py").read_text().replace(
        'FAILS = ["task0_softmax_no_overflow"]', 'FAILS = ["task0_softmax_matches_reference"]')
    (course / "tests" / "variants" / "mutant_softmax_no_shift.py").write_text(wrong)
    proc = subprocess.run(script, capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 1 and "WRONG" in proc.stdout, proc.stdout + proc.stderr
    assert "0/1 (0%)" in proc.stdout
