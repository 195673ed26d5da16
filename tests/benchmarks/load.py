# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the stop benchmark reads beyond wall times: the busiest second of the emulator's request log, and a CPU-heavy neighbour.

DingTalk counts each app's calls per API in one-second windows: the busiest second of the log, by the times the
calls arrived, is what the rate limit has to keep at 20 or under. A busy machine wakes the client's threads late,
which is when calls bunch up: ``cpu_heavy_neighbour`` runs one busy loop per core (bounded in time, should the
benchmark die without stopping it) while the measurements repeat.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import subprocess
import sys

# Each busy loop ends by itself after this long, whatever happens to the benchmark.
MAX_BUSY_SECONDS = 900
BUSY_LOOP = 'import time\nend = time.monotonic() + {0}\nwhile time.monotonic() < end:\n    pass\n'


def busiest_second(calls):
    """``(calls, api)``: the most calls one API got within one second of the log (arrival times), and that API."""
    by_api = {}
    for call in calls:
        by_api.setdefault(call['api'], []).append(call['time'])
    busiest = (0, None)
    for api, times in by_api.items():
        times.sort()
        most = max(bisect.bisect_left(times, start + 1.0) - index for index, start in enumerate(times))
        busiest = max(busiest, (most, api or ''))
    return busiest


@contextlib.contextmanager
def cpu_heavy_neighbour(processes=None, max_seconds=MAX_BUSY_SECONDS):
    """Run ``processes`` busy loops (default: one per core) for the duration; yield how many."""
    processes = processes or os.cpu_count() or 1
    children = [subprocess.Popen([sys.executable, '-c', BUSY_LOOP.format(max_seconds)]) for dummy in range(processes)]
    try:
        yield processes
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait()
