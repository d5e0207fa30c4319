# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint setup install migrate seed format browser-deps clean

run: setup ## set up, then serve on http://127.0.0.1:8000
	$(PY) manage.py runserver $(HOST):$(PORT)

test: setup ## set up, then the whole test suite
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install ## ruff check + format check + missing migrations
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

setup: install migrate seed

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the declared dependencies change.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate ## taxonomy, the paper's organizations, labelled demo initiatives (idempotent)
	$(PY) manage.py seed

browser-deps: ## Debian's Chromium (browser tests) and Java (HTML validation); nothing else is downloaded
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	command -v java >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless)
	command -v chromium >/dev/null || { echo "FATAL: Chromium is needed for the browser tests" >&2; exit 1; }
	command -v java >/dev/null || { echo "FATAL: Java is needed for the HTML validation tests" >&2; exit 1; }

clean:
	rm -rf $(VENV) staticfiles .pytest_cache db.sqlite3
