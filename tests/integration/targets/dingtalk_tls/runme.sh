#!/usr/bin/env bash
# TLS: the modules and the dingtalk_token lookup against an HTTPS emulator with a self-signed
# certificate made for this run. Verification refuses it by default, ca_path trusts it, and
# validate_certs=false connects with a warning. All output is scanned for secrets and tokens.
set -eu
# shellcheck source=../setup_secret_scan/scanned_runs.sh
source ../setup_secret_scan/scanned_runs.sh

tls_dir=$(mktemp -d)
python make_certificate.py "$tls_dir"
python ../../../emulator/dingtalk_emulator.py --port-file "$tls_dir/port" --qps-limit 0 \
    --tls-cert "$tls_dir/cert.pem" --tls-key "$tls_dir/key.pem" >"$tls_dir/emulator.log" 2>&1 &
emulator_pid=$!
cleanup() {
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
    rm -rf "$tls_dir"
    scan_cleanup
}
trap cleanup EXIT
for _ in $(seq 100); do
    [ -s "$tls_dir/port" ] && break
    sleep 0.1
done
[ -s "$tls_dir/port" ] || { cat "$tls_dir/emulator.log" >&2; echo "the HTTPS emulator did not start" >&2; exit 1; }
api_url="https://127.0.0.1:$(cat "$tls_dir/port")"

playbook() {
    scanned_playbook -i inventory.yml -e @vars/credentials.yml -e "tls_api_url=$api_url" -e "tls_ca_path=$tls_dir/cert.pem" "$@"
}
playbook tls.yml
# The lookup warns through Ansible's display, which no task result records: look in the output.
playbook lookup_without_verification.yml
grep -q '\[WARNING\]: TLS certificate verification is disabled (validate_certs=false)' "$SCAN_LAST_LOG" ||
    { echo "the lookup did not warn that TLS certificate verification is disabled" >&2; exit 1; }
echo "The lookup warned that TLS certificate verification is disabled."

scan_for_secrets --label dingtalk_tls --secrets-file vars/credentials.yml --emulator "$api_url" --ca "$tls_dir/cert.pem"
