# make run   — create the virtualenv, install, run the daemon on the bundled offline config
# make test  — install dev extras, start PostgreSQL when needed, run the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CONFIG ?= config/monitor.yaml

.PHONY: run once check test lint bench clean-state clean

$(BIN)/news-monitor: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.dev: $(BIN)/news-monitor
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

run: $(BIN)/news-monitor
	$(BIN)/news-monitor run -c $(CONFIG)

once: $(BIN)/news-monitor
	$(BIN)/news-monitor once -c $(CONFIG)

check: $(BIN)/news-monitor
	$(BIN)/news-monitor check -c $(CONFIG)

test: $(VENV)/.dev
	@. scripts/test-postgres.sh && $(BIN)/python -m pytest -q -n 2

lint: $(VENV)/.dev
	$(BIN)/ruff check monitor tests bench

$(VENV)/.bench: $(VENV)/.dev
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@touch $@

bench: $(VENV)/.bench
	@. scripts/test-postgres.sh && for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean-state:  ## forget what the bundled config has seen and sent
	rm -rf config/state

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis config/state
