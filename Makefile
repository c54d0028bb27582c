# Tianye — the two front doors are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_DB ?= instance/demo.sqlite3
PYTEST_ARGS ?=
# pytest-xdist processes for `make test` (0: one process). Two fit this project's two-core CI
# machine: much of the suite waits on servers, browsers and the Kivy app, and every test keeps
# to its own ports, temp dirs, PostgreSQL database and Xvfb display.
PYTEST_WORKERS ?= 2

.PHONY: demo test lint format venv sysdeps bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[app,server,dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP)

sysdeps:
	bash scripts/install-sysdeps.sh

demo: $(STAMP)
	bash scripts/demo.sh "$(HOST)" "$(PORT)" "$(DEMO_DB)"

test: $(STAMP) sysdeps
	bash scripts/start-services.sh
	$(PY) -m pytest -n $(PYTEST_WORKERS) --durations=20 $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# quick versions of every benchmark, with a summary (bench/README.md); not part of `make test`
bench: $(STAMP)
	$(PY) -m bench all --quick

clean:
	rm -rf $(VENV) instance build *.egg-info .pytest_cache .mypy_cache .ruff_cache test-artifacts
