"""mlpkit autograde: per-student outcomes for each bad input, gradebook integrity,
parallel == sequential, incremental re-grade, crash safety."""
import json
import os
import subprocess
import sys

import pytest

from conftest import (REPO, TOY_BUGGY_SOFTMAX, all_gradebook_scores, bad_input_class, gradebook_scores,
                      make_submission, new_course, released, toy_answers)
from mlpkit.gradebook.results import summary_table
from mlpkit.pipeline.grade import grade_all
from mlpkit.preprocessors.save_autogrades import AtomicSaveAutoGrades
from mlpkit.sandbox import machine

pytestmark = pytest.mark.slow


def crash_while_saving(monkeypatch, student, action):
    """Make `action()` happen while `student`'s grades are being saved: after the first grade
    cell is staged in the transaction, before it commits (an exception or a killed process)."""
    real = AtomicSaveAutoGrades.preprocess_cell

    def preprocess_cell(self, cell, resources, index):
        out = real(self, cell, resources, index)
        if self.student_id == student and cell.metadata.get("nbgrader", {}).get("grade"):
            action()
        return out
    monkeypatch.setattr(AtomicSaveAutoGrades, "preprocess_cell", preprocess_cell)


def simulated_crash():
    raise RuntimeError("simulated crash while saving grades")


# A grader process killed in the middle of one student's save (same patch, in a subprocess).
KILLED_MID_SAVE = """
import os, sys
from mlpkit.preprocessors.save_autogrades import AtomicSaveAutoGrades
real = AtomicSaveAutoGrades.preprocess_cell
def preprocess_cell(self, cell, resources, index):
    out = real(self, cell, resources, index)
    if self.student_id == sys.argv[1] and cell.metadata.get("nbgrader", {}).get("grade"):
        os._exit(70)
    return out
AtomicSaveAutoGrades.preprocess_cell = preprocess_cell
from mlpkit.cli import main
sys.exit(main(["--course", sys.argv[2], "autograde", "--jobs", "1", "--quiet"]))
"""

CELLS = ("task0_softmax_sums_to_one", "task0_softmax_axis", "task3_augment_shape")

# Expected autograded points per test cell (the reflection is manually graded).
EXPECTED = {
    "full":            (1, 1, 1),
    "buggy_softmax":   (0, 0, 1),
    "untouched":       (0, 0, 0),
    "invalid_json":    (0, 0, 0),
    "deleted_cells":   (1, 1, 0),   # deleted test re-inserted; deleted answer -> release stub
    "reordered_cells": (1, 1, 1),
    "edited_test":     (0, 0, 1),   # the edit is undone: the buggy softmax still fails
    "kernel_dies":     (1, 1, 0),   # keeps the points of the cells that ran before the crash
    "hangs":           (1, 1, 0),
    "tampering":       (0, 0, 1),   # np.allclose patched, but tests use the private _grader
    "missing":         (0, 0, 0),
}
EXPECTED_STATUS = {
    "full": {"needs manual grading"},
    "buggy_softmax": {"needs manual grading"},
    "untouched": {"ok"},
    "invalid_json": {"invalid notebook"},
    "deleted_cells": {"cells repaired", "needs manual grading"},
    "reordered_cells": {"cells repaired", "needs manual grading"},
    "edited_test": {"test cell edited", "needs manual grading"},
    "kernel_dies": {"failed to execute", "needs manual grading"},
    "hangs": {"failed to execute", "needs manual grading"},
    "tampering": {"tampering suspected", "needs manual grading"},
    "missing": {"missing"},
}


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_submission_gets_its_own_scores_in_the_gradebook(graded_class, student):
    course, results = graded_class
    scores = gradebook_scores(course, student)           # read back through nbgrader's Gradebook
    assert tuple(scores[c] for c in CELLS) == EXPECTED[student], results[student].events
    assert results[student].error is None
    assert {k: v["score"] for k, v in results[student].scores.items()} == scores


@pytest.mark.parametrize("student", sorted(EXPECTED_STATUS))
def test_each_bad_input_is_reported_by_name(graded_class, student):
    course, results = graded_class
    expected = set(EXPECTED_STATUS[student])
    assert set(results[student].status) == expected
    stored = json.loads(course.result_path(student).read_text())
    assert set(stored["status"]) == expected


def test_everyone_is_in_the_gradebook_and_it_reads_back(graded_class):
    course, results = graded_class
    scores = all_gradebook_scores(course)
    assert set(scores) == set(EXPECTED) == set(results)
    for student, cells in scores.items():
        assert set(cells) == set(CELLS) | {"task1_reflection"}, student
    # SQLite itself finds nothing wrong with the file.
    import sqlite3
    with sqlite3.connect(course.gradebook_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_failed_execution_says_why(graded_class):
    course, results = graded_class
    for student in ("kernel_dies", "hangs"):
        kinds = {e["kind"] for e in results[student].events}
        assert kinds & {"kernel_died", "timeout", "limit"}, (student, results[student].events)
    table = summary_table(results)
    assert "hangs" in table and "failed to execute" in table and "invalid notebook" in table


def test_results_file_records_hashes_and_timings(graded_class):
    course, results = graded_class
    data = json.loads(course.result_path("full").read_text())
    assert data["submission_sha256"] and data["source_sha256"]
    assert data["timings"]["record"] > 0
    assert data["scores"]["task0_softmax_axis"]["max_score"] == 1
    assert json.loads(course.result_path("missing").read_text())["submission_sha256"] is None


def test_submissions_are_never_modified(graded_class):
    course, _ = graded_class
    raw = course.submission_path("invalid_json").read_bytes()
    assert raw == b'{"cells": [ {"cell_type": "code", '
    assert not course.submission_path("missing").exists()


SUBSET = ["full", "kernel_dies", "invalid_json", "edited_test", "deleted_cells"]


def test_parallel_and_sequential_grading_agree(graded_class, tmp_path):
    course, parallel = graded_class
    seq_course = released(new_course(tmp_path / "seq"))
    bad_input_class(seq_course)
    sequential = grade_all(seq_course, students=SUBSET, jobs=1, progress=False)
    for student in SUBSET:
        assert sequential[student].scores == parallel[student].scores, student
        assert sequential[student].status == parallel[student].status, student


def test_a_cold_sandbox_per_notebook_grades_as_the_warm_workers_do(graded_class, tmp_path, monkeypatch):
    from mlpkit.sandbox import warm as warm_sandbox
    course, warm = graded_class
    monkeypatch.setattr(warm_sandbox, "get", lambda **settings: None)   # every run cold
    cold_course = released(new_course(tmp_path / "cold"))
    bad_input_class(cold_course)
    cold = grade_all(cold_course, students=SUBSET, jobs=1, progress=False)
    for student in SUBSET:
        assert cold[student].scores == warm[student].scores, student
        assert cold[student].status == warm[student].status, student
    reports = [json.loads(f.read_text())["report"] for f in cold_course.run_cache_dir.glob("*.json")]
    assert reports and not any(r["warm"] for r in reports)


@pytest.fixture(scope="module")
def two_students_template(tmp_path_factory):
    course = released(new_course(tmp_path_factory.mktemp("two") / "course"))
    make_submission(course, "alice", toy_answers(course))
    make_submission(course, "bob", toy_answers(course, task0_stable_softmax_solution=TOY_BUGGY_SOFTMAX))
    grade_all(course, jobs=1, progress=False)
    return course


@pytest.fixture
def two_students(two_students_template, tmp_path):
    """alice (correct) and bob (buggy softmax), graded; a fresh copy per test (cache included)."""
    import shutil
    from mlpkit.course import Course
    course = Course(shutil.copytree(two_students_template.root, tmp_path / "course"))
    shutil.copytree(two_students_template.cache_dir, course.cache_dir)   # its folder of the kit's cache
    return course


def test_changed_only_regrades_just_the_changed_notebook(two_students):
    course = two_students
    make_submission(course, "bob", toy_answers(course))          # bob fixes his softmax
    results = grade_all(course, jobs=1, progress=False, changed_only=True)
    assert results["alice"].skipped and not results["bob"].skipped
    assert gradebook_scores(course, "bob")["task0_softmax_axis"] == 1
    again = grade_all(course, jobs=1, progress=False, changed_only=True)
    assert again["alice"].skipped and again["bob"].skipped


def test_a_test_fix_in_source_regrades_everyone_with_the_new_tests(two_students):
    course = two_students
    nb = course.source_notebook()
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "task0_softmax_axis")
    test.source = test.source.replace("0.5", "0.25")   # now nobody passes this test
    from mlpkit.notebook import write as write_notebook
    write_notebook(nb, course.source_nb_path)
    results = grade_all(course, jobs=1, progress=False, changed_only=True)
    assert not results["alice"].skipped and not results["bob"].skipped
    assert gradebook_scores(course, "alice")["task0_softmax_axis"] == 0


def test_a_points_change_rerecords_from_the_cache_without_executing(two_students):
    course = two_students
    nb = course.source_notebook()
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "task0_softmax_axis")
    test.metadata["nbgrader"]["points"] = 2
    from mlpkit.notebook import write as write_notebook
    write_notebook(nb, course.source_nb_path)
    results = grade_all(course, jobs=1, progress=False, changed_only=True)
    assert not results["alice"].skipped and results["alice"].executed is False
    assert gradebook_scores(course, "alice")["task0_softmax_axis"] == 2
    assert results["alice"].max_total == 6


def test_force_runs_the_selected_notebook_again(two_students):
    course = two_students
    again = grade_all(course, students=["alice"], jobs=1, progress=False)
    assert again["alice"].executed is False                    # cached
    forced = grade_all(course, students=["alice"], jobs=1, progress=False, force=True)
    assert forced["alice"].executed is True and forced["alice"].cached is False
    assert forced["alice"].scores == again["alice"].scores


def test_an_exception_while_recording_one_student_leaves_the_others_and_old_grades(two_students, monkeypatch):
    course = two_students
    before = gradebook_scores(course, "bob")
    make_submission(course, "bob", toy_answers(course))
    with monkeypatch.context() as patch:
        crash_while_saving(patch, "bob", simulated_crash)
        results = grade_all(course, jobs=1, progress=False)
    assert "grading error" in results["bob"].status and "simulated crash" in results["bob"].error
    assert results["alice"].error is None
    assert gradebook_scores(course, "bob") == before     # all-or-nothing: no half-written notebook
    grade_all(course, students=["bob"], jobs=1, progress=False)
    assert gradebook_scores(course, "bob")["task0_softmax_axis"] == 1


def test_a_new_student_whose_recording_fails_is_not_left_half_created(two_students, monkeypatch):
    course = two_students
    make_submission(course, "carol", toy_answers(course))
    crash_while_saving(monkeypatch, "carol", simulated_crash)
    results = grade_all(course, students=["carol"], jobs=1, progress=False)
    assert results["carol"].status == ["grading error"]
    assert set(all_gradebook_scores(course)) == {"alice", "bob"}
    assert json.loads(course.result_path("carol").read_text())["error"]


def test_a_process_killed_mid_save_leaves_a_readable_gradebook(two_students):
    course = two_students
    before = all_gradebook_scores(course)
    make_submission(course, "alice", toy_answers(course, task0_stable_softmax_solution=TOY_BUGGY_SOFTMAX))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", KILLED_MID_SAVE, "alice", str(course.root)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 70, proc.stderr[-2000:]
    assert all_gradebook_scores(course) == before


def test_an_unknown_student_name_is_skipped_not_invented(two_students, capsys):
    results = grade_all(two_students, students=["alcie"], jobs=1, progress=False)
    assert results == {}
    assert "'alcie'" in capsys.readouterr().err
    assert set(all_gradebook_scores(two_students)) == {"alice", "bob"}


def test_a_second_autograde_on_the_same_course_is_refused(two_students):
    import fcntl
    from mlpkit.course import CourseError
    with open(two_students.lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)          # as a running autograde holds it
        with pytest.raises(CourseError, match="another `mlpkit autograde` is running"):
            grade_all(two_students, jobs=1, progress=False)
    assert grade_all(two_students, students=["alice"], jobs=1, progress=False)["alice"].error is None


def test_cli_grades_one_student_and_prints_the_summary(two_students, capsys):
    from mlpkit.cli import main
    assert main(["--course", str(two_students.root), "autograde", "--student", "bob", "--jobs", "1",
                 "--quiet"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["bob", "0/4", "+", "1/1", "bonus", "needs", "manual", "grading"] in rows   # core, then bonus
    assert not any(row and row[0] == "alice" for row in rows)


def test_each_notebook_runs_once_sandboxed_and_warm(graded_class):
    # One pass: nbgrader's own execute step runs each notebook, in the worker's warm sandbox;
    # notebooks whose code normalizes to the same (untouched, reordered...) share one run.
    course, results = graded_class
    assert all(r.executed is (not r.cached) for r in results.values())
    assert all(r.sandboxed for r in results.values())
    reports = [json.loads((course.run_cache_dir / f).read_text())["report"]
               for f in os.listdir(course.run_cache_dir) if f.endswith(".json")]
    assert 0 < len(reports) <= sum(r.executed for r in results.values())
    if machine.uid_separation_available():
        assert all(r["warm"] for r in reports)


def test_require_sandbox_refuses_before_grading_anyone(toy_course, monkeypatch, capsys):
    from mlpkit.cli import main
    monkeypatch.setattr(machine, "probe", lambda *a, **k: (False, "bubblewrap (bwrap) is not installed"))
    make_submission_dir = toy_course.submitted_dir / "alice" / "mlp_lab"
    make_submission_dir.mkdir(parents=True)
    assert main(["--course", str(toy_course.root), "autograde", "--sandbox", "require", "--quiet"]) == 2
    assert "bwrap" in capsys.readouterr().err
    assert not toy_course.gradebook_path.exists() and not toy_course.grading_dir.exists()


@pytest.mark.fast   # staging alone, on a release made in this process
def test_symlinks_in_a_submission_are_not_followed(pure_toy_course, tmp_path):
    from mlpkit.gradebook.results import StudentResult
    from mlpkit.staging.stage import stage
    course = pure_toy_course
    make_submission(course, "linker", toy_answers(course))
    secret = tmp_path / "secret.txt"
    secret.write_text("instructor only")
    (course.submitted_dir / "linker" / "mlp_lab" / "data.txt").symlink_to(secret)
    staged = stage(course, "linker", course.release_notebook(), StudentResult("linker"))
    assert not (staged / "data.txt").exists()
    assert (staged / "mlp_lab.ipynb").is_file()


@pytest.mark.fast
def test_scan_flags_patching_a_module_imported_in_the_setup_cell(pure_toy_course):
    from mlpkit.staging.stage import scan_findings
    course = pure_toy_course
    path = make_submission(course, "patcher", toy_answers(
        course, task0_stable_softmax_solution="np.allclose = lambda *a, **k: True\n" + TOY_BUGGY_SOFTMAX))
    from mlpkit.notebook import read as read_notebook
    assert scan_findings(read_notebook(path))


@pytest.mark.fast
def test_a_notebook_that_never_started_is_reported_as_a_grader_fault(capsys):
    """Check that a kernel that never started (a fault of the grading machine, e.g. a broken
    sandbox) is reported loudly and makes the exit code non-zero, unlike a student's crash."""
    from mlpkit.gradebook.results import StudentResult, report_grader_faults
    student_crash = StudentResult("crasher", events=[{"cell": 29, "kind": "kernel_died", "message": "os._exit"}])
    assert not report_grader_faults({"crasher": student_crash})
    no_kernel = StudentResult("alice", events=[{"cell": None, "kind": "kernel_died",
                                                "message": "the kernel did not start"}])
    assert report_grader_faults({"crasher": student_crash, "alice": no_kernel})
    assert "GRADER FAULT" in capsys.readouterr().err


def _autograded_scores(course):
    """{student: (auto_score of each of CELLS)} of every submission in the gradebook."""
    with course.gradebook() as gb:
        # A bonus cell's points are extra credit (auto_score 0): count both, None when unrecorded.
        return {sub.student.id: tuple(next(None if g.auto_score is None else g.auto_score + (g.extra_credit or 0)
                                           for g in nb.grades if g.name == cell) for cell in CELLS)
                for sub in gb.assignment_submissions("mlp_lab") for nb in sub.notebooks}


def _wait_for_the_lock(course, seconds=60):
    """The killed grader's lock is free again (its workers died with it)."""
    import fcntl
    import time
    deadline = time.monotonic() + seconds
    with open(course.lock_path, "w") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(lock, fcntl.LOCK_UN)
                return
            except OSError:
                assert time.monotonic() < deadline, "a killed grader's workers still hold the lock"
                time.sleep(0.2)


def test_a_grader_killed_at_any_moment_resumes_to_the_right_grades(tmp_path):
    """Check that killing `mlpkit autograde` (SIGKILL, mid-run, three times at different moments)
    never leaves a half-recorded student, and that re-running it records every grade right."""
    import random
    import signal
    import time
    course = released(new_course(tmp_path / "course"))
    expected = {}
    for n in range(6):
        buggy = n % 2 == 1
        make_submission(course, f"s{n}", toy_answers(
            course, **({"task0_stable_softmax_solution": TOY_BUGGY_SOFTMAX} if buggy else {})))
        expected[f"s{n}"] = EXPECTED["buggy_softmax" if buggy else "full"]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    rng = random.Random(12)
    # Kill when the first student is recorded, when half are, and at a random moment.
    for recorded_before_kill in (1, 3, None):
        proc = subprocess.Popen([sys.executable, "-m", "mlpkit", "--course", str(course.root), "autograde",
                                 "--jobs", "2", "--quiet"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + (rng.uniform(2, 8) if recorded_before_kill is None else 240)
        while proc.poll() is None and time.monotonic() < deadline:
            if recorded_before_kill and len(list(course.grading_dir.glob("s*.json"))) >= recorded_before_kill:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _wait_for_the_lock(course)
        for student, scores in _autograded_scores(course).items():
            # Every student is either not recorded at all or recorded with all the right grades.
            assert scores == (None,) * len(CELLS) or scores == expected[student], (student, scores)
        for stale in course.grading_dir.glob("s*.json"):
            stale.unlink()   # so the next kill waits for students recorded in that run
    final = grade_all(course, jobs=2, progress=False)
    assert _autograded_scores(course) == expected
    assert {s: tuple(final[s].scores[c]["score"] for c in CELLS) for s in expected} == expected  # bonus: extra credit
    import sqlite3
    with sqlite3.connect(course.gradebook_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
