# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils._client import DingTalkClient, DingTalkError, StaticToken
from ansible_collections.community.dingtalk.plugins.module_utils._cloud_record import CLOUD_RECORD_STATUS_NAMES, read_status, stop_recording


def client_for(emulator, app_key='ding-app'):
    return DingTalkClient(api_url=emulator.url, token_source=StaticToken(emulator.mint_token(app_key)), sleep=lambda seconds: None)


@pytest.mark.parametrize('meeting_status, record_status, changed, outcome, final_record_status', [
    (2, 1, True, 'stopped', 3),
    (2, 2, True, 'stopped', 3),
    (2, 0, False, 'not_recording', 0),
    (2, 3, False, 'not_recording', 3),
    (0, 0, False, 'not_recording', 0),
    (1, 3, False, 'meeting_ended', 3),
    (1, 1, False, 'meeting_ended', 1),
])
def test_stop_recording_decides_from_the_observed_state(emulator, meeting_status, record_status, changed, outcome, final_record_status):
    emulator.add_conference('conf-1', status=meeting_status, cloud_record_status=record_status)
    result = stop_recording(client_for(emulator), 'conf-1', 'host-union')
    assert (result['changed'], result['outcome']) == (changed, outcome)
    assert (result['meeting_status'], result['cloud_record_status']) == (meeting_status, record_status)
    assert emulator.conference('conf-1')['cloud_record_status'] == final_record_status
    assert len(emulator.requests_log('cloudRecord.stop')) == (1 if changed else 0)


def test_check_mode_only_reads(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)
    result = stop_recording(client_for(emulator), 'conf-1', 'host-union', check_mode=True)
    assert result['changed'] is True
    assert result['diff'] == {'before': {'meeting_status': 'in_progress', 'cloud_record_status': 'recording'},
                              'after': {'meeting_status': 'in_progress', 'cloud_record_status': 'finished'}}
    assert emulator.requests_log('cloudRecord.stop') == []
    assert emulator.conference('conf-1')['cloud_record_status'] == 1


def test_room_closed_during_stop_is_unchanged(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)
    emulator.add_faults({'api': 'cloudRecord.stop', 'kind': 'error', 'status': 400, 'code': 'roomClosed', 'times': 1})
    result = stop_recording(client_for(emulator), 'conf-1', 'host-union')
    assert (result['changed'], result['outcome']) == (False, 'meeting_ended')
    assert 'failed' not in result


def test_failure_is_reported_in_the_result(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)
    result = stop_recording(client_for(emulator), 'conf-1', 'guest-union')
    assert result['failed'] is True
    assert result['outcome'] == 'failed'
    assert result['error_code'] == 'recordStopPermissionError'
    assert result['cloud_record_status'] == 1
    assert 'recordStopPermissionError' in result['msg']


def test_without_read_permission_it_stops_and_warns(emulator):
    emulator.add_app('write-only', 'secret', permissions=['VideoConference.Conference.Write'])
    emulator.add_conference('conf-1', cloud_record_status=1)
    result = stop_recording(client_for(emulator, 'write-only'), 'conf-1', 'host-union')
    assert (result['changed'], result['outcome']) == (True, 'stopped')
    assert result['cloud_record_status'] is None
    assert len(result['warnings']) == 1
    assert emulator.conference('conf-1')['cloud_record_status'] == 3


@pytest.mark.parametrize('value, expected', [(1, 1), ('1', 1), (' 2 ', 2)])
def test_read_status_accepts_numbers(value, expected):
    assert read_status({'cloudRecordStatus': value}, 'cloudRecordStatus', CLOUD_RECORD_STATUS_NAMES) == expected


@pytest.mark.parametrize('value', [None, True, 7, 'recording', 1.5, [1]])
def test_read_status_refuses_anything_else(value):
    with pytest.raises(DingTalkError, match='confInfo.cloudRecordStatus'):
        read_status({'cloudRecordStatus': value}, 'cloudRecordStatus', CLOUD_RECORD_STATUS_NAMES)
