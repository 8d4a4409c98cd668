# A fresh machine needs two commands: `make run` (the blog on SQLite) and `make test`.
# Each creates .venv and installs what it needs the first time, from a lock file in
# requirements/ (exact versions, hash-checked); `make lock` writes them from pyproject.toml.
# `make` alone lists the targets.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# The tests also run on PostgreSQL and MariaDB when these name a server account that may
# create databases; by default, this machine's local servers. Unreachable servers are
# reported and skipped (with CI=true they fail the run); set a variable empty to opt out.
TEST_POSTGRESQL_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
TEST_MARIADB_URL ?= mysql://root@127.0.0.1:3306/
# The rate-limit tests that need Redis use this database, which they empty.
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.DEFAULT_GOAL := help
.PHONY: help run test chromium lint lint-migrations test-previous-release format lock \
	lock-upgrade clean bench-http \
	bench-migrations bench-deploy

help:  ## list the targets (the default)
	@echo 'make TARGET, where TARGET is one of:'
	@awk -F ':.*## ' '/^[a-z][a-z-]*:.*## / {printf "  %-22s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: $(VENV)/.installed-app  ## migrate the development database and serve http://127.0.0.1:5000
	$(BIN)/flask db upgrade
	$(BIN)/flask run --debug

test: $(VENV)/.installed-test chromium  ## run the tests on every reachable engine, with branch coverage
	TEST_POSTGRESQL_URL='$(TEST_POSTGRESQL_URL)' TEST_MARIADB_URL='$(TEST_MARIADB_URL)' \
		TEST_REDIS_URL='$(TEST_REDIS_URL)' $(BIN)/pytest --cov --cov-report=term-missing:skip-covered

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

lint: $(VENV)/.installed-lint  ## ruff (lint and format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

lint-migrations: $(VENV)/.installed-lint  ## flask db lint, and squawk on each revision's PostgreSQL SQL
	$(BIN)/flask db lint
	BIN=$(BIN) scripts/lint-migrations

test-previous-release: $(VENV)/.installed-test  ## the previous release's page and API tests on this schema
	TEST_POSTGRESQL_URL='$(TEST_POSTGRESQL_URL)' BIN=$(BIN) scripts/previous-release

# .installed-test, for psycopg: the pages are measured on PostgreSQL too when it answers.
bench-http: $(VENV)/.installed-test  ## pages under wrk against a bare Flask app, on SQLite and PostgreSQL (takes minutes)
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

# The lock files, one per use of .venv, each with every pin's hashes; all three are subsets of
# requirements/constraints.txt, the joint resolution of every extra (not installed itself), so a
# package has the same version in each and .venv never flips between two. They are resolved
# for CPython 3.11 on Linux x86_64 whatever the machine running `make lock`, and each header
# records the SHA-256 of pyproject.toml's dependency tables (tests/test_lock.py computes it and
# fails when pyproject.toml changed since). uv only resolves: pip installs, as before.
UV_VERSION := 0.13.9
LOCK_TARGET := --python-version 3.11 --python-platform x86_64-manylinux_2_28
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet $(LOCK_TARGET) \
	--custom-compile-command 'make lock'

# $(call compile,NAME,UV OPTIONS): write requirements/NAME.txt, then put its header on top.
define compile
	$(UV_COMPILE) $(2) -o requirements/$(1).txt
	@{ echo '# $(ABOUT_$(1))'; \
	  echo '# Resolved for CPython 3.11 on Linux x86_64 (manylinux_2_28), whatever ran make lock.'; \
	  echo "# pyproject-sha256: $$($(BIN)/python tests/test_lock.py)"; \
	  cat requirements/$(1).txt; } > requirements/$(1).txt.new
	@mv requirements/$(1).txt.new requirements/$(1).txt
endef

ABOUT_constraints := The joint resolution of every extra; not installed: it constrains the others.
ABOUT_app := For make run: the dependencies and the dev extra.
ABOUT_test := For make test and the benchmarks: the dependencies and the test extra.
ABOUT_lint := For make lint: the dependencies and the lint extra.
HASHED := --generate-hashes -c requirements/constraints.txt

lock: | $(BIN)/python  ## re-pin requirements/*.txt to pyproject.toml, keeping every pin it can
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	@mkdir -p requirements
	$(call compile,constraints,--all-extras $(UPGRADE))
	$(call compile,app,--extra dev $(HASHED))
	$(call compile,test,--extra test $(HASHED))
	$(call compile,lint,--extra lint $(HASHED))

lock-upgrade:  ## re-pin requirements/*.txt to the newest versions pyproject.toml allows
	$(MAKE) lock UPGRADE=--upgrade

clean:  ## remove the virtualenv and caches (your instance/ databases stay)
	rm -rf $(VENV) build .pytest_cache .ruff_cache .mypy_cache .coverage *.egg-info

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "blog needs Python 3.11 or newer: run make PYTHON=python3.11 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# A stamp per lock file: a changed lock (or pyproject.toml) installs again. The project itself
# goes in editable and without dependencies, since the lock already has every one of them.
$(VENV)/.installed-%: requirements/%.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $<
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@
