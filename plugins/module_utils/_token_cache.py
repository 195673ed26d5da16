# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Access tokens shared by every process of one user on one host.

A lookup in ``vars:`` runs again for every reference and host, and each
host x task runs in its own forked worker, so without a shared cache one job
asks DingTalk for a token hundreds of times and gets throttled. Tokens are kept
in one small JSON file per credential set, named by a hash of the credentials,
in a directory only the current user can enter. A per-key lock makes many
processes asking at once cause exactly one token request.

When the default directory cannot be used (an AWX job may run as an arbitrary
UID whose HOME it cannot write), the cache moves to a directory of the job's
own, and every task that uses it says so in the same words, which Ansible shows
once per run. Any other problem with the
cache ends in a warning and a direct token request: a broken cache costs one
extra request, never a task. No message names a token or a secret. This is a
private module: its interface may change without notice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import stat
import tempfile
import time

from ansible_collections.community.dingtalk.plugins.module_utils._errors import is_sendable_token

try:
    import fcntl
except ImportError:  # Not POSIX: the cache is used without locks, see _acquire_lock.
    fcntl = None


DEFAULT_REFRESH_MARGIN_SECONDS = 300
# DingTalk's tokens live two hours. A lifetime beyond a year is not one to trust (and
# one beyond what a float holds would not even fit the record).
MAX_LIFETIME_SECONDS = 366 * 24 * 3600
CACHE_DIR_ENV = 'DINGTALK_TOKEN_CACHE_DIR'
# ansible-runner, which AWX runs jobs with, tells a job its artifact directory,
# <private data dir>/artifacts/<ident>, in this variable.
RUNNER_ARTIFACT_DIR_ENV = 'AWX_ISOLATED_DATA_DIR'
FALLBACK_DIR_NAME = 'community.dingtalk-tokens'
RECORD_VERSION = 1

LOCK_POLL_SECONDS = 0.05
# A record is about two hundred bytes; a much larger file is not one of ours,
# and reading it whole would only waste memory.
MAX_RECORD_BYTES = 64 * 1024

# Opening a FIFO for reading would wait for a writer; for regular files the
# flag changes nothing.
_O_NONBLOCK = getattr(os, 'O_NONBLOCK', 0)
_HEX_DIGITS = frozenset('0123456789abcdef')

# Returned by _acquire_lock when the cache is to be used without a lock.
_WITHOUT_LOCK = object()


def default_cache_dir():
    """$DINGTALK_TOKEN_CACHE_DIR if set, else $XDG_CACHE_HOME/community.dingtalk/tokens, else ~/.cache/community.dingtalk/tokens."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return configured
    base = os.environ.get('XDG_CACHE_HOME')
    if not base or not os.path.isabs(base):  # the XDG spec says to ignore a relative value
        base = os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'community.dingtalk', 'tokens')


def fallback_cache_dirs():
    """Where the cache goes when the default directory cannot be used, best first.

    The private data directory of the ansible-runner job (AWX deletes it after the
    job, so its tokens die with the job), then the temporary directory, in a
    directory named with the user id: in the sticky /tmp nobody else can replace it.
    """
    candidates = []
    private_data_dir = runner_private_data_dir()
    if private_data_dir is not None:
        candidates.append(os.path.join(private_data_dir, FALLBACK_DIR_NAME))
    candidates.append(os.path.join(tempfile.gettempdir(), '{0}-{1}'.format(FALLBACK_DIR_NAME, os.geteuid())))
    return candidates


def runner_private_data_dir():
    """The private data directory of the ansible-runner job this process runs in, or None.

    Found from the artifact directory ansible-runner announces. The artifact
    directory itself is no place for tokens: AWX copies it back to the controller.
    """
    artifact_dir = os.environ.get(RUNNER_ARTIFACT_DIR_ENV)
    if not artifact_dir or not os.path.isabs(artifact_dir):
        return None
    artifacts = os.path.dirname(os.path.normpath(artifact_dir))
    if os.path.basename(artifacts) != 'artifacts':
        return None
    return os.path.dirname(artifacts)


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
            raise TypeError('cache_key() takes strings or None, not {0}'.format(type(part).__name__))
        data = part.encode('utf-8', 'surrogatepass')
        digest.update(b'S%d:' % len(data))
        digest.update(data)
    return digest.hexdigest()


class TokenCache:
    """Tokens by cache key, in ``directory`` (default: :func:`default_cache_dir`).

    ``clock`` gives the epoch time used for token expiry. A cached token is
    reused until ``refresh_margin`` seconds before it expires (a tenth of its
    lifetime for tokens living less than twice that margin). ``lock_timeout``
    bounds the wait for another process fetching the same token. Problems are
    collected in ``warnings`` for the caller to show.

    Without ``directory`` and DINGTALK_TOKEN_CACHE_DIR, a default directory that
    cannot be used is replaced by the first usable of :func:`fallback_cache_dirs`
    (``directory`` then names it), with a warning that is the same in every process.
    """

    def __init__(self, directory=None, clock=time.time, lock_timeout=120.0, refresh_margin=DEFAULT_REFRESH_MARGIN_SECONDS):
        self.directory = os.path.expanduser(directory if directory is not None else default_cache_dir())
        # Only the default directory is replaced by a fallback when it cannot be used: tokens never
        # go anywhere but a directory the user chose.
        self._may_fall_back = directory is None and not os.environ.get(CACHE_DIR_ENV)
        self.warnings = []
        self._clock = clock
        self._lock_timeout = lock_timeout
        self._refresh_margin = refresh_margin
        self._usable = None  # checked on first use, so that an unused cache touches nothing

    def get_or_fetch(self, key, fetch):
        """Return the cached token for ``key``, or the one ``fetch()`` returns as ``(access_token, expires_in_seconds)``.

        ``fetch`` runs while the key's lock is held; its exceptions propagate
        and nothing is written then.
        """
        _check_key(key)
        if not self._directory_usable():
            return fetch()[0]
        path = self._record_path(key)  # in the directory settled on: the default one may have been replaced
        # A valid token needs no lock: records are replaced atomically.
        token = self._valid_token(self._read_record(path, report=False))
        if token is not None:
            return token
        lock = self._acquire_lock(key)
        if lock is None:
            return fetch()[0]
        try:
            # Another process may have fetched while we waited for the lock:
            # this second look is what makes N processes cause one request.
            token = self._valid_token(self._read_record(path, report=True))
            if token is not None:
                return token
            return self._fetch_and_store(path, fetch)
        finally:
            _release_lock(lock)

    def invalidate(self, key, token):
        """Forget the cached token for ``key`` if it is still ``token``.

        A process whose token was rejected must not throw away a newer token
        that another process has just fetched.
        """
        _check_key(key)
        if not self._directory_usable():
            return
        path = self._record_path(key)
        # Without the lock a newer token may be removed by mistake, which costs
        # one extra request; keeping the rejected token would fail the caller.
        lock = self._acquire_lock(key)
        try:
            record = self._read_record(path, report=lock is not None)
            if record is not None and record['access_token'] == token:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    self._warn('Could not remove the rejected token from the cache file {0} ({1}).'.format(path, exc.strerror))
        finally:
            _release_lock(lock)

    def discard(self, token):
        """Forget ``token`` under whichever key holds it.

        For a token handed over without its credentials (by the lookup to a
        module): the module cannot name the key, but can still keep a token
        DingTalk rejected from being handed out again.
        """
        # No directory, no token to discard: do not create one just to look.
        if not any(os.path.isdir(directory) for directory in self._candidate_directories()) or not self._directory_usable():
            return
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        for name in names:
            key, extension = os.path.splitext(name)
            if extension != '.json' or len(key) != 64 or not _HEX_DIGITS.issuperset(key):
                continue
            record = self._read_record(os.path.join(self.directory, name), report=False)
            if record is not None and hmac.compare_digest(record['access_token'].encode('utf-8'), token.encode('utf-8')):
                self.invalidate(key, token)

    # Records ------------------------------------------------------------

    def _record_path(self, key):
        return os.path.join(self.directory, key + '.json')

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

    def _fetch_and_store(self, path, fetch):
        # Read before asking: the token's lifetime starts at DingTalk, a little
        # later, so the stored expiry errs on the early side.
        started = self._clock()
        token, expires_in = fetch()
        if not isinstance(token, str) or not token or not _is_int(expires_in) or not 0 < expires_in <= MAX_LIFETIME_SECONDS:
            self._warn('The token answer has no usable lifetime; the token is not cached.')
            return token
        self._write_record(path, {'version': RECORD_VERSION, 'access_token': token, 'expires_at': float(started + expires_in), 'expires_in': expires_in})
        return token

    def _read_record(self, path, report):
        """Return the valid record at ``path``, or None.

        With ``report`` (only while holding the lock), a file that is not a
        valid record of ours is named in a warning and removed, so that the
        next write replaces it.
        """
        try:
            record, problem = _load_record(path)
        except OSError as exc:
            record, problem = None, 'could not be read ({0})'.format(exc.strerror)
        if problem is not None and report:
            self._warn('Ignored the token cache file {0}: it {1}. It is replaced by the next token.'.format(path, problem))
            _remove_quietly(path)  # also a symbolic link or another user's file, which a write must not reuse
        return record

    def _write_record(self, path, record):
        data = json.dumps(record, allow_nan=False).encode('utf-8')
        try:
            fd, temp_path = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', suffix='.tmp', dir=self.directory)
        except OSError as exc:
            self._warn('Could not write to the token cache directory {0} ({1}); the token is not cached.'.format(self.directory, exc.strerror))
            return
        try:
            with os.fdopen(fd, 'wb') as handle:
                os.fchmod(handle.fileno(), 0o600)  # mkstemp's 0600 is filtered by the umask
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            # Readers see the old file or the new one, never a part of one.
            os.replace(temp_path, path)
        except OSError as exc:
            _remove_quietly(temp_path)
            self._warn('Could not write the token cache file {0} ({1}); the token is not cached.'.format(path, exc.strerror))

    # Directory and locks -------------------------------------------------

    def _directory_usable(self):
        if self._usable is None:
            self._usable = self._settle_directory()
        return self._usable

    def _candidate_directories(self):
        if self._usable or not self._may_fall_back or not hasattr(os, 'geteuid'):
            return [self.directory]
        return [self.directory] + fallback_cache_dirs()

    def _settle_directory(self):
        """Prepare the cache directory, or a fallback for the default one; return whether there is one to use."""
        problem = _prepare_directory(self.directory, self._warn, create_parents=True)
        if problem is None:
            return True
        if not self._may_fall_back:
            self._warn('The token cache directory {0} is not used because {1}; tokens are fetched from DingTalk for every use.'.format(self.directory, problem))
            return False
        fallbacks = self._candidate_directories()[1:]
        for fallback in fallbacks:
            # A fallback's parent (the job's directory, the temporary directory) must exist already.
            fallback_problem = _prepare_directory(fallback, self._warn, create_parents=False)
            if fallback_problem is None:
                # Every task of a run is a process of its own, and each says so in the same words:
                # Ansible shows a warning once per run however many tasks give it, and so the
                # notice is there in every run, the first task of which may not be the one that
                # created the fallback (an earlier run's in the temporary directory, a parallel task's).
                self._warn(
                    'The token cache directory {0} cannot be used because {1}; tokens are cached in {2} instead.'.format(self.directory, problem, fallback)
                )
                self.directory = fallback
                return True
        self._warn(
            'The token cache directory {0} cannot be used because {1}, and neither can {2}; each task keeps its '
            'token in memory and asks DingTalk for its own. Set cache_dir (or DINGTALK_TOKEN_CACHE_DIR) to a '
            'directory this user may write to.'.format(self.directory, problem, ' or '.join(fallbacks) or 'a fallback')
        )
        return False

    def _acquire_lock(self, key):
        """Return the locked lock file's descriptor, _WITHOUT_LOCK, or None when the cache must not be used now."""
        if fcntl is None:
            # Without flock concurrent processes may each fetch once; writes
            # stay atomic, so the cost is a few extra requests, not a broken file.
            return _WITHOUT_LOCK
        lock_path = os.path.join(self.directory, key + '.lock')
        try:
            # The lock file is never removed: removing a lock file others may
            # have open lets two processes hold "the" lock at once.
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | _O_NONBLOCK, 0o600)
        except OSError as exc:
            self._warn('Could not open the token cache lock file {0} ({1}); the token is fetched without the cache.'.format(lock_path, exc.strerror))
            return None
        _make_private(fd)
        deadline = time.monotonic() + self._lock_timeout  # not self._clock: that one is for token expiry
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    os.close(fd)
                    self._warn(
                        'Another process held the token cache lock {0} for more than {1} seconds; the token is fetched without the cache.'.format(
                            lock_path, self._lock_timeout
                        )
                    )
                    return None
                time.sleep(min(LOCK_POLL_SECONDS, remaining))
            except OSError as exc:
                # Some network file systems refuse flock: the cache still
                # helps without it, as on platforms without fcntl.
                os.close(fd)
                self._warn('Could not lock the token cache lock file {0} ({1}); the cache is used without a lock.'.format(lock_path, exc.strerror))
                return _WITHOUT_LOCK
            else:
                return fd

    def _warn(self, message):
        if message not in self.warnings:
            self.warnings.append(message)


def _check_key(key):
    # The key becomes a file name: anything but a digest could leave the directory.
    if len(key) != 64 or not _HEX_DIGITS.issuperset(key):
        raise ValueError('a token cache key must be made by cache_key()')


def _prepare_directory(directory, warn, create_parents):
    """Create or check a cache directory; return why it cannot be used, or None.

    With ``create_parents``, missing parents are created too, private like the
    directory itself (the XDG base directory spec asks 0700 for ~/.cache).
    """
    if not hasattr(os, 'geteuid'):
        return 'this platform cannot tell who owns a file'
    if not os.path.isabs(directory):
        return 'it is not an absolute path'
    try:
        _make_private_directory(directory, create_parents)
    except FileExistsError:
        pass  # checked below like a new one
    except OSError as exc:
        return 'it could not be created ({0})'.format(exc.strerror)
    try:
        info = os.lstat(directory)
    except OSError as exc:
        return 'it could not be examined ({0})'.format(exc.strerror)
    if stat.S_ISLNK(info.st_mode):
        return 'it is a symbolic link'
    if not stat.S_ISDIR(info.st_mode):
        return 'it is not a directory'
    if info.st_uid != os.geteuid():
        return 'it is owned by uid {0}, not by the current user (uid {1})'.format(info.st_uid, os.geteuid())
    permissions = stat.S_IMODE(info.st_mode) & 0o777
    if permissions != 0o700:
        # Only the directory itself needs to be private: its own 0700 keeps
        # everyone else out, whatever the parents' modes are.
        try:
            os.chmod(directory, 0o700)
        except OSError as exc:
            return 'its permissions {0:04o} could not be set to 0700 ({1})'.format(permissions, exc.strerror)
        if permissions & 0o077:
            warn('The token cache directory {0} was open to other users (permissions {1:04o}); they are now 0700.'.format(directory, permissions))
    return None


def _make_private_directory(directory, create_parents):
    """mkdir ``directory`` with mode 0700 (and its missing parents, with ``create_parents``); FileExistsError if it exists.

    A parent that exists, or that another process creates meanwhile, is left as
    it is: only what this process creates is made private.
    """
    missing = []
    path = directory
    while create_parents and not os.path.lexists(os.path.dirname(path)):
        path = os.path.dirname(path)
        missing.append(path)
    for parent in reversed(missing):
        try:
            os.mkdir(parent, 0o700)
        except FileExistsError:
            continue
        os.chmod(parent, 0o700)  # mkdir's mode is filtered by the umask
    os.mkdir(directory, 0o700)
    os.chmod(directory, 0o700)


def _release_lock(lock):
    if lock is None or lock is _WITHOUT_LOCK:
        return
    try:
        # Unlock explicitly: a child forked meanwhile shares the descriptor and
        # would otherwise keep the lock until it exits.
        fcntl.flock(lock, fcntl.LOCK_UN)
    except OSError:
        pass
    finally:
        os.close(lock)


def _make_private(fd):
    """Give a new lock file the 0600 that O_CREAT's mode asked for before the umask filtered it.

    With a umask such as 0277 the file would be 0400, which not even its owner
    can reopen for writing. Its content is never read, so a failure here is
    ignored.
    """
    try:
        info = os.fstat(fd)
        if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) != 0o600:
            os.fchmod(fd, 0o600)
    except OSError:
        pass


def _load_record(path):
    """Return ``(record, None)``, ``(None, None)`` when there is no file, or ``(None, problem)``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | _O_NONBLOCK)
    except FileNotFoundError:
        return None, None
    except OSError:
        if os.path.islink(path):  # O_NOFOLLOW refuses links with ELOOP, or EMLINK on some BSDs
            return None, 'is a symbolic link'
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, 'is not a regular file'
        if info.st_uid != os.geteuid():
            return None, 'is owned by uid {0}, not by the current user'.format(info.st_uid)
        if stat.S_IMODE(info.st_mode) & 0o077:
            return None, 'is open to other users (permissions {0:04o})'.format(stat.S_IMODE(info.st_mode))
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
            return 'lacks the field {0}'.format(field)
        if not valid(record[field]):
            return 'has an invalid {0}'.format(field)
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


def _remove_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass
