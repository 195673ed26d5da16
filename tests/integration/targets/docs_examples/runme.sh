#!/usr/bin/env bash
# The example playbooks that run without AWX (demo.yml, archive_demo.yml, stop_all_recordings.yml), and every
# example of the plugins' EXAMPLES (plugin_examples.py), at -vvvv
# against the emulator, then a scan of all they printed or left behind for their secrets and every token the emulator issued. (docs/examples/awx_job_template.yml
# runs in awx_job_run, with ansible-runner; awx_credential_types.yml needs an AWX controller.)
set -eu
# shellcheck source=../setup_secret_scan/scanned_runs.sh
source ../setup_secret_scan/scanned_runs.sh
examples=../../../../docs/examples

DINGTALK_EMULATOR_URL=$(python ../../../emulator/admin.py --integration-config ../../integration_config.yml url)
export DINGTALK_EMULATOR_URL
scanned_playbook -i "$examples/inventory.yml" reset_emulator.yml
scanned_playbook -i "$examples/inventory.yml" "$examples/demo.yml"

# Stop, wait, archive: into a directory of the scan's work directory, removed with it.
scanned_playbook -i "$examples/inventory.yml" reset_emulator.yml
scanned_playbook -i "$examples/inventory.yml" "$examples/archive_demo.yml" -e archive_dest="$SCAN_WORK_DIR/recordings"
refuse_signed_links_in_last_log archive_demo.yml

# docs/examples/stop_all_recordings.yml with its credential in the environment, as AWX injects it: a check
# job first (predicts, stops nothing), then a run (changed: each recording stopped once, as its owner),
# then a rerun (ok: nothing left to stop).
recap_changed() { sed -n 's/^localhost *: .*changed=\([0-9]*\).*/\1/p' "$SCAN_LAST_LOG"; }
scanned_playbook -i "$examples/inventory.yml" sweep_seed.yml
DINGTALK_API_URL=$DINGTALK_EMULATOR_URL
DINGTALK_APP_KEY=$(sed -n 's/^sweep_app_key: *//p' sweep_vars.yml)
DINGTALK_APP_SECRET=$(sed -n 's/^sweep_app_secret: *//p' sweep_vars.yml)
export DINGTALK_API_URL DINGTALK_APP_KEY DINGTALK_APP_SECRET
all_recording='["eod-standup", "eod-review", "eod-training"]'
scanned_playbook -i "$examples/inventory.yml" --check "$examples/stop_all_recordings.yml"
[ "$(recap_changed)" = 1 ] || { echo "the check job should predict a change" >&2; exit 1; }
scanned_playbook -i "$examples/inventory.yml" sweep_verify.yml -e "{\"still_recording\": $all_recording, \"stopped_as\": []}"
scanned_playbook -i "$examples/inventory.yml" "$examples/stop_all_recordings.yml"
[ "$(recap_changed)" = 1 ] || { echo "the run should report changed" >&2; exit 1; }
grep -q 'stopped 3 recording(s): eod-standup, eod-review, eod-training' "$SCAN_LAST_LOG"
scanned_playbook -i "$examples/inventory.yml" "$examples/stop_all_recordings.yml"
[ "$(recap_changed)" = 0 ] || { echo "the rerun should report ok" >&2; exit 1; }
scanned_playbook -i "$examples/inventory.yml" sweep_verify.yml -e '{"still_recording": [], "stopped_as": ["host-1", "host-2", "host-3"]}'

# Every example ansible-doc shows for the modules and the lookup, verbatim, in the scenes of plugin_examples.py:
# each from a fresh example organisation, with the variables and environment its examples reference, and
# checked against the emulator's truth after. The scenes' files are kept out of the scanned directory (their
# variables hold the example app's secret), and are searched for as secrets.
unset DINGTALK_API_URL DINGTALK_APP_KEY DINGTALK_APP_SECRET
scenes_dir=$(mktemp -d)
trap 'rm -rf "$scenes_dir"; scan_cleanup' EXIT
for scene in $(python plugin_examples.py write "$scenes_dir"); do
    # A fresh organisation has none of the tokens cached for the one before.
    rm -rf "$DINGTALK_TOKEN_CACHE_DIR"
    end_when_started=$(python plugin_examples.py prepare "$scene" "$scenes_dir")
    watcher=
    if [ -n "$end_when_started" ]; then
        python plugin_examples.py end-after-start "$end_when_started" &
        watcher=$!
    fi
    (
        # shellcheck source=/dev/null
        source "$scenes_dir/$scene.env"
        scanned_playbook -i "$examples/inventory.yml" "$scenes_dir/$scene.yml" -e @"$scenes_dir/$scene.vars.yml"
    )
    if [ -n "$watcher" ]; then wait "$watcher"; fi
    python plugin_examples.py check "$scene" "$scenes_dir"
done
scene_secrets=()
for vars_file in "$scenes_dir"/*.vars.yml; do scene_secrets+=(--secrets-file "$vars_file"); done

scan_for_secrets --label docs/examples --secrets-file "$examples/demo.yml" --secrets-file "$examples/archive_demo.yml" \
    --secrets-file sweep_vars.yml "${scene_secrets[@]}" --emulator "$DINGTALK_EMULATOR_URL"
