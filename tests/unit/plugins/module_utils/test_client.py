# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils._client import (
    THROTTLE_MIN_BACKOFF_SECONDS,
    DingTalkClient,
    DingTalkError,
    InvalidOptionError,
    StaticToken,
    path_segment,
    validate_access_token,
    validate_api_url,
)


class RecordedSleep:
    """Stands in for time.sleep so retry tests run instantly and can check the back-off."""

    def __init__(self):
        self.delays = []

    def __call__(self, seconds):
        self.delays.append(seconds)


class RenewableToken:
    """A token source that gets a new token from the emulator when the old one is rejected."""

    refreshable = True

    def __init__(self, emulator):
        self.emulator = emulator
        self.token = emulator.mint_token()
        self.invalidations = 0

    def get(self):
        return self.token

    def invalidate(self, rejected_token):
        assert rejected_token == self.token
        self.invalidations += 1
        self.token = self.emulator.mint_token()


def make_client(emulator, token=None, **options):
    options.setdefault('sleep', RecordedSleep())
    return DingTalkClient(api_url=emulator.url, token_source=StaticToken(token or emulator.mint_token()), **options)


@pytest.mark.parametrize('value, segment', [
    ('conf-1', 'conf-1'),
    ('a/b', 'a%2Fb'),
    ('a?b#c', 'a%3Fb%23c'),
    ('100%', '100%25'),
    ('with space', 'with%20space'),
    ('会议', '%E4%BC%9A%E8%AE%AE'),
    ('..', '%2E%2E'),
    ('.', '%2E'),
])
def test_path_segment_encodes_every_reserved_character(value, segment):
    assert path_segment(value) == segment


def test_path_segment_refuses_empty_value():
    with pytest.raises(InvalidOptionError):
        path_segment('')


@pytest.mark.parametrize('api_url, expected', [
    ('https://api.dingtalk.io', 'https://api.dingtalk.io'),
    ('https://api.dingtalk.com/', 'https://api.dingtalk.com'),
    ('http://127.0.0.1:8080', 'http://127.0.0.1:8080'),
])
def test_validate_api_url_accepts_scheme_and_host(api_url, expected):
    assert validate_api_url(api_url) == expected


@pytest.mark.parametrize('api_url, complaint', [
    ('ftp://api.dingtalk.io', 'http:// or https://'),
    ('api.dingtalk.io', 'http:// or https://'),
    ('', 'http:// or https://'),
    ('https://user:secret@api.dingtalk.io', 'credentials'),
    ('https://api.dingtalk.io/v1.0', 'without a path'),
    ('https://api.dingtalk.io?x=1', 'without a path'),
    ('https://api.dingtalk.io:99999', 'invalid port'),
])
def test_validate_api_url_refuses_other_urls(api_url, complaint):
    with pytest.raises(InvalidOptionError, match='api_url') as caught:
        validate_api_url(api_url)
    assert complaint in str(caught.value)
    assert 'secret' not in str(caught.value)


@pytest.mark.parametrize('token', ['', 'tok en', 'tok\r\nX-Evil: 1', 'tök'])
def test_validate_access_token_refuses_header_breaking_values_without_echoing_them(token):
    with pytest.raises(InvalidOptionError) as caught:
        validate_access_token(token)
    assert 'access_token' in str(caught.value)
    if token:
        assert token not in str(caught.value)


def test_get_conference_returns_conf_info(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)
    conf_info = make_client(emulator).get_conference('conf-1')
    assert conf_info['conferenceId'] == 'conf-1'
    assert conf_info['cloudRecordStatus'] == 1
    assert conf_info['status'] == 2


def test_stop_sends_documented_request(emulator):
    emulator.add_conference('a/b c', cloud_record_status=1)
    token = emulator.mint_token()
    make_client(emulator, token=token).stop_cloud_record('a/b c', 'host-union')
    (stop,) = emulator.requests_log('cloudRecord.stop')
    assert stop['method'] == 'POST'
    assert stop['path'] == '/v1.0/conference/videoConferences/a%2Fb%20c/cloudRecords/stop'
    assert stop['headers']['x-acs-dingtalk-access-token'] == token
    assert stop['headers']['content-type'] == 'application/json'
    assert stop['body'] == {'unionId': 'host-union'}
    assert emulator.conference('a/b c')['cloud_record_status'] == 3


def test_error_answer_becomes_dingtalk_error(emulator):
    emulator.add_conference('conf-1')
    with pytest.raises(DingTalkError) as caught:
        make_client(emulator).stop_cloud_record('conf-1', 'not-the-host')
    error = caught.value
    assert error.code == 'recordStopPermissionError'
    assert error.http_status == 400
    assert error.request_id
    assert not error.retryable
    assert error.describe().startswith('DingTalk error recordStopPermissionError: ')
    assert error.request_id in error.describe()
    assert error.as_result() == {'error_code': 'recordStopPermissionError', 'http_status': 400, 'request_id': error.request_id}


def test_permission_error_names_required_scope(emulator):
    emulator.add_app('write-only', 'secret', permissions=['VideoConference.Conference.Write'])
    emulator.add_conference('conf-1')
    with pytest.raises(DingTalkError) as caught:
        make_client(emulator, token=emulator.mint_token('write-only')).get_conference('conf-1')
    assert caught.value.http_status == 403
    assert caught.value.code == 'Forbidden.AccessDenied.AccessTokenPermissionDenied'
    assert caught.value.required_scopes == ['VideoConference.Conference.Read']
    assert 'VideoConference.Conference.Read' in caught.value.describe()


def test_transient_errors_are_retried_with_growing_backoff(emulator):
    emulator.add_conference('conf-1')
    emulator.add_faults({'api': 'cloudRecord.stop', 'kind': 'error', 'status': 500, 'code': 'systemError', 'times': 2},
                        {'api': 'cloudRecord.stop', 'kind': 'drop', 'times': 1})
    sleep = RecordedSleep()
    make_client(emulator, retries=3, sleep=sleep).stop_cloud_record('conf-1', 'host-union')
    assert [call['status'] for call in emulator.requests_log('cloudRecord.stop')][-1] == 200
    assert len(emulator.requests_log('cloudRecord.stop')) == 4
    assert len(sleep.delays) == 3
    assert 0.25 <= sleep.delays[0] <= 0.5
    assert 0.5 <= sleep.delays[1] <= 1.0
    assert 1.0 <= sleep.delays[2] <= 2.0


def test_retries_are_bounded(emulator):
    emulator.add_conference('conf-1')
    emulator.add_faults({'api': 'conference.get', 'kind': 'error', 'status': 503, 'code': 'serviceBusy'})
    with pytest.raises(DingTalkError) as caught:
        make_client(emulator, retries=2).get_conference('conf-1')
    assert caught.value.code == 'serviceBusy'
    assert len(emulator.requests_log('conference.get')) == 3


def test_throttling_backs_off_at_least_a_second(emulator):
    emulator.add_conference('conf-1')
    emulator.add_faults({'api': 'conference.get', 'kind': 'error', 'status': 403,
                         'code': 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', 'times': 1})
    sleep = RecordedSleep()
    make_client(emulator, sleep=sleep).get_conference('conf-1')
    assert len(sleep.delays) == 1
    assert sleep.delays[0] >= THROTTLE_MIN_BACKOFF_SECONDS


def test_client_errors_are_not_retried(emulator):
    with pytest.raises(DingTalkError) as caught:
        make_client(emulator, retries=3).get_conference('no-such-conference')
    assert caught.value.code == 'roomNotFound'
    assert len(emulator.requests_log('conference.get')) == 1


def test_html_error_page_is_a_clear_error(emulator):
    emulator.add_faults({'api': 'conference.get', 'kind': 'html', 'status': 502})
    with pytest.raises(DingTalkError) as caught:
        make_client(emulator, retries=0).get_conference('conf-1')
    assert caught.value.http_status == 502
    assert 'HTTP 502' in caught.value.describe()
    assert 'not a JSON object' in caught.value.describe()


def test_timeout_is_reported_without_http_status(emulator):
    emulator.add_conference('conf-1')
    emulator.add_faults({'api': 'conference.get', 'kind': 'delay', 'delay': 2})
    with pytest.raises(DingTalkError) as caught:
        make_client(emulator, retries=0, timeout=0.3).get_conference('conf-1')
    assert caught.value.http_status is None
    assert 'within 0.3 seconds' in caught.value.describe()


def test_rejected_token_is_renewed_once(emulator):
    emulator.add_conference('conf-1')
    token_source = RenewableToken(emulator)
    client = DingTalkClient(api_url=emulator.url, token_source=token_source, sleep=RecordedSleep())
    emulator.post('/tokens/expire')
    assert client.get_conference('conf-1')['conferenceId'] == 'conf-1'
    assert token_source.invalidations == 1


def test_static_token_is_not_renewed(emulator):
    emulator.add_conference('conf-1')
    client = make_client(emulator)
    emulator.post('/tokens/expire')
    with pytest.raises(DingTalkError) as caught:
        client.get_conference('conf-1')
    assert caught.value.code == 'InvalidAuthentication'
    assert len(emulator.requests_log('conference.get')) == 1


def test_app_token_request(emulator):
    client = DingTalkClient(api_url=emulator.url)
    token, expires_in = client.request_app_token('ding-app', 'app-secret')
    assert token and expires_in == 7200
    (call,) = emulator.requests_log('oauth2.accessToken')
    assert 'x-acs-dingtalk-access-token' not in call['headers']
    assert call['body'] == {'appKey': 'ding-app', 'appSecret': 'app-secret'}


def test_wrong_app_secret_is_named_without_the_secret(emulator):
    with pytest.raises(DingTalkError) as caught:
        DingTalkClient(api_url=emulator.url).request_app_token('ding-app', 'wrong-secret-123')
    assert caught.value.code == 'invalidClientIdOrSecret'
    assert 'wrong-secret-123' not in caught.value.describe()
