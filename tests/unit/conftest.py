# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests talk to a real DingTalk emulator over loopback HTTP instead of mocking requests."""

from __future__ import annotations

import datetime
import ipaddress
import os
import time

import pytest
import requests

from ansible_collections.community.dingtalk.plugins.module_utils._client import path_segment
from ansible_collections.community.dingtalk.tests.emulator.dingtalk_emulator import start_in_thread


class EmulatorAdmin:
    """The emulator's admin API, as the tests use it. ``verify`` is the CA file to trust for an HTTPS emulator."""

    def __init__(self, url, verify=True):
        self.url = url
        self.admin = url + '/_emulator'
        self.verify = verify
        self.session = requests.Session()  # one connection for all admin calls of a test

    def _request(self, method, path, **options):
        # verify is given per request: requests lets REQUESTS_CA_BUNDLE override a session's.
        return self.session.request(method, self.admin + path, timeout=10, verify=self.verify, **options)

    def post(self, path, body=None):
        response = self._request('POST', path, json=body or {})
        response.raise_for_status()
        return response.json()

    def delete(self, path):
        response = self._request('DELETE', path)
        response.raise_for_status()
        return response.json()

    def add_app(self, app_key='ding-app', app_secret='app-secret', **extra):
        return self.post('/apps', dict(app_key=app_key, app_secret=app_secret, **extra))

    def mint_token(self, app_key='ding-app', **extra):
        return self.post('/tokens', dict(app_key=app_key, **extra))['access_token']

    def add_conference(self, conference_id, cloud_record_status=1, status=2, host_union_id='host-union', **extra):
        return self.post('/conferences', dict(conference_id=conference_id, host_union_id=host_union_id,
                                              status=status, cloud_record_status=cloud_record_status, **extra))

    def conference(self, conference_id):
        return self._request('GET', '/conferences/' + path_segment(conference_id)).json()

    def patch_conference(self, conference_id, **fields):
        response = self._request('PATCH', '/conferences/' + path_segment(conference_id), json=fields)
        response.raise_for_status()
        return response.json()

    def add_faults(self, *rules):
        return self.post('/faults', {'rules': list(rules)})

    def requests_log(self, api=None):
        # A call is logged just after its answer is written: wait for the ones still being answered.
        deadline = time.monotonic() + 10
        while self._request('GET', '/stats').json()['in_flight'] and time.monotonic() < deadline:
            time.sleep(0.005)
        params = {'api': api} if api else None
        return self._request('GET', '/requests', params=params).json()['requests']


@pytest.fixture(scope='session')
def emulator_server():
    with start_in_thread() as server:
        yield server


@pytest.fixture
def emulator(emulator_server):
    """A freshly reset emulator with one app ``ding-app`` holding both conference permissions."""
    admin = EmulatorAdmin(emulator_server.url)
    admin.post('/reset')
    admin.add_app()
    return admin


@pytest.fixture(scope='session')
def tls_certificate(tmp_path_factory):
    """``(certificate, key)`` paths of a throw-away self-signed certificate for 127.0.0.1 and localhost, made now."""
    # cryptography comes with ansible-core; imported here so that only the TLS tests need it.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory = str(tmp_path_factory.mktemp('tls'))
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'community.dingtalk test host')])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1')), x509.DNSName('localhost')]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = os.path.join(directory, 'cert.pem'), os.path.join(directory, 'key.pem')
    with open(cert_path, 'wb') as handle:
        handle.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_path, 'wb') as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path
