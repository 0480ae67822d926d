# duckseg developer commands. Every target bootstraps .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SF ?= 1
RUNS ?= 5

.DEFAULT_GOAL := help
.PHONY: help demo test lint fuzz bench clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## build every example segment on the bundled sample
	$(BIN)/duckseg demo

lint: $(STAMP)  ## ruff and mypy (strict on the package)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint  ## lint, then the whole test suite
	$(BIN)/pytest -q

fuzz: $(STAMP)  ## thousands of random definitions, hostile inputs and files, SIGKILL trials
	DUCKSEG_FUZZ=1 $(BIN)/pytest -q tests/test_differential.py tests/test_hostile_input.py \
		tests/test_hostile_definitions.py tests/test_hostile_workspace.py \
		tests/test_lake_hostile.py tests/test_reader_isolation.py tests/test_export_changes.py \
		tests/test_crash_safety.py tests/reference

bench: $(STAMP)  ## benchmark suite (make bench SF=10 RUNS=5); results in benchmarks/results/
	$(BIN)/python -m benchmarks.run --sf $(SF) --runs $(RUNS)

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
