# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where the token cache lives, and who may use it: a directory only the running user can enter.

The collection never changes the mode of a directory it did not create. A directory that is the running
user's and closed to everyone else is used as it is; one that others may enter or own (a shared
``cache_dir`` such as ``/tmp``) is left alone, and the tokens go into a private subdirectory the collection
creates in it. When the default directory cannot be used (an AWX job may run as an arbitrary UID whose HOME
it cannot write), the cache moves to a directory of the job's own, then to one named with the user id in the
temporary directory, and when someone else took that name first, to a directory created there with a unique
name, which nobody can take in advance. Every task that falls back says so, and why each place was refused,
in the same words, which Ansible shows once per run. This is a private module: its interface may change
without notice.
"""

from __future__ import annotations

import os
import stat
import tempfile

CACHE_DIR_ENV = 'DINGTALK_TOKEN_CACHE_DIR'
# ansible-runner, which AWX runs jobs with, tells a job its artifact directory,
# <private data dir>/artifacts/<ident>, in this variable.
RUNNER_ARTIFACT_DIR_ENV = 'AWX_ISOLATED_DATA_DIR'
FALLBACK_DIR_NAME = 'community.dingtalk-tokens'

# A directory opened to work in, without following a link at its end; never inherited by a child.
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0) | os.O_NOFOLLOW | getattr(os, 'O_CLOEXEC', 0)


def default_cache_dir():
    """$DINGTALK_TOKEN_CACHE_DIR if set, else $XDG_CACHE_HOME/community.dingtalk/tokens, else ~/.cache/community.dingtalk/tokens."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return configured
    base = os.environ.get('XDG_CACHE_HOME')
    if not base or not os.path.isabs(base):  # the XDG spec says to ignore a relative value
        base = os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'community.dingtalk', 'tokens')


def user_dir_name():
    """The name of the running user's own directory among other users' (``community.dingtalk-tokens-<uid>``)."""
    return f'{FALLBACK_DIR_NAME}-{os.geteuid()}'


def fallback_cache_dirs():
    """Where the cache goes when the default directory cannot be used, best first.

    The private data directory of the ansible-runner job (AWX deletes it after the
    job, so its tokens die with the job), then the temporary directory, in a
    directory named with the user id. Should another user have taken that name,
    :class:`CacheDirectory` goes on to a directory with a unique name.
    """
    candidates = []
    private_data_dir = runner_private_data_dir()
    if private_data_dir is not None:
        candidates.append(os.path.join(private_data_dir, FALLBACK_DIR_NAME))
    candidates.append(os.path.join(tempfile.gettempdir(), user_dir_name()))
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


class CacheDirectory:
    """The directory the token cache settles on, checked on first use; ``warnings`` get what the user should know.

    ``directory`` is the one asked for (default: :func:`default_cache_dir`). Only the default is replaced
    by a fallback when it cannot be used: tokens never go anywhere but a directory the user chose, or a
    private subdirectory the collection creates in it.
    """

    def __init__(self, directory, warn):
        self.path = os.path.expanduser(directory if directory is not None else default_cache_dir())
        self._may_fall_back = directory is None and not os.environ.get(CACHE_DIR_ENV)
        self._warn = warn
        self._usable = None  # settled on first use, so that an unused cache touches nothing

    def open(self):
        """A descriptor of the settled directory, checked again to be private and ours; None when there is none to use."""
        if self._usable is None:
            self._usable = self._settle()
        if not self._usable:
            return None
        try:
            fd = os.open(self.path, _DIRECTORY_FLAGS)
        except OSError as exc:
            self._warn(f'Could not open the token cache directory {self.path} ({exc.strerror}); the token is fetched without the cache.')
            return None
        problem = _ownership_problem(os.fstat(fd))
        if problem is not None:
            os.close(fd)
            self._warn(f'The token cache directory {self.path} is not used because {problem}; the token is fetched without the cache.')
            return None
        return fd

    def may_hold_tokens(self):
        """Whether any directory the cache may settle on exists: without one there is no token to find, and none is created to look."""
        if self._usable is not None:
            return self._usable
        candidates = [self.path] + (fallback_cache_dirs() if self._may_fall_back and hasattr(os, 'geteuid') else [])
        return any(os.path.isdir(candidate) for candidate in candidates) or self._may_fall_back and bool(_unique_fallbacks())

    def _settle(self):
        """Find or make the directory to use (``path`` then names it); return whether there is one."""
        settled, problem = _settle(self.path, create_parents=True, shared=True)
        if settled is not None:
            self.path = settled
            return True
        if not self._may_fall_back:
            self._warn(f'The token cache directory {self.path} is not used because {problem}; tokens are fetched from DingTalk for every use.')
            return False
        refusals = []
        for candidate in fallback_cache_dirs() + [None]:
            if candidate is None:
                fallback, fallback_problem = _unique_fallback()
            else:
                # A fallback's parent (the job's directory, the temporary directory) must exist already.
                fallback, fallback_problem = _settle(candidate, create_parents=False, shared=False)
            if fallback_problem is None:
                # Every task of a run is a process of its own, and each says so in the same words:
                # Ansible shows a warning once per run however many tasks give it, and so the
                # notice is there in every run, the first task of which may not be the one that
                # created the fallback (an earlier run's in the temporary directory, a parallel task's).
                self._warn(f'The token cache directory {self.path} cannot be used because {problem}{_said(refusals)}; tokens are cached in {fallback} instead.')
                self.path = fallback
                return True
            refusals.append((candidate, fallback_problem))
        self._warn(
            f'The token cache directory {self.path} cannot be used because {problem}{_said(refusals)}; each task keeps its token in memory and asks '
            'DingTalk for its own. Set cache_dir (or DINGTALK_TOKEN_CACHE_DIR) to a directory this user may write to.'
        )
        return False


def _said(refusals):
    """The refused fallbacks, for a warning: each with why."""
    return ''.join(f'; {problem}' if path is None else f'; {path} cannot be used because {problem}' for path, problem in refusals)


def _settle(directory, create_parents, shared):
    """Create or check a cache directory; return ``(directory to use, None)`` or ``(None, why it cannot be used)``.

    With ``create_parents``, missing parents are created too, private like the directory itself (the XDG
    base directory spec asks 0700 for ~/.cache). With ``shared``, a directory that is not private and ours is
    left as it is, and the private subdirectory ``community.dingtalk-tokens-<uid>`` in it is used instead.
    """
    if not hasattr(os, 'geteuid'):
        return None, 'this platform cannot tell who owns a file'
    if not os.path.isabs(directory):
        return None, 'it is not an absolute path'
    problem, other_users = _make_or_check(directory, create_parents)
    if problem is None:
        return directory, None
    if not (shared and other_users):
        return None, problem
    private = os.path.join(directory, user_dir_name())
    private_problem, _other_users = _make_or_check(private, create_parents=False)
    if private_problem is None:
        return private, None
    return None, f'{problem}, and its private subdirectory {private} cannot be used because {private_problem}'


def _make_or_check(directory, create_parents):
    """mkdir a private ``directory`` unless it exists; return why it is not a private directory of ours (or None), and whether others are why."""
    try:
        _make_private_directory(directory, create_parents)
    except FileExistsError:
        pass  # checked below like a new one
    except OSError as exc:
        return f'it could not be created ({exc.strerror})', False
    try:
        info = os.lstat(directory)
    except OSError as exc:
        return f'it could not be examined ({exc.strerror})', False
    if stat.S_ISLNK(info.st_mode):
        return 'it is a symbolic link', False
    if not stat.S_ISDIR(info.st_mode):
        return 'it is not a directory', False
    problem = _ownership_problem(info)
    return problem, problem is not None


def _ownership_problem(info):
    if info.st_uid != os.geteuid():
        return f'it is owned by uid {info.st_uid}, not by the current user (uid {os.geteuid()})'
    if info.st_mode & 0o077:
        # Only the directory itself needs to be private: its own 0700 keeps everyone else
        # out, whatever the parents' modes are. Shown with the sticky bit and the others.
        return f'it is open to other users (permissions {stat.S_IMODE(info.st_mode):04o})'
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


def _unique_fallbacks():
    """The running user's private directories with a unique name in the temporary directory, oldest name first."""
    temp = tempfile.gettempdir()
    prefix = user_dir_name() + '-'
    try:
        names = sorted(name for name in os.listdir(temp) if name.startswith(prefix))
    except OSError:
        return []
    return [os.path.join(temp, name) for name in names if _make_or_check(os.path.join(temp, name), create_parents=False)[0] is None]


def _unique_fallback():
    """``(directory, None)``: the first unique-named directory of ours, or a new one; ``(None, problem)`` when none can be made."""
    existing = _unique_fallbacks()
    if existing:
        return existing[0], None
    try:
        # mkdtemp picks a name nobody has: no one can have made it in advance.
        directory = tempfile.mkdtemp(prefix=user_dir_name() + '-')
        os.chmod(directory, 0o700)  # mkdtemp's 0700 is filtered by the umask
        return directory, None
    except OSError as exc:
        return None, f'no directory could be created in {tempfile.gettempdir()} ({exc.strerror})'
