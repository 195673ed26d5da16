#!/usr/bin/env bash
# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: tools/with_emulator.sh COLLECTION_DIR COMMAND [ARG...]
#
# Runs COMMAND in COLLECTION_DIR with the DingTalk emulator on a free loopback port
# (tests/emulator/launcher.py starts it, and stops it however COMMAND ends). COMMAND
# finds the emulator's address in DINGTALK_EMULATOR_URL and, for ansible-test (which
# filters the environment), in tests/integration/integration_config.yml.
set -euo pipefail

cd "$1"
shift
exec "${PYTHON:-python3}" tests/emulator/launcher.py --integration-config tests/integration/integration_config.yml -- "$@"
