# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The archive module run as Ansible runs it, in this process: its file attributes, through the module door."""

from __future__ import annotations

import contextlib
import errno
import grp
import json
import os

import pytest
from ansible.module_utils import basic

from ansible_collections.community.dingtalk.plugins.modules import dingtalk_cloud_record_archive

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19: the arguments are read from basic._ANSIBLE_ARGS

    @contextlib.contextmanager
    def patch_module_args(args):
        basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode('utf-8')
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = None


pytestmark = pytest.mark.usefixtures('no_dingtalk_environment')

CONFERENCE = 'conf-arch'
HOST = 'host-union'


def run_archive(capsys, emulator, **args):
    args = dict(args, api_url=emulator.url, access_token=emulator.mint_token(), conference_id=CONFERENCE, union_id=HOST)
    with patch_module_args(args), pytest.raises(SystemExit):
        dingtalk_cloud_record_archive.main()
    return json.loads(capsys.readouterr().out)


def another_group():
    """A group of this machine other than the process's own: changing a file to it is a real change."""
    return next(group.gr_name for group in grp.getgrall() if group.gr_gid != os.getgid())


def test_a_group_this_machine_lacks_fails_before_any_call(capsys, emulator, tmp_path):
    emulator.add_conference(CONFERENCE)
    result = run_archive(capsys, emulator, dest=str(tmp_path), group='no-such-group-of-this-machine', mode='0640')
    assert result['failed'] is True
    assert result['msg'].startswith('group no-such-group-of-this-machine is not a group on this machine')
    assert emulator.requests_log() == []


def test_an_owner_this_machine_lacks_fails_before_any_call(capsys, emulator, tmp_path):
    emulator.add_conference(CONFERENCE)
    result = run_archive(capsys, emulator, dest=str(tmp_path), owner='no-such-user-of-this-machine')
    assert result['failed'] is True
    assert result['msg'].startswith('owner no-such-user-of-this-machine is not a user on this machine')
    assert emulator.requests_log() == []


def test_a_group_that_cannot_be_set_keeps_the_mode_and_the_result(capsys, emulator, tmp_path, monkeypatch):
    emulator.add_conference(CONFERENCE, cloud_record_status=1, host_union_id=HOST)
    emulator.add_recordings(CONFERENCE, videos=[{'media_id': 'media-1', 'file_size': 4096}])

    def lchown(path, uid, gid):
        # What a user who is not a member of the group gets (the tests may run as root, who may chgrp to any).
        raise PermissionError(errno.EPERM, 'Operation not permitted')

    monkeypatch.setattr(os, 'lchown', lchown)
    result = run_archive(capsys, emulator, dest=str(tmp_path), group=another_group(), mode='0640')
    assert (result['failed'], result['outcome'], result['changed']) == (True, 'archived', True), result
    [video] = result['files']
    assert (video['written'], video['attributes_failed']) == (True, True)
    assert 'chgrp failed' in video['msg'] and 'chgrp failed' in result['msg']
    assert os.path.getsize(video['path']) == 4096
    assert os.stat(video['path']).st_mode & 0o777 == 0o640  # the mode was set although the group could not be


def test_a_mode_that_cannot_be_set_still_gives_every_file_and_its_outcome(capsys, emulator, tmp_path):
    emulator.add_conference(CONFERENCE, cloud_record_status=1, host_union_id=HOST)
    emulator.add_recordings(CONFERENCE, videos=[{'media_id': 'media-1', 'file_size': 10}, {'media_id': 'media-2', 'file_size': 20}])
    result = run_archive(capsys, emulator, dest=str(tmp_path), mode='not-a-mode')
    assert (result['failed'], result['outcome']) == (True, 'archived')
    assert [entry['attributes_failed'] for entry in result['files']] == [True, True]
    assert all(os.path.getsize(entry['path']) == entry['size'] for entry in result['files'])
    assert result['msg'].startswith(f'2 of 2 files of conference {CONFERENCE} are archived')
