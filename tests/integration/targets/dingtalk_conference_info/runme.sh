#!/usr/bin/env bash
# The role's tasks at -vvvv, then a scan of all they printed or left behind for secrets and tokens (scanned_role_target).
set -eu
# shellcheck source=../setup_secret_scan/scanned_runs.sh
source ../setup_secret_scan/scanned_runs.sh

scanned_role_target dingtalk_conference_info
