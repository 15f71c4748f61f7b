"""nbgrader's pre-convert hooks that keep everything but the student's own files out of
autograded/ and feedback/ (the sorting is mlpkit/staging/beside.py's).

nbgrader's converters copy the whole input folder of a submission with `shutil.copy`, which
follows symbolic links (BaseConverter.init_assignment): a `notes.txt` linked to the source
notebook would land in autograded/, then feedback/, then with the student. nbgrader_config.py
sets

    c.Autograde.pre_convert_hook = "mlpkit.preprocessors.own_files.before_autograde"
    c.GenerateFeedback.pre_convert_hook = "mlpkit.preprocessors.own_files.before_feedback"

so `nbgrader autograde`, `nbgrader generate_feedback`, the formgrader's buttons and mlpkit's
own commands all move links, special files and files over the size caps out of the input
folder (to grading/refused/<student>/<assignment>/, with REFUSED.txt) before nbgrader copies
it, and log a warning per entry: something for the instructor to look at.
"""
import os
from pathlib import Path

from traitlets.log import get_logger

from mlpkit import paths
from mlpkit.course import Course
from mlpkit.limits import GradingLimits
from mlpkit.staging import beside


def _guard(notebooks, direction):
    """Sort the input folder of one nbgrader conversion and move what is refused aside."""
    if not notebooks:
        return
    folder = Path(os.path.abspath(notebooks[0])).parent   # not resolved: the notebook may be a link
    course = Course(paths.course_root())
    config = course.load_config()
    # Exactly the names nbgrader will not copy are skipped; everything else is checked.
    ignored = list(config.CourseDirectory.get("ignore", [])) if "ignore" in config.CourseDirectory else []
    _, refused = beside.sort_folder(folder, GradingLimits(config=config), keep_notebooks=True, skipped=ignored)
    if not refused:
        return
    student, assignment = folder.parent.name, folder.name
    dest = course.grading_dir / beside.REFUSED_DIR / student / assignment
    beside.quarantine(folder, refused, dest)
    log = get_logger()
    for line in beside.describe(refused):
        log.warning("%s %s: %s (moved to %s)", direction, student, line, dest.relative_to(course.root))


def before_autograde(assignment, student, notebooks):
    """Autograde's pre_convert_hook: nothing but the student's own regular files reach autograded/.
    nbgrader calls it before it copies the submission folder (BaseConverter.init_assignment)."""
    _guard(notebooks, "autograde")


def before_feedback(assignment, student, notebooks):
    """GenerateFeedback's pre_convert_hook: the same for what autograded/ hands to feedback/."""
    _guard(notebooks, "feedback")
