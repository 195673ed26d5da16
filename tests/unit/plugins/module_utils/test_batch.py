# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import signal
import threading
from functools import partial

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils._auth import StaticToken
from ansible_collections.community.dingtalk.plugins.module_utils._batch import (
    BatchInterrupted,
    run_batch,
    run_concurrently,
    unique_in_order,
)
from ansible_collections.community.dingtalk.plugins.module_utils._client import Connection, DingTalkClient
from ansible_collections.community.dingtalk.plugins.module_utils._cloud_record import (
    RecordingDiff,
    RecordingOutcome,
    RecordingState,
    apply_recording_state,
)
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, Refusal
from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import RateLimiter
from ansible_collections.community.dingtalk.plugins.module_utils._results import MAX_FAILURES_NAMED, batch_result, interrupted_batch_result


def test_unique_in_order_keeps_first_occurrences():
    assert unique_in_order(['b', 'a', 'b', 'c', 'a']) == ['b', 'a', 'c']


def test_run_concurrently_keeps_order_and_runs_in_parallel():
    barrier = threading.Barrier(4, timeout=5)

    def action(item):
        barrier.wait()  # only returns once four calls run at the same time
        return item * 2

    assert run_concurrently(action, [1, 2, 3, 4], concurrency=4) == [2, 4, 6, 8]
    assert run_concurrently(action, [], concurrency=4) == []


def test_run_concurrently_stops_taking_items_after_an_error():
    started = []

    def action(number):
        started.append(number)
        if number == 1:
            raise ValueError('item 1 is broken')
        return number

    with pytest.raises(ValueError, match='item 1 is broken'):
        run_concurrently(action, list(range(50)), concurrency=1)
    assert started == [0, 1]


def test_an_interrupted_batch_starts_nothing_more_and_reports_what_it_finished():
    interrupted = threading.Event()
    started = []

    def on_sigint(signum, frame):
        interrupted.set()
        raise KeyboardInterrupt()

    def action(number):
        started.append(number)
        if number == 2:
            os.kill(os.getpid(), signal.SIGINT)  # as AWX cancels the job, while two calls are under way
        if number >= 2:
            assert interrupted.wait(10)  # under way when the interrupt comes: they still finish
        return number * 10

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        with pytest.raises(BatchInterrupted) as raised:
            run_concurrently(action, list(range(100)), concurrency=2)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # a second interrupt cannot lose the report
    finally:
        signal.signal(signal.SIGINT, previous)
    # The other worker may or may not have taken item 3 before the interrupt; nothing after it was started.
    assert sorted(started) in ([0, 1, 2], [0, 1, 2, 3])
    assert raised.value.results == [number * 10 for number in sorted(started)]
    assert raised.value.total == 100

    result = interrupted_batch_result(BatchInterrupted([item('c1', 'stopped', changed=True), item('c2', 'not_recording')], 5))
    assert result['failed'] and result['changed']
    assert result['msg'].startswith('Interrupted: 2 of 5 conferences were handled (see results), the other 3 were not touched.')
    assert [entry['conference_id'] for entry in result['results']] == ['c1', 'c2']


def item(conference_id, outcome, changed=False, failed=False, warnings=()):
    """One conference's run as the engine ends it: its outcome record, or the Refusal of a failed call."""
    diff = RecordingDiff(RecordingState('in_progress', 'recording'), RecordingState('in_progress', 'finished'))
    record = RecordingOutcome(
        conference_id,
        outcome,
        changed,
        meeting_status=2,
        cloud_record_status=3,
        cloud_record_status_before=1,
        union_id='host-union',
        diff=diff,
        warnings=tuple(warnings),
    )
    if failed:
        return Refusal('DingTalk error systemError: busy', record, DingTalkError('busy', code='systemError', http_status=500))
    return record


def test_batch_result_combines_items():
    combined = batch_result([item('c1', 'stopped', changed=True, warnings=['w']), item('c2', 'not_recording', warnings=['w'])])
    assert combined['changed'] is True
    assert 'failed' not in combined
    assert combined['outcomes'] == {'stopped': 1, 'not_recording': 1}
    assert combined['warnings'] == ['w']
    assert set(combined['diff']['before']) == {'c1', 'c2'}
    assert [entry['failed'] for entry in combined['results']] == [False, False]
    assert all('diff' not in entry and 'warnings' not in entry for entry in combined['results'])


def test_batch_result_fails_or_warns_on_failures():
    results = [item(f'c{number}', 'failed', failed=True) for number in range(MAX_FAILURES_NAMED + 2)]
    failing = batch_result(results + [item('ok', 'stopped', changed=True)])
    assert failing['failed'] is True
    assert failing['changed'] is True
    assert failing['msg'].startswith(f'{MAX_FAILURES_NAMED + 2} of {MAX_FAILURES_NAMED + 3} conferences failed')
    assert 'and 2 more' in failing['msg']
    warned = batch_result(results, fail_on_error=False)
    assert 'failed' not in warned
    assert warned['warnings'][-1].startswith('7 of 7 conferences failed')


def test_many_distinct_warnings_are_summarised():
    combined = batch_result([item(f'c{number}', 'stopped', warnings=[f'about c{number}']) for number in range(10)])
    assert combined['warnings'][:3] == ['about c0', 'about c1', 'about c2']
    assert combined['warnings'][3] == '... and 7 more warnings like these, for other conferences.'


def test_a_batch_against_the_emulator_stops_each_recording_once(emulator):
    conference_ids = [f'batch-{number}' for number in range(30)]
    for conference_id in conference_ids:
        emulator.add_conference(conference_id, cloud_record_status=1)
    client = DingTalkClient(Connection(api_url=emulator.url, rate_limiter=RateLimiter(500), pool_size=8), StaticToken(emulator.mint_token()))
    action = partial(apply_recording_state, client, union_id='host-union', state='stopped')
    combined = batch_result(run_batch(action, unique_in_order(conference_ids + conference_ids[:5]), concurrency=8))
    assert combined['outcomes'] == {'stopped': 30}
    assert sorted(call['path'].split('/')[4] for call in emulator.requests_log('cloudRecord.stop')) == sorted(conference_ids)
    assert all(emulator.conference(conference_id)['cloud_record_status'] == 3 for conference_id in conference_ids)
