#!/usr/bin/env bash
# The role's tasks, run as ansible-test would run this role target but at -vvvv into a log
# (shown when they fail); then every byte of that log, of Ansible's temporary files and of the
# token cache is searched for the app secret and for every token the emulator issued.
set -eu
# shellcheck source=../setup_secret_scan/scanned_runs.sh
source ../setup_secret_scan/scanned_runs.sh

ANSIBLE_ROLES_PATH=.. scanned_playbook -i "$INVENTORY_PATH" -e @../../integration_config.yml runme.yml
scan_for_secrets --label dingtalk_cloud_record_info --secrets-file defaults/main.yml --integration-config ../../integration_config.yml
# Signed download links are bearer credentials too: not one in the -vvvv log (no_log and the module's masking).
if grep -q 'Signature=' "$SCAN_LAST_LOG"; then
    echo "FAILED: a signed download link appears in the -vvvv log" >&2
    exit 1
fi
