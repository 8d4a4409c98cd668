# A fresh machine needs two commands: `make run` (the blog on SQLite) and `make test`.
# Each creates .venv and installs what it needs from pyproject.toml the first time.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# The tests also run on PostgreSQL and MariaDB when these name a server account that may
# create databases; by default, this machine's local servers. Unreachable servers are
# reported and skipped (with CI=true they fail the run); set a variable empty to opt out.
TEST_POSTGRESQL_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
TEST_MARIADB_URL ?= mysql://root@127.0.0.1:3306/

.PHONY: run test chromium lint lint-migrations format clean bench-http bench-migrations \
	bench-deploy

run: $(VENV)/.installed-app  ## migrate the development database and serve http://127.0.0.1:5000
	$(BIN)/flask db upgrade
	$(BIN)/flask run --debug

test: $(VENV)/.installed-test chromium  ## run the tests on every reachable engine, with branch coverage
	TEST_POSTGRESQL_URL='$(TEST_POSTGRESQL_URL)' TEST_MARIADB_URL='$(TEST_MARIADB_URL)' \
		$(BIN)/pytest --cov --cov-report=term-missing:skip-covered

# The browser tests drive Debian's Chromium (Playwright's own download is never used). As
# root with apt-get, install it when missing: from the package lists there are, else after
# an update that gives up quickly on a closed network. Otherwise say what happens instead.
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get -qq -o Acquire::Retries=0 \
	-o Acquire::http::Timeout=10 -o Acquire::https::Timeout=10

chromium:  ## install Chromium for the browser tests, if missing and possible
	@command -v chromium >/dev/null 2>&1 || { \
		[ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && { \
			$(APT_GET) install -y chromium </dev/null >/dev/null 2>&1 \
			|| { $(APT_GET) update </dev/null >/dev/null 2>&1 \
				&& $(APT_GET) install -y chromium </dev/null >/dev/null 2>&1; }; }; } \
		|| echo "No chromium, and apt-get cannot install it here: the browser tests will be reported as not run."

lint: $(VENV)/.installed-lint  ## ruff: lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lint-migrations: $(VENV)/.installed-lint  ## squawk: lint every revision's PostgreSQL SQL
	BIN=$(BIN) scripts/lint-migrations

bench-http: $(VENV)/.installed-app  ## pages under wrk against a bare Flask app (takes minutes)
	@command -v wrk >/dev/null || apt-get install -y wrk \
		|| { echo "benchmarks/pages.py needs wrk: apt-get install wrk" >&2; exit 1; }
	$(BIN)/python benchmarks/pages.py

bench-migrations: $(VENV)/.installed-test  ## the read_count revision on a million posts
	$(BIN)/python benchmarks/migrations.py

bench-deploy: $(VENV)/.installed-test  ## a deploy under load at a million posts (takes minutes)
	$(BIN)/python benchmarks/deploy.py --runs 3

format: $(VENV)/.installed-lint  ## ruff: fix what can be fixed, then format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:  ## remove the virtualenv and caches (your instance/ databases stay)
	rm -rf $(VENV) build .pytest_cache .ruff_cache .coverage *.egg-info

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "blog needs Python 3.11 or newer: run make PYTHON=python3.11 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-lint: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[lint]'
	touch $@
