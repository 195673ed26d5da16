#!/usr/bin/env bash
# Token reuse across forks and runs, token renewal, credentials from the environment,
# and secrets in -vvvv output. Every playbook runs at -vvvv into a log that
# ../setup_secret_scan/scan_secrets.py searches for secrets and tokens at the end, with the
# token cache and Ansible's temporary files; a log is shown only when its playbook fails.
set -eu
# shellcheck source=../setup_secret_scan/scanned_runs.sh
source ../setup_secret_scan/scanned_runs.sh

playbook() {
    scanned_playbook -i inventory.yml -e @../../integration_config.yml -e @vars/credentials.yml "$@" >/dev/null
    grep -E '^(host[0-9]+|localhost) ' "$SCAN_LAST_LOG" || true
}
# The emulator's admin client (tests/emulator/admin.py), and a value of vars/credentials.yml.
admin() { python ../../../emulator/admin.py --integration-config ../../integration_config.yml "$@"; }
credential() { sed -n "s/^$1: *//p" vars/credentials.yml; }

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
DINGTALK_SUITE_KEY=$(credential suite_key)
DINGTALK_SUITE_SECRET=$(credential suite_secret)
DINGTALK_AUTH_CORP_ID=$(credential auth_corp_id)
DINGTALK_SUITE_TICKET=$(credential suite_ticket)
export DINGTALK_API_URL DINGTALK_SUITE_KEY DINGTALK_SUITE_SECRET DINGTALK_AUTH_CORP_ID DINGTALK_SUITE_TICKET
playbook env_auth.yml -e conference_id=conf-suite
unset DINGTALK_SUITE_KEY DINGTALK_SUITE_SECRET DINGTALK_AUTH_CORP_ID DINGTALK_SUITE_TICKET
DINGTALK_ACCESS_TOKEN=$(admin mint-token "$(credential app_key)")
export DINGTALK_ACCESS_TOKEN
playbook env_auth.yml -e conference_id=conf-env-token
unset DINGTALK_ACCESS_TOKEN
# A token given to the task wins over app credentials in the environment (as AWX injects them into every task):
# the secret in the environment is wrong, so the task only succeeds if the module leaves it alone.
DINGTALK_APP_KEY=$(credential app_key)
DINGTALK_APP_SECRET=wrong-secret-0b7d
export DINGTALK_APP_KEY DINGTALK_APP_SECRET
# The token goes in a vars file (the command line is echoed), kept out of the scanned directory.
token_vars=$(mktemp)
printf 'explicit_access_token: %s\n' "$(admin mint-token "$DINGTALK_APP_KEY")" >"$token_vars"
playbook env_auth.yml -e conference_id=conf-env-precedence -e @"$token_vars"
rm -f "$token_vars"
unset DINGTALK_API_URL DINGTALK_APP_KEY DINGTALK_APP_SECRET
# The lookup in play vars as dingtalk_access_token, with an undefined dingtalk_* variable beside it (its own app).
playbook vars_pattern.yml --forks 10

# The credentials, the wrong secrets auth.yml tries, and every token the emulator issued.
scan_for_secrets --label lookup_dingtalk_token --secrets-file vars/credentials.yml --secrets-file auth.yml \
    --integration-config ../../integration_config.yml
