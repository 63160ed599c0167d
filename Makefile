# Quick start: `make run` (set up, then serve at http://127.0.0.1:8000 with the
# local model) and `make test` (set up, then run every test).
# Both are safe to re-run: set-up steps are skipped when nothing changed.

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8000
export DEBUG ?= 1

.PHONY: run test setup lint bench screenshots clean

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
