# The developer interface. The README shows these same commands.
#   make run               install, migrate, load the catalogue and demo data, serve on 127.0.0.1:8000
#   make test              install and run the whole test suite
#   make screenshots       the README's screenshots (docs/screenshots/), made again by the browser suite
#   make lint              ruff lint and format check, the apps' layers (import-linter), then types (mypy)
#   make migrations-check  fail if a model change has no migration
#   make worker            a Celery worker (needs CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0)
#   make bench             every benchmark against a large seeded centre, in one table (PostgreSQL)
#   make oidc-provider     the demo's OpenID provider for single sign-on on 127.0.0.1:9400 (Node.js)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test screenshots lint format migrations-check worker bench oidc-provider clean

# Re-install only when the pinned dependencies change.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) load_catalogue
	$(MANAGE) seed_demo
	$(MANAGE) runserver $(HOST):$(PORT)

test: install
	# The Open Badges 3.0 JSON Schemas the badge tests validate against, from a package (once;
	# `make run` does not need them).
	$(BIN)/python -m tests.support.ob_schemas
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

# The README's pictures (docs/screenshots/), made again by the browser suite from the demo.
screenshots: install
	UPDATE_SCREENSHOTS=1 $(BIN)/pytest -n 0 tests/browser/test_screenshots.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(MANAGE) makemigrations --check --dry-run

# Needs PostgreSQL on 127.0.0.1:5432 (BENCH_ARGS="--database-url ..." for another); the first
# run seeds the large centre (minutes). BENCH_ARGS="--platform", "--load", "--only judging".
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

worker: install
	$(BIN)/celery -A config.celery_app worker --loglevel=INFO

# Single sign-on on the demo (README, "Single sign-on"): a real OpenID provider, the npm package
# oidc-provider at the version its lock file pins, in the foreground (Ctrl-C stops it). Needs
# Node.js and npm; `make run` does not (its button then says the provider cannot be reached).
oidc-provider:
	cd tools/oidc-provider && npm ci --no-audit --no-fund && node server.js

clean:
	rm -rf $(VENV) staticfiles .test-media .pytest_cache .ruff_cache .mypy_cache tools/oidc-provider/node_modules
