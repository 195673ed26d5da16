#!/usr/bin/env bash
# Run by runme.sh, against the HTTPS emulator at DINGTALK_EMULATOR_URL whose certificate is $1/cert.pem.
# Verification refuses it by default, ca_path trusts it, and validate_certs=false connects with a warning;
# the demo playbook runs unchanged through a proxy, trusting the certificate from the system store.
# All output is scanned for secrets and tokens.
set -eu
# shellcheck source=../setup_secret_scan/scanned_runs.sh
source ../setup_secret_scan/scanned_runs.sh

tls_dir=$1
api_url=$DINGTALK_EMULATOR_URL
api_port=${api_url##*:}
proxy_pid=
cleanup() {
    [ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null || true
    scan_cleanup
}
trap cleanup EXIT

playbook() {
    scanned_playbook -i inventory.yml -e @vars/credentials.yml -e "tls_api_url=$api_url" -e "tls_ca_path=$tls_dir/cert.pem" "$@"
}
playbook tls.yml
# The lookup warns through Ansible's display, which no task result records: look in the output.
playbook lookup_without_verification.yml
grep -q '\[WARNING\]: TLS certificate verification is disabled (validate_certs=false)' "$SCAN_LAST_LOG" ||
    { echo "the lookup did not warn that TLS certificate verification is disabled" >&2; exit 1; }
echo "The lookup warned that TLS certificate verification is disabled."

# A new user behind a proxy, whose corporate CA (here, the emulator's certificate) is in the system trust store:
# the demo playbook runs unchanged against the HTTPS endpoint, with https_proxy set and no ca_path.
python forward_proxy.py "$tls_dir/proxy-port" "$tls_dir/proxy.log" >"$tls_dir/proxy.out" 2>&1 &
proxy_pid=$!
for _ in $(seq 100); do
    [ -s "$tls_dir/proxy-port" ] && break
    sleep 0.1
done
[ -s "$tls_dir/proxy-port" ] || { echo "the forward proxy did not start" >&2; exit 1; }
system_store=$(python -c 'import ssl; print(ssl.get_default_verify_paths().cafile or "")')
cat ${system_store:+"$system_store"} "$tls_dir/cert.pem" >"$tls_dir/system-store-with-corporate-ca.pem"
examples=../../../../docs/examples
python ../../../emulator/admin.py --ca "$tls_dir/cert.pem" reset
proxy_url="http://127.0.0.1:$(cat "$tls_dir/proxy-port")"
(
    export SSL_CERT_FILE="$tls_dir/system-store-with-corporate-ca.pem"
    export https_proxy="$proxy_url" no_proxy='' NO_PROXY=''
    scanned_playbook -i "$examples/inventory.yml" "$examples/demo.yml"
)
kill "$proxy_pid"
tunnels=$(grep -c "^CONNECT 127.0.0.1:$api_port " "$tls_dir/proxy.log" || true)
others=$(grep -vc "^CONNECT 127.0.0.1:$api_port " "$tls_dir/proxy.log" || true)
# Each module run and each uri task opens one tunnel: at least the three stops went through the proxy.
if [ "$tunnels" -lt 3 ] || [ "$others" -ne 0 ]; then
    echo "expected the demo's calls to tunnel through the proxy: $tunnels tunnels, $others other requests" >&2
    cat "$tls_dir/proxy.log" >&2
    exit 1
fi
echo "The demo ran unchanged through the proxy ($tunnels tunnels), trusting the CA from the system store."

scan_for_secrets --label dingtalk_tls --secrets-file vars/credentials.yml --secrets-file "$examples/demo.yml" --emulator "$api_url" --ca "$tls_dir/cert.pem"
