"""GraftStudentRuns: what a TA needs beside each reflection, in the autograded notebook.

Grading mode reruns the experiments on the subset for one epoch, so the autograded
notebook (what the formgrader shows) has lost the tables and plots the reflections
are about. This Autograde step, right after the execution step, adds:
- after each experiment cell (cell id `experiment_...`, and the student's free cells, cell id
  `..._own_experiments`): a copy of that cell's outputs from the
  SUBMITTED notebook, labelled as the student's own run (metadata `mlpkit.student_run`);
  students see it in their feedback too, it is their own work;
- after each manually graded answer with a mark scheme in the source: the mark scheme,
  marked TA-only (metadata `mlpkit.ta_only` and a heading). ScrubFeedback drops TA-only
  cells, so the mark scheme never reaches student feedback.

The submitted notebook is `submitted/<student>/mlp_lab/mlp_lab.ipynb` of the course;
a submission that cannot be read simply gets no grafted outputs. Try it on a graded
course with the formgrader's Autograde button or `mlpkit autograde`.
"""
import copy

from nbformat.v4 import new_code_cell, new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor

from mlpkit import paths
from mlpkit.course import Course
from mlpkit.notebook import (describe_figures, grade_id, is_grade as is_graded, is_solution, read as read_notebook,
                             regions)
from mlpkit.staging.beside import find_submission

STUDENT_RUN_LABEL = ("# The student's own run of the cell above: outputs kept from the submitted notebook.\n"
                     "# (The grader reran that cell in grading mode: subset data, one epoch.)")
TA_ONLY_HEADING = "**Mark scheme (TA only, never in student feedback)**"
EXPERIMENTS = "experiment_"  # the cell ids of the experiment cells (plain cells: students may cut them down)
OWN_EXPERIMENTS = "_own_experiments"  # the cell ids of the student's free cells


def experiment_key(cell):
    """The key that pairs an experiment cell of the autograded notebook with the submitted one
    (its cell id), or None."""
    cell_id = cell.get("id") or ""
    return cell_id if cell_id.startswith(EXPERIMENTS) or cell_id.endswith(OWN_EXPERIMENTS) else None


def mark_schemes(source_nb):
    """{grade_id: mark scheme text} of the manually graded cells of the source."""
    out = {}
    for cell in source_nb.cells:
        gid = grade_id(cell)
        if gid and is_graded(cell) and is_solution(cell):
            text = "\n".join(regions(cell.source, "mark_scheme")).strip()
            if text:
                out[gid] = text
    return out


def student_run_cell(submitted_cell, key):
    cell = new_code_cell(STUDENT_RUN_LABEL, metadata={"mlpkit": {"student_run": key}})
    cell.outputs = copy.deepcopy(submitted_cell.outputs)
    for output in cell.outputs:   # their execution counts would look like this run's
        if "execution_count" in output:
            output["execution_count"] = None
    describe_figures(cell, f"A figure from the student's own run of {key}")
    return cell


def mark_scheme_cell(gid, text):
    return new_markdown_cell(f"{TA_ONLY_HEADING} for `{gid}`:\n\n{text}",
                             metadata={"mlpkit": {"ta_only": True}})


class GraftStudentRuns(NbGraderPreprocessor):
    """Autograde step: the student's own experiment outputs and the TA-only mark schemes."""

    def preprocess(self, nb, resources):
        course = Course(paths.course_root(config=self.config))
        schemes = mark_schemes(course.source_notebook())
        try:
            found, _ = find_submission(course.submission_path(resources["nbgrader"]["student"]))
            submitted_nb = read_notebook(found)   # None (refused or missing) raises: nothing to graft
            theirs = {experiment_key(c): c for c in submitted_nb.cells if experiment_key(c)}
        except Exception:  # missing or unreadable: graded as such elsewhere; nothing to graft
            theirs = {}
        cells = []
        for cell in nb.cells:
            gid = grade_id(cell)
            cells.append(cell)
            submitted = theirs.get(experiment_key(cell)) if experiment_key(cell) else None
            if submitted is not None and submitted.get("outputs"):
                cells.append(student_run_cell(submitted, experiment_key(cell)))
            if gid in schemes:
                cells.append(mark_scheme_cell(gid, schemes[gid]))
        nb.cells = cells
        return nb, resources
