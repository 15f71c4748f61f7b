"""The habits of the course's earlier labs work in this lab (../shared/original-lab.md).

Students paste code from labs 1-2 and call the given code as they did there. The source notebook
(its reference solutions) is run in grading mode with one extra cell that does what such a
student does; each habit is one assertion there, and the cell reports which ones broke.
"""
import json
import os
import shutil

import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from conftest import REPO
from devtools import variants as V

HABITS = r'''
import json as _json
_broken = {}
def _habit(name, check):
    try:
        result = check()
        if result is not True:
            _broken[name] = f"gave {result!r}"
    except Exception as error:
        _broken[name] = f"{type(error).__name__}: {error}"

# Lab-2 code, annotated with the course's names, runs as pasted.
def _annotated():
    class Lab2Network(Network):
        def backprop(self, x: FloatNDArray, y: FloatNDArray) -> tuple[list[FloatNDArray], list[FloatNDArray]]:
            return super().backprop(x, y)
        def helper(self, sizes: Sequence[int], f: Callable[..., Any]) -> Any:
            return f(sizes)
    Lab2Network([3, 2]).backprop(np.zeros((1, 3)), np.zeros((1, 2)))
    return random is not None and json is not None
_habit("typing names and FloatNDArray", _annotated)
_habit("cost_derivative(a=..., y=...)",
       lambda: bool(np.allclose(Network([2, 2]).cost_derivative(a=np.ones((1, 2)), y=np.zeros((1, 2))), 1.0)))
_habit("keyword calls of the given code", lambda: np.ndim(Network(sizes=[4, 3, 2]).evaluate(
    x_test_data=np.zeros((2, 4)), y_test_data=np.eye(2))) == 0 and bool(unstable_softmax(x=np.zeros(2), axis=-1).sum() == 1))
def _epochs_zero():
    x, y = np.random.default_rng(0).random((20, 4)), np.eye(2)[np.arange(20) % 2]
    accuracy = Network([4, 3, 2]).train((x, y), test_data=(x, y), epochs=0)
    return 0.0 <= float(accuracy) <= 1.0 and float(Network([4, 3, 2]).train((x, y), epochs=0)) == -1.0
_habit("train(..., epochs=0, test_data=...) returns the accuracy", _epochs_zero)
def _names():
    results = ModelResults()
    class Tiny(Task1And2):
        def train(self, *args, **kwargs):
            return np.float64(0.5)
    results.evaluate_model("L2&Momentum", Tiny, layers=(784, 30, 10), learning_rates=[10.0], n_trainings=1,
                           l2_factor=1e-5, momentum=0.2)
    results.evaluate_model("Deeper", Tiny, layers=(784, 100, 30, 10), learning_rates=[1.0], n_trainings=1,
                           l2_factor=1e-5, momentum=0.2)
    results.evaluate_model("Plain", Tiny, layers=(784, 100, 30, 10), learning_rates=[1.0], n_trainings=1)
    return sorted(results.results)
_habit("model names", lambda: _names() == ["Deeper[784,100,30,10](l2_factor=1e-05,momentum=0.2)",
                                           "L2&Momentum(l2_factor=1e-05,momentum=0.2)", "Plain"] or _names())
_habit("test_stable_softmax() can be called", lambda: test_stable_softmax() is None)
_habit("the Task 3 cells are defined whether or not attempted", lambda: all(
    callable(f) for f in (AdamW, Adagrad, Dropout, augment)))
print("HABITS " + _json.dumps(_broken))
'''


@pytest.fixture(scope="module")
def broken_habits(tmp_path_factory):
    work = tmp_path_factory.mktemp("habits")
    lab = REPO / "source" / "mlp_lab"
    for name in ("lab_checks.py", "mnist_loader.py", "mnist_subset.npz"):
        shutil.copy2(lab / name, work / name)
    source = V.course_notebooks(REPO)[1]
    nb = V.build_submission(source, source)
    nb.cells.append(new_code_cell(HABITS))
    saved = os.environ.get("NBGRADER_EXECUTION")
    os.environ["NBGRADER_EXECUTION"] = "validate"
    try:
        NotebookClient(nb, timeout=120, allow_errors=True, resources={"metadata": {"path": str(work)}}).execute()
    finally:
        if saved is None:
            os.environ.pop("NBGRADER_EXECUTION")
        else:
            os.environ["NBGRADER_EXECUTION"] = saved
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    assert "HABITS " in printed, nb.cells[-1].outputs
    return json.loads(printed.split("HABITS ", 1)[1].splitlines()[0])


@pytest.mark.parametrize("habit", ["typing names and FloatNDArray", "cost_derivative(a=..., y=...)",
                                   "keyword calls of the given code",
                                   "train(..., epochs=0, test_data=...) returns the accuracy", "model names",
                                   "test_stable_softmax() can be called",
                                   "the Task 3 cells are defined whether or not attempted"])
def test_a_habit_of_the_earlier_labs_works(broken_habits, habit):
    assert habit not in broken_habits, broken_habits[habit]
