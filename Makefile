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
# `make test` = sanity units integration (ansible-core 2.19, .venv), the release
# checks (lint, docs, changelog, build, galaxy-importer, execution environment) and
# units and integration again on ansible-core 2.16 (.venv-2.16, its own stage), the
# oldest version meta/runtime.yml promises.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
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

# The oldest ansible-core that meta/runtime.yml promises: its own virtualenv, and its
# own stage, so that its ansible-test output never mixes with the 2.19 one.
OLD_CORE := 2.16
OLD_CORE_REQUIREMENT := ansible-core>=2.16,<2.17
# The lowest requests that requirements.txt allows, with the urllib3 1.26 it brings: tested here, so
# that the transport's error handling is known to work on both urllib3 lines.
OLD_CORE_REQUESTS := requests==2.28.2
OLD_VENV ?= .venv-$(OLD_CORE)
OLD_BIN := $(abspath $(OLD_VENV))/bin
OLD_BUILD_ROOT ?= $(BUILD_ROOT)-core$(OLD_CORE)
OLD_COLLECTION_DIR := $(OLD_BUILD_ROOT)/ansible_collections/community/dingtalk
OLD_PY_VERSION = $(shell $(OLD_BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# Everything from .venv's requirements but ansible-core and the release checks.
OLD_REQUIREMENTS_FILTER := grep -v -e '^ansible-core' -e '^-r ' -e '\# release-check' requirements-dev.txt

.PHONY: help venv stage test sanity units integration demo clean \
	release-checks shape lint docs-lint changelog-lint changelog build import-check ee-check \
	venv-$(OLD_CORE) stage-$(OLD_CORE) test-$(OLD_CORE) units-$(OLD_CORE) integration-$(OLD_CORE) bench

help:
	@echo "make demo         stop recordings against the DingTalk emulator, and show what happened"
	@echo "make test         sanity, units, integration, release-checks and test-$(OLD_CORE)"
	@echo "make sanity|units|integration   one part of make test (TARGETS=name limits sanity/integration)"
	@echo "make release-checks   shape lint docs-lint changelog-lint build import-check ee-check"
	@echo "make shape        function and file sizes, parameters and import cycles of plugins/ (docs/architecture.md)"
	@echo "make lint         ansible-lint --profile production on the collection and docs/examples"
	@echo "make docs-lint    antsibull-docs lint-collection-docs --plugin-docs"
	@echo "make changelog-lint   antsibull-changelog lint"
	@echo "make changelog    antsibull-changelog release for the version in galaxy.yml (again: adds new fragments to it)"
	@echo "make build        ansible-galaxy collection build, and check the tarball's file list"
	@echo "make import-check galaxy-importer on the tarball"
	@echo "make ee-check     ansible-builder create on docs/examples/execution-environment.yml, and check the collection needs nothing more"
	@echo "make test-$(OLD_CORE)    units and integration on ansible-core $(OLD_CORE) ($(OLD_VENV))"
	@echo "make bench        benchmark uri loop, module loop, batch mode and the sweep; writes docs/benchmarks/ (not in make test)"
	@echo "make clean        remove the virtualenvs and the staged copies"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt tools/get_pip_standin.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python tools/install_get_pip_standin.py
	touch $@

stage: venv
	$(BIN)/python tools/stage_collection.py . $(BUILD_ROOT) >/dev/null

test: sanity units integration release-checks test-$(OLD_CORE)

sanity: stage
	$(ANSIBLE_TEST) sanity --python $(PY_VERSION) --color no

units: stage
	$(ANSIBLE_TEST) units --python $(PY_VERSION) --local --color no

integration: stage
	PYTHON=$(BIN)/python tools/with_emulator.sh $(COLLECTION_DIR) \
		ansible-test integration --python $(PY_VERSION) --local --color no $(TARGETS)

demo: stage
	PYTHON=$(BIN)/python tools/demo.sh $(COLLECTION_DIR)

# Release checks ---------------------------------------------------------------

release-checks: shape lint docs-lint changelog-lint build import-check ee-check

# The shape docs/architecture.md promises: function and file sizes, parameters, no import cycle.
shape: venv
	$(BIN)/python tools/check_code_shape.py plugins

# Configuration in .ansible-lint (offline; awx.awx, which the AWX example uses, is mocked).
lint: stage
	cd $(COLLECTION_DIR) && ansible-lint --profile production --offline --nocolor

docs-lint: stage
	cd $(COLLECTION_DIR) && antsibull-docs lint-collection-docs --plugin-docs .

changelog-lint: stage
	cd $(COLLECTION_DIR) && antsibull-changelog lint

# Writes changelogs/changelog.yaml, CHANGELOG.rst and CHANGELOG.md in the checkout. Run it
# again for the same version and it adds the fragments written since; bump the version in
# galaxy.yml first to start the next release.
changelog: venv
	antsibull-changelog release

# Built from the stage, which holds only the files git tracks or would track; build_ignore
# in galaxy.yml keeps out what test runs generate there.
build: stage
	rm -rf $(DIST_DIR)
	ansible-galaxy collection build $(COLLECTION_DIR) --output-path $(DIST_DIR)
	$(BIN)/python tools/check_collection_tarball.py $(TARBALL) .

# The import check Galaxy runs (offline, default settings). It writes importer_result.json
# to its working directory, hence the directory of its own.
import-check: build
	rm -rf $(DIST_DIR)/import && mkdir -p $(DIST_DIR)/import
	cd $(DIST_DIR)/import && $(BIN)/python -m galaxy_importer.main $(TARBALL) | tee galaxy-importer.log
	@if grep -q '^ERROR' $(DIST_DIR)/import/galaxy-importer.log || ! grep -q '^Importer processing completed successfully' $(DIST_DIR)/import/galaxy-importer.log; then \
		echo "galaxy-importer found errors" >&2; exit 1; fi
	@echo "galaxy-importer: 0 errors, $$(grep -c '^WARNING' $(DIST_DIR)/import/galaxy-importer.log || true) warnings"

ee-check: build
	$(BIN)/python tools/check_execution_environment.py docs/examples/execution-environment.yml $(TARBALL) $(DIST_DIR)/ee

# ansible-core $(OLD_CORE) ------------------------------------------------------------

venv-$(OLD_CORE): $(OLD_VENV)/.installed

$(OLD_VENV)/.installed: requirements.txt requirements-dev.txt tools/get_pip_standin.py
	$(PYTHON) -m venv $(OLD_VENV)
	$(OLD_BIN)/python -m pip install --quiet --upgrade pip
	$(OLD_REQUIREMENTS_FILTER) >$(OLD_VENV)/requirements-dev.txt
	$(OLD_BIN)/python -m pip install --quiet '$(OLD_CORE_REQUIREMENT)' '$(OLD_CORE_REQUESTS)' -r requirements.txt -r $(OLD_VENV)/requirements-dev.txt
	$(OLD_BIN)/python tools/install_get_pip_standin.py
	touch $@

stage-$(OLD_CORE): venv-$(OLD_CORE)
	$(OLD_BIN)/python tools/stage_collection.py . $(OLD_BUILD_ROOT) >/dev/null

test-$(OLD_CORE): units-$(OLD_CORE) integration-$(OLD_CORE)

units-$(OLD_CORE): stage-$(OLD_CORE)
	cd $(OLD_COLLECTION_DIR) && PATH=$(OLD_BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(OLD_BUILD_ROOT) \
		ansible-test units --python $(OLD_PY_VERSION) --local --color no

# Every integration target runs on ansible-core 2.16 too, but the fault campaign: it exercises the
# same plugin code as the other targets, takes 80 s, and runs on 2.19. It passes on 2.16 as well:
# make integration-$(OLD_CORE) OLD_CORE_INTEGRATION_SKIP= TARGETS=reliability_campaign
OLD_CORE_INTEGRATION_SKIP ?= reliability_campaign

integration-$(OLD_CORE): stage-$(OLD_CORE)
	@$(if $(strip $(OLD_CORE_INTEGRATION_SKIP)),echo "NOT RUN on ansible-core $(OLD_CORE) (see OLD_CORE_INTEGRATION_SKIP in the Makefile): $(OLD_CORE_INTEGRATION_SKIP)",true)
	PATH=$(OLD_BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(OLD_BUILD_ROOT) PYTHON=$(OLD_BIN)/python \
		tools/with_emulator.sh $(OLD_COLLECTION_DIR) \
		ansible-test integration --python $(OLD_PY_VERSION) --local --color no \
		$(foreach target,$(OLD_CORE_INTEGRATION_SKIP),--exclude $(target)) $(TARGETS)

# Benchmark ----------------------------------------------------------------------------

# Not part of make test: it takes half an hour. Its own stage, so that a test run meanwhile cannot
# change the collection under it. Writes docs/benchmarks/ (README.md, results.json, benchmark.png);
# BENCH_ARGS="--sizes 10,100 --runs 1" for a quick look; BENCH_ARGS="--scenarios sweep" runs only the
# organisation-wide sweep (and writes no report).
BENCH_BUILD_ROOT ?= $(BUILD_ROOT)-bench
bench: venv
	$(BIN)/python -m pip install --quiet -r tests/benchmarks/requirements.txt
	$(BIN)/python tools/stage_collection.py . $(BENCH_BUILD_ROOT) >/dev/null
	$(BIN)/python tests/benchmarks/run_benchmark.py --collections-path $(BENCH_BUILD_ROOT) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(BUILD_ROOT) $(OLD_VENV) $(OLD_BUILD_ROOT) $(BENCH_BUILD_ROOT)
