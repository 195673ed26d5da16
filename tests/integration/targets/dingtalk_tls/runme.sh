#!/usr/bin/env bash
# TLS: the modules and the dingtalk_token lookup against an HTTPS emulator with a self-signed
# certificate made for this run (tls_runs.sh says what is checked).
set -eu

tls_dir=$(mktemp -d)
trap 'rm -rf "$tls_dir"' EXIT
python make_certificate.py "$tls_dir"
# launcher.py starts the emulator with that certificate, runs tls_runs.sh with its address in
# DINGTALK_EMULATOR_URL, and stops it however tls_runs.sh ends.
python ../../../emulator/launcher.py --qps-limit 0 --tls-cert "$tls_dir/cert.pem" --tls-key "$tls_dir/key.pem" \
    -- ./tls_runs.sh "$tls_dir"
