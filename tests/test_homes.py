"""One home per concept: the course root, the cache, the statuses, the timeouts, the totals, the frames.

Each is found or defined in one place (docs/design.md, "One home per concept"); these tests
pin what that place answers. Pure: part of the fast lane (`make test-fast`).
"""
import io
import subprocess
import sys

import pytest
from traitlets.config import Config

from mlpkit import paths, statuses
from mlpkit.course import Course
from mlpkit.gradebook.results import StudentResult, finalize
from mlpkit.gradebook.totals import totals
from mlpkit.limits import GradingLimits
from mlpkit.sandbox.inside import protocol
from mlpkit.sandbox.plan import hidden_folders

pytestmark = pytest.mark.fast


# ---------------------------------------------------------------- the course root

def test_a_folder_inside_a_course_finds_the_folder_holding_nbgrader_config(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("")
    inside = tmp_path / "submitted" / "alice" / "mlp_lab"
    inside.mkdir(parents=True)
    assert paths.course_root(near=inside) == tmp_path.resolve()
    assert paths.course_root(near=tmp_path) == tmp_path.resolve()


def test_without_a_config_the_folder_above_autograded_or_submitted_is_the_course(tmp_path):
    work = tmp_path / "autograded" / "alice" / "lab"
    work.mkdir(parents=True)
    assert paths.course_root(near=work) == tmp_path.resolve()
    assert paths.course_root(near=tmp_path / "elsewhere") is None


def test_nbgrader_steps_take_the_course_from_their_config_and_commands_from_the_current_folder(tmp_path,
                                                                                              monkeypatch):
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    assert paths.course_root(config=config) == tmp_path.resolve()
    monkeypatch.chdir(tmp_path)
    assert paths.course_root(config=Config()) == tmp_path.resolve()   # nbgrader's own default
    assert paths.course_root() == tmp_path.resolve()


# ---------------------------------------------------------------- the cache

def test_the_cache_is_one_folder_named_by_one_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPKIT_CACHE", str(tmp_path / "cache"))
    assert paths.cache_dir() == tmp_path / "cache"
    monkeypatch.delenv("MLPKIT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.cache_dir() == tmp_path / "xdg" / "mlpkit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert paths.cache_dir() == tmp_path / "home" / ".cache" / "mlpkit"


def test_each_course_has_its_own_folder_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPKIT_CACHE", str(tmp_path / "cache"))
    a, b = Course(tmp_path / "a" / "course"), Course(tmp_path / "b" / "course")
    assert a.cache_dir.parent == b.cache_dir.parent == tmp_path / "cache" / "courses"
    assert a.cache_dir != b.cache_dir and a.cache_dir == Course(tmp_path / "a" / "course").cache_dir
    assert a.run_cache_dir.parent == a.reports_dir.parent == a.scratch_release_root.parent == a.cache_dir
    assert a.lock_path.parent == a.root   # the lock stays with the course: every grader of it sees it


def test_the_sandbox_hides_the_cache_wherever_it_is(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("MLPKIT_CACHE", str(cache))
    assert str(cache.resolve()) in hidden_folders(course_root=None)


# ---------------------------------------------------------------- statuses and totals

def test_every_status_string_is_in_the_statuses_module():
    assert statuses.ALL == ("ok", "failed to execute", "needs manual grading", "tampering suspected",
                            "invalid notebook", "cells repaired", "test cell edited", "missing", "grading error")


def test_totals_split_core_and_bonus_once_for_every_view():
    t = totals([("task0_a", 1.0, 1.0), ("task1_b", None, 2.0), ("task3_c", 1.5, 1.5), ("task1_reflection", 0.5, 2.0)])
    assert (t.core_total, t.core_max, t.bonus_total, t.bonus_max) == (1.5, 5.0, 1.5, 1.5)
    assert (t.total, t.max_total) == (3.0, 6.5)
    res = StudentResult("alice", scores={gid: {"score": s, "max_score": m, "needs_manual_grade": False}
                                         for gid, s, m in [("task0_a", 1.0, 1.0), ("task3_c", 1.5, 1.5)]})
    finalize(res)
    assert (res.total, res.max_total, res.status) == (2.5, 2.5, ["ok"])


# ---------------------------------------------------------------- timeouts

def test_every_timeout_of_a_run_is_a_grading_limit():
    limits = GradingLimits(kernel_startup_timeout=7)
    assert limits.runner_args()[limits.runner_args().index("--startup-timeout") + 1] == "7"
    assert "reference_cell_timeout" not in limits.key()    # the reference run is not a student's
    assert GradingLimits().reference_cell_timeout == 120


def test_the_runner_has_no_timeout_of_its_own():
    required = ["--cell-timeout", "1", "--notebook-timeout", "1", "--max-cell-output", "1", "--max-total-output", "1"]
    out = subprocess.run([sys.executable, str(paths.KIT_CHECKOUT / "mlpkit/sandbox/inside/runner.py"), *required],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "--startup-timeout" in out.stderr


# ---------------------------------------------------------------- frames across the sandbox wall

def test_a_request_frame_reads_back_as_sent():
    stream = io.BytesIO(protocol.request(2_000_000_513, b'{"cells": []}') + protocol.frame(b"second"))
    assert protocol.parse_request(protocol.read_frame(stream)) == (2_000_000_513, {"cells": []})
    assert protocol.read_frame(stream) == b"second"
    assert protocol.read_frame(stream) is None
    assert protocol.read_frame(io.BytesIO(protocol.frame(b"cut short")[:-1])) is None
