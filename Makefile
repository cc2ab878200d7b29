# The two commands a new user runs: `make demo` and `make test`. Needs Python 3.11 and git; `make test`
# also needs the Pythons of the test matrix (scripts/find-python says which one is missing).
SHELL := /bin/bash
# The end of the test matrix that the targets run on: floor (the lowest ansible-core that
# meta/runtime.yml declares) or newest (the newest release). Each end is one constraints file, which
# pins the packages and names the Python (`# python: X.Y`): make unit MATRIX=newest.
MATRIX ?= floor
CONSTRAINTS := tests/constraints/$(MATRIX).txt
ifeq ($(wildcard $(CONSTRAINTS)),)
$(error MATRIX=$(MATRIX): no $(CONSTRAINTS); the ends are $(basename $(notdir $(filter-out %/common.txt,$(wildcard tests/constraints/*.txt)))))
endif
PYTHON_VERSION := $(shell sed -n 's/^\# python: *//p' $(CONSTRAINTS))
# The floor keeps the .venv that the other commands (demo, benchmark) use.
VENV := $(if $(filter floor,$(MATRIX)),.venv,.venv-$(MATRIX))
BIN := $(VENV)/bin
# The suites that run on both ends of the matrix (`make test`): a new suite is a target plus one word here.
# Run once, to keep `make test` under CI's 45 minutes: on the newest end molecule (on the floor the roles run
# through the shipped playbooks in the integration suite) and the emulator's own tests (it does not depend on
# ansible-core; every suite drives it on both ends; they install the az CLI the integration suite signs in
# with), and on the floor end generic-errors, faults and nightly.
SUITES := unit integration build-install
# The target Pythons that sanity compiles and imports the modules with, on the newest end: those that
# ansible-core 2.21 supports for modules and the pinned SDKs install on (tests/config.yml), less 3.14,
# which CI machines lack (tests/build/test_matrix.py keeps this list honest).
SANITY_PYTHONS := 3.10 3.11 3.12 3.13
COLLECTIONS := build/collections
COLLECTION := $(COLLECTIONS)/ansible_collections/azure_cmk/batch
SANITY_ROOT := build/sanity/ansible_collections/azure_cmk/batch
# Every test process (and the az CLI's) refuses non-loopback connections: see emulator/src/network_guard.py.
export NETWORK_GUARD_LOG := $(CURDIR)/build/$(MATRIX)/network-guard.log
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTIONS)
export ANSIBLE_HOME := $(CURDIR)/build/$(MATRIX)/ansible-home
export ANSIBLE_LOCAL_TEMP := $(CURDIR)/build/$(MATRIX)/ansible-tmp
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Read by tests/build/test_matrix.py: the end this run claims to be on.
export AZURE_CMK_MATRIX := $(MATRIX)
# Azure's timing, small (issue 8): every collection test and the demo run with grants that reach Key
# Vault and Batch late, new vaults that resolve late and accounts that recover late, so every flow
# exercises the waits. Resource Graph answers at once and nothing is throttled (each test that wants its
# lag or the quotas says so). The emulator's own tests set what they test. Override, e.g.
# make unit EMULATOR_SETTINGS='{"grant_propagation_seconds": 3}'; '{}' for the pytest plugin's (instant,
# unthrottled); '{"timing": "azure", "arm_throttling": true, "resource_graph_throttling": true}' for serve's.
EMULATOR_SETTINGS ?= {"timing": "instant", "grant_propagation_seconds": 1, "vault_registering_seconds": 0.5, "vault_dns_seconds": 1, "account_recovery_seconds": 1, "principal_replication_seconds": 1, "arm_throttling": false, "resource_graph_throttling": false}
# The same with every Batch CMK refusal a plain 400 BadRequest and no Invalid state: all Azure documents,
# so the collection must pass in this mode too (`make generic-errors`, part of `make test`).
GENERIC_ERRORS_SETTINGS ?= {"timing": "instant", "grant_propagation_seconds": 1, "vault_registering_seconds": 0.5, "vault_dns_seconds": 1, "account_recovery_seconds": 1, "principal_replication_seconds": 1, "arm_throttling": false, "resource_graph_throttling": false, "generic_errors": true}

# pytest-xdist workers. The module tests mostly wait - for the emulator's modelled delays, for back-off -
# so twice as many workers as CI's two cores keep both busy (about a quarter of one core each otherwise).
# The integration tests run ansible-playbook, which keeps the cores busy: two workers there.
PYTEST_WORKERS ?= 4

.PHONY: help pythons venv link lint sanity suite unit generic-errors faults nightly emulator-tests integration build-install molecule test demo benchmark benchmark-smoke clean

help:
	@echo "make demo   - set up, start the emulator, run the system-assigned CMK playbook (check, apply, re-run), then the drift report"
	@echo "make test   - set up and run every gate: lint and sanity on the newest ansible-core, then"
	@echo "              unit, integration and build tests on both ends of the supported range, the emulator's"
	@echo "              own tests and molecule on the newest end, generic-errors, faults, nightly and benchmark-smoke on the floor end"
	@echo "make unit MATRIX=newest - one suite on one end (floor is the default; see tests/constraints/)"
	@echo "make molecule MOLECULE_SCENARIO=revert - one molecule scenario (extensions/molecule/)"

$(BIN)/.installed: requirements.txt tests/requirements.txt $(CONSTRAINTS) tests/constraints/common.txt emulator/pyproject.toml $(shell find emulator/src -name '*.py')
	python=$$(scripts/find-python $(PYTHON_VERSION) "the $(MATRIX) end of the test matrix") && $$python -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt -r tests/requirements.txt ./emulator -c $(CONSTRAINTS)
	@# Load the network guard in every interpreter of this venv; it acts only when NETWORK_GUARD=1.
	echo "import network_guard; network_guard.install_from_env()" > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/zz_network_guard.pth"
	touch $@

venv: $(BIN)/.installed

# Every Python that `make test` needs, checked before anything is installed: missing ones fail, named.
pythons:
	@for f in $(filter-out %/common.txt,$(wildcard tests/constraints/*.txt)); do \
	  v=$$(sed -n 's/^# python: *//p' $$f); end=$$(basename $$f .txt); \
	  p=$$(scripts/find-python $$v "the $$end end of the test matrix ($$f)") || exit 1; echo "Python $$v, $$end end: $$p"; done
	@for v in $(SANITY_PYTHONS); do \
	  p=$$(scripts/find-python $$v "sanity's compile and import tests on ansible-core's target Pythons") || exit 1; echo "Python $$v, sanity: $$p"; done

link:
	@mkdir -p $(dir $(COLLECTION)) build/$(MATRIX)
	@ln -sfn $(CURDIR) $(COLLECTION)
	@rm -f $(NETWORK_GUARD_LOG)

lint: venv link
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd $(COLLECTION) && PATH=$(CURDIR)/$(BIN):$$PATH $(CURDIR)/$(BIN)/ansible-lint --offline
	@# Module, role and guide docs as the Ansible docsite renders them (warnings fail too).
	cd $(COLLECTION) && PATH=$(CURDIR)/$(BIN):$$PATH antsibull-docs lint-collection-docs --plugin-docs .

sanity: venv
	rm -rf build/sanity && mkdir -p $(SANITY_ROOT) build/sanity/pythons
	@# ansible-test takes each target Python it finds as pythonX.Y on PATH and skips the others: here a
	@# missing one fails instead. pyenv's shims are left out of its PATH (they exist but cannot run).
	for v in $(SANITY_PYTHONS); do ln -sfn "$$(scripts/find-python $$v "sanity's compile and import tests")" build/sanity/pythons/python$$v || exit 1; done
	git ls-files -z --cached --others --exclude-standard | grep -zvE '^(emulator|\.ci|scripts)/' | xargs -0 cp --parents -t $(SANITY_ROOT)
	@# A repository of its own, so ansible-test lists exactly these files (build/ is ignored by ours).
	cd $(SANITY_ROOT) && git init -q && git add -A
	scripts/ansible-test-offline $(BIN)/python
	cd $(SANITY_ROOT) && PATH=$(CURDIR)/build/sanity/pythons:$(CURDIR)/$(BIN):$$(tr : '\n' <<<"$$PATH" | grep -v '/\.pyenv/shims$$' | paste -sd:) \
	  ansible-test sanity --venv --color no

unit: venv link
	AZURE_EMULATOR_SETTINGS='$(EMULATOR_SETTINGS)' NETWORK_GUARD=1 $(BIN)/pytest -q -n $(PYTEST_WORKERS) -m "not faults" tests/unit

# Every kind of fault on the writes and deciding reads of the enable and rotation flows, and chaos runs:
# each must succeed the first time (docs/reliability.md).
faults: venv link
	AZURE_EMULATOR_SETTINGS='$(EMULATOR_SETTINGS)' NETWORK_GUARD=1 $(BIN)/pytest -q -n $(PYTEST_WORKERS) -m faults tests/unit

# The module tests again, with Batch's refusals as generic as Azure's may be.
generic-errors: venv link
	AZURE_EMULATOR_SETTINGS='$(GENERIC_ERRORS_SETTINGS)' NETWORK_GUARD=1 $(BIN)/pytest -q -n $(PYTEST_WORKERS) -m "not faults" tests/unit/plugins/modules

emulator-tests: venv link
	NETWORK_GUARD=1 $(BIN)/pytest -q -n $(PYTEST_WORKERS) emulator/tests

integration: venv link
	AZURE_EMULATOR_SETTINGS='$(EMULATOR_SETTINGS)' NETWORK_GUARD=1 $(BIN)/pytest -q -n 2 -m "not nightly" tests/integration

# The nightly job: the shipped enable playbooks after each kind of out-of-band drift repair it or fail naming it.
nightly: venv link
	AZURE_EMULATOR_SETTINGS='$(EMULATOR_SETTINGS)' NETWORK_GUARD=1 $(BIN)/pytest -q -n 2 -m nightly tests/integration

build-install: venv link
	NETWORK_GUARD=1 $(BIN)/pytest -q tests/build

# The roles' scenarios (extensions/molecule/): each starts its own emulator; molecule finds them from the
# collection root. MOLECULE_SCENARIO=<name> runs one.
molecule: venv link
	NETWORK_GUARD=1 PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/molecule test $(if $(MOLECULE_SCENARIO),-s $(MOLECULE_SCENARIO),--all)

# The suites of one end; `make test` runs them on both.
suite: $(SUITES)

# Lint and sanity once, on the newest end; the suites on both ends, newest first (it fails first when
# a release breaks something). Every end's network-guard log must stay empty.
test: pythons
	AZ_CLI_REQUIRED=1 $(MAKE) MATRIX=newest lint sanity emulator-tests suite molecule
	AZ_CLI_REQUIRED=1 $(MAKE) MATRIX=floor suite generic-errors faults nightly benchmark-smoke
	@if cat build/*/network-guard.log 2>/dev/null | grep -q .; then echo "network guard refused connections:"; cat build/*/network-guard.log; exit 1; fi
	@echo "all gates passed: lint and sanity on the newest end; $(SUITES) on $(basename $(notdir $(filter-out %/common.txt,$(wildcard tests/constraints/*.txt)))); emulator-tests and molecule on the newest end; generic-errors, faults, nightly and benchmark-smoke on the floor end"

demo: venv link
	AZURE_EMULATOR_SETTINGS='$(EMULATOR_SETTINGS)' PATH=$(CURDIR)/$(BIN):$$PATH scripts/demo.sh

clean:
	rm -rf build .venv .venv-* .pytest_cache .ruff_cache

# Prints figures (docs/performance.md says what each means) - each module, the flow and the 4-task playbook with
# the run's token cache on and off beside azure.azcollection (--peer installs it into build/peer/venv once, about
# 1.5 GB), the compliance report and the drift run, at 0, 20 and 100 ms per call; then the estate (issue 16).
# BENCHMARK_ARGS go to scripts/benchmark_runs.py, e.g. BENCHMARK_ARGS="--runs 3 --latencies 100" (no peer:
# BENCHMARK_ARGS=""). `make benchmark-smoke` runs every row once, small and on loopback (a few minutes): it is
# part of `make test`, so the benchmark a user runs is known to work.
BENCHMARK_ARGS ?= --peer
benchmark: venv link
	$(BIN)/python scripts/benchmark.py
	$(BIN)/python scripts/benchmark_runs.py $(BENCHMARK_ARGS)
	$(BIN)/python scripts/benchmark_fleet.py

benchmark-smoke: venv link
	$(BIN)/python scripts/benchmark_runs.py --smoke
	$(BIN)/python scripts/benchmark_fleet.py --runs 1 --accounts 300 --subscriptions 3 --vaults 4 --small 100 --latency-ms 0
