# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Another local user, for the tests of what the collection does on shared storage and shared machines.

The tests run as root; ``other_user`` is an unprivileged user made for the test and always removed, who plants
links, files and directories (``other_user.run('ln -s ...')``) in a ``shared_root`` that both may enter: a
private temporary root of the test's own, never the entries of other processes in the real /tmp.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections import namedtuple

import pytest

_LocalUser = namedtuple('_LocalUser', ['name', 'uid', 'gid'])


class LocalUser(_LocalUser):
    def run(self, script):
        """Run the shell ``script`` as this user, with no supplementary group; raise if it fails."""
        command = ['setpriv', f'--reuid={self.uid}', f'--regid={self.gid}', '--clear-groups', '--', 'sh', '-ec', script]
        subprocess.run(command, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={'PATH': '/usr/bin:/bin'})


@pytest.fixture
def other_user():
    """A new unprivileged local user with a group of its own, removed after the test."""
    if os.geteuid() != 0 or not all(shutil.which(tool) for tool in ('useradd', 'userdel', 'setpriv')):
        pytest.skip('needs root and useradd, userdel and setpriv to act as another local user')
    name = f'dt-{uuid.uuid4().hex[:12]}'
    subprocess.run(['useradd', '--system', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', name], check=True, capture_output=True)
    try:
        entry = pwd.getpwnam(name)
        yield LocalUser(name, entry.pw_uid, entry.pw_gid)
    finally:
        subprocess.run(['userdel', name], check=False, capture_output=True)


@pytest.fixture
def shared_root():
    """A directory both root and another user may enter, removed after the test (``tmp_path`` is root's alone)."""
    root = tempfile.mkdtemp(prefix='community.dingtalk-test-')
    os.chmod(root, 0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def shared_dir(shared_root):
    """``shared_dir(name, mode)``: a root-owned directory in ``shared_root`` with exactly ``mode`` (1777 plays /tmp)."""

    def make(name, mode):
        path = os.path.join(shared_root, name)
        os.mkdir(path)
        os.chmod(path, mode)
        return path

    return make
