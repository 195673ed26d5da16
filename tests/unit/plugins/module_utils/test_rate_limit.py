# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import threading

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils._client import PER_MINUTE_THROTTLE_MIN_BACKOFF_SECONDS
from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import (
    PER_MINUTE_THROTTLE_PAUSE_SECONDS,
    THROTTLE_PAUSE_SECONDS,
    RateLimiter,
)


class FakeTime:
    """A clock that only moves when somebody sleeps, so spacing can be checked exactly."""

    def __init__(self):
        self.now = 100.0
        self.lock = threading.Lock()

    def clock(self):
        with self.lock:
            return self.now

    def sleep(self, seconds):
        assert seconds > 0
        with self.lock:
            self.now += seconds


def send_times(limiter, fake_time, api, count):
    times = []
    for dummy in range(count):
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


def test_threads_share_the_rate():
    limiter = RateLimiter(200)
    times = []
    times_lock = threading.Lock()

    def worker():
        for dummy in range(10):
            limiter.wait('conference.get')
            with times_lock:
                times.append(limiter._clock())  # pylint: disable=protected-access

    threads = [threading.Thread(target=worker) for dummy in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    times.sort()
    # 80 calls at 200 a second take at least 79 intervals, however many threads ask.
    assert times[-1] - times[0] >= 79 * limiter.interval * 0.95


def test_rate_must_be_positive():
    with pytest.raises(ValueError):
        RateLimiter(0)
