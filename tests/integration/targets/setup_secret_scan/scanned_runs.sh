#!/usr/bin/env bash
# Sourced by the runme.sh of a target whose output must hold no secret and no token:
#
#   source ../setup_secret_scan/scanned_runs.sh
#   scanned_playbook -i inventory.yml play.yml        # ansible-playbook -vvvv, into a log under $SCAN_WORK_DIR
#   scan_for_secrets --label NAME --secrets-file vars.yml --integration-config ../../integration_config.yml
#
# or, for a role target whose runme.sh only runs its tasks and scans: scanned_role_target NAME.
#
# Everything the runs write lands under $SCAN_WORK_DIR: the -vvvv logs, Ansible's local and
# remote temporary directories (the leftovers of module runs) and the token cache, so that
# scan_for_secrets searches all of it. The EXIT trap removes it; a runme.sh with cleanup of its
# own calls scan_cleanup from its trap.
SCAN_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCAN_WORK_DIR=$(mktemp -d)
SCAN_LAST_LOG=
export ANSIBLE_LOCAL_TEMP="$SCAN_WORK_DIR/ansible-local-tmp"
export ANSIBLE_REMOTE_TEMP="$SCAN_WORK_DIR/ansible-remote-tmp"
export DINGTALK_TOKEN_CACHE_DIR="$SCAN_WORK_DIR/token-cache"
export ANSIBLE_NOCOLOR=1
# The playbooks' emulator_admin tasks (the emulator's admin API, in the worker): ../setup_emulator/action_plugins.
export ANSIBLE_ACTION_PLUGINS="$SCAN_HOME/../setup_emulator/action_plugins"

scan_cleanup() {
    rm -rf "$SCAN_WORK_DIR"
}
trap scan_cleanup EXIT

# ansible-playbook -vvvv "$@" into a new log; on failure, show what failed and stop.
scanned_playbook() {
    SCAN_LAST_LOG=$(mktemp "$SCAN_WORK_DIR/playbook-XXXXXX.log")
    echo "== ansible-playbook $*"
    if ! ansible-playbook -vvvv "$@" >"$SCAN_LAST_LOG" 2>&1; then
        # The last failure (tasks before it may fail on purpose): its task, and the assertions and messages in it.
        awk '/^TASK /{task=$0} /^(fatal|failed): /{block=task "\n"} {block=block $0 "\n"} END{printf "%s", block}' "$SCAN_LAST_LOG" |
            grep -E -m 60 '^(fatal|failed): |^TASK |"(msg|assertion|evaluated_to|failed_when_result)":|^PLAY RECAP|^[a-z0-9]+ +: ok=' ||
            tail -n 20 "$SCAN_LAST_LOG"  # no task failed: the playbook itself did (a syntax error, a missing file)
        echo "FAILED: ansible-playbook $*" >&2
        exit 1
    fi
    sed -n '/^PLAY RECAP/,$p' "$SCAN_LAST_LOG"
}

# scan_secrets.py over everything under $SCAN_WORK_DIR; the token cache may hold tokens.
scan_for_secrets() {
    python "$SCAN_HOME/scan_secrets.py" --token-cache "$DINGTALK_TOKEN_CACHE_DIR" "$@" "$SCAN_WORK_DIR"
}

# The role target NAME (the current directory) as ansible-test would run it, but at -vvvv into a log: its
# runme.yml, with the integration config; then every byte of that log, of Ansible's temporary files and of the
# token cache is searched for the secrets of its defaults/main.yml and for every token the emulator issued.
scanned_role_target() {
    ANSIBLE_ROLES_PATH=.. scanned_playbook -i "$INVENTORY_PATH" -e @../../integration_config.yml runme.yml
    scan_for_secrets --label "$1" --secrets-file defaults/main.yml --integration-config ../../integration_config.yml
}

# Signed download links are bearer credentials too: fail if one appears in the last playbook's -vvvv log
# (no_log and the modules' masking must keep them out). $1 names the run in the message.
refuse_signed_links_in_last_log() {
    if grep -q 'Signature=' "$SCAN_LAST_LOG"; then
        echo "FAILED: a signed download link appears in the -vvvv log of $1" >&2
        exit 1
    fi
}
