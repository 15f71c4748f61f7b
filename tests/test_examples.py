"""The committed example submissions (submitted/) equal a fresh `python -m devtools.examples` generation.

How they grade is asserted in tests/test_mutation.py, in the same autograde session as
the variants they reuse.
"""
import copy
import shutil
from pathlib import Path

import pytest

from devtools import examples, variants
from devtools.examples import main
from devtools.student_runs import run_as_student, without_outputs
from mlpkit import notebook

REPO = Path(__file__).resolve().parents[1]
needs_release = pytest.mark.skipif(
    not (REPO / "release" / "mlp_lab" / "mlp_lab.ipynb").is_file(), reason="no release/ yet")


def _cells(nb):
    return {notebook.grade_id(c): c.source for c in nb.cells}


@needs_release
def test_committed_examples_equal_a_fresh_generation(capsys):
    assert main(["--course", str(REPO)]) == 0, capsys.readouterr().out


@pytest.fixture
def course_copy(tmp_path):
    """config, source, release and submitted of the repo, in tmp_path."""
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy2(REPO / "nbgrader_config.py", root)
    for folder in ("source", "release", "tests/variants"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def _quick_run(nb, release_dir):
    """A stand-in for the student run (minutes): one output in the first code cell."""
    from nbformat.v4 import new_output
    nb = copy.deepcopy(nb)
    next(c for c in nb.cells if c.cell_type == "code").outputs = [new_output("stream", text="ran\n")]
    return nb


@needs_release
def test_check_names_a_stale_missing_or_foreign_submission_and_update_fixes_it(course_copy, capsys, monkeypatch):
    monkeypatch.setattr(examples, "run_as_student", _quick_run)
    assert main(["--course", str(course_copy), "--update"]) == 0
    assert main(["--course", str(course_copy)]) == 0
    stale = course_copy / "submitted" / "bug_l2_on_biases" / "mlp_lab" / "mlp_lab.ipynb"
    stale.write_text(stale.read_text().replace("self.l2_factor", "self.l2"))
    (course_copy / "submitted" / "full_solution" / "mlp_lab" / "mlp_lab.ipynb").unlink()
    (course_copy / "submitted" / "someone_else").mkdir()
    capsys.readouterr()
    assert main(["--course", str(course_copy)]) == 1
    out = capsys.readouterr().out
    assert "differs: submitted/bug_l2_on_biases" in out
    assert "missing: submitted/full_solution" in out
    assert "not an example: submitted/someone_else" in out
    shutil.rmtree(course_copy / "submitted" / "someone_else")
    assert main(["--course", str(course_copy), "--update"]) == 0
    assert main(["--course", str(course_copy)]) == 0
    # An example without its student run is named too (the TA view would have nothing to show).
    bare = course_copy / "submitted" / "full_solution" / "mlp_lab" / "mlp_lab.ipynb"
    bare.write_text(notebook.writes(without_outputs(notebook.reads(bare.read_text()))) + "\n")
    capsys.readouterr()
    assert main(["--course", str(course_copy)]) == 1
    assert "no student run: submitted/full_solution" in capsys.readouterr().out


def _shape(nb):
    """Which cells have outputs, and of which kinds: what a rerun must reproduce (not the numbers)."""
    return [(c.get("id"), sorted({o.get("output_type") for o in c.get("outputs", [])}))
            for c in nb.cells if c.cell_type == "code"]


@needs_release
@pytest.mark.slow
def test_the_full_solutions_student_run_is_regenerated_alike():
    """The committed full solution's outputs come from a real student-mode run: a rerun has
    outputs in the same cells, of the same kinds, with the experiments' tables and plots."""
    committed = notebook.read(REPO / "submitted" / "full_solution" / "mlp_lab" / "mlp_lab.ipynb")
    rerun = run_as_student(without_outputs(committed), REPO / "release" / "mlp_lab")
    assert _shape(rerun) == _shape(committed)
    experiments = [c for c in committed.cells if (c.get("id") or "").startswith("experiment_")]
    assert experiments and all(c.outputs for c in experiments)
    assert not any(o.get("output_type") == "error" for c in committed.cells for o in c.get("outputs", []))
    assert any("image/png" in o.get("data", {}) for c in experiments for o in c.outputs)


@needs_release
def test_examples_show_what_they_are_named_after():
    nbs = examples.example_notebooks(REPO)
    assert set(nbs) == set(examples.EXAMPLES)
    release, source = variants.course_notebooks(REPO)
    refs = variants.reference_solutions(source)
    full, untouched = _cells(nbs["full_solution"]), _cells(nbs["untouched_release"])
    for gid in variants.code_solution_ids(source):
        assert full[gid] == refs[gid]
        assert "NotImplementedError" in untouched[gid]
    assert nbs["untouched_release"] == release
    for student, (_, spec) in examples.EXAMPLES.items():
        cells = _cells(nbs[student])
        if isinstance(spec, str):   # a buggy student: exactly the mutant's cells differ
            assert student.startswith("bug_")
            mutant = variants.load_variants(REPO, [spec])[0]
            assert mutant.kind == "mutant"
            differing = {gid for gid in refs if cells.get(gid) != refs[gid]}
            assert differing == set(mutant.cells), student
    assert "os._exit" in _cells(nbs["crash_kernel_dies"])["task2_l2_momentum_solution"]
    assert "while loss >= 0" in [c.source for c in nbs["hangs_infinite_loop"].cells if c.get("id") == "task4_own_experiments"][0]


def test_check_without_a_release_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "nbgrader_config.py").write_text("")
    assert main(["--course", str(tmp_path)]) == 2
    assert "run `mlpkit release` first" in capsys.readouterr().err
