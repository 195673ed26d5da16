# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A client-side rate limit per DingTalk API, shared by the threads of one module run.

DingTalk counts calls per app and per API in one-second windows (about 20 a second
on standard organisations) and answers 403 Forbidden.AccessDenied.QpsLimitForAppkeyAndApi
beyond that (QpsLimitForSuitekeyAndOrgAndApi for a third-party app; the Qpm codes for its
per-minute windows). Spacing the calls of each API evenly keeps every one-second window under
the limit without a burst at its start, while calls to different APIs (the query and
the stop) go side by side. This is a private module: its interface may change without notice.
"""

from __future__ import annotations

import threading
import time

# Safely under DingTalk's documented 20 calls a second per app and API: even spacing can
# still put one more call into a window whose edges fall on two calls, and network jitter
# can bunch calls up on their way.
DEFAULT_CALLS_PER_SECOND = 18.0

# How long every caller of an API waits after DingTalk said it was throttled: its windows are one second long.
THROTTLE_PAUSE_SECONDS = 1.0
# The same after a per-minute throttling answer: calls within the rest of the minute would be throttled too.
# As long as the shortest back-off after such an answer (_client.PER_MINUTE_THROTTLE_MIN_BACKOFF_SECONDS).
PER_MINUTE_THROTTLE_PAUSE_SECONDS = 20.0


class RateLimiter:
    """Hands out send times per API, ``1 / calls_per_second`` apart."""

    def __init__(self, calls_per_second=DEFAULT_CALLS_PER_SECOND, clock=time.monotonic, sleep=time.sleep):
        if calls_per_second <= 0:
            raise ValueError('calls_per_second must be greater than 0')
        self.interval = 1.0 / calls_per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = {}

    def wait(self, api):
        """Block until the calling thread may send the next call to ``api``."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot.get(api, now))
            self._next_slot[api] = slot + self.interval
        if slot > now:
            self._sleep(slot - now)

    def throttled(self, api, per_minute=False):
        """DingTalk throttled ``api``: hold back every caller of it for a whole window (or most of a minute's)."""
        pause = PER_MINUTE_THROTTLE_PAUSE_SECONDS if per_minute else THROTTLE_PAUSE_SECONDS
        with self._lock:
            self._next_slot[api] = max(self._next_slot.get(api, 0.0), self._clock() + pause)
