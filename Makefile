# hhlib developer entry points. Only needs Python >= 3.11 (with venv + pip) and make.
#   make lab    - create .venv if needed, open JupyterLab on working copies of notebooks/ in lab/ (see below)
#   make test   - create .venv if needed, lint (ruff), then the whole suite: unit tests + notebooks (nbval)
#                 (-v: one line per test, so a long one shows its name while it runs; the 15 slowest at the end;
#                 one test process per core, JOBS=0 for one)
#                 + browser test + the installed-wheel test
#   make check  - lint (ruff), then the fast core tests only (no slow physics, notebooks or browser)
#   make check-generic - make check with every kernel built for a generic x86-64 CPU (numba: NUMBA_CPU_NAME=generic;
#                 numpy: its runtime SIMD dispatch off), the arithmetic of another CPU than this one
#   make lock   - re-pin constraints.txt (see below)
#   make clean  - remove .venv
# After either, `.venv/bin/python -m hhlib ...` runs the command line (or `source .venv/bin/activate`).
# Use another interpreter with e.g.:  PYTHON=python3.11 make test

PYTHON ?= python3
VENV ?= .venv
# Test processes (pytest-xdist): one per core by default; a file's tests stay in one process (--dist loadfile).
# JOBS=0 runs the suite in this process.
JOBS ?= auto
# The versions .venv gets: those the notebooks were executed with (nbval compares their outputs).
CONSTRAINTS ?= constraints.txt

.PHONY: lab test check check-generic lock clean

# JupyterLab refuses to start as root (containers, CI, cloud notebooks) unless told it may.
# Extra options for `make lab`, e.g. LAB_ARGS="--no-browser --port=8899".
LAB_ARGS ?=
LAB_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

# Checks that $(PYTHON) exists and is >= 3.11 (used before any venv is made).
define check_python
@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "error: '$(PYTHON)' not found; install Python >= 3.11 or run e.g. 'PYTHON=python3.11 make ...'" >&2; exit 1; }
@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
	  echo "error: hhlib needs Python >= 3.11 but '$(PYTHON)' is $$($(PYTHON) -c 'import platform; print(platform.python_version())'); run e.g. 'PYTHON=python3.11 make ...'" >&2; exit 1; }
endef

# The venv is (re)built whenever pyproject.toml or the pinned versions change.
$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(check_python)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --upgrade pip
	$(VENV)/bin/pip install -c $(CONSTRAINTS) -e ".[dev]"
	if $(VENV)/bin/python -c 'import sys; sys.exit(sys.version_info >= (3, 13))'; then \
	  $(VENV)/bin/pip install -c $(CONSTRAINTS) -e ".[dev,phast]"; fi
	touch $@

# `make lab` opens working copies: each notebooks/NN_name.ipynb is copied to $(LAB_DIR)/ (git ignores lab/)
# unless a copy is there already, and JupyterLab opens $(LAB_DIR)/. Running, editing and autosaving the copies
# leaves the tracked notebooks (the ones nbval checks in `make test`) and `git status` untouched. They work
# from there as from notebooks/: they import hhlib and find the caches through the package (data/cache).
# A copy is kept until you delete it: delete $(LAB_DIR)/NN_name.ipynb (or all of $(LAB_DIR)/) for a fresh
# copy, e.g. after the tracked notebook changed (a note says so when it is newer than your copy).
LAB_DIR ?= lab
lab: $(VENV)/.installed
	@mkdir -p "$(LAB_DIR)"
	@for nb in notebooks/*.ipynb; do copy="$(LAB_DIR)/$${nb##*/}"; \
	  if [ ! -e "$$copy" ]; then cp "$$nb" "$$copy" && echo "copied $$nb to $$copy"; \
	  elif [ "$$nb" -nt "$$copy" ]; then echo "note: $$nb is newer than your copy $$copy (delete it for a fresh copy)"; fi; \
	done
	$(VENV)/bin/jupyter lab $(LAB_ROOT) $(LAB_ARGS) "$(LAB_DIR)/"

test: $(VENV)/.installed
	$(VENV)/bin/python -m ruff check .
	$(VENV)/bin/python -m pytest -n $(JOBS) --dist loadfile --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg --doctest-modules tests notebooks hhlib -ra -v --durations=15

check: $(VENV)/.installed
	$(VENV)/bin/python -m ruff check .
	$(VENV)/bin/python -m pytest -n $(JOBS) --dist loadfile -m "not slow and not browser" tests/core -q

# The same tests, with the kernels compiled for a generic x86-64 CPU into their own folder (numba caches code
# per CPU, and the default folder keeps the native kernels) and numpy on its baseline loops: results must not
# depend on the CPU's SIMD, FMA or summation order (tests/core/test_portability.py does this for the
# float-sensitive tests inside `make test`).
export NUMPY_DISPATCH_TARGETS := from numpy._core._multiarray_umath import __cpu_dispatch__ as d, __cpu_features__ as f; \
print(" ".join(n for n in d if f.get(n)))
check-generic: $(VENV)/.installed
	NUMBA_CPU_NAME=generic NUMBA_CPU_FEATURES= HHLIB_KERNEL_DIR=$(abspath $(VENV))/kernels-generic \
	NPY_DISABLE_CPU_FEATURES="$$($(VENV)/bin/python -c "$$NUMPY_DISPATCH_TARGETS")" \
	  $(VENV)/bin/python -m pytest -n $(JOBS) --dist loadfile -m "not slow and not browser" tests/core -q

# Re-pin: pip resolves ".[dev,phast]" (without installing anything) for the oldest Python that
# pyproject.toml allows, LOCK_PYTHON, and tools/lock.py writes every version to constraints.txt.
# Versions already pinned are kept (a package new to pyproject.toml gets its newest release);
# `make lock UPGRADE=1` moves everything to the newest releases pyproject.toml allows. Either way,
# re-execute the notebooks afterwards if a version changed that their outputs depend on.
# Run it with a Python $(LOCK_PYTHON).x (environment markers are those of $(PYTHON)). The new pins must
# then install ".[dev]" on every Python of LOCK_CHECK (phast: 3.11 and 3.12 only), else constraints.txt stays
# as it was.
UPGRADE ?=
LOCK_PYTHON ?= 3.11
LOCK_CHECK ?= 3.11 3.12 3.13
LOCK_VENV := $(VENV)-lock
lock:
	$(check_python)
	@$(PYTHON) -c 'import sys; sys.exit(0 if "%d.%d" % sys.version_info[:2] == "$(LOCK_PYTHON)" else 1)' || { \
	  echo "error: make lock needs a Python $(LOCK_PYTHON).x; run e.g. 'PYTHON=python$(LOCK_PYTHON) make lock'" >&2; exit 1; }
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet --dry-run --ignore-installed --only-binary=:all: \
	  --python-version $(LOCK_PYTHON) --target $(LOCK_VENV)/target --report $(LOCK_VENV)/report.json \
	  $(if $(UPGRADE),,-c $(CONSTRAINTS)) ".[dev,phast]"
	$(LOCK_VENV)/bin/python tools/lock.py $(LOCK_VENV)/report.json $(LOCK_VENV)/constraints.txt $(LOCK_PYTHON)
	for v in $(LOCK_CHECK); do \
	  $(LOCK_VENV)/bin/python -m pip install --quiet --dry-run --ignore-installed --only-binary=:all: \
	    --python-version $$v --target $(LOCK_VENV)/target -c $(LOCK_VENV)/constraints.txt ".[dev]" \
	  || { echo "error: the new pins do not install on Python $$v (see above)" >&2; exit 1; }; done
	mv $(LOCK_VENV)/constraints.txt $(CONSTRAINTS)
	rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) $(LOCK_VENV)
