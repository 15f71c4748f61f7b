"""nbgrader configuration for the students' environment (docs/jupyterhub/README.md).

Copy to <prefix>/etc/jupyter/nbgrader_config.py of the students' image or venv, where mlpkit
is installed too. Validate (JupyterLab's button and `nbgrader validate`) then reports a
per-task summary and one line per failing check, as `mlpkit check` does, instead of every
failing cell's source and traceback.
"""
c = get_config()  # noqa: F821  (injected by traitlets)

# The exchange the instructors' course uses (docs/instructor.md, "The exchange, and JupyterHub").
c.CourseDirectory.course_id = "mlp-lab"
c.Exchange.root = "/srv/nbgrader/exchange"

# nbgrader builds its Validator by name; this points that name at the kit's subclass
# (mlpkit/preprocessors/validate_summary.py).
from mlpkit.preprocessors.validate_summary import use_in_nbgrader  # noqa: E402

use_in_nbgrader()


# Validate's kernel with CurveZMQ keys (the python3 kernelspec supports them): over plain TCP,
# ipykernel logs "Kernel is running over TCP without encryption" before the report.
c.KernelManager.transport_encryption = "auto"
