# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the in-worker door says while a task runs, against the emulator: progress lines and retry notices."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.community.dingtalk.plugins.module_utils import _http
from ansible_collections.community.dingtalk.plugins.module_utils._specs import full_argument_spec
from ansible_collections.community.dingtalk.plugins.module_utils._tasks import TASKS, run_task
from ansible_collections.community.dingtalk.plugins.plugin_utils import _in_worker

LINE = re.compile(
    r'^\[worker-host\] Stopping recordings: ([0-9]+) of ([0-9]+) done, ([0-9]+) changed, ([0-9]+) failed; '
    r'([0-9.]+) s waiting for the rate limit, [0-9.]+ s elapsed$'
)
RETRY = re.compile(
    r'^POST /v1.0/conference/videoConferences/\{0\}/cloudRecords/stop: '
    r'attempt 1 of 4 failed with DingTalk error systemError \(HTTP 500\); trying again in [0-9.]+ s$'
)


class Said:
    """What the door said, by verbosity: stands in for Ansible's Display."""

    def __init__(self):
        self.lines = []
        self.verbose = []

    def display(self, message):
        self.lines.append(message)

    def v(self, message, host=None):
        self.verbose.append((host, message))


@pytest.fixture
def said(monkeypatch):
    said = Said()
    monkeypatch.setattr(_in_worker, 'display', said)
    return said


def run_in_worker(module, args, kept=None):
    """``module``'s task with ``args``, validated and run as the in-worker door does, for the host ``worker-host``."""
    task = TASKS[module]
    validation = ArgumentSpecValidator(full_argument_spec(task.spec), **task.spec.rules).validate(dict(args))
    assert not validation.error_messages
    door = _in_worker.WorkerDoor(SimpleNamespace(_task=SimpleNamespace(check_mode=False)), host='worker-host', kept_rate_limiters={} if kept is None else kept)
    door.no_log_values.update(validation._no_log_values)
    with _http.transports_kept_in({}):
        return run_task(task, validation.validated_parameters, door)


def credentials(emulator):
    return dict(api_url=emulator.url, app_key='ding-app', app_secret='app-secret')


def test_a_batch_says_how_it_goes_every_tenth_of_its_items(emulator, said, no_dingtalk_environment):
    conference_ids = [f'progress-{number}' for number in range(20)]
    for conference_id in conference_ids:
        emulator.add_conference(conference_id, cloud_record_status=1)
    emulator.add_conference('already-stopped', cloud_record_status=3)
    # 21 queries and 20 stops at 20 a second, four at a time: calls are held back for about a second.
    args = dict(credentials(emulator), conference_ids=conference_ids + ['already-stopped'], union_id='host-union', rate_limit=20, concurrency=4)
    result = run_in_worker('dingtalk_cloud_record', args)
    assert result['outcomes'] == {'stopped': 20, 'not_recording': 1}
    counts = [LINE.match(line) for line in said.lines]
    assert all(counts), said.lines
    done = [int(match.group(1)) for match in counts]
    # One line every third item (a tenth of 21, rounded up), the last from the end of the task.
    assert done == [3, 6, 9, 12, 15, 18, 21]
    last = counts[-1].groups()
    assert last[1:4] == ('21', '20', '0')
    assert float(last[4]) > 0  # the rate limit's hold-backs are counted
    assert not any('app-secret' in line or 'progress-' in line for line in said.lines)


def test_the_rate_limit_wait_of_a_line_counts_from_its_own_task(emulator, said, no_dingtalk_environment):
    conference_ids = [f'shared-{number}' for number in range(6)]
    for conference_id in conference_ids:
        emulator.add_conference(conference_id, cloud_record_status=1)
    kept = {}
    for half in (conference_ids[:3], conference_ids[3:]):
        args = dict(credentials(emulator), conference_ids=half, union_id='host-union', rate_limit=4, concurrency=3)
        run_in_worker('dingtalk_cloud_record', args, kept)
    # Two items of a loop kept one limiter: one window across both.
    assert [rate for rate, _app_window in kept] == [4.0]
    limiter = list(kept.values())[0]
    first, second = [float(LINE.match(line).group(5)) for line in said.lines if ' 3 of 3 done' in line]
    assert first > 0 and second > 0
    assert first + second == pytest.approx(limiter.held_back_seconds, abs=0.05)


def test_a_retry_is_said_at_v_through_the_door(emulator, said, no_dingtalk_environment):
    emulator.add_conference('conf-retry', cloud_record_status=1)
    emulator.add_faults({'api': 'cloudRecord.stop', 'kind': 'error', 'status': 500, 'code': 'systemError', 'times': 1})
    result = run_in_worker('dingtalk_cloud_record', dict(credentials(emulator), conference_id='conf-retry', union_id='host-union'))
    assert result['outcome'] == 'stopped'
    assert len(said.verbose) == 1
    host, notice = said.verbose[0]
    assert host == 'worker-host'
    assert RETRY.match(notice), notice
    assert said.lines == []  # one conference: no progress line


def test_a_wait_says_how_long_it_has_lasted(emulator, said, no_dingtalk_environment, monkeypatch):
    emulator.add_conference('conf-wait', cloud_record_status=1)
    monkeypatch.setattr(_in_worker.WorkerDoor, 'PROGRESS_EVERY_SECONDS', 1.0)
    args = dict(credentials(emulator), conference_id='conf-wait', wait_for='ended', wait_timeout=3, poll_interval=2)
    result = run_in_worker('dingtalk_conference_info', args)
    assert result['failed'] and 'Timed out' in result['msg']
    # A line about every second of the wait, while no read finishes it; none from its end (the result says it).
    assert 2 <= len(said.lines) <= 3, said.lines
    assert all(re.match(r'^\[worker-host\] Waiting for the conference to end: [0-9.]+ s elapsed$', line) for line in said.lines), said.lines


def test_the_worker_keeps_one_rate_limiter_per_rate_and_app():
    kept = {}
    door, next_item = (_in_worker.WorkerDoor(SimpleNamespace(_task=SimpleNamespace(check_mode=False)), kept_rate_limiters=kept) for _item in range(2))
    first = door.rate_limiter(18.0, 'app-one')
    assert next_item.rate_limiter(18, 'app-one') is first  # the next item of the loop: the same window
    other_rate = next_item.rate_limiter(5.0, 'app-one')
    assert other_rate is not first and other_rate.window_calls == 5
    assert next_item.rate_limiter(18.0, 'app-two') not in (first, other_rate)  # DingTalk counts each app's calls apart
    assert sorted(kept) == [(5.0, 'app-one'), (18.0, 'app-one'), (18.0, 'app-two')]


def test_a_loop_over_two_apps_keeps_a_window_for_each(emulator, no_dingtalk_environment):
    """The items of one app share its window, whichever task they come from; another app's items have their own."""
    emulator.add_app('ding-app-2', 'app-secret-2')
    emulator.add_conference('conf-loop', cloud_record_status=0)
    kept = {}
    apps = [('ding-app', 'app-secret'), ('ding-app-2', 'app-secret-2'), ('ding-app', 'app-secret')]
    for app_key, app_secret in apps:
        args = dict(api_url=emulator.url, app_key=app_key, app_secret=app_secret, conference_ids=['conf-loop'], union_id='host-union', cache=False)
        assert not run_in_worker('dingtalk_cloud_record', args, kept=kept).get('failed')
    assert len(kept) == 2
    assert len({window for _rate, window in kept}) == 2
