# Copyright (c) community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator's time, which a test can move forward instead of waiting.

Token expiry, scheduled meeting ends, start times and the limits' windows read this clock. What a
client waits for on the wire (``latency``, delay faults) is real time: a client's timeout cannot be
advanced.
"""

import threading
import time


class Clock:
    """The system's time plus however far it was advanced; it never goes back, not even on a reset.

    Inject another object with ``time()`` (epoch seconds) and ``monotonic()`` to control time completely.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._offset = 0.0

    def time(self):
        return time.time() + self._offset

    def monotonic(self):
        return time.monotonic() + self._offset

    @property
    def offset(self):
        return self._offset

    def advance(self, seconds):
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
