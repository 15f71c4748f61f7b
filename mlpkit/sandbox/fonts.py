"""matplotlib's font list, built once on the host and copied into every run's fresh MPLCONFIGDIR.

Every run starts with an empty MPLCONFIGDIR, where matplotlib would rebuild its font list
(0.3-0.5 s) on the first import; the runner copies this one in instead. It lives in the
kit's cache (mlpkit/paths.py), `matplotlib-<version>-py<XY>/`.
"""
import os
import subprocess
import sys
import threading
from importlib import metadata

from mlpkit.paths import cache_dir

BUILD_TIMEOUT = 120  # seconds to import matplotlib.font_manager once on the host (not a limit of student code)
_lock = threading.Lock()
_mpl_cache = {}


def matplotlib_font_cache():
    """The folder holding matplotlib's font list for this interpreter, or None when matplotlib
    is not installed or the build fails."""
    with _lock:  # one build per process, even with runs in threads
        cached = _mpl_cache.get("dir", False)
        if cached is False or (cached is not None and not list(cached.glob("fontlist-*.json"))):
            _mpl_cache["dir"] = _build_matplotlib_font_cache()
    return _mpl_cache["dir"]


def _build_matplotlib_font_cache():
    folder = None
    try:
        version = metadata.version("matplotlib")
        folder = cache_dir() / f"matplotlib-{version}-py{sys.version_info[0]}{sys.version_info[1]}"
        if not list(folder.glob("fontlist-*.json")):
            folder.mkdir(parents=True, exist_ok=True)
            subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                           env={"MPLCONFIGDIR": str(folder), "PATH": os.environ.get("PATH", "")},
                           capture_output=True, timeout=BUILD_TIMEOUT)
        if not list(folder.glob("fontlist-*.json")):
            folder = None
    except (metadata.PackageNotFoundError, OSError, subprocess.TimeoutExpired):
        folder = None
    return folder
