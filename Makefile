# hhlib developer entry points. Only needs Python >= 3.11 (with venv + pip) and make.
#   make lab    - create .venv if needed, open JupyterLab on notebooks/
#   make test   - create .venv if needed, run the whole suite: unit tests + notebooks (nbval) + browser test
#   make check  - the fast core tests only (no slow physics, notebooks or browser), under 2 minutes
#   make clean  - remove .venv
# After either, `.venv/bin/python -m hhlib ...` runs the command line (or `source .venv/bin/activate`).
# Use another interpreter with e.g.:  PYTHON=python3.11 make test

PYTHON ?= python3
VENV ?= .venv

.PHONY: lab test check clean

# JupyterLab refuses to start as root (containers, CI, cloud notebooks) unless told it may.
# Extra options for `make lab`, e.g. LAB_ARGS="--no-browser --port=8899".
LAB_ARGS ?=
LAB_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

# The venv is (re)built whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "error: '$(PYTHON)' not found; install Python >= 3.11 or run e.g. 'PYTHON=python3.11 make ...'" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
	  echo "error: hhlib needs Python >= 3.11 but '$(PYTHON)' is $$($(PYTHON) -c 'import platform; print(platform.python_version())'); run e.g. 'PYTHON=python3.11 make ...'" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --upgrade pip
	$(VENV)/bin/pip install -e ".[dev]"
	touch $@

lab: $(VENV)/.installed
	$(VENV)/bin/jupyter lab $(LAB_ROOT) $(LAB_ARGS) notebooks/

test: $(VENV)/.installed
	$(VENV)/bin/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg --doctest-modules tests notebooks hhlib -ra

check: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -m "not slow and not browser" tests -q

clean:
	rm -rf $(VENV)
