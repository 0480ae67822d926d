# duckseg developer commands. Every target bootstraps .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
DEV := $(VENV)/.installed
SF ?= 1
RUNS ?= 5

.DEFAULT_GOAL := help
.PHONY: help demo test lint docs fuzz fuzz-refresh bench wheel-check clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# The demo needs only the runtime dependencies; tests, lint and benchmarks add the dev extras.
$(RUNTIME): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME)

$(DEV): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(RUNTIME) $(DEV)

demo: $(RUNTIME)  ## build every example segment on the bundled sample
	$(BIN)/duckseg demo

lint: $(DEV)  ## ruff, mypy (strict on the package), the layering contracts, docs/cli.md up to date
	$(BIN)/ruff check src tests benchmarks docs .ci
	$(BIN)/ruff format --check src tests benchmarks docs .ci
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python docs/generate_cli.py --check

docs: $(DEV)  ## regenerate docs/cli.md from the command line's own help
	$(BIN)/python docs/generate_cli.py

test: lint  ## lint, then the whole test suite
	$(BIN)/pytest -q

wheel-check: $(DEV)  ## build the wheel, install it in a fresh venv, run the main job outside the repo
	$(BIN)/python .ci/wheel_check.py

fuzz: $(DEV)  ## thousands of random definitions, hostile inputs and files, SIGKILL trials
	DUCKSEG_FUZZ=1 $(BIN)/pytest -q tests/test_differential.py tests/test_hostile_input.py \
		tests/test_hostile_definitions.py tests/test_hostile_workspace.py \
		tests/test_lake_hostile.py tests/test_reader_isolation.py tests/test_export_changes.py \
		tests/test_crash_safety.py tests/reference tests/test_refresh_state_machine.py tests/test_watch.py

fuzz-refresh: $(DEV)  ## refresh against full builds: long random histories (an hour or more)
	DUCKSEG_FUZZ=1 DUCKSEG_REFRESH_EXAMPLES=$(or $(EXAMPLES),1000) DUCKSEG_REFRESH_STEPS=$(or $(STEPS),50) \
		$(BIN)/pytest -q tests/test_refresh_state_machine.py --hypothesis-show-statistics

bench: $(DEV)  ## benchmark suite (make bench SF=10 RUNS=5); results in benchmarks/results/
	$(BIN)/python -m benchmarks.run --sf $(SF) --runs $(RUNS)

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
