#!/usr/bin/env bash
# Both doors give the same results: every scenario of doors.yml through the in-worker door and through the module
# door (switched off by dingtalk_in_worker, and taken because the connection is not local), compared field by
# field; the switches and the reasons as -vvv says them; the progress lines of a long batch, read while it runs; a
# loop of 200 items in one worker whose memory stays flat and that asks for one token. Every run at -vvvv, scanned for secrets and tokens.
set -eu
# shellcheck source=../setup_secret_scan/scanned_runs.sh
source ../setup_secret_scan/scanned_runs.sh

config=../../integration_config.yml
out_dir="$SCAN_WORK_DIR/doors"
mkdir -p "$out_dir"

scanned_playbook -i inventory.yml -e @"$config" -e out_dir="$out_dir" doors.yml
doors_log=$SCAN_LAST_LOG
python compare_doors.py "$out_dir" in_worker module_by_variable module_by_connection

# Which door each host took, and why: one line per task of a module.
expect_doors() {
    local count
    count=$(grep -c -F "$1" "$doors_log" || true)
    if [ "$count" -ne "$2" ]; then
        echo "FAILED: expected $2 lines saying '$1' in the -vvvv log, found $count" >&2
        exit 1
    fi
    echo "$count x $1"
}
# 18 module tasks per host; the last one of each is switched off by the task's environment.
expect_doors '<in_worker> community.dingtalk.dingtalk_cloud_record: the in-worker door: the task runs on the controller with a local connection' 10
expect_doors '<in_worker> community.dingtalk.dingtalk_conference_info: the in-worker door' 3
expect_doors '<in_worker> community.dingtalk.dingtalk_cloud_record_info: the in-worker door' 1
expect_doors '<in_worker> community.dingtalk.dingtalk_cloud_record_archive: the in-worker door' 3
expect_doors 'the module door (AnsiballZ): the environment variable DINGTALK_IN_WORKER is false' 2
expect_doors 'the module door (AnsiballZ): the variable dingtalk_in_worker is false' 18
expect_doors 'the module door (AnsiballZ): the connection is not_local, not local' 17

# A long batch (every answer 0.4 s late): its progress lines are read while the playbook runs, before its task ends.
progress_log=$(mktemp "$SCAN_WORK_DIR/playbook-XXXXXX.log")
echo "== watch_progress.py: ansible-playbook progress.yml"
python watch_progress.py 12 0.4 "$progress_log" "$config" -i inventory.yml -e @"$config" progress.yml

loop_size=200
python loop_memory.py seed "$loop_size" "$config"
# The seed's reset voided the tokens cached so far: the loop starts with an empty cache, and must fill it once.
rm -rf "${DINGTALK_TOKEN_CACHE_DIR:?}"
scanned_playbook -i inventory.yml -e @"$config" -e loop_size="$loop_size" loop.yml
python loop_memory.py check "$loop_size" "$SCAN_LAST_LOG" "$config"

scan_for_secrets --label in_worker_door --secrets-file vars.yml --integration-config "$config"
