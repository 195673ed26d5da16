# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client against an HTTPS emulator whose certificate is self-signed (made for this run, never stored)."""

from __future__ import annotations

import shutil
import subprocess
import warnings

import pytest
import requests

from ansible_collections.community.dingtalk.plugins.module_utils._auth import StaticToken
from ansible_collections.community.dingtalk.plugins.module_utils._client import Connection, DingTalkClient
from ansible_collections.community.dingtalk.plugins.module_utils._connect import check_connection_options, connection_warnings
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, InvalidOptionError


def client(admin, **options):
    return DingTalkClient(Connection(api_url=admin.url, retries=0, **options), StaticToken(admin.token))


def test_a_self_signed_certificate_is_refused_by_default_with_a_clear_message(https):
    with pytest.raises(DingTalkError) as caught:
        client(https).get_conference('conf-1')
    message = caught.value.describe()
    assert message.startswith(f'TLS certificate verification of {https.url} failed (self-signed certificate); set ca_path')
    assert https.token not in message
    assert https.requests_log() == []  # refused during the handshake: no request was ever sent


def test_ca_path_trusts_the_certificate(https, tls_certificate):
    assert client(https, trust=tls_certificate[0]).get_conference('conf-1')['conferenceId'] == 'conf-1'


def test_validate_certs_false_connects_without_warnings(https):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        client(https, trust=False).stop_cloud_record('conf-1', 'host-union')
    assert https.conference('conf-1')['cloud_record_status'] == 3
    # The plugins warn once in their own words (see connection_warnings); the transport adds nothing per call.
    assert [str(warning.message) for warning in caught if not issubclass(warning.category, ResourceWarning)] == []


def test_the_default_trust_is_the_system_store_that_openssl_finds(https, tls_certificate, tmp_path, monkeypatch):
    # A corporate CA installed in the system store, as ansible.builtin.uri would trust it: OpenSSL's store is
    # where SSL_CERT_FILE and SSL_CERT_DIR point.
    monkeypatch.setenv('SSL_CERT_FILE', tls_certificate[0])
    monkeypatch.setenv('SSL_CERT_DIR', str(tmp_path))
    assert client(https).get_conference('conf-1')['conferenceId'] == 'conf-1'


def test_requests_ca_bundle_variables_change_nothing(https, tls_certificate, monkeypatch):
    # These machines set both variables to the system bundle; requests would let them replace a session's verify.
    for name in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'):
        monkeypatch.setenv(name, tls_certificate[0])
    with pytest.raises(DingTalkError, match=r'^TLS certificate verification of .* failed \(self-signed certificate\)'):
        client(https).get_conference('conf-1')  # the default stays the system store, which does not hold it
    certifi_bundle = requests.certs.where()
    for name in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'):
        monkeypatch.setenv(name, certifi_bundle)
    assert client(https, trust=tls_certificate[0]).get_conference('conf-1')['conferenceId'] == 'conf-1'  # ca_path wins


def test_a_ca_bundle_in_the_environment_overrides_neither_option(https, tls_certificate, monkeypatch):
    # OpenSSL reads SSL_CERT_FILE for the default trust store; neither option may fall back to it.
    monkeypatch.setenv('SSL_CERT_FILE', tls_certificate[0] + '.missing')
    assert client(https, trust=False).get_conference('conf-1')['conferenceId'] == 'conf-1'
    assert client(https, trust=tls_certificate[0]).get_conference('conf-1')['conferenceId'] == 'conf-1'


def test_https_to_a_plain_http_server_is_a_clear_error(emulator):
    https_url = emulator.url.replace('http://', 'https://')
    with pytest.raises(DingTalkError) as caught:
        DingTalkClient(Connection(api_url=https_url, retries=0), StaticToken('t0ken')).get_conference('conf-1')
    assert caught.value.describe().startswith(f'The TLS handshake with {https_url} failed (')
    assert caught.value.describe().endswith('); is it an https:// server?')


def options(**values):
    defaults = {'api_url': 'https://127.0.0.1:1', 'validate_certs': True, 'ca_path': None, 'timeout': 10, 'retries': 3}
    defaults.update(values)
    return defaults.get


def test_a_missing_ca_path_is_refused_before_any_call(tmp_path):
    with pytest.raises(InvalidOptionError, match='^ca_path .*missing.pem does not exist or cannot be read$'):
        check_connection_options(options(ca_path=str(tmp_path / 'missing.pem')))


def test_disabling_verification_warns_for_https_only():
    (warning,) = connection_warnings(options(validate_certs=False), 'https://api.dingtalk.io')
    assert warning.startswith('TLS certificate verification is disabled (validate_certs=false)')
    assert 'ca_path' in warning
    assert connection_warnings(options(validate_certs=False), 'http://127.0.0.1:8080') == []
    assert connection_warnings(options(), 'https://api.dingtalk.io') == []


def test_a_ca_path_directory_prepared_with_c_rehash_trusts_the_certificate(https, tls_certificate, tmp_path):
    if shutil.which('openssl') is None:
        pytest.skip('needs the openssl command to name the certificate by its subject hash, as c_rehash does')
    subject_hash = (
        subprocess.run(['openssl', 'x509', '-hash', '-noout', '-in', tls_certificate[0]], stdout=subprocess.PIPE, check=True).stdout.decode('ascii').strip()
    )
    shutil.copy(tls_certificate[0], str(tmp_path / (subject_hash + '.0')))
    assert client(https, trust=str(tmp_path)).get_conference('conf-1')['conferenceId'] == 'conf-1'


def test_a_ca_path_without_a_certificate_is_refused_before_any_call(https, tmp_path):
    not_a_certificate = tmp_path / 'notes.txt'
    not_a_certificate.write_text('not a certificate\n')
    with pytest.raises(InvalidOptionError, match='^ca_path .*notes.txt holds no PEM CA certificate$'):
        check_connection_options(options(api_url=https.url, ca_path=str(not_a_certificate)))
    # A ca_path is not checked when certificates are not: it is ignored then.
    assert check_connection_options(options(api_url=https.url, ca_path=str(not_a_certificate), validate_certs=False)) == https.url
