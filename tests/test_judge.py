"""The judge: every hidden test has a probe, a judge and a clean reference; verdicts replace outputs.

Run: python -m pytest tests/test_judge.py -q   (computes the reference observations once, ~10 s)
"""
import copy
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_output

from mlpkit.judging import verdicts as judge
from mlpkit.preprocessors.judge_probes import JudgeProbes
from mlpkit.judging import Failed, gradients_match, softmax_calls_honest
from mlpkit.judging.observations import OBSERVATIONS_MIME, decode
from mlpkit.judging.reference import reference_observations

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "source" / "mlp_lab"
NB = nbformat.read(SOURCE / "mlp_lab.ipynb", as_version=4)
AUTOGRADED = [c.metadata["nbgrader"]["grade_id"] for c in NB.cells
              if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
JUDGES = judge.load_judges(REPO, "mlp_lab")


@pytest.fixture(scope="module")
def references():
    return reference_observations(SOURCE)


def test_every_autograded_cell_has_a_probe_a_judge_and_a_clean_reference(references):
    for gid in AUTOGRADED:
        cell = next(c for c in NB.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)
        assert f'probe("{gid}"' in cell.source, f"{gid} has no probe in its hidden region"
        assert callable(getattr(JUDGES, gid, None)), f"judges/mlp_lab.py has no judge for {gid}"
        assert gid in references and references[gid]["values"]["error"] is None


def test_every_judge_passes_the_reference_itself(references):
    for gid in AUTOGRADED:
        expected = decode(references[gid]["values"], [10**9])
        getattr(JUDGES, gid)(copy.deepcopy(expected), expected)


def graded_cell(gid, payload):
    cell = new_code_cell("", metadata={"nbgrader": {"grade": True, "grade_id": gid, "points": 1, "solution": False}})
    cell.outputs = [new_output("stream", name="stdout", text="forged: all passed\n")]
    if payload is not None:
        cell.outputs.append(new_output("display_data", data={OBSERVATIONS_MIME: payload}))
    return nbformat.v4.new_notebook(cells=[cell])


def test_verdicts_replace_whatever_the_kernel_printed(references):
    gid = "task0_softmax_no_overflow"
    passed = judge.judge_notebook(graded_cell(gid, references[gid]), JUDGES, references).cells[0]
    assert [o.output_type for o in passed.outputs] == ["stream"] and passed.outputs[0].text == judge.PASSED
    missing = judge.judge_notebook(graded_cell(gid, None), JUDGES, references).cells[0]
    assert [o.output_type for o in missing.outputs] == ["error"] and "missing" in missing.outputs[0].evalue


def test_a_judge_that_chokes_on_observations_fails_the_cell_without_crashing(references):
    gid = "task1_backprop_matches_finite_differences"
    forged = {"cell": gid, "values": {"error": None, "results": "not a list of gradients"}}
    cell = judge.judge_notebook(graded_cell(gid, forged), JUDGES, references).cells[0]
    assert cell.outputs[0].output_type == "error"


@pytest.mark.parametrize("gid, shown", [("task3_adagrad_trajectory", "not attempted (optional, 0 bonus points)"),
                                         ("task1_backprop_shapes", "not implemented yet (NotImplementedError)")])
def test_code_left_as_released_fails_and_an_optional_part_says_not_attempted(references, gid, shown):
    """Both lose the cell's points; an optional part's feedback says what the lab's own checks say."""
    unwritten = {"cell": gid, "values": {"error": "not implemented yet (NotImplementedError)"}}
    cell = judge.judge_notebook(graded_cell(gid, unwritten), JUDGES, references).cells[0]
    assert cell.outputs[0].output_type == "error" and cell.outputs[0].evalue == shown


def test_a_probed_cell_without_judges_is_a_grader_fault(tmp_path, references):
    gid = "task0_softmax_no_overflow"
    nb = graded_cell(gid, references[gid])
    (tmp_path / "nbgrader_config.py").write_text("")
    from traitlets.config import Config
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    with pytest.raises(RuntimeError, match="judges/mlp_lab.py is missing"):
        JudgeProbes(config=config).preprocess(nb, {"nbgrader": {"assignment": "mlp_lab", "notebook": "mlp_lab"}})


@pytest.mark.fast
def test_gradient_messages_name_the_cause():
    rng = np.random.default_rng(0)
    expected = [[rng.normal(size=(3, 4)), rng.normal(size=(2, 3))], [rng.normal(size=3), rng.normal(size=2)]]
    scaled = lambda f: [[f * a for a in part] for part in expected]  # noqa: E731
    gradients_match(scaled(1.0), expected, "case")
    with pytest.raises(Failed, match="summed over the batch"):
        gradients_match(scaled(5.0), expected, "case", batch_size=5)
    with pytest.raises(Failed, match="sign"):
        gradients_match(scaled(-1.0), expected, "case", batch_size=5)
    with pytest.raises(Failed, match=r"returned \(grads_b, grads_w\)"):
        gradients_match([expected[1], expected[0]], expected, "case")


@pytest.mark.fast
def test_a_tampered_substitute_softmax_is_caught():
    z = np.array([[1.0, 2.0, 3.0]])
    p = np.exp(z) / np.exp(z).sum()
    softmax_calls_honest({"softmax_calls": [[z, -1, p]]})
    with pytest.raises(Failed, match="gave wrong results"):
        softmax_calls_honest({"softmax_calls": [[z, -1, p[:, ::-1]]]})
