# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import time

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils._auth import StaticToken
from ansible_collections.community.dingtalk.plugins.module_utils._client import Connection, DingTalkClient
from ansible_collections.community.dingtalk.plugins.module_utils._conference import (
    conference_info,
    iso_utc_from_ms,
    shape_conference,
    validate_wait_options,
)
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, InvalidOptionError
from ansible_collections.community.dingtalk.plugins.module_utils._results import result_of
from ansible_collections.community.dingtalk.tests.unit.fake_time import FakeTime

# 2026-03-02T09:30:00Z and 2026-03-02T10:45:12.345Z in milliseconds since the epoch.
START_MS = 1772443800000
END_MS = 1772448312345


def client_for(emulator, app_key='ding-app'):
    return DingTalkClient(Connection(api_url=emulator.url, sleep=lambda seconds: None), StaticToken(emulator.mint_token(app_key)))


def queries(emulator):
    return emulator.requests_log('conference.get')


# Shaping ----------------------------------------------------------------------


def test_a_running_meeting_is_shaped_with_snake_case_keys(emulator):
    emulator.add_conference(
        'conf-1',
        status=2,
        cloud_record_status=1,
        title='Weekly review',
        start_time=START_MS,
        active_num=7,
        cloud_record_owner_union_id='host-union',
        creator_nick='Li Lei',
        room_code='512345678',
        external_link_url='https://meeting.dingtalk.com/j/abcdef',
    )
    result = result_of(conference_info, client_for(emulator), 'conf-1')
    assert 'failed' not in result
    assert result['changed'] is False
    assert result['conference'] == {
        'conference_id': 'conf-1',
        'title': 'Weekly review',
        'meeting_status': 2,
        'meeting_status_name': 'in_progress',
        'cloud_record_status': 1,
        'cloud_record_status_name': 'recording',
        'host_union_id': 'host-union',
        'host_nick': 'Li Lei',
        'cloud_record_owner_union_id': 'host-union',
        'start_time': '2026-03-02T09:30:00Z',
        'end_time': None,
        'active_participants': 7,
        'room_code': '512345678',
        'external_link_url': 'https://meeting.dingtalk.com/j/abcdef',
    }
    assert 0 <= result['waited'] < 5
    assert len(queries(emulator)) == 1


def test_an_ended_meeting_has_an_end_time(emulator):
    emulator.add_conference('conf-1', status=1, cloud_record_status=3, start_time=START_MS, end_time=END_MS)
    conference = result_of(conference_info, client_for(emulator), 'conf-1')['conference']
    assert (conference['meeting_status_name'], conference['cloud_record_status_name']) == ('ended', 'finished')
    assert (conference['start_time'], conference['end_time']) == ('2026-03-02T09:30:00Z', '2026-03-02T10:45:12Z')


def test_every_optional_field_dingtalk_may_send_is_kept():
    conference = shape_conference(
        {
            'conferenceId': 'conf-9',
            'title': 'All hands',
            'status': '0',
            'cloudRecordStatus': 2,
            'creatorId': 'u-1',
            'creatorNick': 'Li Lei',
            'cloudRecordOwnerUnionId': 'u-2',
            'startTime': str(START_MS),
            'activeNum': '3',
            'roomCode': 512345678,
            'externalLinkUrl': 'https://meeting.dingtalk.com/j/x',
            'unknownKey': 'ignored',
        },
        'requested-id',
    )
    assert conference == {
        'conference_id': 'conf-9',
        'title': 'All hands',
        'meeting_status': 0,
        'meeting_status_name': 'initializing',
        'cloud_record_status': 2,
        'cloud_record_status_name': 'paused',
        'host_union_id': 'u-1',
        'host_nick': 'Li Lei',
        'cloud_record_owner_union_id': 'u-2',
        'start_time': '2026-03-02T09:30:00Z',
        'end_time': None,
        'active_participants': 3,
        'room_code': '512345678',
        'external_link_url': 'https://meeting.dingtalk.com/j/x',
    }


def test_missing_optional_fields_are_none():
    conference = shape_conference({'status': 2, 'cloudRecordStatus': 0}, 'requested-id')
    assert conference['conference_id'] == 'requested-id'
    assert [key for key, value in conference.items() if value is None] == [
        'title',
        'host_union_id',
        'host_nick',
        'cloud_record_owner_union_id',
        'start_time',
        'end_time',
        'active_participants',
        'room_code',
        'external_link_url',
    ]


@pytest.mark.parametrize('conf_info', [{'cloudRecordStatus': 0}, {'status': 2}, {'status': 5, 'cloudRecordStatus': 0}])
def test_missing_or_unknown_statuses_are_refused(conf_info):
    with pytest.raises(DingTalkError, match='confInfo'):
        shape_conference(conf_info, 'conf-1')


@pytest.mark.parametrize(
    'value, expected',
    [
        (0, '1970-01-01T00:00:00Z'),
        (START_MS, '2026-03-02T09:30:00Z'),
        (END_MS, '2026-03-02T10:45:12Z'),
        (float(START_MS), '2026-03-02T09:30:00Z'),
        (f' {START_MS} ', '2026-03-02T09:30:00Z'),
        (None, None),
        (-1, None),
        (True, None),
        ('yesterday', None),
        ([START_MS], None),
        (10**30, None),
        (float('nan'), None),
    ],
)
def test_iso_utc_from_ms(value, expected):
    assert iso_utc_from_ms(value) == expected


def test_a_missing_room_fails_naming_the_conference(emulator):
    result = result_of(conference_info, client_for(emulator), 'conf-nowhere')
    assert result['failed'] is True
    assert result['conference'] is None
    assert (result['error_code'], result['http_status']) == ('roomNotFound', 404)
    assert 'Conference conf-nowhere was not found' in result['msg']
    assert 'roomNotFound' in result['msg']


def test_an_app_without_read_permission_fails_naming_the_permission(emulator):
    emulator.add_app('write-only', 'secret', permissions=['VideoConference.Conference.Write'])
    emulator.add_conference('conf-1')
    result = result_of(conference_info, client_for(emulator, 'write-only'), 'conf-1')
    assert result['failed'] is True
    assert result['error_code'] == 'Forbidden.AccessDenied.AccessTokenPermissionDenied'
    assert 'VideoConference.Conference.Read' in result['msg']


# Waiting ----------------------------------------------------------------------


def test_wait_for_a_state_already_reached_returns_after_one_query(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)
    fake = FakeTime()
    result = result_of(conference_info, client_for(emulator), 'conf-1', wait_for='recording', sleep=fake.sleep, clock=fake.clock)
    assert 'failed' not in result
    assert result['waited'] == 0.0
    assert fake.sleeps == []
    assert len(queries(emulator)) == 1


def test_wait_for_ended_polls_until_the_meeting_ends(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)

    def end_after_second_sleep(sleeps):
        if sleeps == 2:
            emulator.patch_conference('conf-1', status=1)

    fake = FakeTime(on_sleep=end_after_second_sleep)
    result = result_of(conference_info, client_for(emulator), 'conf-1', wait_for='ended', wait_timeout=60, poll_interval=5, sleep=fake.sleep, clock=fake.clock)
    assert 'failed' not in result
    assert fake.sleeps == [5, 5]
    assert result['waited'] == 10.0
    assert result['conference']['meeting_status_name'] == 'ended'
    assert result['conference']['cloud_record_status_name'] == 'finished'
    assert result['conference']['end_time'] is not None
    assert len(queries(emulator)) == 3


def test_wait_times_out_with_the_last_state(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)
    fake = FakeTime()
    result = result_of(conference_info, client_for(emulator), 'conf-1', wait_for='ended', wait_timeout=12, poll_interval=5, sleep=fake.sleep, clock=fake.clock)
    assert result['failed'] is True
    # The last sleep is cut short so that the last query happens at the deadline.
    assert fake.sleeps == [5, 5, 2]
    assert len(queries(emulator)) == 4
    assert result['waited'] == 12.0
    assert result['conference']['meeting_status_name'] == 'in_progress'
    assert 'error_code' not in result
    for text in (
        'Timed out after 12.0 seconds',
        'wait_timeout=12',
        'conference conf-1 to end',
        'wait_for=ended',
        'last observed: meeting in_progress, cloud recording recording',
    ):
        assert text in result['msg']


@pytest.mark.parametrize('record_status, satisfied', [(0, True), (3, True), (1, False), (2, False)])
def test_not_recording_means_nothing_running_or_paused(emulator, record_status, satisfied):
    emulator.add_conference('conf-1', cloud_record_status=record_status)
    fake = FakeTime()
    result = result_of(
        conference_info, client_for(emulator), 'conf-1', wait_for='not_recording', wait_timeout=1, poll_interval=5, sleep=fake.sleep, clock=fake.clock
    )
    assert result.get('failed', False) is not satisfied
    assert fake.sleeps == ([] if satisfied else [1])


def test_waiting_for_a_recording_in_an_ended_meeting_fails_at_once(emulator):
    emulator.add_conference('conf-1', status=1, cloud_record_status=3)
    fake = FakeTime()
    result = result_of(conference_info, client_for(emulator), 'conf-1', wait_for='recording', sleep=fake.sleep, clock=fake.clock)
    assert result['failed'] is True
    assert 'conf-1 has ended' in result['msg']
    assert fake.sleeps == []


def test_an_error_while_waiting_ends_the_wait(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)

    def delete_room(sleeps):
        emulator.add_faults({'api': 'conference.get', 'kind': 'error', 'status': 404, 'code': 'roomNotFound'})

    fake = FakeTime(on_sleep=delete_room)
    result = result_of(conference_info, client_for(emulator), 'conf-1', wait_for='ended', poll_interval=5, sleep=fake.sleep, clock=fake.clock)
    assert result['failed'] is True
    assert result['error_code'] == 'roomNotFound'
    assert result['waited'] == 5.0
    assert result['conference']['meeting_status_name'] == 'in_progress'  # the last state read


def test_wait_with_the_real_clock_until_a_scheduled_end(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1, end_in_seconds=0.3)
    began = time.monotonic()
    result = result_of(conference_info, client_for(emulator), 'conf-1', wait_for='ended', wait_timeout=10, poll_interval=0.1)
    assert 'failed' not in result
    assert result['conference']['meeting_status_name'] == 'ended'
    assert 0.25 <= result['waited'] <= time.monotonic() - began < 5


@pytest.mark.parametrize('wait_for, wait_timeout, poll_interval', [(None, 300, 5), ('ended', 1, 1), ('not_recording', 0.5, 0.1)])
def test_valid_wait_options(wait_for, wait_timeout, poll_interval):
    validate_wait_options(wait_for, wait_timeout, poll_interval)


@pytest.mark.parametrize(
    'wait_for, wait_timeout, poll_interval, message',
    [
        ('finished', 300, 5, 'wait_for must be one of ended, not_recording, recording'),
        ('ended', 0, 5, 'wait_timeout must be greater than 0'),
        ('ended', -3, 5, 'wait_timeout must be greater than 0'),
        (None, 300, 0, 'poll_interval must be greater than 0'),
        (None, 300, -1, 'poll_interval must be greater than 0'),
    ],
)
def test_invalid_wait_options(wait_for, wait_timeout, poll_interval, message):
    with pytest.raises(InvalidOptionError, match=message):
        validate_wait_options(wait_for, wait_timeout, poll_interval)
