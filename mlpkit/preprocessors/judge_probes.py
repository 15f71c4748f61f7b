"""JudgeProbes: nbgrader's step that replaces every probed grade cell's outputs by the judge's verdict.

In nbgrader_config.py, after the execution step and before the grades are saved:

    c.Autograde.autograde_preprocessors = ["mlpkit.preprocessors.sandboxed_execute.SandboxedExecute",
                                           "mlpkit.preprocessors.judge_probes.JudgeProbes", ...]

so `nbgrader autograde`, the formgrader's Autograde button and `mlpkit autograde` grade alike.
The verdicts are mlpkit/judging/verdicts.py's, against the reference observations of the
course's source notebook (mlpkit/judging/reference.py).
"""
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from mlpkit import paths
from mlpkit.judging.reference import reference_observations
from mlpkit.judging.verdicts import judge_notebook, load_judges, probed_cells
from mlpkit.limits import GradingLimits


class JudgeProbes(NbGraderPreprocessor):
    """Judge the probed cells of an executed notebook outside the kernel (see the module docstring).

    An NbGraderPreprocessor, because nbgrader registers its preprocessors without enabling
    them: a plain nbconvert Preprocessor in that list would silently do nothing."""

    def preprocess(self, nb, resources):
        assignment = resources.get("nbgrader", {}).get("assignment")
        root = paths.course_root(config=self.config)
        judges = load_judges(root, assignment) if assignment else None
        if judges is None:
            probed = probed_cells(nb)
            if probed:  # without its judges, a probed cell would be graded by its visible part alone
                raise RuntimeError(f"cells {', '.join(probed)} hold hidden-test observations, but "
                                   f"{root}/judges/{assignment}.py is missing")
            return nb, resources
        coursedir = CourseDirectory(config=self.config)   # where nbgrader keeps the assignment's source
        source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
        notebook = resources["nbgrader"].get("notebook", assignment) + ".ipynb"
        references = reference_observations(source, notebook, GradingLimits(parent=self))
        return judge_notebook(nb, judges, references), resources
