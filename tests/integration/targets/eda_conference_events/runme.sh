#!/usr/bin/env bash
# The guide's two rulebooks (docs/examples/rulebooks/), each run by the real ansible-rulebook against the emulator,
# with the app's credentials in the environment as an EDA controller injects them, and one shutdown action added
# after the rule's own (eda_run.py rulebook):
# - stop_recordings.yml: a recording started mid-run in a matching conference is stopped by the first poll after
#   its start; another conference's recording is left alone;
# - archive_recordings.yml: a recording stopped mid-run is archived once DingTalk lists it, byte for byte what the
#   storage host holds, downloaded once.
# Each run must end through its shutdown action with exit status 0. At the end no secret and no token may appear in
# anything the runs printed or left behind. Without a Java runtime (ansible-rulebook's rules engine needs Java 17)
# the target says NOT RUN and stops.
set -eu
if ! command -v java >/dev/null 2>&1 && [ ! -x "${JAVA_HOME:-/nonexistent}/bin/java" ]; then
    echo "NOT RUN: eda_conference_events needs a Java 17 runtime for ansible-rulebook (Debian: openjdk-17-jdk-headless); none found"
    exit 0
fi
if ! command -v ansible-rulebook >/dev/null 2>&1; then
    echo "FAILED: ansible-rulebook is not on PATH; make integration makes .venv-eda and puts it there" >&2
    exit 1
fi
# shellcheck source=../setup_secret_scan/scanned_runs.sh
source ../setup_secret_scan/scanned_runs.sh
rulebooks=../../../../docs/examples/rulebooks
inventory=../../../../docs/examples/inventory.yml

DINGTALK_EMULATOR_URL=$(python ../../../emulator/admin.py --integration-config ../../integration_config.yml url)
DINGTALK_API_URL=$DINGTALK_EMULATOR_URL
DINGTALK_APP_KEY=$(sed -n 's/^eda_app_key: *//p' vars.yml)
DINGTALK_APP_SECRET=$(sed -n 's/^eda_app_secret: *//p' vars.yml)
# ansible-runner's private data directories of the rulebooks' actions land in the scanned directory.
TMPDIR="$SCAN_WORK_DIR/tmp"
mkdir -p "$TMPDIR"
export DINGTALK_EMULATOR_URL DINGTALK_API_URL DINGTALK_APP_KEY DINGTALK_APP_SECRET TMPDIR

# rulebook_run RULEBOOK_COPY VARS_FILE LOG SCENARIO: ansible-rulebook in the background, eda_run.py SCENARIO meanwhile,
# then its exit status.
rulebook_run() {
    local rulebook=$1 vars=$2 log=$3 scenario=$4
    echo "== ansible-rulebook -r $(basename "$rulebook") --vars $(basename "$vars") ($(tr '\n' ' ' <"$vars"))"
    timeout 300 ansible-rulebook -i "$inventory" -r "$rulebook" --vars "$vars" -vv >"$log" 2>&1 &
    local pid=$!
    if ! RULEBOOK_PID=$pid python eda_run.py "$scenario"; then
        kill "$pid" 2>/dev/null || true
        tail -n 40 "$log"
        exit 1
    fi
    local status=0
    wait "$pid" || status=$?
    if [ "$status" -ne 0 ] || ! grep -q 'eda_run.py shutdown' "$log"; then
        tail -n 40 "$log"
        echo "FAILED: ansible-rulebook -r $(basename "$rulebook") exited with $status, or not through its shutdown action" >&2
        exit 1
    fi
    if grep -q 'Traceback' "$log"; then
        echo "FAILED: a traceback in the output of $(basename "$rulebook")" >&2
        exit 1
    fi
}

python eda_run.py rulebook "$rulebooks/stop_recordings.yml" "$SCAN_WORK_DIR/stop_recordings.yml"
python eda_run.py seed-stop
printf 'stop_interval: 2\nstop_title: "^Confidential"\n' >"$SCAN_WORK_DIR/stop_vars.yml"
rulebook_run "$SCAN_WORK_DIR/stop_recordings.yml" "$SCAN_WORK_DIR/stop_vars.yml" "$SCAN_WORK_DIR/stop.log" start-recordings
python eda_run.py check-stop

python eda_run.py rulebook "$rulebooks/archive_recordings.yml" "$SCAN_WORK_DIR/archive_recordings.yml"
python eda_run.py seed-archive
mkdir -p "$SCAN_WORK_DIR/recordings"
printf 'archive_interval: 2\narchive_dest: "%s"\n' "$SCAN_WORK_DIR/recordings" >"$SCAN_WORK_DIR/archive_vars.yml"
rulebook_run "$SCAN_WORK_DIR/archive_recordings.yml" "$SCAN_WORK_DIR/archive_vars.yml" "$SCAN_WORK_DIR/archive.log" end-recorded-meeting
python eda_run.py check-archive "$SCAN_WORK_DIR/recordings"
if grep -rq 'Signature=' "$SCAN_WORK_DIR"/*.log; then
    echo "FAILED: a signed download link appears in the output of a rulebook" >&2
    exit 1
fi

scan_for_secrets --label eda_conference_events --secrets-file vars.yml --emulator "$DINGTALK_EMULATOR_URL"
