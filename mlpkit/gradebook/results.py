"""The per-student grading result: grading/<student>.json, its statuses and the summary table.

    from mlpkit import results
    res = results.load(course, "alice")          # StudentResult or None
    results.statuses(course)                       # {student: [flags]} of every stored result
    print(results.summary_table({"alice": res}))

Written by the autograde pipeline (mlpkit/pipeline/grade.py) as each student is recorded,
read by `mlpkit grades` and the tests. Status flags: mlpkit/statuses.py; totals: totals.py.
"""
import json
import sys
import traceback
from dataclasses import asdict, dataclass, field

from mlpkit.statuses import FAILED_TO_EXECUTE, GRADING_ERROR, NEEDS_MANUAL_GRADING, OK, TAMPERING_SUSPECTED
from mlpkit.gradebook.totals import totals

# Execution event kinds (mlpkit/sandbox/inside/protocol.py) that mean "the notebook did not run to the end".
FAILED_KINDS = {"timeout", "kernel_died", "limit"}


@dataclass
class StudentResult:
    """What grading one student found; see docs/design.md for the fields."""
    student: str
    status: list = field(default_factory=list)
    scores: dict = field(default_factory=dict)   # {grade_id: {score, max_score, auto_score, ...}}
    total: float = 0.0
    max_total: float = 0.0
    events: list = field(default_factory=list)   # execution events of the graded run
    tampering: list = field(default_factory=list)   # mlpkit.staging.scan findings
    notes: list = field(default_factory=list)    # repairs and other remarks
    error: str = None       # traceback, when the kit could not record the student
    sandboxed: bool = None
    cached: bool = None     # True: nbgrader's execute step found this exact run in the run cache
    executed: bool = None   # False: no notebook ran this time (the cache hit)
    submission_sha256: str = None
    graded_file: str = None   # the notebook graded when it was not mlp_lab.ipynb (a renamed one)
    source_sha256: str = None
    timings: dict = field(default_factory=dict)   # seconds per step
    skipped: bool = False   # --changed-only: unchanged since the last grading
    likely_causes: list = field(default_factory=list)   # [{task, cause, matches}]: mlpkit/judging/causes.py

    def to_json(self):
        return asdict(self)

    @classmethod
    def from_json(cls, data):
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def fail(self, step):
        """Record that the kit failed at `step` (call inside an `except` block)."""
        self.error = f"{step}: " + traceback.format_exc()
        if GRADING_ERROR not in self.status:
            self.status.append(GRADING_ERROR)


def load(course, student):
    """The stored result of `student`, or None (none yet, or unreadable)."""
    path = course.result_path(student)
    if not path.exists():
        return None
    try:
        return StudentResult.from_json(json.loads(path.read_text()))
    except (ValueError, TypeError):
        return None


def save(course, res):
    """Write grading/<student>.json atomically (a killed grader leaves the old file or the new)."""
    path = course.result_path(res.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(res.to_json(), indent=1, default=str))
    tmp.replace(path)


def statuses(course):
    """{student: status flags} of every stored result."""
    out = {}
    for path in sorted(course.grading_dir.glob("*.json")) if course.grading_dir.is_dir() else []:
        res = load(course, path.stem)
        if res is not None:
            out[path.stem] = list(res.status)
    return out


def finalize(res):
    """Totals and the status list from scores, events and findings."""
    points = totals((gid, s["score"], s["max_score"]) for gid, s in res.scores.items())
    res.total, res.max_total = points.total, points.max_total
    flags = [f for f in res.status if f != OK]
    if any(e.get("kind") in FAILED_KINDS for e in res.events):
        flags.append(FAILED_TO_EXECUTE)
    if res.tampering:
        flags.append(TAMPERING_SUSPECTED)
    if any(s["needs_manual_grade"] for s in res.scores.values()):
        flags.append(NEEDS_MANUAL_GRADING)
    res.status = list(dict.fromkeys(flags)) or [OK]


def never_started(res):
    """True when the notebook never ran at all (no kernel, or no usable runner output):
    a fault of the grading machine, since a kernel starts before any student code."""
    return any(e.get("cell") is None and e.get("kind") == "kernel_died" for e in res.events)


def report_grader_faults(results):
    """Print the submissions the kit failed on (not the students' faults); True if any."""
    bad = [s for s, r in results.items() if r.error]
    if bad:
        print(f"\n{len(bad)} submission(s) could not be recorded: {', '.join(bad)} "
              "(see grading/<student>.json)", file=sys.stderr)
    dead = sorted(s for s, r in results.items() if never_started(r))
    if dead:
        print(f"\nGRADER FAULT: the notebook never started for {', '.join(dead)}; "
              "check the sandbox with `python -m mlpkit.sandbox` (see grading/<student>.json)",
              file=sys.stderr)
    return bool(bad or dead)


def why_failed(res):
    """One line: why this notebook did not run or was not recorded (cut at a word, never mid-word)."""
    if res.error:
        return _short(res.error.strip().splitlines()[-1], 100)
    bad = [e for e in res.events if e.get("kind") in FAILED_KINDS]
    if bad:
        e = bad[0]
        return f"cell {e.get('cell')}: {e.get('kind')}: " + _short((str(e.get("message", "")).splitlines() or [""])[0], 80)
    if res.tampering:
        f = res.tampering[0]
        return _short(f"{f['cell_grade_id']} line {f['line']}: {f['reason']}", 100)
    if res.notes:
        return _short(res.notes[0], 100)
    return ""


def _short(text, width):
    """`text` in at most `width` characters, cut after a whole word (a lone long word is cut)."""
    if len(text) <= width:
        return text
    cut = text[:width - 2]
    return (cut.rsplit(" ", 1)[0] if " " in cut.strip() else cut).rstrip() + " …"


def score_text(res):
    """Core points out of the core maximum, bonus out of the bonus maximum: "20/22 + 4.5/17 bonus"."""
    t = totals((gid, s["score"], s["max_score"]) for gid, s in res.scores.items())
    text = f"{t.core_total:g}/{t.core_max:g}"
    return text + (f" + {t.bonus_total:g}/{t.bonus_max:g} bonus" if t.bonus_max else "")


def summary_table(results):
    """Who scored what, whose notebook failed to run and why."""
    rows = [("student", "score", "status", "why")]
    for student in sorted(results):
        r = results[student]
        rows.append((student, score_text(r), "; ".join(r.status)
                     + (" (unchanged)" if r.skipped else ""), why_failed(r)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(row[i].ljust(widths[i]) for i in range(3)) + "  " + row[3] for row in rows]
    lines.insert(1, "-" * min(120, max(len(line) for line in lines)))
    return "\n".join(line.rstrip() for line in lines)
