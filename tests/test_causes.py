"""Likely causes: the catalogue is current, the matching is strict, and the class tables add up.

Pure (the fast lane): the catalogue judges/mlp_lab_causes.json against a fresh generation from
tests/variants/ (devtools/causes.py), mlpkit.judging.causes.diagnose on planted failure patterns,
and mlpkit.gradebook.analysis's item analysis on a planted class. The graded side (the example
class, every correct variant, full_solution) is in tests/test_mutation.py's one autograde.

Run: .venv/bin/python -m pytest tests/test_causes.py -q
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from devtools import causes as C
from devtools import variants as V
from mlpkit import notebook
from mlpkit.gradebook.analysis import cause_counts, item_analysis
from mlpkit.gradebook.results import StudentResult
from mlpkit.judging.causes import diagnose, part_of

pytestmark = pytest.mark.fast

REPO = Path(__file__).resolve().parents[1]
CATALOGUE = json.loads((REPO / "judges" / "mlp_lab_causes.json").read_text())["entries"]


def entry(name, fails, knock_on=(), message="", cause=None, cell=None):
    gid = (cell or fails[0])
    return {"name": name, "task": gid.split("_")[0], "part": part_of(gid), "cause": cause or f"cause of {name}",
            "fails": list(fails), "knock_on": list(knock_on), "message": message}


# ------------------------------------------------------------ the catalogue

def test_committed_catalogue_is_current_and_the_check_catches_a_stale_one(tmp_path, monkeypatch):
    assert C.main([]) == 0, "run `python -m devtools.causes --update`"
    stale = C.build()
    stale["entries"][0]["cause"] += " (edited)"
    assert C.render(stale) != (REPO / "judges" / "mlp_lab_causes.json").read_text()
    monkeypatch.setattr(C, "catalogue_path", lambda root, a: tmp_path / "causes.json")
    (tmp_path / "causes.json").write_text(C.render(stale))
    assert C.main([]) == 1


def test_every_mutant_is_in_the_catalogue_with_its_cells():
    mutants = {v.name: v for v in V.load_variants(REPO) if v.kind == "mutant" and not v.pending}
    assert {e["name"] for e in CATALOGUE} == set(mutants)
    for e in CATALOGUE:
        assert e["fails"] == list(mutants[e["name"]].fails) and e["cause"] == mutants[e["name"]].cause


def test_causes_are_one_plain_line_without_solution_or_test_code():
    """Check that no cause quotes a line of the source's solutions or hidden tests, or code at all."""
    source = notebook.read(REPO / "source" / "mlp_lab" / "mlp_lab.ipynb")
    secret = {line.strip() for cell in source.cells for kind in ("solution", "hidden")
              for line in notebook.regions(cell.source, kind) if len(line.strip()) > 12}
    for e in CATALOGUE:
        cause = e["cause"]
        assert "\n" not in cause and 20 < len(cause) < 200, e["name"]
        assert not any(line in cause for line in secret), e["name"]
        assert not any(code in cause for code in ("self.", "np.", "=", "[", "def ", "return ")), (e["name"], cause)


def test_a_mutant_without_a_cause_is_refused(tmp_path):
    path = tmp_path / "mutant_no_cause.py"
    path.write_text('"""doc"""\nCELL = "c"\nSOURCE = "x"\nFAILS = ["t"]\n')
    with pytest.raises(ValueError, match="CAUSE"):
        V.load_variant(path)


# ------------------------------------------------------------ matching

A = entry("mutant_a", ["task1_x", "task4_y"], knock_on=["task4_z"], message="summed")
B = entry("mutant_b", ["task1_x", "task4_y"], message="sign")
N = entry("mutant_n", ["task1_x", "task4_y"])                # same cells, no message
D = entry("mutant_d", ["task2_p"], message="defaults")
E = entry("mutant_e", ["task3_adamw_t"], message="rng")
F = entry("mutant_f", ["task3_adamw_t"], message="rng")


def test_the_message_decides_between_entries_with_the_same_cells():
    failed = {"task1_x": "gradient summed over the batch", "task4_y": "off"}
    assert diagnose(failed, [A, B, N]) == [{"task": "task1", "cause": A["cause"], "matches": "mutant_a"}]
    assert diagnose(dict(failed, task4_z="knock-on"), [A, B, N])[0]["matches"] == "mutant_a"


def test_a_contradicted_message_leaves_only_entries_without_one():
    failed = {"task1_x": "something else entirely", "task4_y": "off"}
    assert [c["matches"] for c in diagnose(failed, [A, B, N])] == ["mutant_n"]
    assert diagnose(failed, [A, B]) == []


def test_the_first_cells_message_outweighs_a_later_cell_that_lists_several_explanations():
    kept = entry("mutant_kept", ["task2_trajectory", "task2_buffer"], message="not kept")
    decay = entry("mutant_decay", ["task2_trajectory", "task2_buffer"], message="enter the velocity")
    failed = {"task2_trajectory": "the velocity is not kept",
              "task2_buffer": "the numbers fit any of: it must enter the velocity; it is not kept"}
    assert [c["matches"] for c in diagnose(failed, [kept, decay])] == ["mutant_kept"]


def test_two_entries_that_cannot_be_told_apart_give_one_of_both_never_a_pick():
    (cause,) = diagnose({"task3_adamw_t": "drew its randomness from rng"}, [E, F])
    assert cause["matches"] == "mutant_e, mutant_f" and cause["cause"].startswith("one of: ")
    assert E["cause"] in cause["cause"] and F["cause"] in cause["cause"]
    many = [entry(f"mutant_{i}", ["task3_adamw_t"]) for i in range(4)]
    assert diagnose({"task3_adamw_t": "?"}, many) == []


def test_a_cell_outside_the_pattern_in_its_parts_means_no_match():
    failed = {"task1_x": "summed", "task4_y": "", "task1_other": ""}
    assert diagnose(failed, [A]) == []
    assert diagnose({"task1_x": "summed"}, [A]) == []                       # a FAILS cell passed


def test_other_parts_failing_for_other_reasons_do_not_hide_a_cause():
    failed = {"task1_x": "summed", "task4_y": "", "task2_p": "wrong defaults", "task3_augment_q": "?"}
    assert [c["matches"] for c in diagnose(failed, [A, D])] == ["mutant_a", "mutant_d"]


@pytest.mark.parametrize("message", ["the test's observations are missing: did your code stop or replace ...",
                                     "not attempted (optional, 0 bonus points)", "NotImplementedError: "])
def test_a_part_that_did_not_run_or_was_not_written_gets_no_cause(message):
    assert diagnose({"task2_p": f"defaults {message}"}, [D]) == []
    assert diagnose({"task2_p": "defaults"}, [D]) != []


def test_nothing_failed_nothing_said():
    assert diagnose({}, CATALOGUE) == []


def _judged(*cells):
    """A judged notebook: (grade_id or None, kind, ename) per code cell; kind solution|test|given."""
    import nbformat.v4 as v4
    nb = v4.new_notebook()
    for gid, kind, ename in cells:
        meta = {"nbgrader": {"grade_id": gid, "grade": kind == "test", "solution": kind == "solution",
                             "locked": kind != "solution", "points": 1, "schema_version": 3}} if gid else {}
        cell = v4.new_code_cell("", metadata=meta)
        if ename:
            cell.outputs = [v4.new_output("error", ename=ename, evalue="defaults differ", traceback=[])]
        nb.cells.append(cell)
    return nb


def test_failures_after_a_dead_kernel_or_a_broken_solution_cell_are_not_diagnosed():
    """Check that a kernel death or a solution cell that raised makes the later failures NOT_RUN, and
    that such failures get no cause even where their cells fit an entry."""
    from mlpkit.judging.causes import NOT_RUN, failures
    ran = _judged(("task2_l2_momentum_solution", "solution", None), ("task2_p", "test", "TestFailed"))
    assert failures(ran) == {"task2_p": "TestFailed: defaults differ"} and diagnose(failures(ran), [D])
    died = _judged(("task1_softmax_network_solution", "solution", None), (None, "given", "DeadKernelError"),
                   ("task2_l2_momentum_solution", "solution", None), ("task2_p", "test", "TestFailed"))
    raised = _judged(("task2_l2_momentum_solution", "solution", "SyntaxError"), ("task2_p", "test", "NameError"))
    for nb in (died, raised):
        assert failures(nb)["task2_p"].startswith(NOT_RUN)
        assert diagnose(failures(nb), [D]) == []
    other_part = _judged(("task1_softmax_network_solution", "solution", "SyntaxError"),
                         ("task2_p", "test", "TestFailed"))
    assert diagnose(failures(other_part), [D]), "a broken Task 1 cell must not hide a Task 2 cause"


# ------------------------------------------------------------ class tables

def test_item_analysis_discrimination_and_pass_rate_on_a_planted_class():
    rng = np.random.default_rng(0)
    ability = rng.normal(size=60)
    cells = pd.DataFrame({"task0_good": (ability > 0).astype(float), "task0_noise": rng.integers(0, 2, 60) * 1.0,
                          "task1_all_pass": np.ones(60), "task1_a": (ability > -0.5) * 2.0,
                          "task1_b": (ability > 0.5) * 1.0})
    cells.attrs["max"] = {"task0_good": 1, "task0_noise": 1, "task1_all_pass": 1, "task1_a": 2, "task1_b": 1}
    items = item_analysis(cells).set_index("cell")
    assert items.loc["task0_good", "discrimination"] > 0.5
    assert abs(items.loc["task0_noise", "discrimination"]) < 0.3
    assert np.isnan(items.loc["task1_all_pass", "discrimination"]) and items.loc["task1_all_pass", "pass_rate"] == 1
    assert items.loc["task0_good", "pass_rate"] == pytest.approx((ability > 0).mean(), abs=1e-3)


def test_cause_counts_name_the_students():
    def res(s, *causes):
        return StudentResult(s, likely_causes=[{"task": "task0", "cause": c, "matches": "m"} for c in causes])
    table = cause_counts({"a": res("a", "x"), "b": res("b", "x", "y"), "c": res("c"), "d": None})
    assert table.to_dict("records") == [{"task": "task0", "cause": "x", "count": 2, "students": "a, b"},
                                        {"task": "task0", "cause": "y", "count": 1, "students": "b"}]
