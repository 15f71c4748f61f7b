# The README's commands. `make demo` is the main job, `make test` the test suite.
# Both set up everything they need on a fresh machine (venv, Python packages, bubblewrap).
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: setup sandbox-tools browser-tools demo test test-fast bench release autograde feedback grades clean

setup: $(VENV)/.installed sandbox-tools

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# bubblewrap seals student code off from the course (docs/sandbox.md).
# Without it grading still works, unsandboxed, and says so loudly.
sandbox-tools:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  ($$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq bubblewrap) >/dev/null \
	  || echo "warning: could not install bubblewrap; grading will run UNSANDBOXED"; }

# Debian's chromium package for tests/test_browser.py (Playwright drives it; browsers are
# never downloaded). Without it the browser test is skipped locally and fails in CI.
browser-tools:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  ($$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium) >/dev/null \
	  || echo "warning: could not install chromium; the browser test cannot run"; }

demo: setup
	$(PY) -m mlpkit demo

test: setup browser-tools
	$(PY) -m pytest -q

# The fast lane for everyday work: the tests marked `fast` (pure modules: no notebook run, no
# nbgrader release), in about a minute. `make test` still runs everything.
test-fast: setup
	$(PY) -m pytest -q -m fast

bench: setup
	$(PY) benchmarks/run_all.py

release autograde feedback grades: setup
	$(PY) -m mlpkit $@

# Also this course's folder of the kit's cache ($MLPKIT_CACHE, mlpkit/paths.py): its cached runs.
clean:
	rm -rf autograded feedback grading gradebook.db grades.csv reports .mlpkit.lock exchange artifacts
	-@[ -x $(PY) ] && $(PY) -c 'import shutil; from mlpkit.paths import course_cache_dir; shutil.rmtree(course_cache_dir("."), ignore_errors=True)' 
