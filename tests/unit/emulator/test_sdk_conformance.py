# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The official DingTalk SDK as the emulator's judge.

Every test of the collection runs against the emulator, so a misreading of DingTalk that the client
and the emulator share could never show. Here the emulator is driven by DingTalk's own Python SDK
(``alibabacloud-dingtalk``, pinned in requirements-dev.txt) for every API the collection calls and
every error it handles: a success must parse into the SDK's model, every key the emulator sends must
be a field of that model with the model's type, and an error must surface as the SDK's
``TeaException`` with DingTalk's code and HTTP status.

Each expectation names where it comes from, with the tags of tests/emulator/README.md ("Sources"):
a page of DingTalk's documentation (help.dingtalk.io/open/development/...: [query]
querying-video-conference-information, [stop] video-conferencing-stops-cloud-recording, [start]
video-conference-open-cloud-recording, [close] close-audio-video-conference, [token]
obtain-the-access-token-of-an-internal-app and its third-party counterpart, [unified] api-gettoken,
[errors] server-api-error-codes-1), [seen] a public report of a live answer, or [A n] the numbered
assumption of that README which the emulator had to make.
"""

from __future__ import annotations

import re
import typing

import pytest
from alibabacloud_dingtalk.conference_1_0 import models as conference_models
from alibabacloud_dingtalk.conference_1_0.client import Client as ConferenceClient
from alibabacloud_dingtalk.oauth2_1_0 import models as oauth2_models
from alibabacloud_dingtalk.oauth2_1_0.client import Client as OAuth2Client
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_util import models as util_models
from Tea.exceptions import TeaException, UnretryableException
from Tea.model import TeaModel

HOST = 'host-union'
SUITE = {'suite_key': 'suite-key', 'suite_secret': 'suite-secret', 'suite_ticket': 'ticket', 'corp_ids': ['corp-1']}
READ = 'VideoConference.Conference.Read'
WRITE = 'VideoConference.Conference.Write'


class _RawBodies:
    """Keeps the JSON body the SDK parsed, before its model drops the keys it does not know."""

    def execute(self, params, request, runtime):
        answer = super().execute(params, request, runtime)
        self.raw_body = answer['body']
        return answer


class RecordingConferenceClient(_RawBodies, ConferenceClient):
    pass


class RecordingOAuth2Client(_RawBodies, OAuth2Client):
    pass


def sdk_config(emulator):
    # The SDK calls https://api.dingtalk.com unless told otherwise; the emulator is plain HTTP on loopback.
    # Config.protocol overrides each API's own, endpoint replaces the host, and no_proxy keeps the call local.
    return open_api_models.Config(protocol='http', endpoint=emulator.url.split('://', 1)[1], no_proxy='127.0.0.1,localhost')


@pytest.fixture
def conference_sdk(emulator):
    return RecordingConferenceClient(sdk_config(emulator))


@pytest.fixture
def oauth2_sdk(emulator):
    return RecordingOAuth2Client(sdk_config(emulator))


def _snake_case(key):
    return re.sub(r'(?<!^)(?=[A-Z])', '_', key).lower()


def _has_type(value, expected):
    if expected is typing.Any:
        return True
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if typing.get_origin(expected) is dict:
        return isinstance(value, dict)
    return isinstance(value, expected)


def assert_fits_model(model, raw, where='body'):
    """Every key of ``raw`` is a field of the SDK model, of the field's type, and parsed to the same value."""
    assert isinstance(raw, dict), f'{where} is not a JSON object'
    fields = typing.get_type_hints(type(model).__init__)
    for key, value in raw.items():
        attribute = _snake_case(key)
        assert attribute in fields, f'{where}.{key} is not a field of the SDK model {type(model).__name__}'
        expected, parsed = fields[attribute], getattr(model, attribute)
        if isinstance(expected, type) and issubclass(expected, TeaModel):
            assert_fits_model(parsed, value, f'{where}.{key}')
        elif typing.get_origin(expected) is list:
            (item_type,) = typing.get_args(expected)
            assert isinstance(value, list), f'{where}.{key} is not a list'
            for index, (item, parsed_item) in enumerate(zip(value, parsed)):
                if isinstance(item_type, type) and issubclass(item_type, TeaModel):
                    assert_fits_model(parsed_item, item, f'{where}.{key}[{index}]')
                else:
                    assert _has_type(item, item_type), f'{where}.{key}[{index}] is not {item_type}'
        else:
            assert _has_type(value, expected), f'{where}.{key} = {value!r} is not {expected}'
            assert parsed == value


def assert_parsed(sdk, response, body_model):
    assert response.status_code == 200
    assert isinstance(response.body, body_model)
    assert_fits_model(response.body, sdk.raw_body)


def sdk_error(call, *args, **kwargs):
    """The TeaException the SDK's DingTalk gateway raised for an error answer.

    Without retry options the SDK wraps it into an UnretryableException (itself a TeaException) that
    keeps code and data but drops accessDeniedDetail; the gateway's own exception has them all.
    """
    with pytest.raises(TeaException) as caught:
        call(*args, **kwargs)
    error = caught.value
    if isinstance(error, UnretryableException):
        error = error.inner_exception
    assert isinstance(error, TeaException), f'not an error answer of DingTalk: {error!r}'
    return error


def assert_sdk_error(error, status, code, message=None):
    """The SDK's exception names DingTalk's code and status, and keeps the request id DingTalk sent."""
    assert error.code == code
    assert error.data['statusCode'] == status
    assert error.data['requestid']
    if message is not None:
        assert error.data['message'] == message


def conference_call(sdk, operation, token, *arguments):
    """``sdk.<operation>_with_options(*arguments, headers, runtime)``: the one form of the SDK's conference calls.

    Its headers model is named after the operation (stop_cloud_record: StopCloudRecordHeaders).
    """
    headers_model = getattr(conference_models, ''.join(word.title() for word in operation.split('_')) + 'Headers')
    return getattr(sdk, operation + '_with_options')(*arguments, headers_model(x_acs_dingtalk_access_token=token), util_models.RuntimeOptions())


def query(sdk, conference_id, token):
    return conference_call(sdk, 'query_conference_info', token, conference_id)


def stop(sdk, conference_id, token, union_id=HOST):
    return conference_call(sdk, 'stop_cloud_record', token, conference_id, conference_models.StopCloudRecordRequest(union_id=union_id))


def start(sdk, conference_id, token, union_id=HOST, **options):
    return conference_call(sdk, 'start_cloud_record', token, conference_id, conference_models.StartCloudRecordRequest(union_id=union_id, **options))


def create(sdk, token, user_id=HOST, title='Weekly sync'):
    return conference_call(sdk, 'create_video_conference', token, conference_models.CreateVideoConferenceRequest(user_id=user_id, conf_title=title))


def close(sdk, conference_id, token, union_id=HOST):
    return conference_call(sdk, 'close_video_conference', token, conference_id, conference_models.CloseVideoConferenceRequest(union_id=union_id))


def suite_token_request(**change):
    fields = dict(suite_key='suite-key', suite_secret='suite-secret', auth_corp_id='corp-1', suite_ticket='ticket')
    fields.update(change)
    return oauth2_models.GetCorpAccessTokenRequest(**fields)


def unified_token_request(client_id='ding-app', client_secret='app-secret', grant_type='client_credentials'):
    return oauth2_models.GetTokenRequest(client_id=client_id, client_secret=client_secret, grant_type=grant_type)


# Access tokens -------------------------------------------------------------------------------------


def test_internal_app_token(oauth2_sdk):
    # [token] accessToken and expireIn (7200 s); asked again while valid, the same token comes back.
    first = oauth2_sdk.get_access_token(oauth2_models.GetAccessTokenRequest(app_key='ding-app', app_secret='app-secret'))
    assert_parsed(oauth2_sdk, first, oauth2_models.GetAccessTokenResponseBody)
    assert first.body.expire_in == 7200 and first.body.access_token
    again = oauth2_sdk.get_access_token(oauth2_models.GetAccessTokenRequest(app_key='ding-app', app_secret='app-secret'))
    assert again.body.access_token == first.body.access_token
    # A live answer's Content-Type names the charset [seen].
    assert first.headers['content-type'] == 'application/json;charset=utf-8'


@pytest.mark.parametrize(
    'request_fields, code',
    [
        # [token]: a wrong AppKey or AppSecret is invalidClientIdOrSecret.
        ({'app_key': 'ding-app', 'app_secret': 'wrong-secret'}, 'invalidClientIdOrSecret'),
        ({'app_key': 'no-such-app', 'app_secret': 'app-secret'}, 'invalidClientIdOrSecret'),
        # A missing field is Missing<field> [A 6].
        ({'app_secret': 'app-secret'}, 'MissingappKey'),
    ],
)
def test_internal_app_token_errors(oauth2_sdk, request_fields, code):
    error = sdk_error(oauth2_sdk.get_access_token, oauth2_models.GetAccessTokenRequest(**request_fields))
    assert_sdk_error(error, 400, code)


def test_third_party_app_token(emulator, oauth2_sdk):
    # [token], third-party page: accessToken and expireIn, a new token on every call.
    emulator.post('/suites', SUITE)
    first = oauth2_sdk.get_corp_access_token(suite_token_request())
    assert_parsed(oauth2_sdk, first, oauth2_models.GetCorpAccessTokenResponseBody)
    assert first.body.expire_in == 7200
    assert oauth2_sdk.get_corp_access_token(suite_token_request()).body.access_token != first.body.access_token


@pytest.mark.parametrize(
    'change, code',
    [
        # [token], third-party page: unknown suite or wrong secret, a stale ticket, an organisation without the app.
        ({'suite_secret': 'wrong'}, 'invalidSuiteKey'),
        ({'suite_key': 'other-suite'}, 'invalidSuiteKey'),
        ({'suite_ticket': 'stale'}, 'invalidSuiteTicket'),
        ({'auth_corp_id': 'corp-2'}, 'invalidAuthInfo'),
    ],
)
def test_third_party_app_token_errors(emulator, oauth2_sdk, change, code):
    emulator.post('/suites', SUITE)
    assert_sdk_error(sdk_error(oauth2_sdk.get_corp_access_token, suite_token_request(**change)), 400, code)


def test_unified_token_serves_internal_and_third_party_apps(emulator, oauth2_sdk):
    # [unified] snake_case access_token and expires_in; corpId is the app's own organisation for an
    # internal app, the authorising one for a third-party app (whose ClientID is its SuiteKey).
    emulator.post('/suites', SUITE)
    internal = oauth2_sdk.get_token('ding-corp', unified_token_request())
    assert_parsed(oauth2_sdk, internal, oauth2_models.GetTokenResponseBody)
    assert internal.body.expires_in == 7200
    third_party = oauth2_sdk.get_token('corp-1', unified_token_request('suite-key', 'suite-secret'))
    assert_parsed(oauth2_sdk, third_party, oauth2_models.GetTokenResponseBody)
    assert third_party.body.access_token != internal.body.access_token


@pytest.mark.parametrize(
    'corp_id, request_fields, status, code',
    [
        # [unified] error table, whose messages are the codes themselves.
        ('ding-corp', {'client_secret': 'wrong'}, 400, 'invalid.client'),
        ('ding-corp', {'client_id': 'no-such-app'}, 400, 'invalid.client'),
        ('ding-corp', {'grant_type': 'password'}, 400, 'unsupported.grant.type'),
        # unauthorized.client (401) for an organisation that has not installed the third-party app: [A 7].
        ('corp-2', {'client_id': 'suite-key', 'client_secret': 'suite-secret'}, 401, 'unauthorized.client'),
    ],
)
def test_unified_token_errors(emulator, oauth2_sdk, corp_id, request_fields, status, code):
    emulator.post('/suites', SUITE)
    error = sdk_error(oauth2_sdk.get_token, corp_id, unified_token_request(**request_fields))
    assert_sdk_error(error, status, code, message=code)


# Conference query -------------------------------------------------------------------------------


def test_query_a_running_meeting(emulator, conference_sdk):
    # [query] answer: confInfo with the meeting's counts, creator, room code and link; no end yet.
    emulator.add_conference('conf-1', cloud_record_owner_union_id=HOST, creator_nick='Li Lei', active_num=4, attend_num=6, invited_num=9)
    answer = query(conference_sdk, 'conf-1', emulator.mint_token())
    assert_parsed(conference_sdk, answer, conference_models.QueryConferenceInfoResponseBody)
    info = answer.body.conf_info
    assert (info.conference_id, info.status, info.cloud_record_status, info.creator_id) == ('conf-1', 2, 1, HOST)
    assert (info.active_num, info.attend_num, info.invited_num, info.creator_nick) == (4, 6, 9, 'Li Lei')
    for field in ('title', 'room_code', 'external_link_url', 'biz_type', 'start_time', 'cloud_record_owner_union_id'):
        assert getattr(info, field) is not None, field
    assert info.end_time is None and info.conf_duration is None  # sent once the meeting has ended


def test_query_an_ended_meeting(emulator, conference_sdk):
    # [query] endTime and confDuration (milliseconds) are sent once the meeting has ended.
    emulator.add_conference('conf-ended', status=1, cloud_record_status=3, start_time=1772443800000, end_time=1772448312345)
    answer = query(conference_sdk, 'conf-ended', emulator.mint_token())
    assert_parsed(conference_sdk, answer, conference_models.QueryConferenceInfoResponseBody)
    info = answer.body.conf_info
    assert info.status == 1 and info.end_time == 1772448312345 and info.conf_duration == 4512345


def test_every_documented_conf_info_field_reaches_the_sdk(emulator, conference_sdk):
    # [query, SDK] every field of the SDK's confInfo model can be set through the admin API and parses as the model says.
    emulator.add_conference(
        'conf-full',
        status=1,
        cloud_record_status=3,
        start_time=1000,
        end_time=61000,
        conf_duration=59000,
        creator_nick='Li Lei',
        room_code='512345678',
        external_link_url='https://meeting.dingtalk.com/j/x',
        biz_type='3',
        attend_num=5,
        invited_num=7,
        minutes_status=1,
        minutes_owner_union_id=HOST,
        schedule_conference_id='schedule-1',
        cloud_record_owner_union_id=HOST,
        extension_app_settings=[{'app_code': 'c', 'app_id': 'a', 'auto_open_mode': 1, 'extension_app_biz_data': 'd'}],
    )
    info = query(conference_sdk, 'conf-full', emulator.mint_token()).body.conf_info
    assert_fits_model(info, conference_sdk.raw_body['confInfo'], 'confInfo')
    model_fields = set(typing.get_type_hints(type(info).__init__))
    assert model_fields == {_snake_case(key) for key in conference_sdk.raw_body['confInfo']}
    assert info.extension_app_settings[0].auto_open_mode == 1 and info.conf_duration == 59000


@pytest.mark.parametrize(
    'setup, status, code',
    [
        # [query] error table: an unknown conference is roomNotFound (404).
        ({'conference_id': 'no-such-conference'}, 404, 'roomNotFound'),
        # [errors] a token without the read permission point is refused with 403.
        ({'permissions': [WRITE]}, 403, 'Forbidden.AccessDenied.AccessTokenPermissionDenied'),
        # [errors] an invalid or expired token is InvalidAuthentication (400 by default) [A 10].
        ({'expired': True}, 400, 'InvalidAuthentication'),
        # A call without the token header: AuthenticationFailed.MissingParameter [seen].
        ({'token': None}, 400, 'AuthenticationFailed.MissingParameter'),
    ],
)
def test_query_errors(emulator, conference_sdk, setup, status, code):
    emulator.add_conference('conf-1')
    token = emulator.mint_token(permissions=setup.get('permissions', [READ, WRITE]), expires_in=-1 if setup.get('expired') else 7200)
    error = sdk_error(query, conference_sdk, setup.get('conference_id', 'conf-1'), setup.get('token', token))
    assert_sdk_error(error, status, code)
    if status == 403:
        # [errors]: the 403 names the permission point the app lacks.
        assert error.accessDeniedDetail == {'requiredScopes': [READ]}


# Cloud recording ------------------------------------------------------------------------------


def test_stop(emulator, conference_sdk):
    # [stop] success is HTTP 200 with code "200", a string; the meeting goes on.
    emulator.add_conference('conf-1')
    answer = stop(conference_sdk, 'conf-1', emulator.mint_token())
    assert_parsed(conference_sdk, answer, conference_models.StopCloudRecordResponseBody)
    assert answer.body.code == '200'
    assert emulator.conference('conf-1')['status'] == 2


@pytest.mark.parametrize(
    'conference, union_id, status, code, message',
    [
        # [stop] error table, with its messages: only the host may stop; a meeting that has ended.
        ({}, 'not-the-host', 400, 'recordStopPermissionError', "you can't operator, please contact meeting manager"),
        ({'status': 1, 'cloud_record_status': 3}, HOST, 400, 'roomClosed', 'the meeting has ended'),
        # An unknown conference: roomNotFound as on the query page [A 4].
        ({'conference_id': 'other'}, HOST, 404, 'roomNotFound', None),
        # No unionId: paramsError, with the start page's message pattern [A 17].
        ({}, None, 400, 'paramsError', 'error:unionId is mandatory'),
    ],
)
def test_stop_errors(emulator, conference_sdk, conference, union_id, status, code, message):
    conference = dict(conference)
    emulator.add_conference(conference.pop('conference_id', 'conf-1'), **conference)
    error = sdk_error(stop, conference_sdk, 'conf-1', emulator.mint_token(), union_id)
    assert_sdk_error(error, status, code, message)


@pytest.mark.parametrize(
    'code, status, message',
    [
        # [stop] its codes for failures on DingTalk's side, with their messages, answered through fault rules.
        ('systemError', 500, 'system error'),
        ('innerSystemError', 500, 'The system is busy, please try again later'),
        ('recordStopError', 400, 'record stop error, please try again'),
    ],
)
def test_stop_server_side_errors(emulator, conference_sdk, code, status, message):
    emulator.add_conference('conf-1')
    emulator.add_faults({'api': 'cloudRecord.stop', 'kind': 'error', 'status': status, 'code': code, 'message': message})
    assert_sdk_error(sdk_error(stop, conference_sdk, 'conf-1', emulator.mint_token()), status, code, message)


def test_start(emulator, conference_sdk):
    # [start] unionId of the host, an optional mode and smallWindowPosition; success is code "200".
    emulator.add_conference('conf-1', cloud_record_status=0)
    answer = start(conference_sdk, 'conf-1', emulator.mint_token(), mode='speech', small_window_position='float_right')
    assert_parsed(conference_sdk, answer, conference_models.StartCloudRecordResponseBody)
    assert answer.body.code == '200'
    assert emulator.conference('conf-1')['cloud_record_status'] == 1


@pytest.mark.parametrize(
    'conference, options, status, code, message',
    [
        # [start] error table and its message patterns ("error:%s", "recordStartError:%s", "permissionError:%s");
        # what DingTalk puts into %s is not documented [A 17].
        ({'cloud_record_status': 0}, {'mode': 'cinema'}, 400, 'paramsError', 'error:'),
        ({'cloud_record_status': 1}, {}, 404, 'recordStartError', 'recordStartError:'),
        ({'cloud_record_status': 0}, {'union_id': 'not-the-host'}, 404, 'recordStartPermissionError', 'permissionError:'),
        ({'status': 1, 'cloud_record_status': 3}, {}, 400, 'roomClosed', 'the meeting has ended'),
    ],
)
def test_start_errors(emulator, conference_sdk, conference, options, status, code, message):
    emulator.add_conference('conf-1', **conference)
    error = sdk_error(start, conference_sdk, 'conf-1', emulator.mint_token(), **options)
    assert_sdk_error(error, status, code)
    assert error.data['message'].startswith(message)


# Creating and closing meetings (the tests' own set-up calls) ----------------------------------------


def test_create_and_close(emulator, conference_sdk):
    # The create answer (SDK model CreateVideoConferenceResponseBody) names the conference, its room code and link,
    # which the query then shows; [close] ends it, and closing it again is resourceClose.
    token = emulator.mint_token()
    created = create(conference_sdk, token)
    assert_parsed(conference_sdk, created, conference_models.CreateVideoConferenceResponseBody)
    info = query(conference_sdk, created.body.conference_id, token).body.conf_info
    assert (info.room_code, info.external_link_url, info.creator_id) == (created.body.room_code, created.body.external_link_url, HOST)
    closed = close(conference_sdk, created.body.conference_id, token)
    assert_parsed(conference_sdk, closed, conference_models.CloseVideoConferenceResponseBody)
    assert query(conference_sdk, created.body.conference_id, token).body.conf_info.status == 1
    assert_sdk_error(sdk_error(close, conference_sdk, created.body.conference_id, token), 400, 'resourceClose')


# Limits ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    'third_party, config, code',
    [
        # [errors] the per-second limit per app and API, and for a third-party app per authorising organisation.
        (False, {'qps_limit': 1}, 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi'),
        (True, {'qps_limit': 1}, 'Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi'),
        # [errors] the per-minute variants.
        (False, {'qpm_limit': 1}, 'Forbidden.AccessDenied.QpmLimitForAppkeyAndApi'),
        (True, {'qpm_limit': 1}, 'Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi'),
        # [errors] the limit of the API over every caller, and the organisation's monthly call quota.
        (False, {'api_qps_limit': 1}, 'Forbidden.AccessDenied.QpsLimitForApi'),
        (False, {'org_call_quota': 1}, 'Forbidden.AccessDenied.ApiCountLimitForOrg'),
    ],
)
def test_limits(emulator, conference_sdk, third_party, config, code):
    emulator.add_conference('conf-1')
    if third_party:
        emulator.post('/suites', SUITE)
        token = emulator.post('/tokens', {'suite_key': 'suite-key', 'corp_id': 'corp-1'})['access_token']
    else:
        token = emulator.mint_token()
    emulator.configure(**config)
    query(conference_sdk, 'conf-1', token)
    assert_sdk_error(sdk_error(query, conference_sdk, 'conf-1', token), 403, code)


def test_egress_ip_block_is_no_dingtalk_answer_the_sdk_can_read(emulator, conference_sdk):
    # [errors] more calls from one address than DingTalk allows block it for minutes, answered with an
    # HTML page, or with the anti-abuse body {"status": 1111, "wait": 5, ...} of public reports, not DingTalk's JSON.
    emulator.add_conference('conf-1')
    token = emulator.mint_token()
    emulator.configure(ip_call_limit=1, ip_block_answer='html')
    query(conference_sdk, 'conf-1', token)
    with pytest.raises(UnretryableException) as caught:  # the SDK cannot parse the page: no DingTalk code
        query(conference_sdk, 'conf-1', token)
    assert caught.value.code is None and not isinstance(caught.value.inner_exception, TeaException)
    emulator.configure(ip_block_answer='json')
    answer = stop(conference_sdk, 'conf-1', token)
    # The SDK takes the JSON body for an answer without any field it knows: nothing says the stop happened.
    assert answer.body.code is None and conference_sdk.raw_body['status'] == 1111
    assert emulator.conference('conf-1')['cloud_record_status'] == 1
