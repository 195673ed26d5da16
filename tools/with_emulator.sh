#!/usr/bin/env bash
# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: tools/with_emulator.sh COLLECTION_DIR COMMAND [ARG...]
#
# Starts the DingTalk emulator on a free loopback port, runs COMMAND in
# COLLECTION_DIR, and stops the emulator however COMMAND ends. COMMAND finds the
# emulator's address in DINGTALK_EMULATOR_URL and, for ansible-test (which
# filters the environment), in tests/integration/integration_config.yml.
set -euo pipefail

collection_dir=$(cd "$1" && pwd)
shift
python=${PYTHON:-python3}
state_dir=$(mktemp -d)
port_file="$state_dir/port"

"$python" "$collection_dir/tests/emulator/dingtalk_emulator.py" --port 0 --port-file "$port_file" >"$state_dir/emulator.log" 2>&1 &
emulator_pid=$!
cleanup() {
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
    rm -rf "$state_dir"
}
trap cleanup EXIT

for _ in $(seq 100); do
    [ -s "$port_file" ] && break
    if ! kill -0 "$emulator_pid" 2>/dev/null; then
        cat "$state_dir/emulator.log" >&2
        echo "the DingTalk emulator did not start" >&2
        exit 1
    fi
    sleep 0.1
done
[ -s "$port_file" ] || { echo "the DingTalk emulator did not report its port" >&2; exit 1; }

DINGTALK_EMULATOR_URL="http://127.0.0.1:$(cat "$port_file")"
export DINGTALK_EMULATOR_URL
cat >"$collection_dir/tests/integration/integration_config.yml" <<CONFIG
---
dingtalk_emulator_url: $DINGTALK_EMULATOR_URL
CONFIG

cd "$collection_dir"
"$@"
