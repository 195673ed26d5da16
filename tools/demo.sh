#!/usr/bin/env bash
# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: tools/demo.sh COLLECTION_DIR   (run by `make demo`)
#
# Runs docs/examples/demo.yml against the DingTalk emulator: a recording is
# stopped (changed), the same task runs again (ok), and a stop in a meeting that
# has ended is ok too. Nothing is fetched from the internet.
set -euo pipefail

collection_dir=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

export ANSIBLE_COLLECTIONS_PATH
ANSIBLE_COLLECTIONS_PATH=$(cd "$collection_dir/../../.." && pwd)
export ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_DISPLAY_SKIPPED_HOSTS=false
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
# The emulator's tokens are worthless elsewhere: keep them out of the user's own token cache.
DINGTALK_TOKEN_CACHE_DIR=$(mktemp -d)
export DINGTALK_TOKEN_CACHE_DIR
trap 'rm -rf "$DINGTALK_TOKEN_CACHE_DIR"' EXIT

"$here/with_emulator.sh" "$collection_dir" \
    ansible-playbook -i docs/examples/inventory.yml docs/examples/demo.yml
echo
echo "Demo finished: the emulator has been shut down."
