# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The files of an archive on storage that other users may write to: one conference's directory and what is in it.

On an OpenShift volume group 0 may write, every job's UID may plant links, files and directories where another
job writes. Here a conference directory is opened without following a link and used only when the running user
owns it; every entry is looked at and written relative to that descriptor, and one that is a link, not a regular
file or another user's fails its file with its path and why. Free of AnsibleModule and of DingTalk. This is a
private module: its interface may change without notice.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat

PART_SUFFIX = '.part'
# A directory opened for the *at() calls; on a platform without the flag, fstat still tells what it is.
_O_DIRECTORY = getattr(os, 'O_DIRECTORY', 0)
# Opening a FIFO for reading would wait for a writer; for regular files the flag changes nothing.
_O_NONBLOCK = getattr(os, 'O_NONBLOCK', 0)


class ArchiveFailure(Exception):
    """One file could not be archived. The text names the file and the host, never a link. ``retryable``: trying again may help."""

    def __init__(self, message, retryable=False):
        super().__init__(message)
        self.retryable = retryable


class Writer:
    """The files of one conference's directory, each looked at and written relative to the directory's descriptor.

    On storage that other users (other jobs) can write to, anything already there may have been planted. The
    directory is opened without following a link, and used only when the running user owns it (it is created,
    with ``directory_mode(new_file_mode)``, when missing). An entry that is a link, not a regular file, or another
    user's is never counted as complete, read, reused or written through: it fails its file, with its path and why.
    """

    def __init__(self, directory, check_mode, new_file_mode):
        self.directory = directory
        self.check_mode = check_mode
        self.new_file_mode = new_file_mode

    def path(self, name):
        return os.path.join(self.directory, name)

    def complete(self, path, size):
        """Whether ``path`` is a regular file of ours of ``size`` bytes. A file of another size is partial, or another file."""
        directory_fd = _open_directory(self.directory)
        if directory_fd is None:
            return False
        try:
            status = _own_entry(directory_fd, path)
        finally:
            os.close(directory_fd)
        return status is not None and status.st_size == size

    def holds(self, path, content):
        """Whether ``path`` holds exactly ``content`` (a small file)."""
        directory_fd = _open_directory(self.directory)
        if directory_fd is None:
            return False
        try:
            status = _own_entry(directory_fd, path)
            if status is None or status.st_size != len(content):
                return False
            fd = _open_own_file(directory_fd, path, os.O_RDONLY)
            with os.fdopen(fd, 'rb') as existing:
                return existing.read() == content
        except OSError as error:
            raise ArchiveFailure(f'{path} cannot be read: {error.strerror}') from None
        finally:
            os.close(directory_fd)

    def write(self, path, fill, size=None):
        """Let ``fill(fd)`` write the file into ``.<name>.part``, then rename it to ``path``.

        With ``size``, the file system must have that many bytes free first. The temporary file is created
        exclusively, or, left by an earlier run, reused only when it is a regular file of ours; it is locked, so
        that two runs never write into one, and whatever an earlier run left in it is thrown away. It is
        removed when ``fill`` fails.
        """
        directory_fd = _open_directory(self.directory, create_mode=directory_mode(self.new_file_mode))
        try:
            if size is not None:
                _check_free_space(directory_fd, path, size)
            mode = self._mode_for(directory_fd, path)
            part = os.path.join(self.directory, '.' + os.path.basename(path) + PART_SUFFIX)
            fd = _open_part(directory_fd, part)
            try:
                _lock(fd, part)
                self._fill_and_rename(directory_fd, fd, (part, path), fill, mode)
            finally:
                os.close(fd)
        finally:
            os.close(directory_fd)

    def _mode_for(self, directory_fd, path):
        """The mode of the file to write: that of the one it replaces (ours, checked), else new_file_mode; never setuid, setgid or sticky."""
        status = _own_entry(directory_fd, path)
        return (stat.S_IMODE(status.st_mode) if status is not None else self.new_file_mode) & 0o777

    @staticmethod
    def _fill_and_rename(directory_fd, fd, names, fill, mode):
        part, path = names
        try:
            os.ftruncate(fd, 0)  # a leftover of an interrupted run is never taken for a beginning
            fill(fd)
            os.fchmod(fd, mode)
            os.replace(os.path.basename(part), os.path.basename(path), src_dir_fd=directory_fd, dst_dir_fd=directory_fd)
        except BaseException as error:
            _remove(directory_fd, part)
            if isinstance(error, OSError):
                raise ArchiveFailure(f'{path} could not be written: {error.strerror}') from None
            raise


def directory_mode(file_mode):
    """The mode of a conference directory made for files of ``file_mode``: whoever may read them may enter, only the owner may write."""
    readable = file_mode & 0o044
    return 0o700 | readable | (readable >> 2)


def _open_directory(directory, create_mode=None):
    """A descriptor of ``directory``, a directory of the running user's reached without following a link at its end.

    With ``create_mode`` it is created first when missing; without, a missing one gives None.
    """
    created = False
    if create_mode is not None:
        try:
            os.mkdir(directory, create_mode)
            created = True
        except FileExistsError:
            pass
        except OSError as error:
            raise ArchiveFailure(f'the directory {directory} cannot be created: {error.strerror}') from None
    try:
        fd = os.open(directory, os.O_RDONLY | _O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        if create_mode is None:
            return None
        raise ArchiveFailure(f'the directory {directory} disappeared as it was created') from None
    except OSError as error:
        if os.path.islink(directory):  # O_NOFOLLOW refuses a link with ELOOP
            raise ArchiveFailure(f'{directory} is a symbolic link; nothing is written through it') from None
        if error.errno == errno.ENOTDIR:
            raise ArchiveFailure(f'{directory} exists and is not a directory') from None
        raise ArchiveFailure(f'the directory {directory} cannot be opened: {error.strerror}') from None
    try:
        owner = os.fstat(fd).st_uid
        if owner != os.geteuid():
            raise ArchiveFailure(f'{directory} is owned by uid {owner}, not by the current user (uid {os.geteuid()}); nothing is written into it')
        if created:
            os.fchmod(fd, create_mode)  # mkdir's mode is filtered by the umask
    except BaseException:
        os.close(fd)
        raise
    return fd


def _own_entry(directory_fd, path):
    """The status of ``path`` in the directory, None when there is none; ArchiveFailure when it is not a regular file of ours."""
    try:
        status = os.stat(os.path.basename(path), dir_fd=directory_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ArchiveFailure(f'{path} cannot be read: {error.strerror}') from None
    if stat.S_ISLNK(status.st_mode):
        raise ArchiveFailure(f'{path} is a symbolic link; it is not taken for the file, and nothing is written through it')
    if not stat.S_ISREG(status.st_mode):
        raise ArchiveFailure(f'{path} exists and is not a regular file')
    if status.st_uid != os.geteuid():
        raise ArchiveFailure(f'{path} is owned by uid {status.st_uid}, not by the current user (uid {os.geteuid()}); it is left as it is')
    return status


def _open_own_file(directory_fd, path, flags):
    """Open ``path`` in the directory without following a link; ArchiveFailure unless it is a regular file of ours, with one link."""
    fd = os.open(os.path.basename(path), flags | os.O_NOFOLLOW | os.O_CLOEXEC | _O_NONBLOCK, dir_fd=directory_fd)
    status = os.fstat(fd)
    problem = None
    if not stat.S_ISREG(status.st_mode):
        problem = 'is not a regular file'
    elif status.st_uid != os.geteuid():
        problem = f'is owned by uid {status.st_uid}, not by the current user (uid {os.geteuid()})'
    elif status.st_nlink != 1:
        problem = 'has other hard links'
    if problem is not None:
        os.close(fd)
        raise ArchiveFailure(f'{path} {problem}; it is not used')
    return fd


def _open_part(directory_fd, part):
    """The temporary file, created exclusively and private; one an earlier run left is reused only if it is a regular file of ours."""
    name = os.path.basename(part)
    try:
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=directory_fd)
        except FileExistsError:
            if stat.S_ISLNK(os.stat(name, dir_fd=directory_fd, follow_symlinks=False).st_mode):
                raise ArchiveFailure(f'the temporary file {part} is a symbolic link; nothing is written through it') from None
            return _open_own_file(directory_fd, part, os.O_WRONLY)
    except OSError as error:
        raise ArchiveFailure(f'the temporary file {part} cannot be opened: {error.strerror}') from None


def _lock(fd, part):
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise ArchiveFailure(f'another run is writing {part} right now') from None
        raise ArchiveFailure(f'the temporary file {part} cannot be locked: {error.strerror}') from None


def _check_free_space(directory_fd, path, size):
    try:
        info = os.fstatvfs(directory_fd)
    except OSError:
        return  # a file system that cannot say: the write itself will tell
    free = info.f_bavail * info.f_frsize
    if free < size:
        raise ArchiveFailure(f'{path} needs {size} bytes (fileSize), and its file system has {free} bytes free; nothing was downloaded')


def _remove(directory_fd, path):
    with contextlib.suppress(OSError):
        os.unlink(os.path.basename(path), dir_fd=directory_fd)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
