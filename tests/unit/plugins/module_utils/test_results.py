# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The engine's records and refusals, and the one boundary that turns them into a task's result."""

from __future__ import annotations

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils._auth import StaticToken
from ansible_collections.community.dingtalk.plugins.module_utils._client import Connection, DingTalkClient
from ansible_collections.community.dingtalk.plugins.module_utils._cloud_record import (
    RecordingDiff,
    RecordingOutcome,
    RecordingState,
    start_recording,
    stop_recording,
)
from ansible_collections.community.dingtalk.plugins.module_utils._conference import ConferenceOutcome, conference_info
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, Refusal
from ansible_collections.community.dingtalk.plugins.module_utils._results import conference_result, failure_result, outcome_result
from ansible_collections.community.dingtalk.tests.unit.fake_time import FakeTime


def client_for(emulator):
    return DingTalkClient(Connection(api_url=emulator.url, sleep=lambda seconds: None), StaticToken(emulator.mint_token()))


def test_a_stop_returns_an_immutable_record_of_what_it_saw_and_did(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)
    outcome = stop_recording(client_for(emulator), 'conf-1', 'host-union')
    assert outcome == RecordingOutcome(
        conference_id='conf-1',
        outcome='stopped',
        changed=True,
        meeting_status=2,
        meeting_status_name='in_progress',
        cloud_record_status=3,
        cloud_record_status_name='finished',
        meeting_status_before=2,
        meeting_status_before_name='in_progress',
        cloud_record_status_before=1,
        cloud_record_status_before_name='recording',
        union_id='host-union',
        diff=RecordingDiff(RecordingState('in_progress', 'recording'), RecordingState('in_progress', 'finished')),
        warnings=(),
    )
    with pytest.raises(AttributeError):
        outcome.changed = False


def test_start_and_stop_read_the_same_way_and_decide_apart(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)
    started = start_recording(client_for(emulator), 'conf-1', 'host-union')
    stopped = stop_recording(client_for(emulator), 'conf-1', 'host-union', check_mode=True)
    assert (started.outcome, started.changed, started.diff) == ('already_recording', False, stopped.diff._replace(after=stopped.diff.before))
    assert (stopped.outcome, stopped.changed) == ('stopped', True)


def test_a_refused_start_carries_what_was_observed(emulator):
    emulator.add_conference('conf-1', status=1, cloud_record_status=3)
    with pytest.raises(Refusal) as refused:
        start_recording(client_for(emulator), 'conf-1', 'host-union')
    assert refused.value.error is None
    assert (refused.value.outcome.outcome, refused.value.outcome.meeting_status) == ('meeting_ended', 1)
    assert emulator.requests_log('cloudRecord.start') == []


def test_a_failed_call_is_a_refusal_with_the_dingtalk_error(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)
    with pytest.raises(Refusal) as refused:
        stop_recording(client_for(emulator), 'conf-1', 'guest-union')
    assert refused.value.error.code == 'recordStopPermissionError'
    assert refused.value.outcome.outcome == 'failed'
    # Nothing changed: the states after are those read before.
    assert (refused.value.outcome.cloud_record_status, refused.value.outcome.cloud_record_status_before) == (1, 1)
    assert refused.value.message.endswith(refused.value.error.describe())
    assert 'host-union' in refused.value.message  # the host the conference names, to pass instead


def test_a_wait_that_times_out_is_refused_without_error_fields(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)
    fake = FakeTime()
    with pytest.raises(Refusal) as refused:
        conference_info(client_for(emulator), 'conf-1', wait_for='not_recording', wait_timeout=1, poll_interval=5, sleep=fake.sleep, clock=fake.clock)
    assert isinstance(refused.value.outcome, ConferenceOutcome)
    result = failure_result(refused.value)
    assert result['failed'] is True and result['msg'].startswith('Timed out after')
    assert 'error_code' not in result
    assert result['conference']['conference_id'] == 'conf-1'


def test_the_boundary_shapes_records_as_ansible_returns_data():
    state = RecordingState('in_progress', 'recording')
    record = RecordingOutcome('conf-1', 'not_recording', warnings=('w',))
    assert outcome_result(record) == {
        'conference_id': 'conf-1',
        'outcome': 'not_recording',
        'changed': False,
        'meeting_status': None,
        'meeting_status_name': None,
        'cloud_record_status': None,
        'cloud_record_status_name': None,
        'meeting_status_before': None,
        'meeting_status_before_name': None,
        'cloud_record_status_before': None,
        'cloud_record_status_before_name': None,
        'union_id': None,
        'warnings': ['w'],
    }
    with_diff = outcome_result(record._replace(diff=RecordingDiff(state, state)))
    assert with_diff['diff'] == {'before': state._asdict(), 'after': state._asdict()}


@pytest.mark.parametrize(
    'failure, fields',
    [
        (Refusal('not possible', RecordingOutcome('conf-1', 'paused')), {'error_code': None, 'http_status': None, 'request_id': None}),
        (Refusal('gave up', ConferenceOutcome(), error_fields=False), {}),
        (DingTalkError('busy', code='systemError', http_status=500, request_id='R1'), {'error_code': 'systemError', 'http_status': 500, 'request_id': 'R1'}),
    ],
)
def test_every_failure_is_shaped_in_one_place(failure, fields):
    result = conference_result(failure)
    assert result['failed'] is True and result['changed'] is False
    assert dict((key, result[key]) for key in ('error_code', 'http_status', 'request_id') if key in result) == fields
    assert result['msg'] == (failure.describe() if isinstance(failure, DingTalkError) else failure.message)
