#!/usr/bin/env bash
# Token reuse across forks and runs, token renewal, credentials from the environment,
# and secrets in -vvvv output. Every playbook runs at -vvvv into a log that
# scan_output.py searches for secrets and tokens at the end; a log is shown only
# when its playbook fails.
set -eu

work_dir=$(mktemp -d)
trap 'rm -rf "$work_dir"' EXIT
export DINGTALK_TOKEN_CACHE_DIR="$work_dir/token-cache"
export ANSIBLE_NOCOLOR=1

playbook() {
    log=$(mktemp "$work_dir/run-XXXXXX.log")
    echo "== ansible-playbook $*"
    if ! ansible-playbook -vvvv -i inventory.yml -e @../../integration_config.yml -e @vars/credentials.yml "$@" >"$log" 2>&1; then
        grep -A40 '^fatal: ' "$log" | head -n 120 || tail -n 80 "$log"
        echo "FAILED: ansible-playbook $*" >&2
        exit 1
    fi
    grep -E '^(host[0-9]+|localhost) ' "$log" || true
}
admin() { python emulator_admin.py "$@"; }

playbook prepare.yml
# One token request for twenty hosts in ten forks, then none for a second run of the play.
playbook twenty_hosts.yml --forks 10
playbook token_requests.yml -e expected_token_requests=1
playbook twenty_hosts.yml --forks 10
playbook token_requests.yml -e expected_token_requests=1
# Both app types, bad credentials, self-authenticating modules and token renewal.
playbook auth.yml
# Credentials in the environment of ansible-playbook, as AWX injects them (not through the
# environment keyword of a task, which -vvvv shows on the command line it runs).
DINGTALK_API_URL=$(admin url)
DINGTALK_SUITE_KEY=$(admin credential suite_key)
DINGTALK_SUITE_SECRET=$(admin credential suite_secret)
DINGTALK_AUTH_CORP_ID=$(admin credential auth_corp_id)
DINGTALK_SUITE_TICKET=$(admin credential suite_ticket)
export DINGTALK_API_URL DINGTALK_SUITE_KEY DINGTALK_SUITE_SECRET DINGTALK_AUTH_CORP_ID DINGTALK_SUITE_TICKET
playbook env_auth.yml -e conference_id=conf-suite
unset DINGTALK_SUITE_KEY DINGTALK_SUITE_SECRET DINGTALK_AUTH_CORP_ID DINGTALK_SUITE_TICKET
DINGTALK_ACCESS_TOKEN=$(admin mint-token "$(admin credential app_key)")
export DINGTALK_ACCESS_TOKEN
playbook env_auth.yml -e conference_id=conf-env-token
unset DINGTALK_API_URL DINGTALK_ACCESS_TOKEN

python scan_output.py --emulator "$(admin url)" --credentials vars/credentials.yml --cache-dir "$DINGTALK_TOKEN_CACHE_DIR" "$work_dir"/run-*.log
