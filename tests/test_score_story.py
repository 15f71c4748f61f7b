"""One score story: core points out of the core maximum and bonus points out of the bonus
maximum, in the CLI summary, grades.csv and the feedback (tests/test_feedback.py checks the
feedback page's header and Task 3 cells); no score above its maximum.

Run: python -m pytest tests/test_score_story.py -q
"""
import re

import pytest

from mlpkit.gradebook.results import StudentResult, score_text, summary_table


def _res(**scores):
    return StudentResult("s", scores={gid: {"score": got, "max_score": most} for gid, (got, most) in scores.items()})


@pytest.mark.fast
def test_cli_score_is_core_out_of_core_and_bonus_out_of_bonus():
    res = _res(task0_a=(2.0, 2.0), task1_b=(1.0, 3.0), task3_c=(1.5, 2.0), task3_d=(0.0, 1.0))
    assert score_text(res) == "3/5 + 1.5/3 bonus"
    assert score_text(_res(task0_a=(1.0, 2.0))) == "1/2"      # no bonus in the lab: no bonus part
    assert "3/5 + 1.5/3 bonus" in summary_table({"s": res})


@pytest.mark.slow
def test_no_score_in_the_cli_summary_or_grades_csv_is_above_its_maximum(graded_class):
    from mlpkit.gradebook.scores import collect_scores
    course, results = graded_class
    table = summary_table(results)
    pairs = [(float(a), float(b)) for a, b in re.findall(r"(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)", table)]
    assert pairs and all(got <= most for got, most in pairs), table
    assert " bonus" in table
    df = collect_scores(course)
    assert (df.core_total <= df.core_max).all() and (df.bonus_total <= df.bonus_max).all()
    full = df.set_index("student").loc["full"]
    assert full.bonus_total == full.bonus_max > 0       # the full solution earns the whole bonus
