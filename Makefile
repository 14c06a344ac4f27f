# zoomai: `make run` runs the main job, `make test` the whole test suite.
# Both create the virtual environment (.venv) and install everything on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help install run test lint format clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)  ## create .venv and install zoomai with its test tools

run: $(STAMP)  ## the report suite on the bundled data: reports/<run-id>/index.html
	$(BIN)/zoomai report --schedule schedules/default.yaml --out reports
	@echo "latest fully successful run: reports/latest/index.html"

test: $(STAMP)  ## lint, then unit, property, notebook and pipeline tests
	$(BIN)/ruff check zoomai tests benchmarks
	$(BIN)/python -m pytest

lint: $(STAMP)  ## ruff check
	$(BIN)/ruff check zoomai tests benchmarks

format: $(STAMP)  ## ruff format and import sorting
	$(BIN)/ruff check --fix zoomai tests
	$(BIN)/ruff format zoomai tests

clean:  ## remove the virtual environment and generated reports
	rm -rf $(VENV) reports .pytest_cache .ruff_cache .hypothesis
