"""mlpkit/lazy_import.py: a stand-in imports its module on first use, and then behaves as it."""
import subprocess
import sys
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(code):
    # A fresh interpreter: what is imported is the point of the test. The file is run by
    # path, as a notebook's helper module would import its copy of it.
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=REPO / "mlpkit")
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_the_module_is_imported_only_when_an_attribute_is_used():
    code = ("import sys, types\nfrom lazy_import import lazy_module\n"
            "json = lazy_module('json')\n"
            "print('json' in sys.modules, isinstance(json, types.ModuleType))\n"
            "print(json.dumps([1]) == '[1]', 'json' in sys.modules)\n")
    assert _run(code) == ["False", "True", "True", "True"]


def test_before_runs_once_just_before_the_import_and_attributes_write_through():
    code = ("import sys\nfrom lazy_import import lazy_module\ncalls = []\n"
            "m = lazy_module('colorsys', before=lambda: calls.append('colorsys' in sys.modules))\n"
            "m.rgb_to_hsv(1, 0, 0); m.rgb_to_yiq(1, 0, 0)\n"
            "m.EXTRA = 5\nimport colorsys\n"
            "print(calls == [False], colorsys.EXTRA, 'EXTRA' in dir(m))\n")
    assert _run(code) == ["True", "5", "True"]


def test_an_already_imported_module_is_returned_as_it_is():
    sys.path.insert(0, str(REPO / "mlpkit"))
    try:
        from lazy_import import LazyModule, lazy_module
    finally:
        sys.path.remove(str(REPO / "mlpkit"))
    assert lazy_module("types") is types
    assert "not imported yet" in repr(LazyModule("no_such_module_here"))
