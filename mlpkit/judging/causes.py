"""Likely causes: a student's failed checks matched against the catalogue of known bugs.

    catalogue = load_catalogue(course_root, "mlp_lab")    # judges/mlp_lab_causes.json, or []
    failed = failures(judged_nb)                          # {grade_id: the judge's message}
    diagnose(failed, catalogue)   # [{"task": "task1", "cause": "...", "matches": "mutant_..."}]

The catalogue is generated from the mutants of tests/variants/ (each names the cells it FAILS,
the later cells it may fail with them, KNOCK_ON, the judge's MESSAGE and the misconception,
CAUSE) by `python -m devtools.causes --update`; a test regenerates and compares it, and the
mutation suite proves each mutant fails exactly those cells, so the catalogue stays in step with
the judges. Matching is strict, because a wrong "likely cause" misleads more than none:

- an entry covers the *parts* of its cells (task0, task1, task2, task3_adamw, task3_adagrad,
  task3_dropout, task3_augment, task4): the student's failed cells in those parts must include
  every cell of FAILS and nothing outside FAILS + KNOCK_ON (other parts may fail for other bugs);
- where several entries fit, the judge's message decides: entries whose MESSAGE matches the
  message of their first FAILS cell win, else those whose MESSAGE matches another FAILS cell's;
  if none matches, only entries without a MESSAGE stay (one whose message is contradicted is
  ruled out);
- still two or three: one cause "one of: A; B" naming them all (never a pick between them);
  more than three: none (too vague to point at a mistake);
- a part with a cell that did not run (no observations, or after a cell that timed out or killed
  the kernel), was not attempted, still raises NotImplementedError, or whose solution cell itself
  raised gets no cause: its failures say nothing about a misconception.

mlpkit/preprocessors/likely_causes.py runs this in nbgrader's Autograde step; the result lands
in the autograded notebook (feedback, TA view) and in grading/<student>.json.
"""
import json
import re
from pathlib import Path

from mlpkit.judging.observations import MISSING
from mlpkit.notebook import grade_id, is_autograded_test, is_solution, task_of
from mlpkit.sandbox.inside.protocol import INTERRUPTED_ERRORS, NOT_ATTEMPTED

MAX_ALTERNATIVES = 3     # more candidates than this: no cause at all
NOT_RUN = "[not run normally]"
# (MISSING up to its colon: the judge may append a likely cause of its own after it)
NOT_A_MISCONCEPTION = (MISSING.split(":")[0], NOT_ATTEMPTED, "NotImplementedError", NOT_RUN)


def catalogue_path(course_root, assignment):
    return Path(course_root) / "judges" / f"{assignment}_causes.json"


def load_catalogue(course_root, assignment):
    """The entries of `judges/<assignment>_causes.json`, or [] when the course has none."""
    path = catalogue_path(course_root, assignment)
    if not path.is_file():
        return []
    return json.loads(path.read_text())["entries"]


def part_of(gid):
    """`task3_adamw_trajectory` -> `task3_adamw`; `task1_backprop_shapes` -> `task1`."""
    task = task_of(gid)
    if task == "task3":
        return "_".join(gid.split("_")[:2])
    return task


def failures(nb):
    """{grade_id: message} of the autograded test cells a judged notebook fails (an error output,
    which is what nbgrader scores 0). A failure that says nothing about the student's idea is
    marked NOT_RUN: every test after a cell that timed out or killed its kernel, and every test
    of a part whose solution cell itself raised (its class or function was never defined)."""
    out, broken_parts, interrupted = {}, set(), False
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if is_autograded_test(cell):
            if errors:
                message = "\n".join(f"{o.get('ename', '')}: {o.get('evalue', '')}" for o in errors)
                unexplained = interrupted or part_of(grade_id(cell)) in broken_parts
                out[grade_id(cell)] = f"{NOT_RUN} {message}" if unexplained else message
            continue
        if any(o.get("ename") in INTERRUPTED_ERRORS for o in errors):
            interrupted = True
        elif errors and is_solution(cell) and grade_id(cell):
            broken_parts.add(part_of(grade_id(cell)))
    return out


def _fits(entry, failed):
    """The entry's cells are exactly the student's failures within the entry's parts."""
    fails, allowed = set(entry["fails"]), set(entry["fails"]) | set(entry["knock_on"])
    parts = {part_of(g) for g in allowed}
    in_parts = {g for g in failed if part_of(g) in parts}
    return fails <= in_parts and in_parts <= allowed


def _told_apart(candidates, failed):
    """The candidates the judge's messages leave (see the module docstring)."""
    def says(entry, cells):
        return entry["message"] and any(re.search(entry["message"], failed.get(g, "")) for g in cells)
    # The variants put the cell whose message names the bug first; a later cell's message may list
    # several explanations that fit its numbers ("the numbers fit any of: ..."), so it counts less.
    first = [e for e in candidates if says(e, e["fails"][:1])]
    anywhere = [e for e in candidates if says(e, e["fails"])]
    return first or anywhere or [e for e in candidates if not e["message"]]


def _unexplained_parts(failed):
    """Parts with a failure that is no misconception (not run, not attempted, not written)."""
    return {part_of(g) for g, message in failed.items() if any(m in message for m in NOT_A_MISCONCEPTION)}


def diagnose(failed, catalogue):
    """[{"task", "cause", "matches"}] for the student's failures `failed` ({grade_id: message})."""
    skip = _unexplained_parts(failed)
    fitting = [e for e in catalogue if _fits(e, failed)
               and not {part_of(g) for g in e["fails"]} & skip]
    by_part = {}   # one cause per part: two bugs in two parts of Task 3 are two causes, not "one of"
    for entry in fitting:
        by_part.setdefault(entry["part"], []).append(entry)
    causes = []
    for part, candidates in sorted(by_part.items()):
        left = _told_apart(candidates, failed)
        if not left or len(left) > MAX_ALTERNATIVES:
            continue
        if len(left) == 1:
            cause = left[0]["cause"]
        else:
            cause = "one of: " + " Or: ".join(e["cause"] for e in left)
        causes.append({"task": task_of(part + "_"), "cause": cause, "matches": ", ".join(e["name"] for e in left)})
    return causes


def record_causes(nb, causes):
    """Keep the causes in the notebook's metadata (the autograded notebook carries them to
    grading/<student>.json and to the feedback)."""
    nb.metadata.setdefault("mlpkit", {})["likely_causes"] = causes


def recorded_causes(nb):
    """The likely causes stored in a notebook by record_causes ([] if none)."""
    return list(nb.metadata.get("mlpkit", {}).get("likely_causes", []))
