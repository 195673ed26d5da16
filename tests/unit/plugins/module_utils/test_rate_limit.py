# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import bisect
import json
import os
import random
import stat
import subprocess
import sys
import threading
import time

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils import _rate_limit
from ansible_collections.community.dingtalk.plugins.module_utils._client import PER_MINUTE_THROTTLE_MIN_BACKOFF_SECONDS
from ansible_collections.community.dingtalk.plugins.module_utils._connect import connect
from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import (
    DEFAULT_CALLS_PER_SECOND,
    PER_MINUTE_THROTTLE_PAUSE_SECONDS,
    THROTTLE_PAUSE_SECONDS,
    WINDOW_FILE_SUFFIX,
    RateLimiter,
    SharedWindows,
    window_file_name,
)
from ansible_collections.community.dingtalk.tests.unit.fake_time import FakeTime

DINGTALK_LIMIT = 20  # calls a second per app and API on standard organisations


def send_times(limiter, fake_time, api, count):
    times = []
    for _dummy in range(count):
        limiter.wait(api)
        times.append(fake_time.clock())
    return times


def test_calls_to_one_api_are_evenly_spaced():
    fake_time = FakeTime()
    limiter = RateLimiter(10, clock=fake_time.clock, sleep=fake_time.sleep)
    times = send_times(limiter, fake_time, 'cloudRecord.stop', 25)
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    assert gaps == pytest.approx([0.1] * 24)
    # No one-second window holds more than the rate allows (plus the call on its closing edge).
    assert max(sum(1 for other in times if start <= other < start + 1.0 - 1e-6) for start in times) == 10


def test_different_apis_do_not_wait_for_each_other():
    fake_time = FakeTime()
    limiter = RateLimiter(10, clock=fake_time.clock, sleep=fake_time.sleep)
    limiter.wait('conference.get')
    started = fake_time.clock()
    limiter.wait('cloudRecord.stop')
    assert fake_time.clock() == started


def test_idle_time_is_not_saved_up_for_a_burst():
    fake_time = FakeTime()
    limiter = RateLimiter(10, clock=fake_time.clock, sleep=fake_time.sleep)
    limiter.wait('conference.get')
    fake_time.sleep(5)
    times = send_times(limiter, fake_time, 'conference.get', 3)
    assert [later - earlier for earlier, later in zip(times, times[1:])] == pytest.approx([0.1, 0.1])


def test_throttling_pauses_the_api_for_a_window():
    fake_time = FakeTime()
    limiter = RateLimiter(10, clock=fake_time.clock, sleep=fake_time.sleep)
    limiter.wait('cloudRecord.stop')
    limiter.throttled('cloudRecord.stop')
    paused_at = fake_time.clock()
    limiter.wait('cloudRecord.stop')
    assert fake_time.clock() - paused_at == pytest.approx(THROTTLE_PAUSE_SECONDS)
    limiter.wait('conference.get')
    assert fake_time.clock() - paused_at == pytest.approx(THROTTLE_PAUSE_SECONDS)


def test_per_minute_throttling_pauses_the_api_longer():
    fake_time = FakeTime()
    limiter = RateLimiter(10, clock=fake_time.clock, sleep=fake_time.sleep)
    paused_at = fake_time.clock()
    limiter.throttled('conference.get', per_minute=True)
    limiter.throttled('conference.get')  # a per-second answer meanwhile does not shorten the pause
    limiter.wait('conference.get')
    assert fake_time.clock() - paused_at == pytest.approx(PER_MINUTE_THROTTLE_PAUSE_SECONDS)
    # As long as the client's own shortest back-off after such an answer: neither waits for the other in vain.
    assert PER_MINUTE_THROTTLE_PAUSE_SECONDS == PER_MINUTE_THROTTLE_MIN_BACKOFF_SECONDS


def send_times_from_threads(limiter, api, threads, calls_each):
    """When each of ``threads`` threads was let go for its ``calls_each`` calls, all in one sorted list."""
    times = []
    times_lock = threading.Lock()

    def worker():
        for _dummy in range(calls_each):
            limiter.wait(api)
            with times_lock:
                times.append(time.monotonic())

    workers = [threading.Thread(target=worker) for dummy in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return sorted(times)


def test_threads_share_the_rate():
    limiter = RateLimiter(200)
    times = send_times_from_threads(limiter, 'conference.get', 8, 10)
    # 80 calls at 200 a second take at least 79 intervals, however many threads ask.
    assert times[-1] - times[0] >= 79 * limiter.interval * 0.95


def test_rate_must_be_positive():
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_wait_returns_the_seconds_it_waited_and_the_limiter_sums_them():
    fake_time = FakeTime()
    limiter = RateLimiter(10, clock=fake_time.clock, sleep=fake_time.sleep)
    assert limiter.wait('conference.get') == 0
    assert limiter.wait('conference.get') == pytest.approx(0.1)
    assert limiter.wait('cloudRecord.stop') == 0
    assert limiter.wait('conference.get') == pytest.approx(0.1)
    assert limiter.waited_seconds == pytest.approx(0.2)
    assert limiter.held_back_seconds == pytest.approx(0.2)  # one caller: the same time


def test_the_time_calls_were_held_back_counts_threads_waiting_together_once():
    limiter = RateLimiter(100)
    started = time.monotonic()
    send_times_from_threads(limiter, 'conference.get', 8, 10)
    elapsed = time.monotonic() - started
    # 80 calls at 100 a second: about 0.8 s, nearly all of it with somebody held back, and eight threads waiting in it.
    assert 0.5 < limiter.held_back_seconds <= elapsed < limiter.waited_seconds


def test_a_hold_back_under_way_is_counted_up_to_now():
    fake_time = FakeTime()
    limiter = RateLimiter(10, clock=fake_time.clock, sleep=fake_time.sleep)
    seen = []

    def sleep(seconds):
        # Asked while this caller sleeps: the open hold-back counts, the finished one is not yet in held_back_seconds.
        until = fake_time.clock() + seconds
        fake_time.sleep(seconds / 2)
        seen.append((limiter.held_back_seconds, limiter.held_back_so_far()))
        # To the end exactly: two half sleeps can add up to a hair less, which would be waited for again without end.
        fake_time.sleep(until - fake_time.clock())

    limiter._sleep = sleep
    limiter.wait('conference.get')
    limiter.wait('conference.get')
    assert seen == [(0.0, pytest.approx(0.05))]
    assert limiter.held_back_so_far() == limiter.held_back_seconds == pytest.approx(0.1)


def test_a_call_let_go_late_keeps_the_schedule_but_never_fills_a_window_past_the_limit():
    fake_time = FakeTime()
    limiter = RateLimiter(10, clock=fake_time.clock, sleep=fake_time.sleep)
    times = []
    for number in range(40):
        limiter.wait('conference.get')
        times.append(fake_time.clock())
        if number % 3 == 0:
            fake_time.sleep(0.04)  # this caller was held up before its next call, less than half an interval
    # The short delays cost nothing: 40 calls at 10 a second, as without them.
    assert times[-1] - times[0] == pytest.approx(3.9)
    assert max(sum(1 for other in times if start <= other < start + 1.0 - 1e-9) for start in times) == 10
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    assert min(gaps) >= 0.05 - 1e-9


def test_threads_held_up_after_their_wait_never_put_more_than_the_limit_into_one_second():
    # A busy machine wakes sleeping threads late, by different amounts: a plan made before the sleep would
    # send every late thread's call at once, on top of the calls planned for then.
    rng = random.Random(20)
    rng_lock = threading.Lock()

    def late_sleep(seconds):
        with rng_lock:
            extra = rng.choice((0.0, 0.0, 0.15, 0.3))
        time.sleep(seconds + extra)

    limiter = RateLimiter(DEFAULT_CALLS_PER_SECOND, sleep=late_sleep)
    sent = send_times_from_threads(limiter, 'cloudRecord.stop', 8, 9)
    # DingTalk's own limit: the rate limit stays two calls under it, for the way from here to DingTalk.
    assert most_in_one_second(sent) <= DINGTALK_LIMIT
    assert limiter.waited_seconds > 0


def most_in_one_second(times):
    times = sorted(times)
    return max(bisect.bisect_left(times, start + 1.0) - index for index, start in enumerate(times))


def shared_limiter(directory, fake_time, warnings=None, name='a' * 64 + WINDOW_FILE_SUFFIX):
    limiter = RateLimiter(10, clock=fake_time.clock, sleep=fake_time.sleep)
    windows = SharedWindows(lambda: str(directory), name, warn=None if warnings is None else warnings.append, clock=fake_time.clock)
    limiter.share(windows)
    return limiter, windows


def private_directory(tmp_path):
    directory = tmp_path / 'cache'
    directory.mkdir(mode=0o700)
    return directory


def test_two_limiters_sharing_a_window_file_space_their_calls_together(tmp_path):
    directory = private_directory(tmp_path)
    fake_time = FakeTime()
    first, windows = shared_limiter(directory, fake_time)
    second, dummy = shared_limiter(directory, fake_time)
    times = []
    for limiter in (first, second) * 5:
        limiter.wait('conference.get')
        times.append(fake_time.clock())
    # One schedule for both, as if one process made every call.
    assert [later - earlier for earlier, later in zip(times, times[1:])] == pytest.approx([0.1] * 9)
    second.throttled('conference.get')
    paused_at = fake_time.clock()
    first.wait('conference.get')
    assert fake_time.clock() - paused_at == pytest.approx(THROTTLE_PAUSE_SECONDS)
    info = os.lstat(windows.path)
    assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == os.geteuid()
    with open(windows.path, encoding='utf-8') as handle:
        assert set(json.load(handle)['apis']) == {'conference.get'}


@pytest.mark.parametrize(
    'content',
    [b'{"version": 1, "apis": {"conference.get": {"sent": [1e999', b'not json', b'[]', b'{"version": 1, "apis": {"x": {"sent": ["now"]}}}', b'\xff' * 10],
)
def test_a_corrupt_window_file_of_ours_is_written_anew(tmp_path, content):
    directory = private_directory(tmp_path)
    path = directory / ('b' * 64 + WINDOW_FILE_SUFFIX)
    path.write_bytes(content)
    path.chmod(0o600)
    warnings = []
    fake_time = FakeTime()
    limiter, windows = shared_limiter(directory, fake_time, warnings, name=path.name)
    limiter.wait('conference.get')
    assert windows.usable()
    assert warnings == [f'The rate limit window file {path} did not hold send times (it may have been cut off); it is written anew.']
    assert json.loads(path.read_text(encoding='utf-8'))['apis']['conference.get']['sent'] == [fake_time.clock()]


def plant_symbolic_link(path, tmp_path):
    target = tmp_path / 'elsewhere'
    target.write_text('{}', encoding='utf-8')
    path.symlink_to(target)
    return target


def plant_open_file(path, tmp_path):
    path.write_text('{}', encoding='utf-8')
    path.chmod(0o644)
    return path


def plant_hard_link(path, tmp_path):
    target = tmp_path / 'elsewhere'
    target.write_text('{}', encoding='utf-8')
    target.chmod(0o600)
    os.link(str(target), str(path))
    return target


def plant_directory(path, tmp_path):
    path.mkdir()
    return path


@pytest.mark.parametrize(
    'plant, reason',
    [
        (plant_symbolic_link, 'could not be opened'),
        (plant_open_file, 'is open to other users (permissions 0644)'),
        (plant_hard_link, 'has another link to it'),
        (plant_directory, 'could not be opened'),
    ],
)
def test_a_window_file_that_is_not_ours_is_refused_and_left_alone(tmp_path, plant, reason):
    directory = private_directory(tmp_path)
    path = directory / ('c' * 64 + WINDOW_FILE_SUFFIX)
    planted = plant(path, tmp_path)
    before = planted.read_bytes() if planted.is_file() else None
    warnings = []
    fake_time = FakeTime()
    limiter, windows = shared_limiter(directory, fake_time, warnings, name=path.name)
    times = send_times(limiter, fake_time, 'conference.get', 3)
    assert [later - earlier for earlier, later in zip(times, times[1:])] == pytest.approx([0.1, 0.1])  # its own window instead
    assert not windows.usable()
    assert len(warnings) == 1 and reason in warnings[0] and 'keeps its own rate limit' in warnings[0]
    if before is not None:
        assert planted.read_bytes() == before


@pytest.mark.skipif(os.geteuid() != 0, reason='only root can give a file to another user')
def test_a_window_file_of_another_user_is_refused(tmp_path):
    directory = private_directory(tmp_path)
    path = directory / ('d' * 64 + WINDOW_FILE_SUFFIX)
    path.write_text('{}', encoding='utf-8')
    path.chmod(0o600)
    os.chown(str(path), 4242, -1)
    warnings = []
    limiter, windows = shared_limiter(directory, FakeTime(), warnings, name=path.name)
    limiter.wait('conference.get')
    assert not windows.usable()
    assert warnings and 'is owned by uid 4242, not by the current user' in warnings[0]


@pytest.mark.parametrize('mode', [0o755, 0o770])
def test_a_directory_open_to_others_is_not_used(tmp_path, mode):
    directory = tmp_path / 'open'
    directory.mkdir()
    directory.chmod(mode)
    warnings = []
    limiter, windows = shared_limiter(directory, FakeTime(), warnings)
    limiter.wait('conference.get')
    assert not windows.usable()
    assert os.listdir(str(directory)) == []
    assert warnings == []  # the token cache says what is wrong with its directory


def test_window_file_names_are_digests_that_hold_no_part_of_their_input():
    name = window_file_name('app', 'secret-value')
    assert name != window_file_name('app', 'other-secret') and name != window_file_name('ap', 'psecret-value')
    assert len(name) == 64 + len(WINDOW_FILE_SUFFIX) and 'secret' not in name


# Run as a process of its own by the test below: threads of one process calling one API through a shared window.
CALLER = r'''
import sys, threading, time
from ansible_collections.community.dingtalk.plugins.module_utils._client import Connection
from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import RateLimiter, SharedWindows
url, token, directory, name, start, calls = sys.argv[1:7]
limiter = RateLimiter()
limiter.share(SharedWindows(lambda: directory, name))
connection = Connection(api_url=url, retries=0, rate_limiter=limiter, pool_size=3)
time.sleep(max(0.0, float(start) - time.time()))
def caller():
    for dummy in range(int(calls)):
        connection.call('GET', '/v1.0/conference/videoConferences/{0}', ('conf-1',), token=token)
threads = [threading.Thread(target=caller) for dummy in range(3)]
for thread in threads: thread.start()
for thread in threads: thread.join()
'''


def test_processes_sharing_a_directory_stay_under_dingtalks_limit_together(emulator, tmp_path):
    emulator.add_conference('conf-1')
    token = emulator.mint_token()
    directory = private_directory(tmp_path)
    root = os.path.abspath(os.path.join(os.path.dirname(_rate_limit.__file__), *[os.pardir] * 5))
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([root] + sys.path))
    start = time.time() + 2.0  # every process is ready to go by then, so they start together
    arguments = [emulator.url, token, str(directory), window_file_name('test'), str(start), '8']
    processes = [subprocess.Popen([sys.executable, '-c', CALLER] + arguments, env=environment) for dummy in range(3)]
    assert [process.wait(timeout=120) for process in processes] == [0, 0, 0]
    log = emulator.requests_log('conference.get')
    assert len(log) == 3 * 3 * 8 and {call['status'] for call in log} == {200}  # never throttled
    # Each process alone would go at 18 a second: three of them, 54.
    assert most_in_one_second([call['time'] for call in log]) <= DINGTALK_LIMIT


def test_connect_shares_an_apps_window_in_the_token_caches_directory(emulator, tmp_path):
    emulator.add_conference('conf-1')
    cache_dir = tmp_path / 'tokens'
    values = {'api_url': emulator.url, 'validate_certs': True, 'timeout': 10, 'retries': 0, 'cache': True, 'cache_dir': str(cache_dir)}
    auth = {'app_key': 'ding-app', 'app_secret': 'app-secret'}
    asked_for = []

    def rate_limiter_for(app_window):
        asked_for.append(app_window)
        return RateLimiter()

    for _dummy in range(2):  # two tasks, one after the other
        connect(values.get, auth, 'in the test', rate_limiter_for=rate_limiter_for).client.get_conference('conf-1')
    names = [name for name in os.listdir(str(cache_dir)) if name.endswith(WINDOW_FILE_SUFFIX)]
    assert len(names) == 1
    assert asked_for == names * 2  # each task's limiter was asked for by the name of the app's window
    content = (cache_dir / names[0]).read_text(encoding='utf-8')
    assert not any(secret in content for secret in ['app-secret', 'ding-app'] + [token['access_token'] for token in emulator.tokens()])
    windows = json.loads(content)['apis']
    assert len(windows['GET /v1.0/conference/videoConferences/{0}']['sent']) == 2
    assert len(windows['POST /v1.0/oauth2/accessToken']['sent']) == 1  # the second task took the cached token
