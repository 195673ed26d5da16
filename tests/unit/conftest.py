# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests talk to a real DingTalk emulator over loopback HTTP instead of mocking requests."""

from __future__ import annotations

import pytest
import requests

from ansible_collections.community.dingtalk.tests.emulator.dingtalk_emulator import start_in_thread


class EmulatorAdmin:
    """The emulator's admin API, as the tests use it."""

    def __init__(self, url):
        self.url = url
        self.admin = url + '/_emulator'

    def post(self, path, body=None):
        response = requests.post(self.admin + path, json=body or {}, timeout=10)
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
        return requests.get(self.admin + '/conferences/' + requests.utils.quote(conference_id, safe=''), timeout=10).json()

    def patch_conference(self, conference_id, **fields):
        response = requests.patch(self.admin + '/conferences/' + requests.utils.quote(conference_id, safe=''), json=fields, timeout=10)
        response.raise_for_status()
        return response.json()

    def add_faults(self, *rules):
        return self.post('/faults', {'rules': list(rules)})

    def requests_log(self, api=None):
        params = {'api': api} if api else None
        return requests.get(self.admin + '/requests', params=params, timeout=10).json()['requests']


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
