# affiche: two commands set everything up on a fresh machine.
#   make run   - virtualenv, install, start the local instance (PORT=8000 DATA=.affiche)
#   make test  - dev dependencies, ruff, mypy, cfn-lint, the whole pytest suite
#   make bench - benchmarks, written to bench/results.json
#   make lock  - recompile the locks from pyproject.toml (after changing a dependency)
#   make deploy - build the Lambda packages and deploy the stack (infra/README.md)
#
# Every environment installs from a hashed lock: requirements.lock is the runtime set, the only
# one Lambda packages contain; requirements-local.lock adds the local runner (moto), and
# requirements-dev.lock the test and deploy tools. tests/infra/test_dependencies.py checks the
# locks agree with pyproject.toml.

PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8000
DATA   ?= .affiche
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PIP    := $(BIN)/python -m pip install --quiet
LOCK_SOURCES := pyproject.toml requirements.lock requirements-local.lock requirements-dev.lock
# Node tools of the test suite (package.json: axe-core for the accessibility browser test)
NODE_STAMP := node_modules/.installed

.PHONY: run test lint typecheck bench build clean lock deploy package

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The locks pin everything, transitive dependencies included, with hashes: pip installs them as
# listed (--no-deps: nothing resolved anew, and pip's hash mode would otherwise refuse a
# dependency named with extras), then `pip check` proves the set is consistent.
$(STAMP): $(LOCK_SOURCES) | $(BIN)/python
	$(PIP) --require-hashes --no-deps -r requirements-local.lock
	$(PIP) --no-deps -e .
	$(BIN)/python -m pip check
	touch $@

$(DEV_STAMP): $(LOCK_SOURCES) | $(BIN)/python
	$(PIP) --require-hashes --no-deps -r requirements-dev.lock
	$(PIP) --no-deps -e .
	$(BIN)/python -m pip check
	touch $(STAMP) $@

# The dev lock is compiled first and constrains the others, so a package has one version in all.
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --universal --generate-hashes --quiet \
	--python-version 3.11 --custom-compile-command "make lock"
lock: $(DEV_STAMP)
	$(UV_COMPILE) --extra local --extra dev -o requirements-dev.lock
	$(UV_COMPILE) --extra local -c requirements-dev.lock -o requirements-local.lock
	$(UV_COMPILE) -c requirements-dev.lock -o requirements.lock

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

run: $(STAMP)
	$(BIN)/affiche dev --port $(PORT) --data $(DATA)

lint: $(DEV_STAMP)
	$(BIN)/ruff check affiche functions site tests bench infra

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

test: lint typecheck $(NODE_STAMP)
	$(BIN)/cfn-lint infra/template.yaml
	# Two workers, each taking whole files (module fixtures and per-file state stay in one process)
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: $(STAMP)
	$(BIN)/python -m bench

build: $(STAMP)
	$(BIN)/affiche build --output output

# --- AWS (infra/README.md) --------------------------------------------------------------------
# sam build runs these targets (BuildMethod: makefile) natively, without Docker: the layer holds
# requirements.lock as wheels for python3.13 on arm64, each function only our code.
BUILD_PYTHON ?= $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))
FUNCTIONS := ApiFunction ModerationFunction InboxFunction WebfingerFunction OutboxFunction \
	ReminderFunction ClockFunction AdminFunction

build-DependenciesLayer:
	$(BUILD_PYTHON) infra/package.py layer --arch arm64 --into "$(ARTIFACTS_DIR)"

$(addprefix build-,$(FUNCTIONS)):
	$(BUILD_PYTHON) infra/package.py code --into "$(ARTIFACTS_DIR)"

# make deploy MAIL_FROM='affiche <noreply@example.org>' [DOMAIN=events.example.org
#   CERTIFICATE_ARN=arn:aws:acm:us-east-1:…] [ALARM_EMAIL=…] [REGION=eu-west-1] [STACK=affiche]
STACK ?= affiche
deploy: $(DEV_STAMP)
	$(BIN)/python infra/deploy.py --stack "$(STACK)" --mail-from "$(MAIL_FROM)" \
		--domain "$(DOMAIN)" --certificate "$(CERTIFICATE_ARN)" --alarm-email "$(ALARM_EMAIL)" \
		$(if $(REGION),--region "$(REGION)")

# The Lambda packages alone, with their sizes (what make deploy uploads).
package: $(DEV_STAMP)
	BUILD_PYTHON=$(BIN)/python $(BIN)/sam build --build-in-source --template-file infra/template.yaml
	$(BIN)/python infra/package.py sizes .aws-sam/build

clean:
	rm -rf $(VENV) node_modules output .pytest_cache .mypy_cache .ruff_cache
