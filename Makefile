# The two commands of the README:
#   make quick   set up .venv (torch pinned by constraints.txt) and run the quick profile
#   make test    set up .venv and run the test suite (.ci/run calls this)
# and, after editing pyproject.toml's dependencies or extras:
#   make lock    regenerate constraints.txt, the lock of every package (tests/test_lock.py checks it)
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1
export PYTHONUNBUFFERED := 1

EXTRAS := workflow,test,report,slurm
# The lock tool, pinned, in a venv of its own (it is not part of the project's environment)
LOCK_VENV  := .venv-lock
LOCK_TOOLS := pip==26.3 pip-tools==7.6.2 build==1.6.1 click==8.5.1 packaging==26.4 pyproject_hooks==1.3.3 wheel==0.48.0
LOCK_FLAGS :=

.PHONY: setup quick test lock clean

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[$(EXTRAS)]'
	touch $@

setup: $(VENV)/.installed

quick: setup
	snakemake --cores all

# Two pytest-xdist workers, a test file's tests on one worker (so a module's fixtures, e.g. the
# `dvc repro` project of test_e2e.py, are built once; the tiny Snakemake run is shared by both
# workers: tests/conftest.py); TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 2
test: setup
	python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

# pip-compile keeps every pin of the present constraints.txt that still fits (LOCK_FLAGS=--upgrade
# lifts them all); tools/lock.py then writes the header with pyproject.toml's fingerprint.
lock:
	test -x $(LOCK_VENV)/bin/pip-compile || python3 -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q $(LOCK_TOOLS)
	CUSTOM_COMPILE_COMMAND='make lock' $(LOCK_VENV)/bin/pip-compile -q --all-extras --strip-extras \
	  --allow-unsafe --no-emit-index-url --no-emit-find-links --no-emit-trusted-host $(LOCK_FLAGS) \
	  -o constraints.txt pyproject.toml
	$(LOCK_VENV)/bin/python tools/lock.py stamp constraints.txt

clean:
	rm -rf data models logs .snakemake results/report.html $(filter-out results/bench/,$(wildcard results/*/))
