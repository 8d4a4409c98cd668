# A fresh machine needs two commands: `make run` (the blog on SQLite) and `make test`.
# Each creates .venv and installs what it needs from pyproject.toml the first time.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint format clean

run: $(VENV)/.installed-app  ## migrate the development database and serve http://127.0.0.1:5000
	$(BIN)/flask db upgrade
	$(BIN)/flask run --debug

test: $(VENV)/.installed-test  ## run the tests, with branch coverage
	$(BIN)/pytest --cov --cov-report=term-missing:skip-covered

lint: $(VENV)/.installed-lint  ## ruff: lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-lint  ## ruff: fix what can be fixed, then format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:  ## remove the virtualenv and caches (your instance/ databases stay)
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage *.egg-info

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "blog needs Python 3.11 or newer: run make PYTHON=python3.11 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-lint: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[lint]'
	touch $@
