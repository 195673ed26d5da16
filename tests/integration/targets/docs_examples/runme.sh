#!/usr/bin/env bash
# The example playbooks that run without AWX (demo.yml, archive_demo.yml), at -vvvv against the emulator, then a scan of all they printed
# or left behind for their secrets and every token the emulator issued. (docs/examples/awx_job_template.yml
# runs in awx_job_run, with ansible-runner; awx_credential_types.yml needs an AWX controller.)
set -eu
# shellcheck source=../setup_secret_scan/scanned_runs.sh
source ../setup_secret_scan/scanned_runs.sh
examples=../../../../docs/examples

DINGTALK_EMULATOR_URL=$(sed -n 's/^dingtalk_emulator_url: *//p' ../../integration_config.yml)
export DINGTALK_EMULATOR_URL
scanned_playbook -i "$examples/inventory.yml" reset_emulator.yml
scanned_playbook -i "$examples/inventory.yml" "$examples/demo.yml"
# Stop, wait, archive: into a directory of the scan's work directory, removed with it.
scanned_playbook -i "$examples/inventory.yml" reset_emulator.yml
scanned_playbook -i "$examples/inventory.yml" "$examples/archive_demo.yml" -e archive_dest="$SCAN_WORK_DIR/recordings"
if grep -q 'Signature=' "$SCAN_LAST_LOG"; then
    echo "FAILED: a signed download link appears in the -vvvv log of archive_demo.yml" >&2
    exit 1
fi
scan_for_secrets --label docs/examples --secrets-file "$examples/demo.yml" --secrets-file "$examples/archive_demo.yml" \
    --emulator "$DINGTALK_EMULATOR_URL"
