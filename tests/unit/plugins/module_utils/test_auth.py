# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils._auth import (
    AppCredentials,
    CredentialToken,
    StaticToken,
    SuiteCredentials,
    credentials_from_options,
    unknown_credentials_advice,
)
from ansible_collections.community.dingtalk.plugins.module_utils._client import Connection, DingTalkClient
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, InvalidOptionError
from ansible_collections.community.dingtalk.plugins.module_utils._token_cache import TokenCache

SUITE = {'suite_key': 'suite-1', 'suite_secret': 'suite-secret', 'auth_corp_id': 'corp-1', 'suite_ticket': 'ticket-1'}


class UnsafeText(str):
    """Stands in for the marked strings AWX extra vars arrive as."""


def options(**values):
    return values.get


def test_app_credentials():
    credentials = credentials_from_options(options(app_key='ding-app', app_secret=UnsafeText('app-secret')))
    assert isinstance(credentials, AppCredentials)
    assert (credentials.app_key, credentials.app_secret) == ('ding-app', 'app-secret')
    assert type(credentials.app_secret) is str  # pylint: disable=unidiomatic-typecheck


def test_suite_credentials():
    credentials = credentials_from_options(options(**SUITE))
    assert isinstance(credentials, SuiteCredentials)
    assert credentials.auth_corp_id == 'corp-1'


def test_no_credentials():
    assert credentials_from_options(options()) is None


@pytest.mark.parametrize(
    'values, message',
    [
        (dict(SUITE, app_key='ding-app'), 'cannot be mixed; got app_key, suite_key'),
        ({'app_key': 'ding-app'}, 'missing app_secret'),
        ({'suite_key': 'suite-1', 'suite_ticket': 'ticket-1'}, 'missing suite_secret, auth_corp_id'),
        ({'app_key': 'ding-app', 'app_secret': ' '}, 'app_secret must not be empty'),
    ],
)
def test_bad_credential_sets_are_named(values, message):
    with pytest.raises(InvalidOptionError) as caught:
        credentials_from_options(options(**values))
    assert message in str(caught.value)
    assert 'suite-secret' not in str(caught.value)


def test_cache_key_changes_with_the_secret_and_host():
    key = AppCredentials('ding-app', 'secret-1').cache_key('https://api.dingtalk.io')
    assert key != AppCredentials('ding-app', 'secret-2').cache_key('https://api.dingtalk.io')
    assert key != AppCredentials('ding-app', 'secret-1').cache_key('https://api.dingtalk.com')
    suite = SuiteCredentials(**SUITE)
    renewed_ticket = SuiteCredentials(SUITE['suite_key'], SUITE['suite_secret'], SUITE['auth_corp_id'], 'ticket-2')
    assert suite.cache_key('https://api.dingtalk.io') == renewed_ticket.cache_key('https://api.dingtalk.io')


def token_requests(emulator):
    return [call for call in emulator.requests_log() if call['api'].startswith('oauth2.')]


def test_credential_tokens_are_shared_through_the_cache(emulator, tmp_path):
    seen = []
    first = CredentialToken(Connection(api_url=emulator.url), AppCredentials('ding-app', 'app-secret'), TokenCache(str(tmp_path)), on_new_token=seen.append)
    second = CredentialToken(Connection(api_url=emulator.url), AppCredentials('ding-app', 'app-secret'), TokenCache(str(tmp_path)))
    assert first.get() == second.get() == seen[0]
    assert len(token_requests(emulator)) == 1


def test_rejected_credential_token_is_renewed_in_the_cache(emulator, tmp_path):
    emulator.add_conference('conf-1')
    cache = TokenCache(str(tmp_path))
    connection = Connection(api_url=emulator.url, sleep=lambda seconds: None)
    client = DingTalkClient(connection, CredentialToken(connection, AppCredentials('ding-app', 'app-secret'), cache))
    old_token = client.token_source.get()
    emulator.post('/tokens/expire')
    assert client.get_conference('conf-1')['conferenceId'] == 'conf-1'
    new_token = client.token_source.get()
    assert new_token != old_token
    assert len(token_requests(emulator)) == 2
    assert [call['status'] for call in emulator.requests_log('conference.get')] == [400, 200]
    key = AppCredentials('ding-app', 'app-secret').cache_key(emulator.url)
    assert cache.get_or_fetch(key, lambda: pytest.fail('the renewed token should be cached')) == new_token


def test_rejected_static_token_is_discarded_from_the_cache(emulator, tmp_path):
    emulator.add_conference('conf-1')
    cache = TokenCache(str(tmp_path))
    key = AppCredentials('ding-app', 'app-secret').cache_key(emulator.url)
    lookup_token = cache.get_or_fetch(key, lambda: AppCredentials('ding-app', 'app-secret').request_token(Connection(api_url=emulator.url)))
    emulator.post('/tokens/expire')
    client = DingTalkClient(Connection(api_url=emulator.url), StaticToken(lookup_token, cache))
    with pytest.raises(DingTalkError):
        client.get_conference('conf-1')
    assert not os.path.exists(os.path.join(str(tmp_path), key + '.json'))
    assert len(emulator.requests_log('conference.get')) == 1


@pytest.mark.parametrize(
    'credentials',
    [AppCredentials('ding-app', 'wrong-secret-5e1'), SuiteCredentials('suite-1', 'wrong-secret-5e1', 'corp-1', 'ticket-1')],
    ids=['internal app', 'third-party app'],
)
def test_unknown_credentials_suggest_the_other_regions_host(emulator, credentials):
    emulator.add_suite(suite_key='suite-1', suite_secret='suite-secret', suite_ticket='ticket-1', corp_ids=['corp-1'])
    with pytest.raises(DingTalkError) as caught:
        CredentialToken(Connection(api_url=emulator.url, retries=0), credentials).get()
    message = caught.value.describe()
    assert caught.value.code in ('invalidClientIdOrSecret', 'invalidSuiteKey')
    # A host that is neither of DingTalk's (here the emulator): both are named, and the one the call went to.
    assert f'api_url ({emulator.url})' in message
    assert 'https://api.dingtalk.io for international tenants, https://api.dingtalk.com for mainland China' in message
    assert 'wrong-secret-5e1' not in message


@pytest.mark.parametrize(
    'api_url, other',
    [('https://api.dingtalk.io', 'https://api.dingtalk.com'), ('https://api.dingtalk.com', 'https://api.dingtalk.io')],
)
def test_unknown_credentials_on_a_dingtalk_host_suggest_the_other_one(api_url, other):
    advice = unknown_credentials_advice(api_url)
    assert f'try api_url {other} (this call went to {api_url})' in advice
