# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hostile identifiers, options and answers: each gets a clear error or correct handling, never another exception.

The property-based tests generate conference ids and DingTalk answers with hypothesis
and send them through the real client to the emulator, which plays the answers back
with its ``raw`` fault. Runs are bounded and leave no example database behind.
"""

from __future__ import annotations

import base64
import http.client
import json
import shutil
import tempfile
import time
import tracemalloc
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.community.dingtalk.plugins.module_utils._auth import AppCredentials, CredentialToken, StaticToken
from ansible_collections.community.dingtalk.plugins.module_utils._client import MAX_ANSWER_BYTES, Connection, DingTalkClient, path_segment
from ansible_collections.community.dingtalk.plugins.module_utils._cloud_record import stop_recording
from ansible_collections.community.dingtalk.plugins.module_utils._conference import conference_info
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, InvalidOptionError, validate_api_url
from ansible_collections.community.dingtalk.plugins.module_utils._results import result_of
from ansible_collections.community.dingtalk.plugins.module_utils._token_cache import TokenCache
from ansible_collections.community.dingtalk.tests.emulator.admin import EmulatorAdmin
from ansible_collections.community.dingtalk.tests.emulator.dingtalk_emulator import start_in_thread
from ansible_collections.community.dingtalk.tests.emulator.hostile_ids import HOSTILE_CONFERENCE_IDS
from ansible_collections.community.dingtalk.tests.unit.fake_time import FakeTime

BOUNDED = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
CONFERENCES = '/v1.0/conference/videoConferences/'
HOST = 'host-union'
STOP_OUTCOMES = ('stopped', 'not_recording', 'meeting_ended', 'failed')

# The ids that have broken URL building in other clients, and ones hypothesis would rarely find.
NASTY_IDS = HOSTILE_CONFERENCE_IDS + (' ', '\x00')


@pytest.fixture(scope='module')
def dingtalk(emulator_server):
    """The emulator with one app and its token, shared by the examples of a test; each example sets up its own conference."""
    admin = EmulatorAdmin(emulator_server.url)
    admin.reset()
    admin.configure(qps_limit=0)  # hundreds of examples a second, unthrottled
    admin.add_app()
    admin.token = admin.mint_token()
    return admin


def fresh(admin, conference_id='conf-hostile', **conference):
    """Forget earlier faults and calls, and (re)create a recording conference."""
    admin.clear_faults()
    admin.clear_requests()
    admin.add_conference(conference_id, **conference)


def make_client(admin, retries=0, **options):
    return DingTalkClient(Connection(api_url=admin.url, retries=retries, sleep=FakeTime().sleep, **options), StaticToken(admin.token))


def answer(admin, api, body, status=200, content_type='application/json', **extra):
    """Let the next call of ``api`` get exactly these bytes."""
    admin.add_faults(
        dict(
            {'api': api, 'kind': 'raw', 'status': status, 'content_type': content_type, 'times': 1, 'body_base64': base64.b64encode(body).decode('ascii')},
            **extra,
        )
    )


def body_is_json_object(body):
    try:
        return isinstance(json.loads(body.decode('utf-8')), dict)
    except (ValueError, RecursionError):
        return False


def assert_reportable(result):
    """A module can exit with it: JSON, an outcome, and a message when it failed."""
    json.dumps(result)
    assert result['outcome'] in STOP_OUTCOMES
    if result.get('failed'):
        assert isinstance(result['msg'], str) and result['msg']
        assert len(result['msg']) < 2000
        assert not result['changed']


# Identifiers ---------------------------------------------------------------------


@BOUNDED
@given(conference_id=st.text(min_size=1, max_size=120) | st.sampled_from(NASTY_IDS))
@example(conference_id='..')
@example(conference_id='x' * 10240)
def test_any_conference_id_reaches_exactly_its_own_paths(dingtalk, conference_id):
    fresh(dingtalk, conference_id)
    result = result_of(stop_recording, make_client(dingtalk), conference_id, HOST)
    assert (result['outcome'], result['changed']) == ('stopped', True), result.get('msg')
    paths = [entry['path'] for entry in dingtalk.requests_log()]
    assert len(paths) == 2
    query, stop = (path.split('/') for path in paths)
    # ['', 'v1.0', 'conference', 'videoConferences', <id>] and the same plus 'cloudRecords', 'stop': one segment each
    assert query[:4] == stop[:4] == CONFERENCES.split('/')[:4]
    assert len(query) == 5 and stop[5:] == ['cloudRecords', 'stop'] and len(stop) == 7
    # Exactly the encoding of the id: nothing decoded on the way, not even "%2E" back to "." (which makes ".." a step up).
    assert query[4] == stop[4] == path_segment(conference_id)
    assert unquote(query[4]) == conference_id
    assert dingtalk.conference(conference_id)['cloud_record_status'] == 3


def test_an_id_too_long_for_the_server_is_a_clear_error(dingtalk):
    conference_id = '会' * 10240  # 90 kB once encoded: more than the server accepts in a request line
    fresh(dingtalk, conference_id)
    result = result_of(stop_recording, make_client(dingtalk), conference_id, HOST)
    assert_reportable(result)
    assert result['failed'] and result['http_status'] == 414
    assert 'HTTP 414' in result['msg']


@pytest.mark.parametrize('union_id', ['host\r\nX-Injected: 1', 'host\nx-acs-dingtalk-access-token: stolen', '"}, "unionId": "other'])
def test_union_ids_travel_only_in_the_json_body(dingtalk, union_id):
    fresh(dingtalk, host_union_id=union_id)
    result = result_of(stop_recording, make_client(dingtalk), 'conf-hostile', union_id)
    assert (result['outcome'], result['changed']) == ('stopped', True)
    (stop,) = dingtalk.requests_log('cloudRecord.stop')
    assert stop['body'] == {'unionId': union_id}
    assert 'x-injected' not in stop['headers']
    assert stop['headers']['x-acs-dingtalk-access-token'] == dingtalk.token


@pytest.mark.parametrize('token', ['tok\r\nX-Injected: 1', 'tok en', 'tök', ''])
def test_tokens_that_would_break_a_header_are_never_sent(dingtalk, token):
    fresh(dingtalk)
    client = DingTalkClient(Connection(api_url=dingtalk.url, retries=0), StaticToken(token))
    with pytest.raises(DingTalkError) as caught:
        client.get_conference('conf-hostile')
    assert token not in caught.value.describe() or not token
    assert dingtalk.requests_log() == []


# api_url -------------------------------------------------------------------------


@pytest.mark.parametrize(
    'api_url, complaint',
    [
        ('http://[::1', 'not a valid URL'),
        ('http://host name', 'white space or control characters'),
        ('http://host\r\n.evil', 'white space or control characters'),
        ('javascript:alert(1)', 'http:// or https://'),
        ('file:///etc/passwd', 'http:// or https://'),
        ('http://user@api.dingtalk.io', 'credentials'),
        ('https://api.dingtalk.io/../oauth2', 'without a path'),
        ('https://api.dingtalk.io#x', 'without a path'),
        ('http://\u0080', 'invalid host name'),
    ],
)
def test_hostile_api_urls_are_refused_naming_the_option(api_url, complaint):
    with pytest.raises(InvalidOptionError) as caught:
        validate_api_url(api_url)
    assert str(caught.value).startswith('api_url ')
    assert complaint in str(caught.value)


URL_LIKE = st.builds(
    '{0}://{1}{2}'.format,
    st.sampled_from(['http', 'https', 'ftp', 'HTTP']),
    st.text(max_size=30),
    st.sampled_from(['', '/', ':443', ':0', ':99999', '/x', '?q', '@h']),
)


@BOUNDED
@given(api_url=st.text(max_size=60) | URL_LIKE)
def test_any_api_url_is_refused_or_usable_as_is(api_url):
    try:
        checked = validate_api_url(api_url)
    except InvalidOptionError as error:
        assert str(error).startswith('api_url ')
        return
    parts = urlsplit(checked)
    assert parts.scheme in ('http', 'https') and parts.hostname and parts.path == ''
    assert parts.username is None and parts.password is None and not parts.query and not parts.fragment
    # What the connection is opened to, and what the Host header says.
    connection = http.client.HTTPConnection(parts.hostname, parts.port)
    connection.putrequest('GET', CONFERENCES + 'x')
    assert (connection.host, connection.port) == (parts.hostname, parts.port or 80)


# Answers -------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
STATUS_VALUES = JSON_VALUES | st.sampled_from([0, 1, 2, 3, '1', ' 2 ', '²', '1.0', True, 2.0, -1, 10**30])
CONF_INFOS = st.fixed_dictionaries(
    {},
    optional={
        'status': STATUS_VALUES,
        'cloudRecordStatus': STATUS_VALUES,
        'conferenceId': JSON_VALUES,
        'title': JSON_VALUES,
        'creatorId': JSON_VALUES,
        'startTime': STATUS_VALUES,
        'endTime': STATUS_VALUES,
        'activeNum': STATUS_VALUES,
    },
)
BODIES = st.one_of(
    st.fixed_dictionaries({'confInfo': CONF_INFOS | JSON_VALUES}).map(json.dumps).map(str.encode),
    JSON_VALUES.map(json.dumps).map(str.encode),
    st.binary(max_size=64),
    st.sampled_from(
        [
            b'',
            b'{',
            b'{"confInfo": {"status": 2',
            b'\xff\xfe{}',
            '{"confInfo": "会"}'.encode('utf-16'),
            b'[' * 100000,
            b'{"a":' * 50000,
            b'1' * 5000,
            b'<html>502</html>',
        ]
    ),
)
STATUSES = st.sampled_from([200, 200, 200, 201, 204, 301, 302, 307, 400, 401, 403, 404, 429, 500, 502, 503])
CONTENT_TYPES = st.sampled_from(['application/json', 'text/html; charset=utf-8', 'application/json; charset=latin-1', ''])


@BOUNDED
@given(body=BODIES, status=STATUSES, content_type=CONTENT_TYPES)
@example(body=b'{"confInfo": {"status": 2, "cloudRecordStatus": "1"}}', status=200, content_type='application/json')
@example(body=b'{"confInfo": {"status": 2, "cloudRecordStatus": null}}', status=200, content_type='application/json')
@example(body=b'{"confInfo": {"status": 2, "cloudRecordStatus": "\xc2\xb2"}}', status=200, content_type='application/json')
@example(body=b'{"requestId": "r"}', status=200, content_type='application/json')
def test_any_query_answer_gives_a_result_and_never_a_false_stop(dingtalk, body, status, content_type):
    fresh(dingtalk)
    answer(dingtalk, 'conference.get', body, status, content_type)
    result = result_of(stop_recording, make_client(dingtalk), 'conf-hostile', HOST)
    assert_reportable(result)
    stops = dingtalk.requests_log('cloudRecord.stop')
    if result['changed']:
        # Reported stopped: the stop was really sent and accepted, and the recording is finished.
        assert result['outcome'] == 'stopped' and [stop['status'] for stop in stops] == [200]
        assert dingtalk.conference('conf-hostile')['cloud_record_status'] == 3
    else:
        assert stops == [] or result['failed']


@BOUNDED
@given(body=BODIES, status=STATUSES, content_type=CONTENT_TYPES)
def test_any_stop_answer_gives_a_result_that_never_hides_a_possible_stop(dingtalk, body, status, content_type):
    fresh(dingtalk)
    answer(dingtalk, 'cloudRecord.stop', body, status, content_type, phase='after')  # the stop happens, its answer is replaced
    result = result_of(stop_recording, make_client(dingtalk), 'conf-hostile', HOST)
    assert_reportable(result)
    assert dingtalk.conference('conf-hostile')['cloud_record_status'] == 3
    if result.get('failed') and (200 <= status < 300 or status >= 500 and not body_is_json_object(body)):
        # DingTalk did not say what happened: the failure must say the stop may have happened.
        assert 'may have carried it out' in result['msg']


@BOUNDED
@given(body=BODIES, status=STATUSES, content_type=CONTENT_TYPES)
def test_any_query_answer_gives_conference_info_or_a_clear_failure(dingtalk, body, status, content_type):
    fresh(dingtalk)
    answer(dingtalk, 'conference.get', body, status, content_type)
    result = result_of(conference_info, make_client(dingtalk), 'conf-hostile')
    json.dumps(result)
    assert result['changed'] is False
    assert result.get('failed') or isinstance(result['conference'], dict)
    if result.get('failed'):
        assert isinstance(result['msg'], str) and result['msg']


TOKEN_BODIES = BODIES | st.fixed_dictionaries(
    {'accessToken': JSON_VALUES | st.sampled_from(['tok\r\nX: 1', 'ok-token', '']), 'expireIn': STATUS_VALUES | st.sampled_from([7200, 0, -5, 10**20])}
).map(json.dumps).map(str.encode)


@BOUNDED
@given(body=TOKEN_BODIES, status=STATUSES)
@example(body=b'{"accessToken": "ok-token", "expireIn": 100000000000000000000}', status=200)
@example(body=b'{"accessToken": "tok\\r\\nX-Injected: 1", "expireIn": 7200}', status=200)
def test_any_token_answer_gives_a_usable_token_or_a_clear_error(dingtalk, body, status):
    dingtalk.delete('/faults')
    answer(dingtalk, 'oauth2.accessToken', body, status)
    cache_dir = tempfile.mkdtemp()
    try:
        token = CredentialToken(Connection(api_url=dingtalk.url, retries=0), AppCredentials('ding-app', 'app-secret'), TokenCache(cache_dir)).get()
    except DingTalkError as error:
        assert 'app-secret' not in error.describe()
    else:
        assert isinstance(token, str) and token.isprintable() and ' ' not in token and token.isascii()
    finally:
        shutil.rmtree(cache_dir)


ERROR_BODIES = (
    st.fixed_dictionaries(
        {},
        optional={
            'code': JSON_VALUES,
            'message': JSON_VALUES | st.just('m' * 100000),
            'requestid': JSON_VALUES,
            'accessdenieddetail': JSON_VALUES | st.fixed_dictionaries({'requiredScopes': JSON_VALUES}),
        },
    )
    .map(json.dumps)
    .map(str.encode)
)


@BOUNDED
@given(body=ERROR_BODIES, status=st.sampled_from([400, 401, 403, 404, 429, 500, 503]))
def test_any_error_answer_is_described_in_one_bounded_line(dingtalk, body, status):
    fresh(dingtalk)
    answer(dingtalk, 'conference.get', body, status)
    with pytest.raises(DingTalkError) as caught:
        make_client(dingtalk).get_conference('conf-hostile')
    described = caught.value.describe()
    assert isinstance(described, str) and f'HTTP {status}' in described and len(described) < 2000
    json.dumps(caught.value.as_result())


# Answers the property tests would rarely produce ------------------------------------


def failure_and_peak_memory(call):
    """The DingTalkError that ``call()`` raises, and the most memory Python held while it ran."""
    tracemalloc.start()
    try:
        with pytest.raises(DingTalkError) as caught:
            call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return caught.value, peak


def test_a_huge_answer_is_refused_without_reading_it(dingtalk):
    fresh(dingtalk)
    answer(dingtalk, 'conference.get', b'{"pad": "' + b'x' * 1014 + b'"}', repeat=50 * 1024)  # 50 MiB, announced
    started = time.monotonic()
    error, peak = failure_and_peak_memory(lambda: make_client(dingtalk).get_conference('conf-hostile'))
    assert error.describe().startswith('DingTalk answered HTTP 200 with a body larger than 4 MiB')
    assert peak < 8 * 1024 * 1024
    assert time.monotonic() - started < 10


def test_a_huge_answer_without_a_length_is_cut_at_the_limit(dingtalk):
    fresh(dingtalk)
    answer(dingtalk, 'conference.get', b'x' * 1024, repeat=50 * 1024, headers={'Content-Length': None})
    error, peak = failure_and_peak_memory(lambda: make_client(dingtalk).get_conference('conf-hostile'))
    assert 'larger than 4 MiB' in error.describe()
    assert peak < 3 * MAX_ANSWER_BYTES  # the capped body and one copy of it, not 50 MiB


def test_a_redirect_is_not_followed_and_the_token_stays_home(dingtalk):
    with start_in_thread() as elsewhere:
        fresh(dingtalk)
        answer(dingtalk, 'cloudRecord.stop', b'{"code": "200"}', 307, headers={'Location': elsewhere.url + '/steal'})
        result = result_of(stop_recording, make_client(dingtalk), 'conf-hostile', HOST)
        assert result['failed'] and result['http_status'] == 307
        assert 'a redirect, which is not followed' in result['msg']
        assert elsewhere.state.request_log == []


def test_a_redirect_status_with_a_success_body_is_not_a_stop(dingtalk):
    fresh(dingtalk)
    answer(dingtalk, 'cloudRecord.stop', b'{"code": "200"}', 302)
    result = result_of(stop_recording, make_client(dingtalk), 'conf-hostile', HOST)
    assert result['failed'] and not result['changed']


def test_a_lost_stop_answer_is_reported_as_possibly_done_and_a_rerun_tells(dingtalk):
    fresh(dingtalk)
    dingtalk.add_faults({'api': 'cloudRecord.stop', 'kind': 'drop', 'phase': 'after', 'times': 1})
    first = result_of(stop_recording, make_client(dingtalk), 'conf-hostile', HOST)
    assert first['failed'] and not first['changed']
    assert 'may have carried it out anyway' in first['msg']
    assert dingtalk.conference('conf-hostile')['cloud_record_status'] == 3
    again = result_of(stop_recording, make_client(dingtalk), 'conf-hostile', HOST)
    assert (again['outcome'], again['changed']) == ('not_recording', False)


def test_a_lost_answer_on_an_earlier_attempt_is_remembered(dingtalk):
    fresh(dingtalk)
    dingtalk.add_faults(
        {'api': 'cloudRecord.stop', 'kind': 'drop', 'times': 1}, {'api': 'cloudRecord.stop', 'kind': 'error', 'status': 500, 'code': 'systemError'}
    )
    result = result_of(stop_recording, make_client(dingtalk, retries=2), 'conf-hostile', HOST)
    assert result['failed'] and result['error_code'] == 'systemError'
    assert 'may have carried it out anyway' in result['msg']


def test_a_lost_stop_answer_with_retries_ends_stopped_once(dingtalk):
    fresh(dingtalk)
    dingtalk.add_faults({'api': 'cloudRecord.stop', 'kind': 'truncated', 'phase': 'after', 'times': 1})
    result = result_of(stop_recording, make_client(dingtalk, retries=1), 'conf-hostile', HOST)
    assert (result['outcome'], result['changed']) == ('stopped', True)
    # Logged once answered: the cut-off answer's thread may finish after the retry's.
    assert sorted(stop['fault'] or '' for stop in dingtalk.requests_log('cloudRecord.stop')) == ['', 'truncated']


def test_a_failed_query_does_not_say_a_stop_may_have_happened(dingtalk):
    fresh(dingtalk)
    dingtalk.add_faults({'api': 'conference.get', 'kind': 'drop', 'times': 1})
    result = result_of(stop_recording, make_client(dingtalk), 'conf-hostile', HOST)
    assert result['failed'] and 'may have' not in result['msg']
    assert dingtalk.requests_log('cloudRecord.stop') == []
