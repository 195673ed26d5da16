# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Locks that the processes of one user take on a lock file in a directory, so that one of them does a thing at a time.

A lock file is opened relative to its directory's descriptor, never through a link, and used only when it is
a regular file of the running user's: one that another user planted (in a directory that was once open to
them) could otherwise be held by them for as long as they like. Problems end in a warning and no lock, never
in a failure. This is a private module: its interface may change without notice.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time

try:
    import fcntl
except ImportError:  # Not POSIX: callers go on without locks, see acquire_lock.
    fcntl = None

LOCK_POLL_SECONDS = 0.05

# Opening a FIFO would wait for the other end; for regular files the flag changes nothing.
_O_NONBLOCK = getattr(os, 'O_NONBLOCK', 0)

# Returned by acquire_lock when the caller is to go on without a lock.
WITHOUT_LOCK = object()


def acquire_lock(directory_fd, name, shown_path, timeout, warn):
    """Lock the file ``name`` of the directory ``directory_fd``, creating it; return its descriptor, WITHOUT_LOCK, or None.

    None means the lock file must not be used now: it cannot be opened, it is not ours, or another process held
    it for ``timeout`` seconds; ``warn`` is told why, naming ``shown_path``. WITHOUT_LOCK means that this
    platform or file system cannot lock, and the caller may go on unlocked.
    """
    if fcntl is None:
        # Without flock concurrent processes may each do the work once; the caller's writes
        # stay atomic, so the cost is a few extra requests, not a broken file.
        return WITHOUT_LOCK
    try:
        # The lock file is never removed: removing a lock file others may
        # have open lets two processes hold "the" lock at once.
        fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | _O_NONBLOCK, 0o600, dir_fd=directory_fd)
    except OSError as exc:
        warn(f'Could not open the token cache lock file {shown_path} ({exc.strerror}); the token is fetched without the cache.')
        return None
    problem = _lock_file_problem(fd)
    if problem is not None:
        os.close(fd)
        warn(f'The token cache lock file {shown_path} is not used: it {problem}; the token is fetched without the cache.')
        return None
    return _wait_for_lock(fd, shown_path, timeout, warn)


def release_lock(lock):
    """Release what acquire_lock returned."""
    if lock is None or lock is WITHOUT_LOCK:
        return
    try:
        # Unlock explicitly: a child forked meanwhile shares the descriptor and
        # would otherwise keep the lock until it exits.
        fcntl.flock(lock, fcntl.LOCK_UN)
    except OSError:
        pass
    finally:
        os.close(lock)


def _lock_file_problem(fd):
    """Why the open lock file is not one to use, or None; a new one of ours gets the 0600 the umask may have filtered."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        return 'is not a regular file'
    if info.st_uid != os.geteuid():
        return f'is owned by uid {info.st_uid}, not by the current user (uid {os.geteuid()})'
    if stat.S_IMODE(info.st_mode) != 0o600:
        # With a umask such as 0277 the file would be 0400, which not even its owner can
        # reopen for writing. Its content is never read, so a failure here is ignored.
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o600)
    return None


def _wait_for_lock(fd, shown_path, timeout, warn):
    deadline = time.monotonic() + timeout  # not a token clock: this one is for waiting
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                os.close(fd)
                warn(f'Another process held the token cache lock {shown_path} for more than {timeout} seconds; the token is fetched without the cache.')
                return None
            time.sleep(min(LOCK_POLL_SECONDS, remaining))
        except OSError as exc:
            # Some network file systems refuse flock: the cache still
            # helps without it, as on platforms without fcntl.
            os.close(fd)
            warn(f'Could not lock the token cache lock file {shown_path} ({exc.strerror}); the cache is used without a lock.')
            return WITHOUT_LOCK
        else:
            return fd
