# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The conference_events source as ansible-rulebook runs it: its main() with a queue, against the emulator."""

from __future__ import annotations

import asyncio
import logging
import os

import pytest
import yaml

from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import RateLimiter
from ansible_collections.community.dingtalk.plugins.plugin_utils._event_source import (
    CREDENTIAL_OPTIONS,
    OPTION_DEFAULTS,
    ConferenceEventsError,
    read_options,
    run,
)

SOURCE_FILE = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'extensions', 'eda', 'plugins', 'event_source', 'conference_events.py')
# Bounds a test that would otherwise hang; no test asserts on time.
HANG_GUARD_SECONDS = 20


def source_args(emulator, **args):
    return dict({'api_url': emulator.url, 'app_key': 'ding-app', 'app_secret': 'app-secret', 'cache': False, 'interval': 0.2, 'retries': 0}, **args)


async def next_event(queue):
    return await asyncio.wait_for(queue.get(), HANG_GUARD_SECONDS)


def run_source(scenario, args, environ=None):
    """Run the source as a task beside ``scenario(queue, task)``, then cancel it as ansible-rulebook does; the task."""

    async def both():
        queue = asyncio.Queue()
        task = asyncio.ensure_future(run(queue, args, environ={} if environ is None else environ))
        try:
            await scenario(queue, task)
        finally:
            task.cancel()
            await asyncio.wait([task], timeout=HANG_GUARD_SECONDS)
        return task

    return asyncio.run(both())


def run_path(path):
    """What runpy.run_path does with a file, as ansible-rulebook loads a source. (runpy itself would ask the path hook
    of ansible-core's collection loader, which the unit tests install and ansible-rulebook does not.)"""
    with open(path, encoding='utf-8') as source:
        code = compile(source.read(), path, 'exec')
    namespace = {'__name__': '<run_path>', '__file__': path}
    exec(code, namespace)  # pylint: disable=exec-used
    return namespace


def test_main_of_the_source_file_is_what_ansible_rulebook_calls(emulator):
    module = run_path(SOURCE_FILE)
    assert asyncio.iscoroutinefunction(module['main'])
    documented = yaml.safe_load(module['DOCUMENTATION'])['options']
    assert set(documented) == set(OPTION_DEFAULTS) | set(CREDENTIAL_OPTIONS)
    assert {name: option.get('default') for name, option in documented.items() if name in OPTION_DEFAULTS} == OPTION_DEFAULTS
    assert all(rulebook[0]['sources'][0]['community.dingtalk.conference_events'] for rulebook in [yaml.safe_load(module['EXAMPLES'])])


def test_a_recording_started_mid_run_is_on_the_queue_once_and_cancel_ends_the_source(emulator, caplog):
    emulator.add_conference('board', cloud_record_status=0)
    seen = []

    async def scenario(queue, task):
        while not emulator.requests_log('conference.get'):
            await asyncio.sleep(0.05)
        emulator.patch_conference('board', cloud_record_status=1)
        seen.append(await next_event(queue))
        polls = len(emulator.requests_log('conference.listOrg'))
        while len(emulator.requests_log('conference.listOrg')) < polls + 2:
            await asyncio.sleep(0.05)
        assert queue.empty()

    task = run_source(scenario, source_args(emulator, events=['recording_started']))
    assert [(event['type'], event['conference_id']) for event in seen] == [('recording_started', 'board')]
    assert task.cancelled()
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


def test_cancelled_in_a_slow_call_the_source_ends_at_once(emulator):
    emulator.add_conference('slow')
    emulator.add_faults({'api': 'conference.listOrg', 'kind': 'delay', 'delay': 8})

    async def scenario(queue, task):
        while not emulator.stats()['in_flight']:
            await asyncio.sleep(0.05)

    task = run_source(scenario, source_args(emulator))
    assert task.cancelled()  # not waiting 8 s for the answer: asyncio.wait's guard would have left it pending


def test_throttling_is_waited_out_and_polling_goes_on(emulator, caplog):
    emulator.add_conference('busy', cloud_record_status=0)
    emulator.add_faults({'api': 'conference.listOrg', 'kind': 'error', 'status': 403, 'code': 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', 'times': 2})
    seen = []

    async def scenario(queue, task):
        seen.append(await next_event(queue))

    run_source(scenario, source_args(emulator, emit_in_progress=True, events=['conference_started']))
    assert [event['conference_id'] for event in seen] == ['busy']
    failed = [record.getMessage() for record in caplog.records if 'failed' in record.getMessage()]
    assert len(failed) == 2 and 'QpsLimitForAppkeyAndApi' in failed[0] and '(2 in a row)' in failed[1]


def test_a_poll_longer_than_interval_is_followed_at_once_and_said_once(emulator, caplog):
    emulator.add_conference('long')
    emulator.add_faults({'api': 'conference.get', 'kind': 'delay', 'delay': 0.4})

    async def scenario(queue, task):
        while len(emulator.requests_log('conference.listOrg')) < 4:
            await asyncio.sleep(0.05)

    run_source(scenario, source_args(emulator, interval=0.1))
    assert len([record for record in caplog.records if 'longer than interval' in record.getMessage()]) == 1


@pytest.mark.parametrize(
    'args, expected',
    [
        ({'interval': 0}, 'interval must be greater than 0'),
        ({'events': ['recording_finished']}, 'events has unknown event types recording_finished'),
        ({'title': '(['}, 'title must be a regular expression'),
        ({'emit_in_progress': 'maybe'}, 'emit_in_progress must be true or false'),
        ({'access_token': 'a-token'}, 'unknown option(s) access_token'),
        ({'app_secret': None}, 'internal app credentials need app_key, app_secret; missing app_secret'),
        ({'api_url': 'ftp://example.com'}, 'api_url'),
    ],
)
def test_a_bad_option_stops_the_source_with_one_message_before_any_call(emulator, args, expected):
    with pytest.raises(ConferenceEventsError) as caught:
        asyncio.run(run(asyncio.Queue(), source_args(emulator, **args), environ={}))
    assert expected in str(caught.value)
    assert 'app-secret' not in str(caught.value) and 'a-token' not in str(caught.value)
    assert emulator.stats()['requests'] == 0


def test_rejected_credentials_stop_the_source_naming_the_code_not_the_secret(emulator):
    with pytest.raises(ConferenceEventsError) as caught:
        asyncio.run(run(asyncio.Queue(), source_args(emulator, app_secret='wrong-secret-value'), environ={}))
    assert 'invalidClientIdOrSecret' in str(caught.value) and 'wrong-secret-value' not in str(caught.value)


def test_a_missing_permission_stops_the_source(emulator):
    emulator.add_app('ding-app', 'app-secret', permissions=[])
    with pytest.raises(ConferenceEventsError) as caught:
        asyncio.run(run(asyncio.Queue(), source_args(emulator), environ={}))
    assert 'AccessTokenPermissionDenied' in str(caught.value)


def test_credentials_and_api_url_come_from_the_environment_as_a_whole(emulator):
    environ = {'DINGTALK_API_URL': emulator.url, 'DINGTALK_APP_KEY': 'ding-app', 'DINGTALK_APP_SECRET': 'app-secret', 'DINGTALK_SUITE_KEY': 'suite'}
    options, auth = read_options({'interval': 5}, environ)
    assert options['api_url'] == emulator.url and auth == {'app_key': 'ding-app', 'app_secret': 'app-secret', 'suite_key': 'suite'}
    options, auth = read_options({'app_key': 'other', 'app_secret': 'other-secret'}, environ)
    assert auth == {'app_key': 'other', 'app_secret': 'other-secret'}
    emulator.add_conference('from-env')
    seen = []

    async def scenario(queue, task):
        seen.append(await next_event(queue))

    run_source(
        scenario, {'interval': 0.2, 'cache': False, 'emit_in_progress': True, 'events': 'conference_started'}, environ=dict(environ, DINGTALK_SUITE_KEY='')
    )
    assert seen[0]['conference_id'] == 'from-env'


def sends_with_one_late_wake(limiter_class):
    """The send times of 8 calls to one API at 3 a second, from a thread whose first sleep ends 0.3 s late."""
    now = [0.0]
    late = [0.3]

    def sleep(seconds):
        now[0] += seconds + (late.pop() if late else 0.0)

    limiter = limiter_class(3, sleep=sleep, clock=lambda: now[0])
    sends = []
    for _call in range(8):
        limiter.wait('GET /v1.0/conference/videoConferences/{0}')
        sends.append(now[0])
    return sends


def most_in_one_second(sends):
    """The most sends within one second of each other (to the microsecond the limiter allows)."""
    return max(sum(1 for other in sends if start <= other < start + 1.0 - 1e-6) for start in sends)


def test_the_rate_limit_holds_in_every_second_even_after_a_late_wake():
    # The collection's limiter counts the calls it let go in a sliding window: a late wake sends no burst.
    assert most_in_one_second(sends_with_one_late_wake(RateLimiter)) == 3
