# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-deps lint setup install migrate seed format browser-deps clean bench bench-smoke bench-cold bench-cold-smoke bench-feed-history bench-deps messages compilemessages i18n-deps soak soak-smoke

run: setup ## set up, then serve on http://127.0.0.1:8000
	$(PY) manage.py runserver $(HOST):$(PORT)

# test-deps comes first: without root, a missing tool stops everything before any set-up runs.
test: test-deps setup ## set up (Chromium, Java and gettext included), then the whole test suite
	$(PY) -m pytest $(PYTEST_ARGS)

test-deps: ## what the suite needs beyond Python (Chromium, Java, gettext), from Debian's packages
	bash scripts/test_deps.sh chromium java xgettext

lint: install ## pre-commit on every file: ruff, ruff format, django-upgrade, makemigrations --check
	$(VENV)/bin/pre-commit run --all-files --show-diff-on-failure

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

setup: install compilemessages migrate seed

compilemessages: install ## build the .mo translation catalogues from locale/*/LC_MESSAGES/*.po
	$(PY) scripts/compile_messages.py

# After changing interface text: refresh the Spanish catalogue, translate the new entries in
# locale/es/LC_MESSAGES/django.po (the test suite fails while any is missing), then compile.
messages: install i18n-deps
	$(PY) manage.py makemessages -l es --no-obsolete --no-location -i "tests/*" -i "scripts/*" -i "docs/*" -i "static/*" -i "staticfiles/*"
	$(PY) scripts/compile_messages.py

i18n-deps: ## GNU gettext's xgettext (makemessages, and the catalogue test) from Debian's packages
	command -v xgettext >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext)
	command -v xgettext >/dev/null || { echo "FATAL: GNU gettext (xgettext) is needed" >&2; exit 1; }

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

seed: migrate ## taxonomy, the paper's organizations, the research set of real listings (idempotent)
	$(PY) manage.py seed

browser-deps: test-deps ## kept for habit: the same as test-deps

# Benchmarks (docs/benchmarks.md): the app under gunicorn on PostgreSQL against a bare Django
# view and Datasette. BENCH_REUSE=1 measures the existing database without regenerating it.
BENCH_INITIATIVES ?= 1000000
BENCH_DB ?= mpdb_bench
BENCH_SMOKE_DB ?= mpdb_bench_smoke
BENCH_VENV := .venv-bench
BENCH_ARGS ?=

# gunicorn and the Redis client are main dependencies: the app venv already has them.
$(VENV)/.bench-installed: pyproject.toml $(STAMP)
	touch $@

# Datasette lives in its own venv so its dependencies never meet the app's.
$(BENCH_VENV)/.installed:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/pip install --quiet 'datasette>=0.65,<0.66' 'sqlite-utils>=3.38,<4'
	touch $@

bench-deps: $(VENV)/.bench-installed $(BENCH_VENV)/.installed

bench: bench-deps ## warm and cold benchmarks on one database; writes docs/benchmarks.md and docs/benchmarks-cold-<size>.md (BENCH_REUSE=1: measure only)
	BENCH_COMMAND="make bench BENCH_INITIATIVES=$(BENCH_INITIATIVES)$(if $(BENCH_REUSE), BENCH_REUSE=1)" \
	$(PY) scripts/bench.py --db $(BENCH_DB) --initiatives $(BENCH_INITIATIVES) \
		$(if $(BENCH_REUSE),--reuse) --out docs $(BENCH_ARGS)
	BENCH_COMMAND="make bench BENCH_INITIATIVES=$(BENCH_INITIATIVES)$(if $(BENCH_REUSE), BENCH_REUSE=1)$(if $(filter-out 40,$(BENCH_COLD_PER_KIND)), BENCH_COLD_PER_KIND=$(BENCH_COLD_PER_KIND))$(if $(BENCH_COLD_ARGS), BENCH_COLD_ARGS='$(BENCH_COLD_ARGS)')" \
	$(PY) scripts/bench_cold.py --db $(BENCH_DB) --initiatives $(BENCH_INITIATIVES) --reuse \
		--per-kind $(BENCH_COLD_PER_KIND) --out docs $(BENCH_COLD_ARGS)

bench-smoke: bench-deps ## a few seconds per URL on 5,000 initiatives; asserts only that all answered 200
	BENCH_COMMAND="make bench-smoke" $(PY) scripts/bench.py --smoke --db $(BENCH_SMOKE_DB) \
		--initiatives 5000 --out $${BENCH_OUT:-$$(mktemp -d)} $(BENCH_ARGS)

# Cold benchmark (docs/benchmarks-cold-100k.md, -1m.md): distinct URLs of every kind, each requested once
# with the app's cache emptied, against the floor view and Datasette in the same run; plus an
# after-write mix, queries per request and the slowest kinds' EXPLAIN ANALYZE plans.
# BENCH_COLD_ARGS=--prewarm reads the database into PostgreSQL's shared buffers first (they
# must hold it: set shared_buffers and restart PostgreSQL) and writes -1m-prewarmed.md.
BENCH_COLD_INITIATIVES ?= 100000
BENCH_COLD_DB ?= mpdb_bench_cold_$(BENCH_COLD_INITIATIVES)
BENCH_COLD_SMOKE_DB ?= mpdb_bench_cold_smoke
BENCH_COLD_OUT ?= docs
BENCH_COLD_ARGS ?=
# URLs of each kind in the cold run of `make bench` (the published reports use 40: 600 URLs)
BENCH_COLD_PER_KIND ?= 40

bench-cold: bench-deps ## first requests, empty cache; writes docs/benchmarks-cold-<size>.md (BENCH_REUSE=1: measure only)
	BENCH_COMMAND="make bench-cold BENCH_COLD_INITIATIVES=$(BENCH_COLD_INITIATIVES)$(if $(BENCH_REUSE), BENCH_REUSE=1)$(if $(BENCH_COLD_ARGS), BENCH_COLD_ARGS='$(BENCH_COLD_ARGS)')" \
	$(PY) scripts/bench_cold.py --db $(BENCH_COLD_DB) --initiatives $(BENCH_COLD_INITIATIVES) \
		$(if $(BENCH_REUSE),--reuse) --out $(BENCH_COLD_OUT) $(BENCH_COLD_ARGS)

bench-cold-smoke: bench-deps ## cold mix on 5,000 initiatives; fails if a kind's p95 exceeds its limit × the floor's
	BENCH_COMMAND="make bench-cold-smoke" $(PY) scripts/bench_cold.py --smoke \
		--db $(BENCH_COLD_SMOKE_DB) --initiatives 5000 --out $${BENCH_OUT:-$$(mktemp -d)} \
		$(BENCH_COLD_ARGS)

# The change feed's deletions over a long history, with and without their index
# (docs/benchmarks-feed-history.md): a throwaway database, dropped afterwards.
bench-feed-history: install ## the change feed's deletion statement over a million history rows
	$(PY) scripts/bench_feed_history.py --history 1000000 --out docs

# Load and soak (docs/reliability.md): gunicorn + PostgreSQL (+ Redis) on a throwaway database
# mpdb_soak_<pid>, concurrent clients reading and writing; fails on any 5xx, unanswered request,
# lost write or memory growth. SOAK_ARGS adds flags (scripts/soak.py --help).
SOAK_ARGS ?=

soak: install ## 32 clients for 10 minutes on 10,000 synthetic initiatives
	SOAK_COMMAND="make soak" $(PY) scripts/soak.py --clients 32 --duration 600 --initiatives 10000 $(SOAK_ARGS)

soak-smoke: install ## 16 clients for 40 s on 2,000 synthetic initiatives (CI)
	SOAK_COMMAND="make soak-smoke" $(PY) scripts/soak.py --clients 16 --duration 40 --initiatives 2000 $(SOAK_ARGS)

clean:
	rm -rf $(VENV) $(BENCH_VENV) .bench staticfiles .pytest_cache db.sqlite3
