# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The unit tests' one stand-in for time: the code under test takes a clock and a sleep, and a test hands it these."""

from __future__ import annotations

import threading
import time


class FakeTime:
    """A clock that moves only when the code under test sleeps, or when the test moves it (``fake.now += 5``), so
    that waits and back-offs are checked exactly and take no time.

    Hand ``fake.clock`` where the code takes a clock (monotonic or epoch seconds alike: ``now`` starts wherever the test
    says) and ``fake.sleep`` where it takes a sleep. ``sleeps`` lists every sleep in order; ``on_sleep(count)``, if
    given, runs after each, with how many there have been. Threads may share one.
    """

    def __init__(self, now=1000.0, on_sleep=None):
        self.now = now
        self.sleeps = []
        self.on_sleep = on_sleep
        self._lock = threading.Lock()

    def clock(self):
        with self._lock:
            return self.now

    def sleep(self, seconds):
        assert seconds > 0, f'slept {seconds} s: a wait of nothing should not be a sleep'
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds
            count = len(self.sleeps)
        if self.on_sleep:
            self.on_sleep(count)


class SleepingFakeTime(FakeTime):
    """Records each sleep as FakeTime does, and really waits it out: for retries against the emulator's real time
    windows, where only the back-off the code chose is of interest."""

    def sleep(self, seconds):
        super().sleep(seconds)
        time.sleep(seconds)
