# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Progress lines for long work (a batch, a sweep, an archive of many recordings, a wait).

A task that works on many items for minutes says how it is going about every ten seconds or
every tenth of the items: how many of how many are done, changed and failed, how long it waited
for DingTalk's rate limit, and how long it has run. The reporter is only ever given counts and
a label, so no line can carry a token, a secret or an id. Items finish on many threads: every
method may be called from any of them. This is a private module: its interface may change
without notice.
"""

from __future__ import annotations

import math
import threading
import time


class ProgressReporter:
    """Counts finished items and hands ``emit`` a line about every ``every_seconds`` or ``every_fraction`` of ``total``.

    ``label`` opens every line (say, ``stop``); ``total`` is the number of items, None when unknown.
    Lines come from :meth:`item_done` and :meth:`tick`, so a line is due no sooner than the next
    of those calls; :meth:`finish` gives the last line, once.
    """

    def __init__(self, label, total, emit, clock=time.monotonic, every_seconds=10.0, every_fraction=0.1):
        self.label = label
        self.total = total
        self.done = 0
        self.changed = 0
        self.failed = 0
        self.waited_seconds = 0.0
        self._emit = emit
        self._clock = clock
        self._every_seconds = every_seconds
        self._every_items = max(1, int(math.ceil(total * every_fraction))) if total and every_fraction else None
        self._lock = threading.Lock()
        self._started = clock()
        self._last_line_at = self._started
        self._last_line_done = 0
        self._finished = False
        self._wait_sources = []

    def item_done(self, changed=False, failed=False):
        """One item is finished (changed, or failed); emit a line if one is due."""
        with self._lock:
            self.done += 1
            self.changed += 1 if changed else 0
            self.failed += 1 if failed else 0
            self._emit_if_due()

    def add_wait(self, seconds):
        """``seconds`` more were spent waiting for DingTalk's rate limit (or its throttling pause)."""
        with self._lock:
            self.waited_seconds += max(0.0, seconds)

    def follow_wait(self, read_seconds):
        """Count as waiting, from now on, what ``read_seconds()`` grows by (a rate limiter's held_back_so_far, kept across items)."""
        started_at = read_seconds()
        with self._lock:
            self._wait_sources.append((read_seconds, started_at))

    def tick(self):
        """Emit a line if one is due by time: for work that waits long between items (a poll)."""
        with self._lock:
            self._emit_if_due()

    def finish(self):
        """Emit the last line: everything counted, however little time passed. Later calls do nothing."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
            self._emit_line(self._clock())

    def line(self, now=None):
        """The progress line as of ``now`` (default: the clock's time)."""
        now = self._clock() if now is None else now
        waited = self.waited_seconds + sum(read_seconds() - started_at for read_seconds, started_at in self._wait_sources)
        if self.total is None and not self.done:
            # A wait, or work whose items are not known yet: only time has passed (and perhaps the rate limit held it).
            held = f'{waited:.1f} s waiting for the rate limit, ' if waited else ''
            return f'{self.label}: {held}{now - self._started:.1f} s elapsed'
        of_total = f'{self.done} of {self.total}' if self.total is not None else str(self.done)
        return (
            f'{self.label}: {of_total} done, {self.changed} changed, {self.failed} failed; '
            f'{waited:.1f} s waiting for the rate limit, {now - self._started:.1f} s elapsed'
        )

    def _emit_if_due(self):
        if self._finished:
            return
        now = self._clock()
        by_time = now - self._last_line_at >= self._every_seconds
        by_items = self._every_items is not None and self.done - self._last_line_done >= self._every_items
        # The last item's line is finish()'s, which the caller gives once it has the result.
        if (by_time or by_items) and self.done != self.total:
            self._emit_line(now)

    def _emit_line(self, now):
        # Under the lock, so that lines come out in order and no count moves while one is made.
        self._last_line_at = now
        self._last_line_done = self.done
        self._emit(self.line(now))


def ticking_sleep(progress, sleep=time.sleep, step_seconds=1.0):
    """A ``sleep(seconds)`` that wakes every ``step_seconds`` to let ``progress`` (None: plain ``sleep``) say how long a wait has lasted."""
    if progress is None:
        return sleep

    def pause(seconds):
        while seconds > 0:
            step = min(step_seconds, seconds)
            sleep(step)
            seconds -= step
            progress.tick()

    return pause
