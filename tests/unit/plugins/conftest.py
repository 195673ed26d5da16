# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures of the plugins' unit tests that load a plugin the way Ansible does."""

from __future__ import annotations

import pytest

# Every variable a plugin reads its connection and auth options from.
DINGTALK_VARIABLES = (
    'DINGTALK_ACCESS_TOKEN',
    'DINGTALK_APP_KEY',
    'DINGTALK_APP_SECRET',
    'DINGTALK_SUITE_KEY',
    'DINGTALK_SUITE_SECRET',
    'DINGTALK_AUTH_CORP_ID',
    'DINGTALK_SUITE_TICKET',
    'DINGTALK_API_URL',
    'DINGTALK_CA_PATH',
    'DINGTALK_TOKEN_CACHE_DIR',
)


@pytest.fixture
def no_dingtalk_environment(monkeypatch, tmp_path):
    """No DINGTALK_* variable of the shell running the tests reaches the plugin; tokens are cached in the test's own directory."""
    for name in DINGTALK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('DINGTALK_TOKEN_CACHE_DIR', str(tmp_path / 'token-cache'))
