# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils._auth import AppCredentials, CredentialToken, StaticToken, SuiteCredentials
from ansible_collections.community.dingtalk.plugins.module_utils._client import (
    MAX_PER_MINUTE_BACKOFF_SECONDS,
    PER_MINUTE_THROTTLE_MIN_BACKOFF_SECONDS,
    THROTTLE_MIN_BACKOFF_SECONDS,
    Connection,
    DingTalkClient,
    path_segment,
)
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, InvalidOptionError, validate_access_token, validate_api_url
from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import PER_MINUTE_THROTTLE_PAUSE_SECONDS, THROTTLE_PAUSE_SECONDS, RateLimiter
from ansible_collections.community.dingtalk.tests.unit.fake_time import FakeTime, SleepingFakeTime


class ListeningRateLimiter(RateLimiter):
    """A real rate limiter that also notes what it was told about throttling."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.throttled_apis = []

    def throttled(self, api, per_minute=False):
        self.throttled_apis.append((api, per_minute))
        super().throttled(api, per_minute)


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
    options.setdefault('sleep', FakeTime().sleep)
    return DingTalkClient(Connection(api_url=emulator.url, **options), StaticToken(token or emulator.mint_token()))


@pytest.mark.parametrize(
    'value, segment',
    [
        ('conf-1', 'conf-1'),
        ('a/b', 'a%2Fb'),
        ('a?b#c', 'a%3Fb%23c'),
        ('100%', '100%25'),
        ('with space', 'with%20space'),
        ('会议', '%E4%BC%9A%E8%AE%AE'),
        ('..', '%2E%2E'),
        ('.', '%2E'),
    ],
)
def test_path_segment_encodes_every_reserved_character(value, segment):
    assert path_segment(value) == segment


def test_path_segment_refuses_empty_value():
    with pytest.raises(InvalidOptionError):
        path_segment('')


@pytest.mark.parametrize(
    'api_url, expected',
    [
        ('https://api.dingtalk.io', 'https://api.dingtalk.io'),
        ('https://api.dingtalk.com/', 'https://api.dingtalk.com'),
        ('http://127.0.0.1:8080', 'http://127.0.0.1:8080'),
    ],
)
def test_validate_api_url_accepts_scheme_and_host(api_url, expected):
    assert validate_api_url(api_url) == expected


@pytest.mark.parametrize(
    'api_url, complaint',
    [
        ('ftp://api.dingtalk.io', 'http:// or https://'),
        ('api.dingtalk.io', 'http:// or https://'),
        ('', 'http:// or https://'),
        ('https://user:secret@api.dingtalk.io', 'credentials'),
        ('https://api.dingtalk.io/v1.0', 'without a path'),
        ('https://api.dingtalk.io?x=1', 'without a path'),
        ('https://api.dingtalk.io:99999', 'invalid port'),
    ],
)
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
    emulator.add_faults(
        {'api': 'cloudRecord.stop', 'kind': 'error', 'status': 500, 'code': 'systemError', 'times': 2}, {'api': 'cloudRecord.stop', 'kind': 'drop', 'times': 1}
    )
    fake = FakeTime()
    make_client(emulator, retries=3, sleep=fake.sleep).stop_cloud_record('conf-1', 'host-union')
    assert [call['status'] for call in emulator.requests_log('cloudRecord.stop')][-1] == 200
    assert len(emulator.requests_log('cloudRecord.stop')) == 4
    assert len(fake.sleeps) == 3
    assert 0.25 <= fake.sleeps[0] <= 0.5
    assert 0.5 <= fake.sleeps[1] <= 1.0
    assert 1.0 <= fake.sleeps[2] <= 2.0


def test_retries_are_bounded(emulator):
    emulator.add_conference('conf-1')
    emulator.add_faults({'api': 'conference.get', 'kind': 'error', 'status': 503, 'code': 'serviceBusy'})
    with pytest.raises(DingTalkError) as caught:
        make_client(emulator, retries=2).get_conference('conf-1')
    assert caught.value.code == 'serviceBusy'
    assert len(emulator.requests_log('conference.get')) == 3


@pytest.mark.parametrize(
    'status, code, per_minute',
    [
        (403, 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', False),
        (403, 'Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi', False),
        (403, 'Forbidden.AccessDenied.QpsLimitForApi', False),
        (429, 'system.busy', False),
        (403, 'Forbidden.AccessDenied.QpmLimitForAppkeyAndApi', True),
        (403, 'Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi', True),
    ],
)
def test_every_throttling_code_backs_off_and_tells_the_rate_limiter(emulator, status, code, per_minute):
    emulator.add_conference('conf-1')
    emulator.add_faults({'api': 'conference.get', 'kind': 'error', 'status': status, 'code': code, 'times': 1})
    fake, limiter_time = FakeTime(), FakeTime()
    rate_limiter = ListeningRateLimiter(1000, clock=limiter_time.clock, sleep=limiter_time.sleep)
    assert make_client(emulator, sleep=fake.sleep, rate_limiter=rate_limiter).get_conference('conf-1')['conferenceId'] == 'conf-1'
    assert [call['code'] for call in emulator.requests_log('conference.get')] == [code, None]
    assert rate_limiter.throttled_apis == [('GET /v1.0/conference/videoConferences/{0}', per_minute)]
    # The retry was held back for the throttling pause, on the limiter's own clock.
    assert sum(limiter_time.sleeps) == pytest.approx(PER_MINUTE_THROTTLE_PAUSE_SECONDS if per_minute else THROTTLE_PAUSE_SECONDS)
    (delay,) = fake.sleeps
    if per_minute:  # a per-minute window: wait long enough that the retries reach the next one
        assert PER_MINUTE_THROTTLE_MIN_BACKOFF_SECONDS <= delay <= MAX_PER_MINUTE_BACKOFF_SECONDS
    else:
        assert THROTTLE_MIN_BACKOFF_SECONDS <= delay < PER_MINUTE_THROTTLE_MIN_BACKOFF_SECONDS


@pytest.mark.parametrize(
    'credentials, emulator_code',
    [
        (AppCredentials('ding-app', 'app-secret'), 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi'),
        (SuiteCredentials('suite-1', 'suite-secret', 'corp-1', 'ticket-1'), 'Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi'),
    ],
)
def test_a_throttled_third_party_app_backs_off_like_an_internal_one(emulator, credentials, emulator_code):
    """DingTalk's own limit (the emulator's, one call a second here), reached through the real token code of each app kind."""
    emulator.post('/suites', {'suite_key': 'suite-1', 'suite_secret': 'suite-secret', 'suite_ticket': 'ticket-1', 'corp_ids': ['corp-1']})
    emulator.add_conference('conf-1')
    emulator.configure(qps_limit=1)
    fake, rate_limiter = SleepingFakeTime(), ListeningRateLimiter(1000)
    connection = Connection(api_url=emulator.url, sleep=fake.sleep, rate_limiter=rate_limiter)
    client = DingTalkClient(connection, CredentialToken(connection, credentials))
    # The second query comes within the same second as the first: DingTalk throttles it, the client waits and retries.
    assert [client.get_conference('conf-1')['conferenceId'] for _attempt in range(2)] == ['conf-1', 'conf-1']
    codes = [call['code'] for call in emulator.requests_log('conference.get')]
    assert codes[:2] == [None, emulator_code] and codes[-1] is None
    assert fake.sleeps and all(delay >= THROTTLE_MIN_BACKOFF_SECONDS for delay in fake.sleeps)
    assert set(rate_limiter.throttled_apis) == {('GET /v1.0/conference/videoConferences/{0}', False)}


def test_monthly_quota_used_up_is_final_and_says_so(emulator):
    emulator.add_conference('conf-1')
    emulator.configure(org_call_quota=1)
    client = make_client(emulator, retries=3)
    client.get_conference('conf-1')
    with pytest.raises(DingTalkError) as caught:
        client.get_conference('conf-1')
    assert caught.value.code == 'Forbidden.AccessDenied.ApiCountLimitForOrg' and not caught.value.retryable
    assert 'used up its monthly quota of DingTalk API calls' in caught.value.describe()
    assert caught.value.request_id in caught.value.describe()
    assert len(emulator.requests_log('conference.get')) == 2  # no retry


@pytest.mark.parametrize(
    'answer, wording, answer_lost',
    [
        ('html', 'with an HTML page, not a JSON object', True),  # an HTTP 200 page: the outcome is not certain
        ('json', 'anti-abuse answer (status 1111, HTTP 200)', False),
    ],
)
def test_egress_ip_block_is_final_and_named(emulator, answer, wording, answer_lost):
    emulator.add_conference('conf-1')
    emulator.configure(ip_call_limit=1, ip_block_answer=answer)
    client = make_client(emulator, retries=3)
    client.get_conference('conf-1')
    with pytest.raises(DingTalkError) as caught:
        client.stop_cloud_record('conf-1', 'host-union')
    error = caught.value
    assert wording in error.describe() and 'egress IP address is probably blocked' in error.describe()
    assert 'Not retried' in error.describe() and not error.retryable and error.answer_lost is answer_lost
    assert len(emulator.requests_log('cloudRecord.stop')) == 1  # no retry adds to the calls of a blocked address
    assert emulator.conference('conf-1')['cloud_record_status'] == 1


@pytest.mark.parametrize('status', [403, 429])
def test_an_html_page_of_a_blocking_gateway_is_not_retried_whatever_its_status(emulator, status):
    emulator.add_faults({'api': 'conference.get', 'kind': 'html', 'status': status})
    with pytest.raises(DingTalkError) as caught:
        make_client(emulator, retries=3).get_conference('conf-1')
    assert 'egress IP address is probably blocked' in caught.value.describe()
    assert len(emulator.requests_log('conference.get')) == 1


def test_an_error_in_a_success_answer_is_an_error(emulator):
    # DingTalk answers a path outside /v1.0 with HTTP 200 and {"errcode": 404, ...}: never a success.
    with pytest.raises(DingTalkError) as caught:
        make_client(emulator).call('GET', '/conference/videoConferences/{0}', ('conf-1',))
    assert (caught.value.code, caught.value.http_status) == ('404', 200)
    assert caught.value.describe().startswith('DingTalk error 404: 请求的URI地址不存在 (HTTP 200; request id ')


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
    assert 'blocked' not in caught.value.describe()  # a failing gateway, worth a retry
    assert caught.value.retryable


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
    client = DingTalkClient(Connection(api_url=emulator.url, sleep=FakeTime().sleep), token_source)
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
    token, expires_in = AppCredentials('ding-app', 'app-secret').request_token(Connection(api_url=emulator.url))
    assert token and expires_in == 7200
    (call,) = emulator.requests_log('oauth2.accessToken')
    assert 'x-acs-dingtalk-access-token' not in call['headers']
    assert call['body'] == {'appKey': 'ding-app', 'appSecret': 'app-secret'}


def test_wrong_app_secret_is_named_without_the_secret(emulator):
    with pytest.raises(DingTalkError) as caught:
        AppCredentials('ding-app', 'wrong-secret-123').request_token(Connection(api_url=emulator.url))
    assert caught.value.code == 'invalidClientIdOrSecret'
    assert 'wrong-secret-123' not in caught.value.describe()


def test_each_retry_is_announced_with_what_failed_the_attempt_and_the_wait(emulator):
    emulator.add_conference('conf-1')
    emulator.add_faults(
        {'api': 'conference.get', 'kind': 'error', 'status': 503, 'code': 'systemError', 'times': 1},
        {'api': 'conference.get', 'kind': 'drop', 'times': 1},
        {'api': 'conference.get', 'kind': 'html', 'status': 502, 'times': 1},
    )
    token = emulator.mint_token()
    fake, notices = FakeTime(), []
    client = make_client(emulator, token=token, sleep=fake.sleep)
    client.connection.on_retry = notices.append
    assert client.get_conference('conf-1')['conferenceId'] == 'conf-1'
    api = 'GET /v1.0/conference/videoConferences/{0}'
    assert notices == [
        f'{api}: attempt 1 of 4 failed with DingTalk error systemError (HTTP 503); trying again in {fake.sleeps[0]:.1f} s',
        f'{api}: attempt 2 of 4 failed without an answer (Dropped); trying again in {fake.sleeps[1]:.1f} s',
        f'{api}: attempt 3 of 4 failed with HTTP 502; trying again in {fake.sleeps[2]:.1f} s',
    ]
    assert not any(token in notice or 'conf-1' in notice for notice in notices)


def test_no_notice_for_a_call_that_is_not_retried(emulator):
    emulator.add_faults({'api': 'conference.get', 'kind': 'error', 'status': 400, 'code': 'paramsError', 'times': 1})
    notices = []
    client = make_client(emulator)
    client.connection.on_retry = notices.append
    with pytest.raises(DingTalkError):
        client.get_conference('conf-1')
    assert notices == []


def test_a_transient_error_met_by_every_attempt_says_how_many_over_how_long(emulator):
    emulator.add_conference('conf-1')
    emulator.add_faults({'api': 'conference.get', 'kind': 'error', 'status': 500, 'code': 'systemError', 'times': 4})
    fake = FakeTime()
    with pytest.raises(DingTalkError) as caught:
        make_client(emulator, retries=3, sleep=fake.sleep).get_conference('conf-1')
    assert len(emulator.requests_log('conference.get')) == 4
    message = caught.value.describe()
    assert message.startswith('DingTalk error systemError: ')
    assert f'Tried 4 times over {sum(fake.sleeps):.1f} seconds (retries=3)' in message


def test_a_failure_that_was_not_retried_says_nothing_of_attempts(emulator):
    emulator.add_faults({'api': 'conference.get', 'kind': 'error', 'status': 500, 'code': 'systemError', 'times': 1})
    with pytest.raises(DingTalkError) as caught:
        make_client(emulator, retries=0).get_conference('conf-1')
    assert 'Tried' not in caught.value.describe()


def test_a_web_server_that_is_not_dingtalk_says_check_api_url(emulator):
    # The recordings' file host: a real web server on loopback that is not DingTalk's API.
    file_host_url = emulator.recordings_config()['file_host_url']
    client = DingTalkClient(Connection(api_url=file_host_url, retries=0, sleep=FakeTime().sleep), StaticToken(emulator.mint_token()))
    with pytest.raises(DingTalkError) as caught:
        client.get_conference('conf-1')
    message = caught.value.describe()
    assert 'not a JSON object' in message
    assert message.endswith('check api_url.')
