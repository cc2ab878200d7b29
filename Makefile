# The two commands a new user runs: `make demo` and `make test`. Needs only Python 3.11 and git.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
COLLECTIONS := build/collections
COLLECTION := $(COLLECTIONS)/ansible_collections/azure_cmk/batch
SANITY_ROOT := build/sanity/ansible_collections/azure_cmk/batch
# Every test process (and the az CLI's) refuses non-loopback connections: see emulator/src/network_guard.py.
export NETWORK_GUARD_LOG ?= $(CURDIR)/build/network-guard.log
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTIONS)
export ANSIBLE_HOME := $(CURDIR)/build/ansible-home
export ANSIBLE_LOCAL_TEMP := $(CURDIR)/build/ansible-tmp
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Emulator settings (a JSON object; emulator/README.md lists them) for every test run and the demo, e.g.
# make test EMULATOR_SETTINGS='{"grant_propagation_seconds": 3}'. Empty: the emulator's own defaults.
EMULATOR_SETTINGS ?=
ifneq ($(strip $(EMULATOR_SETTINGS)),)
export AZURE_EMULATOR_SETTINGS := $(EMULATOR_SETTINGS)
endif

.PHONY: help venv link lint sanity unit emulator-tests integration build-install test demo benchmark clean

help:
	@echo "make demo   - set up, start the emulator, run the system-assigned CMK playbook (check, apply, re-run)"
	@echo "make test   - set up and run every gate: lint, sanity, unit, emulator, integration, build"

$(BIN)/.installed: requirements.txt tests/requirements.txt emulator/pyproject.toml $(shell find emulator/src -name '*.py')
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt -r tests/requirements.txt ./emulator
	@# Load the network guard in every interpreter of this venv; it acts only when NETWORK_GUARD=1.
	echo "import network_guard; network_guard.install_from_env()" > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/zz_network_guard.pth"
	touch $@

venv: $(BIN)/.installed

link:
	@mkdir -p $(dir $(COLLECTION)) build
	@ln -sfn $(CURDIR) $(COLLECTION)
	@rm -f $(NETWORK_GUARD_LOG)

lint: venv link
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd $(COLLECTION) && PATH=$(CURDIR)/$(BIN):$$PATH $(CURDIR)/$(BIN)/ansible-lint --offline

sanity: venv
	rm -rf build/sanity && mkdir -p $(SANITY_ROOT)
	git ls-files -z --cached --others --exclude-standard | grep -zvE '^(emulator|\.ci|scripts)/' | xargs -0 cp --parents -t $(SANITY_ROOT)
	@# A repository of its own, so ansible-test lists exactly these files (build/ is ignored by ours).
	cd $(SANITY_ROOT) && git init -q && git add -A
	scripts/ansible-test-offline $(BIN)/python
	cd $(SANITY_ROOT) && PATH=$(CURDIR)/$(BIN):$$PATH ansible-test sanity --venv --python 3.11 --color no

unit: venv link
	NETWORK_GUARD=1 $(BIN)/pytest -q -n 2 tests/unit

emulator-tests: venv link
	NETWORK_GUARD=1 $(BIN)/pytest -q emulator/tests

integration: venv link
	NETWORK_GUARD=1 $(BIN)/pytest -q -n 2 tests/integration

build-install: venv link
	NETWORK_GUARD=1 $(BIN)/pytest -q tests/build

test: lint sanity unit emulator-tests integration build-install
	@if [ -s "$(NETWORK_GUARD_LOG)" ]; then echo "network guard refused connections:"; cat "$(NETWORK_GUARD_LOG)"; exit 1; fi
	@echo "all gates passed"

demo: venv link
	PATH=$(CURDIR)/$(BIN):$$PATH scripts/demo.sh

clean:
	rm -rf build $(VENV) .pytest_cache .ruff_cache

benchmark: venv link
	$(BIN)/python scripts/benchmark.py
