"""mlpkit release: the student version carries no solution, hidden test or mark scheme."""
import shutil

import pytest
from nbformat.v4 import new_output

from conftest import REPO, lab_exists
from mlpkit.cli import main
from mlpkit.course import Course
from mlpkit.notebook import grade_id, secret_lines
from mlpkit.notebook import read as read_notebook
from mlpkit.notebook import write as write_notebook
from mlpkit.releasing.leaks import leak_check


def test_release_strips_every_secret_of_the_toy_lab(shared_toy_course):
    course = shared_toy_course
    text = course.release_nb_path.read_text()
    for secret in ("shifted_logits", "q_hidden_large", "r_hidden_axis", "noise_scale_for_toy",
                   "Full marks for naming overflow", "BEGIN", "Subtracting the maximum"):
        assert secret not in text
    assert "rows of stable_softmax must sum to 1" in text     # visible tests stay
    assert leak_check(course) == []
    nb = course.release_notebook()
    assert all(c.get("outputs") == [] and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code")


def test_the_fast_lanes_release_made_in_process_is_nbgraders_own(shared_toy_course, pure_toy_course):
    """conftest.release_in_process, which the fast lane's tests of pure functions use, writes the
    release/ that nbgrader's generate_assignment writes (cell ids aside: each toy course gets its own)."""
    def release(course):
        cells = [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in course.release_notebook().cells]
        return cells, course.release_notebook().metadata, sorted(p.name for p in course.release_dir.iterdir())
    assert release(pure_toy_course) == release(shared_toy_course)


@pytest.mark.fast
def test_secret_lines_cover_solutions_hidden_tests_and_model_answers(pure_toy_course):
    secrets = secret_lines(pure_toy_course.source_notebook())
    assert secrets["exponentials = np.exp(shifted_logits)"] == "task0_stable_softmax_solution"
    assert secrets['assert _grader.allclose(r_hidden_axis, 0.5), "stable_softmax ignores its axis argument"'] \
        == "task0_softmax_axis"
    assert secrets["Full marks for naming overflow of the exponential function."] == "task1_reflection"
    assert secrets["Subtracting the maximum keeps exp from overflowing for large logits."] == "task1_reflection"
    # Visible lines are not secrets, even inside a cell with a hidden region.
    assert not any("rows of stable_softmax must sum to 1" in s for s in secrets)


@pytest.mark.parametrize("leaked, why", [
    ("    exponentials = np.exp(shifted_logits)", "text of task0_stable_softmax_solution"),
    ("### BEGIN HIDDEN TESTS", "marker"),
])
@pytest.mark.fast
def test_leak_check_names_the_cell_and_the_text(pure_toy_course, tmp_path, leaked, why):
    course = pure_toy_course
    release_copy = tmp_path / "release" / "mlp_lab"
    shutil.copytree(course.release_dir, release_copy)
    nb = read_notebook(release_copy / "mlp_lab.ipynb")
    cell = next(c for c in nb.cells if grade_id(c) == "task0_softmax_sums_to_one")
    cell.outputs = [new_output("stream", name="stdout", text=leaked + "\n")]
    write_notebook(nb, release_copy / "mlp_lab.ipynb")
    leaks = leak_check(course, release_copy)
    assert [(x.cell, x.text) for x in leaks] == [("task0_softmax_sums_to_one", leaked.strip())]
    assert why in str(leaks[0])


def test_release_fails_loudly_when_a_given_file_holds_a_solution(toy_course, capsys):
    course = toy_course
    (course.source_dir / "reference.py").write_text(
        "def stable_softmax(x, axis=-1):\n"
        "    shifted_logits = np.asarray(x, dtype=float) - np.max(x, axis=axis, keepdims=True)\n")
    assert main(["--course", str(course.root), "release"]) == 1
    err = capsys.readouterr().err
    assert "reference.py" in err and "shifted_logits = np.asarray" in err


def test_release_check_detects_a_stale_release(shared_toy_course, tmp_path, capsys):
    assert main(["--course", str(shared_toy_course.root), "release", "--check"]) == 0
    course = Course(shutil.copytree(shared_toy_course.root, tmp_path / "course"))
    nb = course.release_notebook()
    nb.cells[0].source += "\nedited by hand"
    write_notebook(nb, course.release_nb_path)
    assert main(["--course", str(course.root), "release", "--check"]) == 1
    assert "differs from a fresh generation: mlp_lab.ipynb" in capsys.readouterr().out


@pytest.mark.skipif(not lab_exists(), reason="the lab notebook is not written yet")
def test_committed_release_of_the_lab_is_up_to_date_and_leak_free(capsys):
    # Update switch: `python -m mlpkit release` regenerates release/ from source/.
    assert main(["--course", str(REPO), "release", "--check"]) == 0, capsys.readouterr().out


def test_release_records_the_configured_due_date_and_the_formgrader_sees_it_released(released_toy_course):
    import datetime
    from mlpkit.course import run_api
    course = released_toy_course
    with course.gradebook() as gb:
        assert gb.find_assignment("mlp_lab").duedate == datetime.datetime(2026, 12, 18, 23, 59)
    assert (course.root / "exchange" / "mlp-lab" / "outbound" / "mlp_lab" / "mlp_lab.ipynb").is_file()
    # What the formgrader's assignment list shows (it calls this API method).
    api = course.api()
    assignment = run_api(api, "get_assignment", "mlp_lab")
    assert assignment["status"] == "released" and assignment["releaseable"]
    assert assignment["duedate"].startswith("2026-12-18")


def test_without_publishing_the_formgrader_would_say_draft(toy_course):
    # The check above can fail: generated but not in the exchange is nbgrader's "draft".
    from mlpkit.course import run_api
    from mlpkit.releasing.generate import release
    assert release(toy_course, publish=False) is None
    assert run_api(toy_course.api(), "get_assignment", "mlp_lab")["status"] == "draft"


def test_an_unreadable_due_date_is_a_clear_error(toy_course, capsys):
    with open(toy_course.config_file, "a") as f:
        f.write('\nc.AssignmentSchedule.duedate = "next friday-ish"\n')
    assert main(["--course", str(toy_course.root), "release"]) == 1
    assert "c.AssignmentSchedule.duedate = 'next friday-ish' is not a date" in capsys.readouterr().err


def test_release_records_the_course_roster(toy_course):
    from mlpkit.releasing.generate import release
    (toy_course.root / "roster.csv").write_text("id,first_name,last_name,email\nzoe,Zoe,Kravitz,\n")
    release(toy_course)
    with toy_course.gradebook() as gb:
        assert [(s.id, s.first_name, s.last_name) for s in gb.students] == [("zoe", "Zoe", "Kravitz")]


def test_the_repo_roster_names_every_example_submission():
    from mlpkit.gradebook.roster import read_roster
    roster = read_roster(REPO / "roster.csv")
    examples = sorted(p.name for p in (REPO / "submitted").iterdir() if p.is_dir())
    assert sorted(roster) == examples
    assert all(info["first_name"] and info["last_name"] for info in roster.values())


def test_the_student_hub_config_names_real_nbgrader_plugins_and_extensions():
    # A typo there would silently leave the instructor tools visible to students.
    import importlib
    import json
    import sys
    from pathlib import Path
    folder = REPO / "docs" / "jupyterhub" / "student"
    plugins = json.loads((folder / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    bundle = "".join(p.read_text(errors="replace") for p in
                     (Path(sys.prefix) / "share/jupyter/labextensions/@jupyter/nbgrader/static").glob("*.js"))
    assert plugins and all(f'"{name}"' in bundle for name in plugins), plugins
    assert '"@jupyter/nbgrader:validate-assignment"' in bundle and \
        "@jupyter/nbgrader:validate-assignment" not in plugins        # students keep Validate
    server = json.loads((folder / "jupyter_server_config.json").read_text())["ServerApp"]["jpserver_extensions"]
    for module in server:
        importlib.import_module(module)
    assert "nbgrader.server_extensions.validate_assignment" not in server
