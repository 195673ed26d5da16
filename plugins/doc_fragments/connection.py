# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """How every plugin of the collection reaches DingTalk: host, TLS, timeout and retries."""

    DOCUMENTATION = r"""
requirements:
  - python >= 3.8 where the plugin runs (ansible-core 2.16 and 2.17 also run modules on Python 2.7, 3.6 and 3.7, which this collection does not support)
  - requests >= 2.28.2 (where the plugin runs; for a lookup, that is the controller)
options:
  api_url:
    description:
      - Base URL of the DingTalk open API, V(scheme://host[:port]) without a path.
      - Use V(https://api.dingtalk.io) for international tenants and V(https://api.dingtalk.com) for mainland China
        tenants. Credentials and tokens of one host do not work on the other; a token must come from the same host
        as the calls that use it.
      - If not set, the value of the E(DINGTALK_API_URL) environment variable is used.
      - Calls go through the proxy that the E(https_proxy) environment variable names (E(http_proxy) for an
        V(http://) O(api_url), E(all_proxy) for either), unless E(no_proxy) lists the host, as for any program that
        uses C(requests). The proxy URL may be V(http://) or V(https://), with the proxy's credentials in it if it
        needs them; they are sent to the proxy only and never shown. HTTPS calls tunnel through the proxy with
        C(CONNECT), and the certificate of O(api_url) is still checked.
    type: str
    default: https://api.dingtalk.io
  validate_certs:
    description:
      - Whether to verify the TLS certificate of O(api_url).
      - Set to V(false) only for test hosts; a warning says that verification is disabled. For a host whose
        certificate is signed by a private CA, give that CA in O(ca_path) instead.
      - By default the certificate is checked against the system's trust store, the CAs that
        M(ansible.builtin.uri) trusts on the same machine (OpenSSL finds them where E(SSL_CERT_FILE) and
        E(SSL_CERT_DIR) point, if set), so a corporate CA installed there works for both. E(REQUESTS_CA_BUNDLE)
        and E(CURL_CA_BUNDLE) change nothing here; use O(ca_path).
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file with the CA certificates to trust for O(api_url) instead of the system's, or a directory of
        them prepared with C(c_rehash). It wins over E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE).
      - Use it for a DingTalk gateway or test host whose certificate a private CA signs (or a self-signed one,
        given here as its own CA).
      - Ignored when O(validate_certs=false).
      - If not set, the value of the E(DINGTALK_CA_PATH) environment variable is used.
    type: path
    version_added: 0.1.0
  timeout:
    description:
      - Seconds to wait for a connection to O(api_url), and for each answer to begin and to end.
      - Must be greater than zero.
    type: int
    default: 10
  retries:
    description:
      - How many times a call is retried after a transient failure, with exponential back-off and jitter.
      - Transient failures are dropped connections, timeouts, HTTP 5xx and 429 answers, DingTalk throttling
        (V(Forbidden.AccessDenied.QpsLimitForAppkeyAndApi), V(Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi),
        V(Forbidden.AccessDenied.QpsLimitForApi), and the per-minute V(Forbidden.AccessDenied.QpmLimitForAppkeyAndApi) and
        V(Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi)), and V(recordStopError), whose documented text asks
        to try again. A throttled call waits at least a second before its retry, at least 20 seconds after a
        per-minute code.
      - Other errors fail at once, among them an untrusted certificate or another TLS failure, a refused connection,
        a host name that does not resolve and a proxy that cannot be reached (their request was never sent, and no
        retry can mend them), V(Forbidden.AccessDenied.ApiCountLimitForOrg) (the organisation's monthly quota of
        calls is used up), and DingTalk's block of the egress IP address after too many calls (an HTML page or an
        anti-abuse answer instead of JSON), which no retry within minutes would pass.
      - V(0) disables retries.
    type: int
    default: 3
  allow_plain_http:
    description:
      - Whether plain V(http://) may be used to a host that is not a loopback address (V(localhost), V(127.0.0.0/8),
        V(::1)).
      - By default an V(http://) O(api_url) to any other host is refused before any call, since the app secret and
        every access token would cross the network unencrypted; and a recording's V(http://) download link to any
        other host fails that video before any request, since the signed link and the recording would. Loopback
        hosts (a local emulator or gateway) need no opt-in.
      - Set to V(true) only for a test host on a network you trust; a warning says that it is set.
    type: bool
    default: false
    version_added: 0.1.0
"""

    # What plugins (the lookup) add to the options above: variables and environment variables to read
    # them from. Modules read the same environment variables through their argument spec.
    PLUGINS = r"""
options:
  api_url:
    env:
      - name: DINGTALK_API_URL
    vars:
      - name: dingtalk_api_url
  validate_certs:
    vars:
      - name: dingtalk_validate_certs
  ca_path:
    env:
      - name: DINGTALK_CA_PATH
    vars:
      - name: dingtalk_ca_path
  timeout:
    vars:
      - name: dingtalk_timeout
  retries:
    vars:
      - name: dingtalk_retries
  allow_plain_http:
    vars:
      - name: dingtalk_allow_plain_http
"""
