#!/usr/bin/env bash
# The fault campaign, hostile input and secret scan (reliability/, run by tools/reliability_report.py: see its
# docstring), which starts its own emulator and fails on any problem; it writes docs/reliability.md into the
# collection under test, the staged copy. Runs the playbooks of this directory.
set -eu
collection=$(ansible-galaxy collection list community.dingtalk --format json |
    python -c 'import json, sys; print(next(path for path, found in json.load(sys.stdin).items() if "community.dingtalk" in found))')
python ../../../../tools/reliability_report.py --output "$collection/community/dingtalk/docs/reliability.md"
