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

.PHONY: help venv stage test sanity units integration demo clean

help:
	@echo "make demo         stop recordings against the DingTalk emulator, and show what happened"
	@echo "make test         ansible-test sanity, units and integration"
	@echo "make sanity|units|integration   one part of make test (TARGETS=name limits sanity/integration)"
	@echo "make clean        remove .venv and the staged copy"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt tools/get_pip_standin.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python tools/install_get_pip_standin.py
	touch $@

stage: venv
	$(BIN)/python tools/stage_collection.py . $(BUILD_ROOT) >/dev/null

test: sanity units integration

sanity: stage
	$(ANSIBLE_TEST) sanity --python $(PY_VERSION) --color no

units: stage
	$(ANSIBLE_TEST) units --python $(PY_VERSION) --local --color no

integration: stage
	PYTHON=$(BIN)/python tools/with_emulator.sh $(COLLECTION_DIR) \
		ansible-test integration --python $(PY_VERSION) --local --color no $(TARGETS)

demo: stage
	PYTHON=$(BIN)/python tools/demo.sh $(COLLECTION_DIR)

clean:
	rm -rf $(VENV) $(BUILD_ROOT)
