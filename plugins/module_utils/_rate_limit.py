# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A client-side rate limit per DingTalk API: a sliding window over the times calls were sent.

DingTalk counts calls per app and per API in one-second windows (about 20 a second
on standard organisations) and answers 403 Forbidden.AccessDenied.QpsLimitForAppkeyAndApi
beyond that (QpsLimitForSuitekeyAndOrgAndApi for a third-party app; the Qpm codes for its
per-minute windows). Each API keeps the times its recent calls were sent, taken when a call is
let go, right before it goes out: a call goes out only while fewer than the limit went out within
the last second, and about one interval after the one before it, so calls are spread evenly
instead of bursting at the start of a window. A thread the machine held up re-reads the window
when it wakes: it can neither bunch up with the others (a plan made before it slept would let it)
nor push the window over the limit. Calls to different APIs (the query and the stop) go side by side.

The window is shared by every thread of a task, and, once :meth:`RateLimiter.share` gives it a
:class:`SharedWindows`, by every process of the same user, app and API host through one locked
file in the token cache's directory: DingTalk counts per app, not per process. This is a private
module: its interface may change without notice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import stat
import threading
import time

try:
    import fcntl
except ImportError:  # Not POSIX: every process keeps its own window.
    fcntl = None

# Safely under DingTalk's documented 20 calls a second per app and API: a call's way to DingTalk
# takes longer for some calls than for others, which can move two calls a second apart into one window.
DEFAULT_CALLS_PER_SECOND = 18.0

# How long every caller of an API waits after DingTalk said it was throttled: its windows are one second long.
THROTTLE_PAUSE_SECONDS = 1.0
# The same after a per-minute throttling answer: calls within the rest of the minute would be throttled too.
# As long as the shortest back-off after such an answer (_client.PER_MINUTE_THROTTLE_MIN_BACKOFF_SECONDS).
PER_MINUTE_THROTTLE_PAUSE_SECONDS = 20.0

# A call let go late (the machine was busy) keeps the even schedule for the next one as long as it was
# late by at most this part of an interval, so a short delay costs no throughput; the two calls are then
# at least half an interval apart, and never more than the limit fall into one window.
CATCH_UP_FRACTION = 0.5

WINDOW_RECORD_VERSION = 1
WINDOW_FILE_SUFFIX = '.rate'
# A window file holds a few send times per API; a much larger one is not ours.
MAX_WINDOW_BYTES = 1024 * 1024
LOCK_POLL_SECONDS = 0.001
# Send times older than this hold back no rate limit of a sensible setting (one call a minute), and are dropped.
MAX_RETENTION_SECONDS = 60.0
# Others hold the lock for the microseconds it takes to read and write the file; much longer means a
# process was stopped while holding it, and waiting on would stop this task too.
LOCK_TIMEOUT_SECONDS = 10.0

_O_NONBLOCK = getattr(os, 'O_NONBLOCK', 0)
_O_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)
_O_NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)


class RateLimiter:
    """Lets calls to each API go at most ``calls_per_second``, counted over the times they were let go.

    At most ``window_calls`` calls (the rate, rounded down, at least one) go out in any window of
    ``window_seconds`` (one second, longer for a rate under one a second). ``waited_seconds`` is the
    time every thread together spent in :meth:`wait` (16 threads waiting one second count 16);
    ``held_back_seconds`` is the time during which at least one call was held back, which a progress
    line compares with the time elapsed.
    """

    def __init__(self, calls_per_second=DEFAULT_CALLS_PER_SECOND, clock=time.monotonic, sleep=time.sleep):
        if calls_per_second <= 0:
            raise ValueError('calls_per_second must be greater than 0')
        self.interval = 1.0 / calls_per_second
        self.window_calls = max(1, int(calls_per_second))
        self.window_seconds = self.window_calls * self.interval
        self.waited_seconds = 0.0
        self.held_back_seconds = 0.0
        self._sleepers = 0
        self._held_back_since = None
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._own_windows = ProcessWindows(clock)
        self._shared_windows = None

    def held_back_so_far(self):
        """``held_back_seconds`` with the hold-back under way counted up to now: many threads may keep one open for long."""
        with self._lock:
            if not self._sleepers:
                return self.held_back_seconds
            return self.held_back_seconds + max(0.0, self._clock() - self._held_back_since)

    def share(self, shared_windows):
        """Keep the send times in ``shared_windows`` (a :class:`SharedWindows`) while it can be used."""
        with self._lock:
            self._shared_windows = shared_windows

    def wait(self, api):
        """Block until the calling thread may send its call to ``api`` now; return the seconds it waited."""
        started = self._clock()
        while True:
            with self._lock, self._windows().opened() as (now, apis):
                delay = self._admit(apis.setdefault(api, new_api_window()), now)
            if delay <= 0:
                break
            self._sleep_held_back(delay)
        waited = max(0.0, self._clock() - started)
        with self._lock:
            self.waited_seconds += waited
        return waited

    def _sleep_held_back(self, delay):
        with self._lock:
            if not self._sleepers:
                self._held_back_since = self._clock()
            self._sleepers += 1
        try:
            self._sleep(delay)
        finally:
            with self._lock:
                self._sleepers -= 1
                if not self._sleepers:
                    self.held_back_seconds += self._clock() - self._held_back_since

    def throttled(self, api, per_minute=False):
        """DingTalk throttled ``api``: hold back every caller of it for a whole window (or most of a minute's)."""
        pause = PER_MINUTE_THROTTLE_PAUSE_SECONDS if per_minute else THROTTLE_PAUSE_SECONDS
        with self._lock, self._windows().opened() as (now, apis):
            window = apis.setdefault(api, new_api_window())
            window['paused_until'] = max(window['paused_until'], now + pause)

    def _windows(self):
        if self._shared_windows is not None and self._shared_windows.usable():
            return self._shared_windows
        return self._own_windows

    def _admit(self, window, now):
        """Record a call sent ``now`` and return 0, or return how long to wait before asking again."""
        sent = window['sent']
        while sent and sent[0] <= now - max(self.window_seconds, 1.0):
            sent.pop(0)
        ready = max(window['paused_until'], window['next'])
        in_window = [moment for moment in sent if moment > now - self.window_seconds]
        if len(in_window) >= self.window_calls:
            ready = max(ready, in_window[-self.window_calls] + self.window_seconds)
        if ready > now:
            return ready - now
        sent.append(now)
        late = now - window['next']
        on_schedule = window['next'] > 0 and late <= CATCH_UP_FRACTION * self.interval
        window['next'] = (window['next'] if on_schedule else now) + self.interval
        return 0.0


def new_api_window():
    """One API's window: the times calls were sent (oldest first), when the next may go, and a throttling pause."""
    return {'sent': [], 'next': 0.0, 'paused_until': 0.0}


class ProcessWindows:
    """The windows of this process's calls, in memory (the caller holds the rate limiter's lock)."""

    def __init__(self, clock):
        self._clock = clock
        self._apis = {}

    @contextlib.contextmanager
    def opened(self):
        yield self._clock(), self._apis


def window_file_name(*parts):
    """The window file of one app on one API host: a sha256 hex digest of ``parts``, which may hold secrets, and the suffix."""
    digest = hashlib.sha256(b'community.dingtalk rate window\0')
    for part in parts:
        data = str(part).encode('utf-8', 'surrogatepass')
        digest.update(b'%d:' % len(data))
        digest.update(data)
    return digest.hexdigest() + WINDOW_FILE_SUFFIX


class SharedWindows:
    """The windows of one app's calls, shared by every process of this user through one locked file.

    ``directory_of()`` names the directory when the first call comes (the token cache's, settled by
    then); the file ``name`` (see :func:`window_file_name`) is created there. The directory must be
    this user's and closed to others; the file must be a regular file of this user, closed to others,
    with no other link to it. Otherwise, or when the file cannot be locked, :meth:`usable` turns false
    and the rate limiter keeps this process's own window; ``warn(message)`` says why, where the reason
    is not the directory's (the token cache warns about that). The file is opened for each call and
    closed again, so a long loop of tasks in one process holds no descriptor, and no child inherits
    one. Times are epoch seconds from ``clock``: processes share no other clock.
    """

    def __init__(self, directory_of, name, warn=None, clock=time.time, lock_timeout=LOCK_TIMEOUT_SECONDS):
        self._directory_of = directory_of
        self._name = name
        self._warn_callback = warn
        self._clock = clock
        self._lock_timeout = lock_timeout
        self._usable = None
        self._warned = set()
        self.path = None

    def usable(self):
        """Whether the file can be used: settled at the first call (the directory and the file checked), false after any failure."""
        if self._usable is None:
            self._usable = self._settle()
        return self._usable

    @contextlib.contextmanager
    def opened(self):
        """Yield ``(now, apis)`` read from the file under its lock, and write ``apis`` back."""
        fd = self._open()
        if fd is None or not self._lock(fd):
            self._usable = False
            if fd is not None:
                os.close(fd)
            yield time.time(), {}  # this one call goes unrecorded; from now on this process keeps its own window
            return
        try:
            now = self._clock()
            apis = dict((api, _clamped(window, now)) for api, window in self._read(fd).items())
            yield now, apis
            self._write(fd, apis, now)
        finally:
            _unlock(fd)
            os.close(fd)

    def _settle(self):
        if fcntl is None or not hasattr(os, 'geteuid'):
            return False
        directory = self._directory_of()
        if not _private_directory(directory):
            return False
        self.path = os.path.join(directory, self._name)
        fd = self._open()
        if fd is None:
            return False
        os.close(fd)
        return True

    def _open(self):
        """The window file's descriptor, created if need be, or None (with a warning) when it is not one of ours."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _O_NOFOLLOW | _O_NONBLOCK | _O_CLOEXEC, 0o600)
        except OSError as exc:
            self._warn(f'could not be opened ({exc.strerror})')
            return None
        problem = _foreign_file_problem(fd)
        if problem is not None:
            os.close(fd)
            self._warn(problem)
            return None
        return fd

    def _lock(self, fd):
        deadline = time.monotonic() + self._lock_timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self._warn(f'was locked by another process for more than {self._lock_timeout} seconds')
                    return False
                time.sleep(LOCK_POLL_SECONDS)
            except OSError as exc:  # some network file systems refuse flock
                self._warn(f'could not be locked ({exc.strerror})')
                return False

    def _read(self, fd):
        try:
            data = os.read(fd, MAX_WINDOW_BYTES + 1)
        except OSError as exc:
            self._warn(f'could not be read ({exc.strerror}); it is written anew', stop=False)
            return {}
        if not data:
            return {}
        apis = _parse_windows(data)
        if apis is None:
            self._warn('did not hold send times (it may have been cut off); it is written anew', stop=False)
            return {}
        return apis

    def _write(self, fd, apis, now):
        kept = {}
        for api, window in apis.items():
            # Another process's API that nobody has called for a while: its send times can hold nobody back any more.
            sent = [moment for moment in window['sent'] if moment > now - MAX_RETENTION_SECONDS]
            if sent or max(window['next'], window['paused_until']) > now:
                kept[api] = dict(window, sent=sent)
        data = json.dumps({'version': WINDOW_RECORD_VERSION, 'apis': kept}, allow_nan=False, separators=(',', ':')).encode('utf-8')
        try:
            os.pwrite(fd, data, 0)
            os.ftruncate(fd, len(data))
        except OSError as exc:
            self._warn(f'could not be written ({exc.strerror})')
            self._usable = False

    def _warn(self, reason, stop=True):
        message = f'The rate limit window file {self.path} {reason}.'
        if stop:
            message += ' This task keeps its own rate limit, so tasks running at the same time may draw throttling answers from DingTalk.'
        if self._warn_callback is not None and message not in self._warned:
            self._warned.add(message)
            self._warn_callback(message)


def _private_directory(directory):
    """Whether ``directory`` is a directory (not a link) of this user that nobody else may enter."""
    if not directory or not os.path.isabs(directory):
        return False
    try:
        info = os.lstat(directory)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not stat.S_IMODE(info.st_mode) & 0o077


def _foreign_file_problem(fd):
    """Why the opened window file is not one this user made for itself, or None."""
    try:
        info = os.fstat(fd)
    except OSError as exc:
        return f'could not be examined ({exc.strerror})'
    if not stat.S_ISREG(info.st_mode):
        return 'is not a regular file'
    if info.st_uid != os.geteuid():
        return f'is owned by uid {info.st_uid}, not by the current user'
    if info.st_nlink != 1:
        return 'has another link to it'
    permissions = stat.S_IMODE(info.st_mode)
    if permissions & 0o077:
        return f'is open to other users (permissions {permissions:04o})'
    if permissions != 0o600:
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o600)  # created under a umask such as 0277: not even its owner could reopen it for writing
    return None


def _parse_windows(data):
    """The windows a file holds, or None when it is not a window record."""
    if len(data) > MAX_WINDOW_BYTES:
        return None
    try:
        record = json.loads(data.decode('utf-8'))
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or record.get('version') != WINDOW_RECORD_VERSION or not isinstance(record.get('apis'), dict):
        return None
    apis = {}
    for api, window in record['apis'].items():
        if not isinstance(window, dict) or not isinstance(window.get('sent'), list):
            return None
        values = window['sent'] + [window.get('next'), window.get('paused_until')]
        if not all(_is_time(value) for value in values):
            return None
        apis[api] = {'sent': sorted(float(moment) for moment in window['sent']), 'next': float(window['next']), 'paused_until': float(window['paused_until'])}
    return apis


def _is_time(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _clamped(window, now):
    """``window`` with no time in the future further than it could be: the wall clock may have been set back."""
    return {
        'sent': [min(moment, now) for moment in window['sent']],
        'next': min(window['next'], now + PER_MINUTE_THROTTLE_PAUSE_SECONDS),
        'paused_until': min(window['paused_until'], now + PER_MINUTE_THROTTLE_PAUSE_SECONDS),
    }


def _unlock(fd):
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
