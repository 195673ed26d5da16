# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests talk to a real DingTalk emulator over loopback HTTP instead of mocking requests."""

from __future__ import annotations

import pytest

from ansible_collections.community.dingtalk.tests.emulator.admin import EmulatorAdmin
from ansible_collections.community.dingtalk.tests.emulator.dingtalk_emulator import start_in_thread


@pytest.fixture(scope='session')
def emulator_server():
    with start_in_thread() as server:
        yield server


@pytest.fixture
def emulator(emulator_server):
    """A freshly reset emulator with one app ``ding-app`` holding both conference permissions."""
    admin = EmulatorAdmin(emulator_server.url)
    admin.reset()
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
    admin = EmulatorAdmin(https_emulator.url, verify=tls_certificate[0])
    admin.reset()
    admin.add_app()
    admin.add_conference('conf-1', cloud_record_status=1)
    admin.token = admin.mint_token()
    return admin
