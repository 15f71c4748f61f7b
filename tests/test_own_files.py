"""Only the student's own files come back: a symlink to the source notebook handed in beside the
notebook reaches neither autograded/ nor feedback/, on the kit's path (`mlpkit autograde`,
`mlpkit feedback`) nor on nbgrader's own (`nbgrader autograde`, `nbgrader generate_feedback`:
what the formgrader's buttons run with the course's nbgrader_config.py). `mlpkit collect`'s
own checks are in tests/test_collect.py; the sorting itself is mlpkit/staging/beside.py.

Run: python -m pytest tests/test_own_files.py -q     (@slow: grades the toy course)
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_submission, new_course, released, toy_answers

from mlpkit.gradebook import results
from mlpkit.gradebook.feedback import generate_all
from mlpkit.limits import GradingLimits
from mlpkit.pipeline.grade import grade_all
from mlpkit.staging.beside import REFUSED_NOTE, find_submission, sort_folder

STUDENT = "linker"


def hand_in_links(course, student=STUDENT):
    """A correct submission plus a link to the source notebook, a linked folder and a pipe."""
    folder = make_submission(course, student, toy_answers(course)).parent
    (folder / "notes.txt").symlink_to(course.source_nb_path)
    (folder / "judges").symlink_to(course.source_dir, target_is_directory=True)
    os.mkfifo(folder / "pipe")
    (folder / "own.txt").write_text("my own notes\n")
    return folder


def leaked(course, top):
    """Files under `top` that are links, special files, or copies of a source-folder file."""
    secrets = {p.read_bytes() for p in course.source_dir.rglob("*") if p.is_file()}
    bad = []
    for path in Path(top).rglob("*"):
        if path.is_symlink() or not (path.is_dir() or path.is_file()):
            bad.append(f"{path}: a link or special file")
        elif path.is_file() and path.suffix not in (".ipynb", ".html") and path.read_bytes() in secrets \
                and path.name != "helper.py":   # helper.py: the course's own file, copied by nbgrader itself
            bad.append(f"{path}: a copy of a source file")
        elif path.is_file() and path.name in ("notes.txt", "pipe"):
            bad.append(f"{path}: the link's target")
    return bad


def nbgrader(course, *args):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run([str(Path(sys.executable).parent / "nbgrader"), *args], cwd=course.root, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.fast
def test_sort_folder_keeps_own_files_and_refuses_links_pipes_and_big_files(tmp_path):
    folder = tmp_path / "alice" / "mlp_lab"
    folder.mkdir(parents=True)
    secret = tmp_path / "secret.ipynb"
    secret.write_text("{}")
    (folder / "own.txt").write_text("mine")
    (folder / "sub").mkdir()
    (folder / "sub" / "data.csv").write_text("1,2")
    (folder / "sub" / "link.csv").symlink_to(secret)
    (folder / "linked_dir").symlink_to(tmp_path, target_is_directory=True)
    (folder / "broken").symlink_to(tmp_path / "nowhere")
    os.mkfifo(folder / "pipe")
    (folder / "big.bin").write_bytes(b"x" * 300)
    (folder / "mlp_lab.ipynb").write_text("{}")
    kept, refused = sort_folder(folder, GradingLimits(extra_file_bytes=200))
    assert kept == ["own.txt", "sub/data.csv"]
    assert sorted(r for r, _ in refused) == ["big.bin", "broken", "linked_dir", "pipe", "sub/link.csv"]
    kept, refused = sort_folder(folder, GradingLimits(extra_file_bytes=10**6, extra_total_bytes=304))
    assert kept == ["big.bin", "own.txt"]
    assert "extra_total_bytes" in dict(refused)["sub/data.csv"]


@pytest.mark.fast
def test_find_submission_takes_a_renamed_notebook_but_never_a_link(tmp_path):
    folder = tmp_path / "bob" / "mlp_lab"
    folder.mkdir(parents=True)
    expected = folder / "mlp_lab.ipynb"
    assert find_submission(expected) == (None, [])
    (folder / "MLP_Lab (1).ipynb").write_text("{}")
    found, notes = find_submission(expected)
    assert found == folder / "MLP_Lab (1).ipynb" and "MLP_Lab (1).ipynb" in notes[0]
    (folder / "copy.ipynb").write_text("{}")
    found, notes = find_submission(expected)
    assert found is None and "2 other notebooks" in notes[0]
    expected.symlink_to(tmp_path / "secret.ipynb")
    (tmp_path / "secret.ipynb").write_text("{}")
    found, notes = find_submission(expected)
    assert found is None and "symbolic link" in notes[0]


@pytest.fixture(scope="module")
def kit_path(tmp_path_factory):
    """The toy course graded and given feedback by mlpkit, with links handed in."""
    course = released(new_course(tmp_path_factory.mktemp("own-kit") / "course"))
    hand_in_links(course)
    make_submission(course, "plain", toy_answers(course))   # the same answers, nothing beside them
    make_submission(course, "renamed", toy_answers(course)).rename(
        course.submitted_dir / "renamed" / "mlp_lab" / "MLP_Lab (1).ipynb")
    graded = grade_all(course, jobs=1, progress=False)
    done, failed = generate_all(course)
    return course, graded, done, failed


@pytest.mark.slow
def test_mlpkit_autograde_and_feedback_bring_back_only_own_files(kit_path):
    course, graded, done, failed = kit_path
    assert not failed and STUDENT in done
    own = course.autograded_path(STUDENT).parent / "own.txt"
    assert own.read_text() == "my own notes\n"        # the student's own file still comes along
    for top in (course.staged_dir(STUDENT), course.autograded_dir, course.feedback_dir):
        assert leaked(course, top) == [], top
    notes = "\n".join(results.load(course, STUDENT).notes)
    for name in ("notes.txt", "judges", "pipe"):
        assert f"not copied: {name}:" in notes
    assert graded[STUDENT].total == graded["plain"].total > 0      # graded as usual


@pytest.mark.slow
def test_mlpkit_autograde_grades_a_renamed_notebook_and_says_so(kit_path):
    course, graded, _, _ = kit_path
    res = results.load(course, "renamed")
    assert res.graded_file == "MLP_Lab (1).ipynb"
    assert any("graded MLP_Lab (1).ipynb" in n for n in res.notes)
    assert res.total == graded["plain"].total > 0     # the same answers, the same score


@pytest.fixture(scope="module")
def nbgrader_path(tmp_path_factory):
    """The toy course autograded and given feedback by nbgrader's own commands."""
    course = released(new_course(tmp_path_factory.mktemp("own-nbgrader") / "course"))
    hand_in_links(course)
    run = nbgrader(course, "autograde", "mlp_lab", "--student", STUDENT, "--force")
    assert run.returncode == 0, run.stderr[-3000:]
    # A link that reached autograded/ some other way (an older nbgrader run, a hand copy).
    planted = course.autograded_path(STUDENT).parent / "planted.txt"
    planted.symlink_to(course.source_nb_path)
    feedback = nbgrader(course, "generate_feedback", "mlp_lab", "--student", STUDENT, "--force")
    assert feedback.returncode == 0, feedback.stderr[-3000:]
    return course, run, feedback


@pytest.mark.slow
def test_nbgrader_autograde_brings_back_only_own_files(nbgrader_path):
    course, run, _ = nbgrader_path
    autograded = course.autograded_path(STUDENT).parent
    assert course.autograded_path(STUDENT).is_file()
    assert (autograded / "own.txt").read_text() == "my own notes\n"
    assert [b for b in leaked(course, autograded) if "planted" not in b] == []
    for name in ("notes.txt", "judges", "pipe"):
        assert f"not copied: {name}:" in run.stderr, run.stderr[-2000:]
    kept = course.grading_dir / "refused" / STUDENT / "mlp_lab"
    assert (kept / "notes.txt").is_symlink()           # moved aside, not deleted
    assert "notes.txt" in (kept / REFUSED_NOTE).read_text()


@pytest.mark.slow
def test_nbgrader_generate_feedback_brings_back_only_own_files(nbgrader_path):
    course, _, feedback = nbgrader_path
    assert course.feedback_path(STUDENT).is_file()
    assert leaked(course, course.feedback_dir) == []
    assert "not copied: planted.txt:" in feedback.stderr


@pytest.mark.fast
def test_mlpkit_feedback_refuses_a_course_that_lets_links_into_feedback(toy_course):
    from mlpkit.course import CourseError
    with open(toy_course.config_file, "a") as f:
        f.write("\nc.GenerateFeedback.pre_convert_hook = None\n")
    with pytest.raises(CourseError, match="pre_convert_hook"):
        generate_all(toy_course)


@pytest.mark.fast
def test_the_hook_moves_links_aside_before_nbgrader_copies(toy_course, monkeypatch):
    """What nbgrader's converters call (nbgrader_config.py's pre_convert_hook), in the course root."""
    from mlpkit.preprocessors.own_files import before_autograde
    folder = toy_course.submitted_dir / "alice" / "mlp_lab"
    folder.mkdir(parents=True)
    (folder / "mlp_lab.ipynb").write_text("{}")
    (folder / "own.txt").write_text("mine")
    (folder / "notes.txt").symlink_to(toy_course.source_nb_path)
    (folder / "__MACOSX").mkdir()        # a name nbgrader copies, unlike collect: checked too
    (folder / "__MACOSX" / "x.txt").symlink_to(toy_course.source_nb_path)
    monkeypatch.chdir(toy_course.root)    # nbgrader runs converters from the course root
    before_autograde(assignment="mlp_lab", student="*", notebooks=[str(folder / "mlp_lab.ipynb")])
    assert sorted(p.name for p in folder.iterdir()) == ["__MACOSX", "mlp_lab.ipynb", "own.txt"]
    assert list((folder / "__MACOSX").iterdir()) == []
    aside = toy_course.grading_dir / "refused" / "alice" / "mlp_lab"
    assert (aside / "notes.txt").is_symlink() and "notes.txt" in (aside / REFUSED_NOTE).read_text()
    before_autograde(assignment="mlp_lab", student="*", notebooks=[str(folder / "mlp_lab.ipynb")])
    assert sorted(p.name for p in folder.iterdir()) == ["__MACOSX", "mlp_lab.ipynb", "own.txt"]   # clean: untouched
