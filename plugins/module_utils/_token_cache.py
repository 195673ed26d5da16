# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Access tokens shared by every process of one user on one host: the records.

A lookup in ``vars:`` runs again for every reference and host, and each
host x task runs in its own forked worker, so without a shared cache one job
asks DingTalk for a token hundreds of times and gets throttled. Tokens are kept
in one small JSON file per credential set, named by a hash of the credentials,
in a directory only the current user can enter (_cache_dir.py says which), read
and written relative to that directory's descriptor. A per-key lock
(_file_lock.py) makes many processes asking at once cause exactly one token request.

Any problem with the cache ends in a warning and a direct token request: a
broken cache costs one extra request, never a task. No message names a token or
a secret. This is a private module: its interface may change without notice.
"""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import hmac
import json
import math
import os
import stat
import time

from ansible_collections.community.dingtalk.plugins.module_utils._cache_dir import CacheDirectory
from ansible_collections.community.dingtalk.plugins.module_utils._errors import is_sendable_token
from ansible_collections.community.dingtalk.plugins.module_utils._file_lock import acquire_lock, release_lock

DEFAULT_REFRESH_MARGIN_SECONDS = 300
# DingTalk's tokens live two hours. A lifetime beyond a year is not one to trust (and
# one beyond what a float holds would not even fit the record).
MAX_LIFETIME_SECONDS = 366 * 24 * 3600
RECORD_VERSION = 1

# A record is about two hundred bytes; a much larger file is not one of ours,
# and reading it whole would only waste memory.
MAX_RECORD_BYTES = 64 * 1024

# Opening a FIFO for reading would wait for a writer; for regular files the
# flag changes nothing.
_O_NONBLOCK = getattr(os, 'O_NONBLOCK', 0)
_O_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)
_HEX_DIGITS = frozenset('0123456789abcdef')


def cache_key(*parts):
    """The file name of the token for these credentials: a sha256 hex digest over ``parts``.

    Pass everything that decides which token DingTalk hands out (API host, app
    type, key, secret, corp id, ...): a changed secret then never reuses a token
    obtained with the old one. Each part is length-prefixed, so ``('ab', 'c')``
    and ``('a', 'bc')`` differ; None differs from ''.
    """
    digest = hashlib.sha256(b'community.dingtalk access token\0')
    for part in parts:
        if part is None:
            digest.update(b'N')
            continue
        if not isinstance(part, str):
            raise TypeError(f'cache_key() takes strings or None, not {type(part).__name__}')
        data = part.encode('utf-8', 'surrogatepass')
        digest.update(b'S%d:' % len(data))
        digest.update(data)
    return digest.hexdigest()


class TokenCache:
    """Tokens by cache key, in ``directory`` (default: the default cache directory, see _cache_dir.py).

    ``clock`` gives the epoch time used for token expiry. A cached token is
    reused until ``refresh_margin`` seconds before it expires (a tenth of its
    lifetime for tokens living less than twice that margin). ``lock_timeout``
    bounds the wait for another process fetching the same token. Problems are
    collected in ``warnings`` for the caller to show. ``directory`` names the
    directory settled on once the cache has been used: a private subdirectory
    of one open to others, or the fallback of a default directory that cannot be used.
    """

    def __init__(self, directory=None, clock=time.time, lock_timeout=120.0, refresh_margin=DEFAULT_REFRESH_MARGIN_SECONDS):
        self.warnings = []
        self._directory = CacheDirectory(directory, self._warn)
        self._clock = clock
        self._lock_timeout = lock_timeout
        self._refresh_margin = refresh_margin

    @property
    def directory(self):
        return self._directory.path

    def get_or_fetch(self, key, fetch):
        """Return the cached token for ``key``, or the one ``fetch()`` returns as ``(access_token, expires_in_seconds)``.

        ``fetch`` runs while the key's lock is held; its exceptions propagate
        and nothing is written then.
        """
        _check_key(key)
        directory_fd = self._directory.open()
        if directory_fd is None:
            return fetch()[0]
        try:
            # A valid token needs no lock: records are replaced atomically.
            token = self._valid_token(self._read_record(directory_fd, key, report=False))
            if token is not None:
                return token
            lock = self._acquire_lock(directory_fd, key)
            if lock is None:
                return fetch()[0]
            try:
                # Another process may have fetched while we waited for the lock:
                # this second look is what makes N processes cause one request.
                token = self._valid_token(self._read_record(directory_fd, key, report=True))
                if token is not None:
                    return token
                return self._fetch_and_store(directory_fd, key, fetch)
            finally:
                release_lock(lock)
        finally:
            os.close(directory_fd)

    def invalidate(self, key, token):
        """Forget the cached token for ``key`` if it is still ``token``.

        A process whose token was rejected must not throw away a newer token
        that another process has just fetched.
        """
        _check_key(key)
        directory_fd = self._directory.open()
        if directory_fd is None:
            return
        try:
            self._invalidate_in(directory_fd, key, token)
        finally:
            os.close(directory_fd)

    def discard(self, token):
        """Forget ``token`` under whichever key holds it.

        For a token handed over without its credentials (by the lookup to a
        module): the module cannot name the key, but can still keep a token
        DingTalk rejected from being handed out again.
        """
        # No directory, no token to discard: do not create one just to look.
        if not self._directory.may_hold_tokens():
            return
        directory_fd = self._directory.open()
        if directory_fd is None:
            return
        try:
            for name in os.listdir(directory_fd):
                key, extension = os.path.splitext(name)
                if extension != '.json' or len(key) != 64 or not _HEX_DIGITS.issuperset(key):
                    continue
                record = self._read_record(directory_fd, key, report=False)
                if record is not None and hmac.compare_digest(record['access_token'].encode('utf-8'), token.encode('utf-8')):
                    self._invalidate_in(directory_fd, key, token)
        except OSError:
            return
        finally:
            os.close(directory_fd)

    # Records ------------------------------------------------------------

    def _shown(self, name):
        return os.path.join(self.directory, name)

    def _invalidate_in(self, directory_fd, key, token):
        # Without the lock a newer token may be removed by mistake, which costs
        # one extra request; keeping the rejected token would fail the caller.
        lock = self._acquire_lock(directory_fd, key)
        try:
            record = self._read_record(directory_fd, key, report=lock is not None)
            if record is not None and record['access_token'] == token:
                try:
                    os.unlink(key + '.json', dir_fd=directory_fd)
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    self._warn('Could not remove the rejected token from the cache file {0} ({1}).'.format(self._shown(key + '.json'), exc.strerror))
        finally:
            release_lock(lock)

    def _valid_token(self, record):
        if record is None:
            return None
        remaining = record['expires_at'] - self._clock()
        return record['access_token'] if remaining > self._margin(record['expires_in']) else None

    def _margin(self, expires_in):
        # Short-lived tokens would never be reused with the full margin.
        if expires_in < 2 * self._refresh_margin:
            return expires_in / 10.0
        return self._refresh_margin

    def _fetch_and_store(self, directory_fd, key, fetch):
        # Read before asking: the token's lifetime starts at DingTalk, a little
        # later, so the stored expiry errs on the early side.
        started = self._clock()
        token, expires_in = fetch()
        if not isinstance(token, str) or not token or not _is_int(expires_in) or not 0 < expires_in <= MAX_LIFETIME_SECONDS:
            self._warn('The token answer has no usable lifetime; the token is not cached.')
            return token
        record = {'version': RECORD_VERSION, 'access_token': token, 'expires_at': float(started + expires_in), 'expires_in': expires_in}
        self._write_record(directory_fd, key, record)
        return token

    def _read_record(self, directory_fd, key, report):
        """Return the valid record of ``key``, or None.

        With ``report`` (only while holding the lock), a file that is not a
        valid record of ours is named in a warning and removed, so that the
        next write replaces it.
        """
        name = key + '.json'
        try:
            record, problem = _load_record(directory_fd, name)
        except OSError as exc:
            record, problem = None, f'could not be read ({exc.strerror})'
        if problem is not None and report:
            self._warn(f'Ignored the token cache file {self._shown(name)}: it {problem}. It is replaced by the next token.')
            _remove_quietly(directory_fd, name)  # also a symbolic link or another user's file, which a write must not reuse
        return record

    def _write_record(self, directory_fd, key, record):
        data = json.dumps(record, allow_nan=False).encode('utf-8')
        name = key + '.json'
        temp_name = '.{0}.{1}.tmp'.format(name, binascii.hexlify(os.urandom(8)).decode('ascii'))
        try:
            fd = os.open(temp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _O_CLOEXEC, 0o600, dir_fd=directory_fd)
        except OSError as exc:
            self._warn(f'Could not write to the token cache directory {self.directory} ({exc.strerror}); the token is not cached.')
            return
        try:
            with os.fdopen(fd, 'wb') as handle:
                os.fchmod(handle.fileno(), 0o600)  # O_CREAT's 0600 is filtered by the umask
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            # Readers see the old file or the new one, never a part of one.
            os.replace(temp_name, name, src_dir_fd=directory_fd, dst_dir_fd=directory_fd)
        except OSError as exc:
            _remove_quietly(directory_fd, temp_name)
            self._warn(f'Could not write the token cache file {self._shown(name)} ({exc.strerror}); the token is not cached.')

    def _acquire_lock(self, directory_fd, key):
        """The locked lock file's descriptor, WITHOUT_LOCK, or None when the cache must not be used now."""
        name = key + '.lock'
        return acquire_lock(directory_fd, name, self._shown(name), self._lock_timeout, self._warn)

    def _warn(self, message):
        if message not in self.warnings:
            self.warnings.append(message)


def _check_key(key):
    # The key becomes a file name: anything but a digest could leave the directory.
    if len(key) != 64 or not _HEX_DIGITS.issuperset(key):
        raise ValueError('a token cache key must be made by cache_key()')


def _load_record(directory_fd, name):
    """Return ``(record, None)``, ``(None, None)`` when there is no file, or ``(None, problem)``."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | _O_NONBLOCK | _O_CLOEXEC, dir_fd=directory_fd)
    except FileNotFoundError:
        return None, None
    except OSError:
        # O_NOFOLLOW refuses links with ELOOP, or EMLINK on some BSDs
        if stat.S_ISLNK(os.stat(name, dir_fd=directory_fd, follow_symlinks=False).st_mode):
            return None, 'is a symbolic link'
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, 'is not a regular file'
        if info.st_uid != os.geteuid():
            return None, f'is owned by uid {info.st_uid}, not by the current user'
        if stat.S_IMODE(info.st_mode) & 0o077:
            return None, f'is open to other users (permissions {stat.S_IMODE(info.st_mode):04o})'
        data = _read_up_to(fd, MAX_RECORD_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_RECORD_BYTES:
        return None, 'is too large to be a token record'
    try:
        record = json.loads(data.decode('utf-8'))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None, 'is not valid JSON'
    problem = _record_problem(record)
    return (None, problem) if problem else (record, None)


def _record_problem(record):
    """Why ``record`` is not a token record, in words that do not repeat its contents; None if it is one."""
    if not isinstance(record, dict):
        return 'does not hold a JSON object'
    for field, valid in (
        ('version', lambda value: _is_int(value) and value == RECORD_VERSION),
        # A token goes into a header: one with other characters could add headers of its own.
        ('access_token', is_sendable_token),
        ('expires_at', lambda value: (_is_int(value) or isinstance(value, float)) and math.isfinite(value)),
        ('expires_in', lambda value: _is_int(value) and value > 0),
    ):
        if field not in record:
            return f'lacks the field {field}'
        if not valid(record[field]):
            return f'has an invalid {field}'
    return None


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _read_up_to(fd, limit):
    chunks = []
    size = 0
    while size < limit:
        chunk = os.read(fd, limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b''.join(chunks)


def _remove_quietly(directory_fd, name):
    with contextlib.suppress(OSError):
        os.unlink(name, dir_fd=directory_fd)
