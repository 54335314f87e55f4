# Two commands matter: `make run` and `make test`. Everything else here is what they stand on.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

HAS_FRONTEND := $(wildcard frontend/package.json)
HAS_BROWSER_TESTS := $(wildcard tests/browser)

.PHONY: help install bytecode run test lint test-postgres test-sqlite test-frontend test-browser test-run test-hosts frontend chromium redis-server nginx bench clean

help:
	@echo "make run    set up everything and serve admin, API and site on http://127.0.0.1:8000 (SQLite, demo data)"
	@echo "make test   every test: PostgreSQL and SQLite passes, lint, front-end and browser tests"
	@echo "make bench  the benchmarks under bench/, on PostgreSQL"

# uv installs the pinned packages (the versions pip would) in well under pip's time. Compiled as
# pip does: where PYTHONDONTWRITEBYTECODE is set, Python would otherwise compile every module again
# in every process, and tests start many (workers, servers, commands).
$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed (set PYTHON=... to use another)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==0.13.9
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements-dev.txt
	touch $@

# The project's own modules compiled likewise, before the tests start their processes. Python
# reads a module's bytecode only while it matches the source, so a stale file costs nothing.
bytecode: install
	$(BIN)/python -m compileall -q -j 0 backoffice tests scripts bench conftest.py manage.py

install: $(STAMP)

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# whitenoise serves only ready-made .gz/.br files: the build compresses what it wrote. It runs again
# only when a file of frontend/ (its packages and builds aside) is newer than the last build.
FRONTEND_BUILT := .make/frontend-built
FRONTEND_SOURCES = $(if $(HAS_FRONTEND),$(shell find frontend \( -name node_modules -o -name 'dist*' \) -prune -o -type f -print))

$(FRONTEND_BUILT): frontend/node_modules/.installed $(FRONTEND_SOURCES) | install
	cd frontend && npm run build --silent
	$(BIN)/python -m whitenoise.compress --quiet frontend/dist
	mkdir -p $(@D) && touch $@

frontend: install $(if $(HAS_FRONTEND),$(FRONTEND_BUILT))

# make run is the zero-setup path: SQLite whatever DATABASE_URL the shell has (RUN_DATABASE_URL overrides).
# Its demo login opens the admin without an authenticator app (OTP_REQUIRED=0 needs DEBUG=1).
PORT ?= 8000
RUN_DATABASE_URL ?= sqlite:///$(CURDIR)/data/db.sqlite3
RUN_ENV := DEBUG=1 OTP_REQUIRED=0 DATABASE_URL=$(RUN_DATABASE_URL)

run: install frontend
	mkdir -p data
	$(RUN_ENV) $(BIN)/python manage.py migrate --no-input
	$(RUN_ENV) $(BIN)/python manage.py seed_demo --demo-login
	@echo "Admin: http://127.0.0.1:$(PORT)/admin/   API: http://127.0.0.1:$(PORT)/api/   Site: http://127.0.0.1:$(PORT)/"
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install lint test-postgres test-sqlite test-frontend test-run
	@echo "make test: every suite passed"

lint: install $(if $(HAS_FRONTEND),frontend/node_modules/.installed)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py makemigrations --check --dry-run
ifneq ($(HAS_FRONTEND),)
	cd frontend && npm run lint --silent
	$(BIN)/python scripts/check_api_types.py
endif

# PostgreSQL and Redis: DATABASE_URL / REDIS_URL when set, otherwise throwaway servers.
WITH_SERVERS := $(BIN)/python scripts/with_postgres.py $(BIN)/python scripts/with_redis.py

# The tests run in TEST_PROCESSES processes at once (pytest -n: a database and a Redis database
# each), then the few that assert a wall-clock bound (marked timing) run alone. How tests are
# shared out between the processes: pytest_xdist_make_scheduler in conftest.py.
TEST_PROCESSES ?= 3
# A Chromium, a live server and a database each: two at once on a small machine.
BROWSER_PROCESSES ?= 2
PYTEST_PARALLEL := $(BIN)/pytest -n $(TEST_PROCESSES)

# Every test on PostgreSQL, the browser and host ones included, in one parallel run: those wait on
# Chromium and on servers they start, and the other tests use the machine meanwhile.
test-postgres: install bytecode redis-server nginx $(if $(HAS_BROWSER_TESTS),frontend chromium)
	$(WITH_SERVERS) bash -c '$(PYTEST_PARALLEL) -m "not timing" && $(BIN)/pytest -m timing'

# The SQLite pass waits on nothing (no browser, server or worker): one process per core
# (55 s against 70 s with 3 on 2 cores). The timing tests run on PostgreSQL only: a wall-clock
# bound is the same check on either database.
SQLITE_PROCESSES ?= auto
test-sqlite: install bytecode redis-server
	DATABASE_URL=sqlite:///$(CURDIR)/data/test.sqlite3 $(BIN)/pytest -n $(SQLITE_PROCESSES) -m "sqlite and not postgresql and not browser and not timing"

test-frontend: install $(if $(HAS_FRONTEND),frontend)
ifneq ($(HAS_FRONTEND),)
	cd frontend && npm test --silent
	$(BIN)/python scripts/check_bundle_size.py
endif

# The outbox tests run a real Celery worker on a throwaway Redis (scripts/with_redis.py); the
# cache fault tests start their own redis-server and stop or freeze it on purpose.
redis-server:
	@command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

# deploy/'s nginx site is checked with `nginx -t` and served by an nginx the tests start themselves;
# the system's nginx service is never started.
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The browser tests alone (make test runs them in test-postgres).
test-browser: install bytecode $(if $(HAS_BROWSER_TESTS),frontend chromium)
ifneq ($(HAS_BROWSER_TESTS),)
	$(BIN)/python scripts/with_postgres.py $(BIN)/pytest -n $(BROWSER_PROCESSES) -m browser tests/browser
endif

# `make run` itself, on a spare port and a scratch SQLite file: pages answer and the demo login works.
test-run: install frontend
	$(BIN)/python scripts/smoke_run.py

# deploy/ as real processes, alone: nginx in front of gunicorn, and two web hosts, two workers and
# two beats on one database and one Redis of their own (tests/deploy/, marked hosts; make test runs
# them in test-postgres).
test-hosts: install bytecode redis-server nginx
	$(BIN)/python scripts/with_postgres.py $(BIN)/pytest -m hosts tests/deploy

bench: install redis-server nginx frontend chromium
	$(WITH_SERVERS) $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .make data staticfiles test-artifacts frontend/node_modules frontend/dist frontend/dist-admin
