"""The ledger of rules (docs/lab.md) and the notebook are in step.

docs/lab.md's table "The rules the checks rely on" has one row per requirement the release
states, quoted, with the grade cells that check it; each judge in judges/mlp_lab.py names its
rows with `@rules(...)`. Here:
- every quote of a row is in the release notebook's text, word for word (whitespace aside);
- every row names at least one grade cell, and only autograded cells of the notebook;
- every autograded cell is in some row, and has a judge that names rows;
- each judge's rows are exactly the rows whose "checked by" names its cell.
"""
import re

import pytest

from conftest import REPO
from mlpkit import notebook
from mlpkit.judging.verdicts import load_judges

LEDGER_HEADING = "## The rules the checks rely on (the ledger)"


def _words(text):
    return " ".join(text.split())


def parse_ledger(markdown):
    """{rule id: (quotes, cells)} from the ledger's table."""
    section = markdown.split(LEDGER_HEADING, 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) != 3 or not re.fullmatch(r"[A-Z]\d[a-z]?", cells[0]):
            continue
        quotes = [re.sub(r"\\([|*])", r"\1", q) for q in re.findall(r'"([^"]+)"', cells[1])]
        rows[cells[0]] = (quotes, re.findall(r"`([a-z0-9_]+)`", cells[2]))
    return rows


def release_text(nb):
    return _words("\n".join(cell.source for cell in nb.cells))


def ledger_problems(rows, nb, judges):
    """Every way the ledger and the notebook disagree, as sentences (empty when in step)."""
    text = release_text(nb)
    autograded = [notebook.grade_id(c) for c in nb.cells if notebook.is_autograded_test(c)]
    problems = []
    for rule, (quotes, cells) in rows.items():
        if not quotes:
            problems.append(f"{rule} quotes nothing")
        problems += [f"{rule}: not in the release: {q!r}" for q in quotes if _words(q) not in text]
        if not cells:
            problems.append(f"{rule} names no check: give it one, or take it out of the text")
        problems += [f"{rule} names {c}, not an autograded cell" for c in cells if c not in autograded]
    for cell in autograded:
        listed = {rule for rule, (_, cells) in rows.items() if cell in cells}
        judge = getattr(judges, cell, None)
        declared = set(getattr(judge, "rules", ()))
        if not listed:
            problems.append(f"{cell} is in no row of the ledger")
        if not declared:
            problems.append(f"the judge of {cell} names no rule (@rules)")
        if listed != declared:
            problems.append(f"{cell}: the ledger lists {sorted(listed)}, its judge names {sorted(declared)}")
    return problems


@pytest.fixture(scope="module")
def ledger():
    return parse_ledger((REPO / "docs" / "lab.md").read_text())


@pytest.fixture(scope="module")
def release():
    return notebook.read(REPO / "release" / "mlp_lab" / "mlp_lab.ipynb")


@pytest.fixture(scope="module")
def judges():
    return load_judges(REPO, "mlp_lab")


def test_the_ledger_and_the_notebook_are_in_step(ledger, release, judges):
    assert len(ledger) >= 30, f"the ledger table was not found or lost rows ({len(ledger)})"
    problems = ledger_problems(ledger, release, judges)
    assert not problems, "\n".join(problems)


def test_the_ledger_check_catches_each_kind_of_drift(ledger, release, judges):
    """It can fail: a quote the release lost, a row without a check, a cell no row names, a judge out of step."""
    rule = next(iter(ledger))
    quotes, cells = ledger[rule]
    drifted = {**ledger, rule: ([quotes[0] + " (reworded)"], cells)}
    assert any("not in the release" in p for p in ledger_problems(drifted, release, judges))
    assert any("names no check" in p for p in ledger_problems({**ledger, "X9": (["No method"], [])}, release, judges))
    orphan = {r: (q, [c for c in cs if c != "task2_default_hyperparameters"]) for r, (q, cs) in ledger.items()}
    assert any("task2_default_hyperparameters is in no row" in p for p in ledger_problems(orphan, release, judges))
    judge = judges.task2_one_backprop_call_per_step
    saved = judge.rules
    judge.rules = saved + ("C1",)
    try:
        assert any("task2_one_backprop_call_per_step: the ledger lists" in p
                   for p in ledger_problems(ledger, release, judges))
    finally:
        judge.rules = saved
