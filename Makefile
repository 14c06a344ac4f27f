# zoomai: `make run` runs the main job, `make test` the whole test suite.
# Both create the virtual environment (.venv) and install everything on first use; `make test`
# and `make run PDF=1` also install Debian's chromium (and poppler-utils) when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PDF    ?=
KEEP   ?=
REPORT_FLAGS := $(if $(KEEP),--keep $(KEEP)) $(if $(PDF),--pdf)

.DEFAULT_GOAL := help
.PHONY: help install browser run test lint format clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)  ## create .venv and install zoomai with its test tools

browser:  ## install Debian's chromium and poppler-utils if missing (apt-get; sudo when not root)
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then \
	  SUDO=""; if [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends chromium poppler-utils; \
	fi

run: $(STAMP) $(if $(PDF),browser)  ## the report suite: reports/<run-id>/index.html (PDF=1: PDFs too; KEEP=N: keep N runs)
	$(BIN)/zoomai report --schedule schedules/default.yaml --out reports $(REPORT_FLAGS)
	@echo "latest fully successful run: reports/latest/index.html"

test: $(STAMP) browser  ## lint, then unit, property, notebook, pipeline, browser and PDF tests
	$(BIN)/ruff check zoomai tests benchmarks
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(STAMP)  ## ruff check
	$(BIN)/ruff check zoomai tests benchmarks

format: $(STAMP)  ## ruff format and import sorting
	$(BIN)/ruff check --fix zoomai tests
	$(BIN)/ruff format zoomai tests

clean:  ## remove the virtual environment and generated reports
	rm -rf $(VENV) reports .pytest_cache .ruff_cache .hypothesis
