# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests talk to a real DingTalk emulator over loopback HTTP instead of mocking requests."""

from __future__ import annotations

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
        self.session.trust_env = False  # straight to the emulator, even while a test sets a proxy for the client

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

    def configure(self, **config):
        response = self._request('PUT', '/config', json=config)
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
    # The TLS integration target's writer; cryptography (with ansible-core) is imported only when it is used.
    from ansible_collections.community.dingtalk.tests.integration.targets.dingtalk_tls.make_certificate import write_self_signed_certificate
    return write_self_signed_certificate(str(tmp_path_factory.mktemp('tls')))


@pytest.fixture(scope='session')
def https_emulator(tls_certificate):
    cert, key = tls_certificate
    with start_in_thread(tls_cert=cert, tls_key=key) as server:
        yield server


@pytest.fixture
def https(https_emulator, tls_certificate):
    """A reset HTTPS emulator with one app, a token and a recording conference; its admin API is called trusting the certificate."""
    admin = EmulatorAdmin(https_emulator.url)
    admin.verify = tls_certificate[0]
    admin.post('/reset')
    admin.add_app()
    admin.add_conference('conf-1', cloud_record_status=1)
    admin.token = admin.mint_token()
    return admin
