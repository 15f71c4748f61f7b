"""Where things are: the course root, the kit's cache and the kit's own checkout, each found one way.

    from mlpkit.paths import cache_dir, course_root
    course_root()                              # the current folder (nbgrader runs from the course root)
    course_root(near="submitted/alice/mlp_lab")  # the course holding a folder, or None
    course_root(config=preprocessor.config)    # the course an nbgrader converter works on
    cache_dir()                                # $MLPKIT_CACHE, or ~/.cache/mlpkit

The cache is one folder, named by one variable, `$MLPKIT_CACHE` (default
`$XDG_CACHE_HOME/mlpkit`, that is `~/.cache/mlpkit`). Everything in it can be deleted at
any time and is rebuilt when needed:
- `reference-<key>.json`: the source notebooks' own observations (mlpkit/judging/reference.py);
- `matplotlib-<version>-py<XY>/`: matplotlib's font list for the sandbox (mlpkit/sandbox/fonts.py);
- `courses/<course>-<hash>/`: what one course's grading caches: executed runs (`runs/`),
  execution reports in transit (`reports/`), the scratch release the gradebook is synced
  from (`release/`) and the source notebook the gradebook holds (`gradebook-source.sha256`).
It holds hidden tests and reference values, so students never see it: it lives in the
grader's home, and the sandbox hides it wherever it is (mlpkit/sandbox/plan.py).

Standard library only: the sandbox's plan imports this module, and it must stay light.
"""
import hashlib
import os
from pathlib import Path

# The kit's own checkout (it is a course too: source/ holds the reference solutions).
KIT_CHECKOUT = Path(__file__).resolve().parent.parent
CONFIG_FILE = "nbgrader_config.py"


def cache_dir():
    """The kit's one cache folder: `$MLPKIT_CACHE`, else `$XDG_CACHE_HOME/mlpkit` (~/.cache/mlpkit)."""
    if os.environ.get("MLPKIT_CACHE"):
        return Path(os.environ["MLPKIT_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mlpkit"


def course_cache_dir(root):
    """The cache folder of the course at `root`: `<cache>/courses/<folder name>-<hash of its path>`."""
    root = Path(root).resolve()
    return cache_dir() / "courses" / f"{root.name}-{hashlib.sha256(str(root).encode()).hexdigest()[:12]}"


def course_root(near=None, config=None):
    """The root folder of a course, found the one way the kit finds it.

    - `config` (the traitlets config of an nbgrader converter or of its preprocessors): its
      `CourseDirectory.root`, which nbgrader_config.py sets; else the current folder, as nbgrader;
    - `near` (a folder inside a course, e.g. a notebook's working folder): the nearest folder at
      or above it holding nbgrader_config.py, else the folder holding an nbgrader `autograded/`
      or `submitted/` folder on the way up, else None;
    - neither: the current folder (nbgrader and mlpkit's commands run from the course root).
    """
    if config is not None:
        root = (config.get("CourseDirectory") or {}).get("root")
        return Path(root or os.getcwd()).resolve()
    if near is None:
        return Path.cwd().resolve()
    folder = Path(near).resolve()
    for parent in [folder, *folder.parents]:
        if (parent / CONFIG_FILE).is_file():
            return parent
    for parent in folder.parents:
        if parent.name in ("autograded", "submitted") and parent.parent != Path("/"):
            return parent.parent
    return None
