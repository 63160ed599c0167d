# Quick start: `make run` (set up, then serve at http://127.0.0.1:8000 with the
# local model) and `make test` (set up, then run every test; with CI=true, as
# .ci/run sets, then the database tests again on PostgreSQL: `make test-postgres`).
# Both are safe to re-run: set-up steps are skipped when nothing changed.

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8000
export DEBUG ?= 1

# The PostgreSQL pass: the database tests (tests/conftest.py marks them) that
# need neither Chromium nor the local model, on this server. A run creates
# test_<name>_<random> there (tests/testenv.py) and drops it at the end.
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/workbench_test_pg
POSTGRES_PASS = DATABASE_URL=$(POSTGRES_URL) $(PY) -m pytest -m "database and not browser and not localmodel"

.PHONY: run test test-postgres setup lint bench screenshots clean

$(PY):
	"$$(bin/find-python)" -m venv $(VENV)

# Reinstall only when the declared dependencies change.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py localmodel --prepare-only

run: setup
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" PORT=$(PORT) honcho start web local

test: setup
	bin/test-deps
	$(VENV)/bin/ruff check .
	$(PY) -m pytest
ifeq ($(CI),true)
	$(POSTGRES_PASS)
endif

test-postgres: $(STAMP)
	$(POSTGRES_PASS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup
	$(PY) bench/relay.py

# The README's pictures (docs/screenshots/): the app with the fake upstream, in Chromium.
screenshots: setup
	bin/test-deps
	$(PY) bin/screenshots

clean:
	rm -rf $(VENV) .staticfiles db.sqlite3
