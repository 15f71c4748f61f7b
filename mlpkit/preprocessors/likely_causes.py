"""LikelyCauses: the misconceptions a student's failed checks point at, as a cell of the notebook.

An Autograde step right after JudgeProbes (nbgrader_config.py): the judged notebook's failed
checks are matched against the catalogue of known bugs (mlpkit/judging/causes.py,
judges/<assignment>_causes.json). When something matches, it adds a first markdown cell,
"Likely causes", one line per task in plain words, and keeps the list in the notebook's metadata
(`mlpkit.likely_causes`), where mlpkit/gradebook/record.py reads it for grading/<student>.json.
The cell has no nbgrader metadata, so it is graded as nothing; the TA sees it in the formgrader
and the student in the feedback (ScrubFeedback keeps it: it holds no test code and no solution,
only the catalogue's sentences). No match, no cell: no guessing.
"""
from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor

from mlpkit import paths
from mlpkit.judging.causes import diagnose, failures, load_catalogue, record_causes

HEADING = "**Likely causes** of the points lost (matched against bugs students often make):"


def causes_cell(causes):
    lines = [HEADING, ""] + [f"- {c['task']}: {c['cause']}" for c in causes]
    lines += ["", "A likely cause is a hint, not a verdict: the failed checks below say what was observed."]
    return new_markdown_cell("\n".join(lines), metadata={"mlpkit": {"likely_causes": True}})


class LikelyCauses(NbGraderPreprocessor):
    """Autograde step: match the failed checks against the catalogue (see the module docstring)."""

    def preprocess(self, nb, resources):
        assignment = resources.get("nbgrader", {}).get("assignment")
        catalogue = load_catalogue(paths.course_root(config=self.config), assignment) if assignment else []
        causes = diagnose(failures(nb), catalogue) if catalogue else []
        record_causes(nb, causes)
        if causes:
            nb.cells.insert(0, causes_cell(causes))
        return nb, resources
