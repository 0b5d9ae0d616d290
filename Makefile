# The two commands of the README:
#   make quick   set up .venv (torch pinned by constraints.txt) and run the quick profile
#   make test    set up .venv and run the test suite (.ci/run calls this)
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1
export PYTHONUNBUFFERED := 1

.PHONY: setup quick test clean

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[workflow,test]'
	touch $@

setup: $(VENV)/.installed

quick: setup
	snakemake --cores all

test: setup
	python -m pytest -q

clean:
	rm -rf data models logs .snakemake results/report.html $(filter-out results/bench/,$(wildcard results/*/))
