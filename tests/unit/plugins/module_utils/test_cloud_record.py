# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils._auth import StaticToken
from ansible_collections.community.dingtalk.plugins.module_utils._client import Connection, DingTalkClient
from ansible_collections.community.dingtalk.plugins.module_utils._cloud_record import (
    CLOUD_RECORD_STATUS_NAMES,
    MEETING_STATUS_NAMES,
    read_status,
    start_recording,
    stop_recording,
    validate_recording_options,
    validate_union_id,
)
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, InvalidOptionError
from ansible_collections.community.dingtalk.plugins.module_utils._results import result_of


def client_for(emulator, app_key='ding-app'):
    return DingTalkClient(Connection(api_url=emulator.url, sleep=lambda seconds: None), StaticToken(emulator.mint_token(app_key)))


@pytest.mark.parametrize(
    'meeting_status, record_status, changed, outcome, final_record_status',
    [
        (2, 1, True, 'stopped', 3),
        (2, 2, True, 'stopped', 3),
        (2, 0, False, 'not_recording', 0),
        (2, 3, False, 'not_recording', 3),
        (0, 0, False, 'not_recording', 0),
        (1, 3, False, 'meeting_ended', 3),
        (1, 1, False, 'meeting_ended', 1),
    ],
)
def test_stop_recording_decides_from_the_observed_state(emulator, meeting_status, record_status, changed, outcome, final_record_status):
    emulator.add_conference('conf-1', status=meeting_status, cloud_record_status=record_status)
    result = result_of(stop_recording, client_for(emulator), 'conf-1', 'host-union')
    assert (result['changed'], result['outcome']) == (changed, outcome)
    # The statuses returned are those after the task, as the emulator now holds them; the ones read before are kept apart.
    assert (result['meeting_status'], result['cloud_record_status']) == (meeting_status, final_record_status)
    assert (result['meeting_status_before'], result['cloud_record_status_before']) == (meeting_status, record_status)
    assert result['cloud_record_status_name'] == CLOUD_RECORD_STATUS_NAMES[final_record_status]
    assert result['cloud_record_status_before_name'] == CLOUD_RECORD_STATUS_NAMES[record_status]
    assert (result['meeting_status_name'], result['meeting_status_before_name']) == (MEETING_STATUS_NAMES[meeting_status],) * 2
    assert emulator.conference('conf-1')['cloud_record_status'] == final_record_status
    assert len(emulator.requests_log('cloudRecord.stop')) == (1 if changed else 0)


def test_check_mode_only_reads(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)
    result = result_of(stop_recording, client_for(emulator), 'conf-1', 'host-union', check_mode=True)
    assert result['changed'] is True
    # Predicted after, read before: the diff's words and the integers agree.
    assert (result['cloud_record_status'], result['cloud_record_status_name']) == (3, 'finished')
    assert (result['cloud_record_status_before'], result['cloud_record_status_before_name']) == (1, 'recording')
    assert result['diff'] == {
        'before': {'meeting_status': 'in_progress', 'cloud_record_status': 'recording'},
        'after': {'meeting_status': 'in_progress', 'cloud_record_status': 'finished'},
    }
    assert emulator.requests_log('cloudRecord.stop') == []
    assert emulator.conference('conf-1')['cloud_record_status'] == 1


def test_room_closed_during_stop_is_unchanged(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)
    emulator.add_faults({'api': 'cloudRecord.stop', 'kind': 'error', 'status': 400, 'code': 'roomClosed', 'times': 1})
    result = result_of(stop_recording, client_for(emulator), 'conf-1', 'host-union')
    assert (result['changed'], result['outcome']) == (False, 'meeting_ended')
    assert 'failed' not in result
    # DingTalk said the meeting is over; what became of the recording it did not say.
    assert (result['meeting_status'], result['meeting_status_name'], result['cloud_record_status']) == (1, 'ended', None)
    assert (result['meeting_status_before'], result['cloud_record_status_before']) == (2, 1)


def test_failure_is_reported_in_the_result(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)
    result = result_of(stop_recording, client_for(emulator), 'conf-1', 'guest-union')
    assert result['failed'] is True
    assert result['outcome'] == 'failed'
    assert result['error_code'] == 'recordStopPermissionError'
    assert (result['cloud_record_status'], result['cloud_record_status_before']) == (1, 1)
    assert 'recordStopPermissionError' in result['msg']


def test_without_read_permission_it_stops_and_warns(emulator):
    emulator.add_app('write-only', 'secret', permissions=['VideoConference.Conference.Write'])
    emulator.add_conference('conf-1', cloud_record_status=1)
    result = result_of(stop_recording, client_for(emulator, 'write-only'), 'conf-1', 'host-union')
    assert (result['changed'], result['outcome']) == (True, 'stopped')
    assert (result['cloud_record_status'], result['cloud_record_status_name'], result['cloud_record_status_before']) == (None, None, None)
    assert len(result['warnings']) == 1
    assert emulator.conference('conf-1')['cloud_record_status'] == 3


@pytest.mark.parametrize('value, expected', [(1, 1), ('1', 1), (' 2 ', 2)])
def test_read_status_accepts_numbers(value, expected):
    assert read_status({'cloudRecordStatus': value}, 'cloudRecordStatus', CLOUD_RECORD_STATUS_NAMES) == expected


@pytest.mark.parametrize('value', [None, True, 7, 'recording', 1.5, [1]])
def test_read_status_refuses_anything_else(value):
    with pytest.raises(DingTalkError, match='confInfo.cloudRecordStatus'):
        read_status({'cloudRecordStatus': value}, 'cloudRecordStatus', CLOUD_RECORD_STATUS_NAMES)


# Starting ---------------------------------------------------------------------


def start_calls(emulator):
    return emulator.requests_log('cloudRecord.start')


@pytest.mark.parametrize(
    'meeting_status, record_status, changed, failed, outcome, final_record_status',
    [
        (2, 0, True, False, 'started', 1),
        (2, 3, True, False, 'started', 1),
        (0, 0, True, False, 'started', 1),
        (2, 1, False, False, 'already_recording', 1),
        (2, 2, False, True, 'paused', 2),
        (1, 3, False, True, 'meeting_ended', 3),
        (1, 0, False, True, 'meeting_ended', 0),
    ],
)
def test_start_recording_decides_from_the_observed_state(emulator, meeting_status, record_status, changed, failed, outcome, final_record_status):
    emulator.add_conference('conf-1', status=meeting_status, cloud_record_status=record_status)
    result = result_of(start_recording, client_for(emulator), 'conf-1', 'host-union')
    assert (result['changed'], result.get('failed', False), result['outcome']) == (changed, failed, outcome)
    assert (result['meeting_status'], result['cloud_record_status']) == (meeting_status, final_record_status)
    assert (result['meeting_status_before'], result['cloud_record_status_before']) == (meeting_status, record_status)
    assert (result['cloud_record_status_name'], result['cloud_record_status_before_name']) == (
        CLOUD_RECORD_STATUS_NAMES[final_record_status],
        CLOUD_RECORD_STATUS_NAMES[record_status],
    )
    assert emulator.conference('conf-1')['cloud_record_status'] == final_record_status
    assert len(start_calls(emulator)) == (1 if changed else 0)
    assert result['warnings'] == []


def test_start_in_an_ended_meeting_fails_clearly_without_a_call(emulator):
    emulator.add_conference('conf-1', status=1, cloud_record_status=3)
    result = result_of(start_recording, client_for(emulator), 'conf-1', 'host-union')
    assert result['failed'] is True
    assert 'conf-1 has ended' in result['msg']
    assert 'cannot be started' in result['msg']
    assert (result['error_code'], result['http_status'], result['request_id']) == (None, None, None)
    assert start_calls(emulator) == []


def test_start_while_paused_fails_and_says_to_resume_in_the_client(emulator):
    emulator.add_conference('conf-1', status=2, cloud_record_status=2)
    result = result_of(start_recording, client_for(emulator), 'conf-1', 'host-union', mode='grid')
    assert result['failed'] is True
    assert result['outcome'] == 'paused'
    assert result['changed'] is False
    assert 'paused' in result['msg']
    assert 'resume the recording in the DingTalk client' in result['msg']
    assert 'state=stopped' in result['msg']
    assert result['diff']['before'] == result['diff']['after']
    assert start_calls(emulator) == []


def test_start_check_mode_only_reads_and_predicts(emulator):
    emulator.add_conference('conf-1', cloud_record_status=0)
    result = result_of(start_recording, client_for(emulator), 'conf-1', 'host-union', mode='speech', check_mode=True)
    assert (result['changed'], result['outcome']) == (True, 'started')
    assert result['diff'] == {
        'before': {'meeting_status': 'in_progress', 'cloud_record_status': 'not_recording'},
        'after': {'meeting_status': 'in_progress', 'cloud_record_status': 'recording'},
    }
    assert start_calls(emulator) == []
    assert emulator.conference('conf-1')['cloud_record_status'] == 0


@pytest.mark.parametrize('record_status, outcome', [(1, 'already_recording'), (2, 'paused')])
def test_start_check_mode_predicts_no_change_and_failures(emulator, record_status, outcome):
    emulator.add_conference('conf-1', cloud_record_status=record_status)
    result = result_of(start_recording, client_for(emulator), 'conf-1', 'host-union', check_mode=True)
    assert (result['changed'], result['outcome']) == (False, outcome)
    assert start_calls(emulator) == []


@pytest.mark.parametrize(
    'options, body',
    [
        ({}, {'unionId': 'host-union'}),
        ({'mode': 'speech'}, {'unionId': 'host-union', 'mode': 'speech'}),
        ({'small_window_position': 'float_bottom'}, {'unionId': 'host-union', 'smallWindowPosition': 'float_bottom'}),
        (
            {'mode': 'full_screen', 'small_window_position': 'relative_right'},
            {'unionId': 'host-union', 'mode': 'full_screen', 'smallWindowPosition': 'relative_right'},
        ),
    ],
)
def test_start_call_body_holds_the_optional_fields_only_when_given(emulator, options, body):
    emulator.add_conference('conf-1', cloud_record_status=0)
    result = result_of(start_recording, client_for(emulator), 'conf-1', 'host-union', **options)
    assert result['changed'] is True
    calls = start_calls(emulator)
    assert [call['body'] for call in calls] == [body]
    assert calls[0]['path'] == '/v1.0/conference/videoConferences/conf-1/cloudRecords/start'
    conference = emulator.conference('conf-1')
    assert (conference['record_mode'], conference['small_window_position']) == (options.get('mode'), options.get('small_window_position'))
    assert conference['cloud_record_owner_union_id'] == 'host-union'


def test_start_by_someone_not_the_host_fails_naming_the_host(emulator):
    emulator.add_conference('conf-1', cloud_record_status=0, host_union_id='host-a')
    result = result_of(start_recording, client_for(emulator), 'conf-1', 'guest-union')
    assert result['failed'] is True
    assert result['outcome'] == 'failed'
    assert (result['error_code'], result['http_status']) == ('recordStartPermissionError', 404)
    assert result['msg'].startswith(
        "DingTalk refused to start a recording of conference conf-1 as guest-union (union_id): only the meeting's host may, "
        'and the conference names host-a as its host (creatorId). Pass that unionId as union_id. DingTalk error recordStartPermissionError'
    )
    assert (result['cloud_record_status'], result['cloud_record_status_before']) == (0, 0)
    assert len(start_calls(emulator)) == 1


def test_a_stop_as_someone_not_the_host_fails_naming_the_host(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1, host_union_id='host-a', cloud_record_owner_union_id='host-a')
    result = result_of(stop_recording, client_for(emulator), 'conf-1', 'guest-union')
    assert (result['failed'], result['outcome'], result['error_code']) == (True, 'failed', 'recordStopPermissionError')
    assert result['msg'].startswith(
        "DingTalk refused to stop the recording of conference conf-1 as guest-union (union_id): only the meeting's host may, "
        'and the conference names host-a as its host (creatorId). Pass that unionId as union_id. DingTalk error recordStopPermissionError: '
        "you can't operator, please contact meeting manager"
    )
    assert len(stop_calls(emulator)) == 1
    assert emulator.conference('conf-1')['cloud_record_status'] == 1


def test_a_refused_stop_without_the_read_permission_has_only_dingtalks_message(emulator):
    emulator.add_app('write-only', 'secret', permissions=['VideoConference.Conference.Write'])
    emulator.add_conference('conf-1', cloud_record_status=1, host_union_id='host-a')
    result = result_of(stop_recording, client_for(emulator, 'write-only'), 'conf-1', 'guest-union')
    assert result['msg'].startswith('DingTalk error recordStopPermissionError')  # nobody was read to name
    assert 'host-a' not in result['msg']


def test_a_stop_whose_answer_was_lost_does_not_claim_the_state_after(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)
    emulator.add_faults(
        {'api': 'cloudRecord.stop', 'kind': 'drop', 'times': 1}, {'api': 'cloudRecord.stop', 'kind': 'error', 'status': 500, 'code': 'systemError'}
    )
    result = result_of(stop_recording, client_for(emulator), 'conf-1', 'host-union')
    assert (result['failed'], result['outcome']) == (True, 'failed')
    assert 'may have carried it out' in result['msg']
    assert (result['cloud_record_status'], result['cloud_record_status_before']) == (None, 1)


@pytest.mark.parametrize('status, code', [(404, 'recordStartError'), (400, 'paramsError'), (404, 'recordStartPermissionError')])
def test_start_errors_fail_with_their_code_and_are_not_retried(emulator, status, code):
    emulator.add_conference('conf-1', cloud_record_status=0)
    emulator.add_faults({'api': 'cloudRecord.start', 'kind': 'error', 'status': status, 'code': code})
    result = result_of(start_recording, client_for(emulator), 'conf-1', 'host-union')
    assert result['failed'] is True
    assert (result['outcome'], result['error_code'], result['http_status']) == ('failed', code, status)
    assert code in result['msg']
    assert len(start_calls(emulator)) == 1


def test_transient_start_errors_are_retried(emulator):
    emulator.add_conference('conf-1', cloud_record_status=0)
    emulator.add_faults({'api': 'cloudRecord.start', 'kind': 'error', 'status': 500, 'code': 'systemError', 'times': 2})
    result = result_of(start_recording, client_for(emulator), 'conf-1', 'host-union')
    assert (result['changed'], result['outcome']) == (True, 'started')
    assert [call['status'] for call in start_calls(emulator)] == [500, 500, 200]


def test_room_closed_during_start_fails_as_meeting_ended(emulator):
    emulator.add_conference('conf-1', cloud_record_status=0)
    emulator.add_faults({'api': 'cloudRecord.start', 'kind': 'error', 'status': 400, 'code': 'roomClosed', 'times': 1})
    result = result_of(start_recording, client_for(emulator), 'conf-1', 'host-union')
    assert result['failed'] is True
    assert result['outcome'] == 'meeting_ended'
    assert result['error_code'] == 'roomClosed'
    assert 'conf-1 has ended' in result['msg']
    assert 'roomClosed' in result['msg']
    assert 'diff' not in result


@pytest.fixture
def write_only_client(emulator):
    emulator.add_app('write-only', 'secret', permissions=['VideoConference.Conference.Write'])
    return client_for(emulator, 'write-only')


@pytest.mark.parametrize(
    'meeting_status, record_status, changed, failed, outcome, error_code',
    [
        (2, 0, True, False, 'started', None),
        (2, 1, False, False, 'already_recording', None),
        (2, 2, False, False, 'already_recording', None),  # indistinguishable without the read permission: the warning says so
        (1, 3, False, True, 'meeting_ended', 'roomClosed'),
    ],
)
def test_without_read_permission_it_starts_and_interprets_the_answer(
    emulator, write_only_client, meeting_status, record_status, changed, failed, outcome, error_code
):
    emulator.add_conference('conf-1', status=meeting_status, cloud_record_status=record_status)
    result = result_of(start_recording, write_only_client, 'conf-1', 'host-union')
    assert (result['changed'], result.get('failed', False), result['outcome']) == (changed, failed, outcome)
    assert result.get('error_code') == error_code
    assert (result['meeting_status_before'], result['cloud_record_status_before']) == (None, None)
    # Only what DingTalk's answer tells is known after: a start it accepted records, a roomClosed ends the meeting.
    assert (result['meeting_status'], result['cloud_record_status']) == {'started': (None, 1), 'meeting_ended': (1, None)}.get(outcome, (None, None))
    assert len(result['warnings']) == 1
    assert 'VideoConference.Conference.Read' in result['warnings'][0]
    assert 'paused' in result['warnings'][0]
    assert len(start_calls(emulator)) == 1


def test_without_read_permission_check_mode_predicts_a_start(emulator, write_only_client):
    emulator.add_conference('conf-1', cloud_record_status=1)
    result = result_of(start_recording, write_only_client, 'conf-1', 'host-union', check_mode=True)
    assert (result['changed'], result['outcome']) == (True, 'started')
    assert len(result['warnings']) == 1
    assert start_calls(emulator) == []


@pytest.mark.parametrize(
    'state, mode, position',
    [
        ('started', None, None),
        ('started', 'grid', 'float_right'),
        ('stopped', None, None),
    ],
)
def test_valid_recording_options(state, mode, position):
    validate_recording_options(state, mode, position)


@pytest.mark.parametrize(
    'state, mode, position, message',
    [
        ('stopped', 'grid', None, 'mode applies only to state=started'),
        ('stopped', None, 'float_right', 'small_window_position applies only to state=started'),
        ('stopped', 'grid', 'float_right', 'mode and small_window_position apply only to state=started'),
        ('started', 'mosaic', None, 'mode must be one of grid, speech, full_screen'),
        ('started', None, 'left', 'small_window_position must be one of relative_right, float_right, float_bottom'),
    ],
)
def test_invalid_recording_options(state, mode, position, message):
    with pytest.raises(InvalidOptionError, match=message):
        validate_recording_options(state, mode, position)


# Stopping as the recording's owner (no union_id) ---------------------------------------


def stop_calls(emulator):
    return emulator.requests_log('cloudRecord.stop')


@pytest.mark.parametrize('record_status', [1, 2])
def test_without_union_id_the_recording_is_stopped_as_its_owner(emulator, record_status):
    emulator.add_conference('conf-1', cloud_record_status=record_status, host_union_id='host-a', cloud_record_owner_union_id='host-a')
    result = result_of(stop_recording, client_for(emulator), 'conf-1')
    assert (result['changed'], result['outcome'], result['union_id']) == (True, 'stopped', 'host-a')
    assert [call['body'] for call in stop_calls(emulator)] == [{'unionId': 'host-a'}]
    assert emulator.conference('conf-1')['cloud_record_status'] == 3


def test_a_given_union_id_is_used_whoever_owns_the_recording(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1, host_union_id='host-b', cloud_record_owner_union_id='host-a')
    result = result_of(stop_recording, client_for(emulator), 'conf-1', 'host-b')
    assert (result['outcome'], result['union_id']) == ('stopped', 'host-b')
    assert [call['body'] for call in stop_calls(emulator)] == [{'unionId': 'host-b'}]


def test_without_union_id_check_mode_predicts_the_owner_and_stops_nothing(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1, host_union_id='host-a', cloud_record_owner_union_id='host-a')
    result = result_of(stop_recording, client_for(emulator), 'conf-1', check_mode=True)
    assert (result['changed'], result['outcome'], result['union_id']) == (True, 'stopped', 'host-a')
    assert stop_calls(emulator) == []
    assert emulator.conference('conf-1')['cloud_record_status'] == 1


@pytest.mark.parametrize('meeting_status, record_status, outcome', [(2, 0, 'not_recording'), (2, 3, 'not_recording'), (1, 1, 'meeting_ended')])
def test_without_union_id_nothing_to_stop_needs_no_owner(emulator, meeting_status, record_status, outcome):
    emulator.add_conference('conf-1', status=meeting_status, cloud_record_status=record_status)
    result = result_of(stop_recording, client_for(emulator), 'conf-1')
    assert (result['changed'], result['outcome'], result['union_id']) == (False, outcome, None)
    assert 'failed' not in result
    assert stop_calls(emulator) == []


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_recording_without_an_owner_needs_union_id(emulator, check_mode):
    emulator.add_conference('conf-1', cloud_record_status=1)
    result = result_of(stop_recording, client_for(emulator), 'conf-1', check_mode=check_mode)
    assert (result['failed'], result['changed'], result['outcome']) == (True, False, 'owner_unknown')
    assert 'names no owner of the recording of conference conf-1' in result['msg']
    assert 'union_id is required' in result['msg']
    assert result['error_code'] is None
    assert stop_calls(emulator) == []


@pytest.mark.parametrize('check_mode', [False, True])
def test_without_read_permission_union_id_is_required(emulator, check_mode):
    emulator.add_app('write-only', 'secret', permissions=['VideoConference.Conference.Write'])
    emulator.add_conference('conf-1', cloud_record_status=1, cloud_record_owner_union_id='host-union')
    result = result_of(stop_recording, client_for(emulator, 'write-only'), 'conf-1', check_mode=check_mode)
    assert (result['failed'], result['outcome'], result['union_id']) == (True, 'owner_unknown', None)
    assert 'VideoConference.Conference.Read' in result['msg']
    assert 'union_id is required' in result['msg']
    assert result['warnings'] == []  # the warning about inexact reporting would not apply: nothing was done
    assert stop_calls(emulator) == []
    assert emulator.conference('conf-1')['cloud_record_status'] == 1


def test_an_owner_who_no_longer_hosts_is_named_and_the_current_host_suggested(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1, host_union_id='host-a', cloud_record_owner_union_id='host-a')
    emulator.patch_conference('conf-1', host_union_id='host-b')  # the host role was handed on during the meeting
    result = result_of(stop_recording, client_for(emulator), 'conf-1')
    assert (result['failed'], result['outcome'], result['error_code']) == (True, 'failed', 'recordStopPermissionError')
    assert result['msg'].startswith('The recording of conference conf-1 was stopped as its owner, host-a (cloudRecordOwnerUnionId), and DingTalk refused')
    assert "Pass the current host's unionId as union_id (the meeting's creator is host-b, if they still host it)." in result['msg']
    assert 'DingTalk error recordStopPermissionError' in result['msg']
    assert 'request id' in result['msg']
    assert len(stop_calls(emulator)) == 1


def test_union_id_is_required_to_start():
    validate_union_id('stopped', None)
    validate_union_id('started', 'host-union')
    with pytest.raises(InvalidOptionError, match='union_id is required with state=started'):
        validate_union_id('started', None)
