# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The organisation's ongoing conferences: listing every page, and querying each for its recording."""

from __future__ import annotations

import json

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils._auth import CredentialToken, StaticToken, SuiteCredentials
from ansible_collections.community.dingtalk.plugins.module_utils._client import Connection, DingTalkClient
from ansible_collections.community.dingtalk.plugins.module_utils._conference import (
    ListingError,
    get_conference_info,
    list_ongoing_conferences,
    org_conferences_info,
    shape_listed_conference,
    validate_listing_options,
)
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, InvalidOptionError
from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import RateLimiter
from ansible_collections.community.dingtalk.plugins.module_utils._results import result_of

START_MS = 1772443800000  # 2026-03-02T09:30:00Z
LIST_API = 'conference.listOrg'


def client_for(emulator, app_key='ding-app', **options):
    return DingTalkClient(Connection(api_url=emulator.url, sleep=lambda seconds: None, **options), StaticToken(emulator.mint_token(app_key)))


def add_conferences(emulator, count, prefix='org', **fields):
    ids = [f'{prefix}-{number:03d}' for number in range(count)]
    fields = dict({'status': 2, 'cloud_record_status': 0}, **fields)
    emulator.post('/seed', {'conferences': [dict(conference_id=conference_id, host_union_id=f'host-{conference_id}', **fields) for conference_id in ids]})
    return ids


def fake_page(emulator, body, times=None):
    rule = {'api': LIST_API, 'kind': 'raw', 'body': json.dumps(body)}
    if times is not None:
        rule['times'] = times
    emulator.add_faults(rule)


# Listing --------------------------------------------------------------------------


def test_every_page_is_followed_and_each_conference_shaped(emulator):
    emulator.add_conference(
        'first', title='Board meeting', start_time=START_MS, room_code='512345678', creator_nick='Li Lei', host_union_id='host-first', biz_type='3'
    )
    ids = ['first'] + add_conferences(emulator, 44)
    conferences = list_ongoing_conferences(client_for(emulator), page_size=20)
    assert [conference['conference_id'] for conference in conferences] == ids
    # The keys of a queried conference (shape_conference), those the list does not carry null.
    assert conferences[0] == {
        'conference_id': 'first',
        'title': 'Board meeting',
        'meeting_status': 2,
        'meeting_status_name': 'in_progress',
        'cloud_record_status': None,
        'cloud_record_status_name': None,
        'host_union_id': 'host-first',
        'host_nick': 'Li Lei',
        'cloud_record_owner_union_id': None,
        'start_time': '2026-03-02T09:30:00Z',
        'end_time': None,
        'active_participants': None,
        'room_code': '512345678',
        'external_link_url': None,
    }
    queried = get_conference_info(client_for(emulator), 'first')
    assert list(conferences[0]) == list(queried)
    # Conferences seeded without them carry the emulator's own room code and nick, as a real one always has.
    seeded = emulator.conference(ids[1])
    assert (conferences[1]['room_code'], conferences[1]['host_nick']) == (seeded['room_code'], seeded['creator_nick'])
    calls = emulator.requests_log(LIST_API)
    assert [call['query'].get('maxResults') for call in calls] == ['20', '20', '20']
    assert 'nextToken' not in calls[0]['query']
    # Each later page asks with the nextToken DingTalk gave for the one before, unchanged.
    assert [call['query']['nextToken'] for call in calls[1:]] == ['emunext-20', 'emunext-40']


def test_ended_conferences_and_other_organisations_are_not_listed(emulator):
    add_conferences(emulator, 3, prefix='ended', status=1)
    ongoing = add_conferences(emulator, 2, prefix='ongoing')
    add_conferences(emulator, 2, prefix='elsewhere', corp_id='corp-other')
    assert [conference['conference_id'] for conference in list_ongoing_conferences(client_for(emulator))] == ongoing


def test_an_empty_organisation_is_one_call(emulator):
    assert list_ongoing_conferences(client_for(emulator)) == []
    assert len(emulator.requests_log(LIST_API)) == 1


def test_a_third_party_app_lists_the_conferences_of_the_organisation_that_authorised_it(emulator):
    emulator.post('/suites', {'suite_key': 'suite-1', 'suite_secret': 'suite-secret', 'suite_ticket': 'ticket-1', 'corp_ids': ['corp-1', 'corp-2']})
    mine = add_conferences(emulator, 25, prefix='corp1', corp_id='corp-1')
    add_conferences(emulator, 3, prefix='corp2', corp_id='corp-2')
    add_conferences(emulator, 3, prefix='internal')
    connection = Connection(api_url=emulator.url, sleep=lambda seconds: None)
    client = DingTalkClient(connection, CredentialToken(connection, SuiteCredentials('suite-1', 'suite-secret', 'corp-1', 'ticket-1')))
    assert [conference['conference_id'] for conference in list_ongoing_conferences(client, page_size=10)] == mine
    assert {call['principal'] for call in emulator.requests_log(LIST_API)} == {'suite-1/corp-1'}


def test_a_conference_on_two_pages_is_listed_once(emulator):
    fake_page(emulator, {'hasMore': True, 'nextToken': 'page-2', 'onGoingConfList': [{'conferenceId': 'a'}, {'conferenceId': 'b'}]}, times=1)
    fake_page(emulator, {'hasMore': False, 'onGoingConfList': [{'conferenceId': 'b'}, {'conferenceId': 'c'}]}, times=1)
    assert [conference['conference_id'] for conference in list_ongoing_conferences(client_for(emulator))] == ['a', 'b', 'c']


def test_a_list_that_never_ends_stops_at_max_pages_naming_the_limit(emulator):
    add_conferences(emulator, 30)
    listed = []
    with pytest.raises(ListingError) as raised:
        list_ongoing_conferences(client_for(emulator), page_size=5, max_pages=3, listed=listed)
    assert 'max_pages=3' in str(raised.value)
    assert 'page_size=5' in str(raised.value)
    assert '15 conferences listed' in str(raised.value)
    assert len(listed) == 15
    assert len(emulator.requests_log(LIST_API)) == 3


def test_a_repeated_next_token_stops_the_listing_at_once(emulator):
    fake_page(emulator, {'hasMore': True, 'nextToken': 'same', 'onGoingConfList': [{'conferenceId': 'a'}]})
    with pytest.raises(ListingError, match='nextToken it had already given'):
        list_ongoing_conferences(client_for(emulator))
    assert len(emulator.requests_log(LIST_API)) == 2


@pytest.mark.parametrize('next_token', [None, '', '  ', 42])
def test_more_pages_without_a_next_token_fail(emulator, next_token):
    body = {'hasMore': True, 'onGoingConfList': [{'conferenceId': 'a'}]}
    if next_token is not None:
        body['nextToken'] = next_token
    fake_page(emulator, body)
    with pytest.raises(ListingError, match='gave no nextToken'):
        list_ongoing_conferences(client_for(emulator))
    assert len(emulator.requests_log(LIST_API)) == 1


@pytest.mark.parametrize(
    'body, message',
    [
        ({'hasMore': 'false', 'onGoingConfList': []}, "hasMore = 'false'"),
        ({'hasMore': False, 'onGoingConfList': {'conferenceId': 'a'}}, 'onGoingConfList that is not a list'),
        ({'hasMore': False, 'onGoingConfList': [{'title': 'no id'}]}, 'without a conferenceId'),
        ({'hasMore': False, 'onGoingConfList': ['a']}, 'without a conferenceId'),
    ],
)
def test_answers_that_cannot_be_followed_fail(emulator, body, message):
    fake_page(emulator, body)
    with pytest.raises(DingTalkError, match=message):
        list_ongoing_conferences(client_for(emulator))


def test_listed_fields_dingtalk_sends_in_other_forms():
    shaped = shape_listed_conference({'conferenceId': 12345, 'status': '0', 'startTime': 'soon', 'title': ''})
    assert {key: value for key, value in shaped.items() if value is not None} == {
        'conference_id': '12345',
        'meeting_status': 0,
        'meeting_status_name': 'initializing',
    }
    # A whole number sent as a float is the int, as in a queried conference.
    listed_as_float = shape_listed_conference({'conferenceId': 'a', 'status': 2.0})
    assert (listed_as_float['meeting_status'], type(listed_as_float['meeting_status']), listed_as_float['meeting_status_name']) == (2, int, 'in_progress')
    for unknown in (7, True, 2.5):
        shaped = shape_listed_conference({'conferenceId': 'a', 'status': unknown})
        assert (shaped['meeting_status'], shaped['meeting_status_name']) == (None, None)


@pytest.mark.parametrize(
    'page_size, max_pages, message',
    [
        (0, 10, 'page_size must be between 1 and 100, got 0'),
        (101, 10, 'page_size must be between 1 and 100, got 101'),
        (20, 0, 'max_pages must be at least 1, got 0'),
    ],
)
def test_bad_listing_options(page_size, max_pages, message):
    with pytest.raises(InvalidOptionError, match=message):
        validate_listing_options(page_size, max_pages)


# The module's result ----------------------------------------------------------------


def test_record_status_and_owner_of_each_conference(emulator):
    emulator.add_conference('recording', cloud_record_status=1, cloud_record_owner_union_id='owner-1')
    emulator.add_conference('paused', cloud_record_status=2, cloud_record_owner_union_id='owner-2')
    emulator.add_conference('idle', cloud_record_status=0)
    ids = add_conferences(emulator, 30)
    emulator.post('/seed', {'config': {'qps_limit': 0}})  # no throttling, so no retried query blurs the count
    client = client_for(emulator, rate_limiter=RateLimiter(500), pool_size=8)
    result = result_of(org_conferences_info, client, include_record_status=True, page_size=10, concurrency=8)
    assert 'failed' not in result
    assert result['changed'] is False
    by_id = {conference['conference_id']: conference for conference in result['conferences']}
    assert list(by_id) == ['recording', 'paused', 'idle'] + ids
    assert (by_id['recording']['cloud_record_status'], by_id['recording']['cloud_record_owner_union_id']) == (1, 'owner-1')
    assert by_id['recording']['cloud_record_status_name'] == 'recording'
    assert (by_id['paused']['cloud_record_status'], by_id['paused']['cloud_record_owner_union_id']) == (2, 'owner-2')
    assert (by_id['idle']['cloud_record_status'], by_id['idle']['cloud_record_owner_union_id']) == (0, None)
    queried = sorted(call['path'].rsplit('/', 1)[1] for call in emulator.requests_log('conference.get'))
    assert queried == sorted(by_id)


def test_without_record_status_only_the_list_is_called(emulator):
    add_conferences(emulator, 3)
    result = result_of(org_conferences_info, client_for(emulator))
    assert len(result['conferences']) == 3
    assert all(conference['cloud_record_status'] is None and conference['cloud_record_status_name'] is None for conference in result['conferences'])
    assert emulator.requests_log('conference.get') == []


def test_queries_stay_under_the_emulators_rate_limit(emulator):
    emulator.post('/seed', {'config': {'qps_limit': 5}})
    add_conferences(emulator, 12)
    client = client_for(emulator, rate_limiter=RateLimiter(4.5), pool_size=8)
    result = result_of(org_conferences_info, client, include_record_status=True, concurrency=8)
    assert 'failed' not in result
    assert all(call['status'] == 200 for call in emulator.requests_log())


def test_a_failed_query_fails_the_task_and_names_the_conference(emulator):
    ids = add_conferences(emulator, 4)
    emulator.add_faults({'api': 'conference.get', 'path_regex': ids[2], 'kind': 'error', 'status': 404, 'code': 'roomNotFound'})
    result = result_of(org_conferences_info, client_for(emulator), include_record_status=True)
    assert result['failed'] is True
    assert result['msg'].startswith('1 of 4 conference queries failed')
    assert f'{ids[2]}: DingTalk error roomNotFound' in result['msg']
    assert 'request id' in result['msg']
    assert [conference['cloud_record_status'] for conference in result['conferences']] == [0, 0, None, 0]


def test_without_the_read_permission_the_list_fails_naming_it(emulator):
    emulator.add_app('write-only', 'secret', permissions=['VideoConference.Conference.Write'])
    add_conferences(emulator, 2)
    result = result_of(org_conferences_info, client_for(emulator, 'write-only'))
    assert result['failed'] is True
    assert result['error_code'] == 'Forbidden.AccessDenied.AccessTokenPermissionDenied'
    assert 'required permission VideoConference.Conference.Read' in result['msg']
    assert result['request_id']
    assert result['conferences'] == []


def test_a_listing_limit_fails_with_the_conferences_listed_so_far(emulator):
    add_conferences(emulator, 12)
    result = result_of(org_conferences_info, client_for(emulator), page_size=5, max_pages=2)
    assert result['failed'] is True
    assert 'max_pages=2' in result['msg']
    assert len(result['conferences']) == 10
