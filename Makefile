# affiche: two commands set everything up on a fresh machine.
#   make run   - virtualenv, install, start the local instance (PORT=8000 DATA=.affiche)
#   make test  - dev dependencies, ruff, mypy, cfn-lint, the whole pytest suite
#   make bench - benchmarks, written to bench/results.json

PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8000
DATA   ?= .affiche
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# Node tools of the test suite (package.json: axe-core for the accessibility browser test)
NODE_STAMP := node_modules/.installed

.PHONY: run test lint typecheck bench build clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

run: $(STAMP)
	$(BIN)/affiche dev --port $(PORT) --data $(DATA)

lint: $(DEV_STAMP)
	$(BIN)/ruff check affiche functions site tests bench

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

test: lint typecheck $(NODE_STAMP)
	$(BIN)/cfn-lint infra/template.yaml
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench

build: $(STAMP)
	$(BIN)/affiche build --output output

clean:
	rm -rf $(VENV) node_modules output .pytest_cache .mypy_cache .ruff_cache
