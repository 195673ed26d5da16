# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Archiving into a dest that another local user can write to, as group 0 can on an OpenShift mount.

The collection runs as root (the tests' user); another user, made for the test, plants links, partial files and
directories first. Nothing may be written through a link, nothing may end up owned by the other user, no setuid
bit may appear, and each refusal names the path.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils._archive import check_dest
from ansible_collections.community.dingtalk.plugins.module_utils._errors import InvalidOptionError
from ansible_collections.community.dingtalk.tests.unit.plugins.module_utils.test_archive import CONFERENCE, add_videos, archive, stopped

SIZE = 300000


@pytest.fixture
def recorded(emulator):
    return stopped(emulator, recording_size=SIZE)


@pytest.fixture
def dest(shared_dir):
    """The shared archive: writable by every user, sticky, as a careful administrator would still leave /tmp."""
    return shared_dir('dest', 0o1777)


def media_of(recorded):
    return recorded.recordings()[0]['videos'][0]['media_id']


def loose_conference_directory(dest):
    """dest/<conference>, ours but open to everyone (as an older version or a lax umask left it)."""
    path = os.path.join(dest, CONFERENCE)
    os.mkdir(path)
    os.chmod(path, 0o777)
    return path


def root_file(shared_root, name, content, mode):
    path = os.path.join(shared_root, name)
    with open(path, 'wb') as handle:
        handle.write(content)
    os.chmod(path, mode)
    return path


def files_under(root):
    """Every entry under ``root`` (links not followed): ``{path: lstat}``."""
    found = {}
    for folder, directories, names in os.walk(root):
        for name in directories + names:
            found[os.path.join(folder, name)] = os.lstat(os.path.join(folder, name))
    return found


def assert_nothing_of_theirs_and_no_setuid(root, other_user, planted=()):
    for path, info in files_under(root).items():
        if path not in planted:
            assert info.st_uid != other_user.uid, path
        assert not info.st_mode & (stat.S_ISUID | stat.S_ISGID), path


def failed_video(result):
    assert result['outcome'] == 'failed'
    (video,) = [entry for entry in result['files'] if entry['kind'] == 'video']
    assert video['failed'] and not video['written']
    return video


def test_a_link_to_a_setuid_file_is_not_written_through_and_no_setuid_file_appears(recorded, dest, shared_root, other_user):
    folder = loose_conference_directory(dest)
    target = root_file(shared_root, 'setuid-tool', b'#!/bin/sh\n', 0o4755)
    link = os.path.join(folder, media_of(recorded) + '.mp4')
    other_user.run(f'ln -s {target} {link}')
    video = failed_video(archive(recorded, dest))
    assert link in video['msg'] and 'symbolic link' in video['msg']
    with open(target, 'rb') as handle:
        assert handle.read() == b'#!/bin/sh\n'
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o4755 and os.stat(target).st_uid == 0
    assert os.path.islink(link)
    assert_nothing_of_theirs_and_no_setuid(dest, other_user, planted=(link,))


def test_a_link_to_a_secret_of_the_listed_size_is_not_taken_for_the_recording(recorded, dest, shared_root, other_user):
    folder = loose_conference_directory(dest)
    secret = root_file(shared_root, 'secret', b's' * SIZE, 0o600)
    link = os.path.join(folder, media_of(recorded) + '.mp4')
    other_user.run(f'ln -s {secret} {link}')
    result = archive(recorded, dest)
    assert result['outcome'] != 'up_to_date'
    video = failed_video(result)
    assert link in video['msg'] and 'symbolic link' in video['msg']
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600


def test_a_partial_file_planted_by_another_user_is_not_reused(recorded, dest, other_user):
    folder = loose_conference_directory(dest)
    part = os.path.join(folder, f'.{media_of(recorded)}.mp4.part')
    other_user.run(f': > {part} && chmod 0666 {part}')
    video = failed_video(archive(recorded, dest))
    assert part in video['msg'] and f'owned by uid {other_user.uid}' in video['msg']
    assert os.path.getsize(part) == 0  # not written into
    assert not os.path.exists(os.path.join(folder, media_of(recorded) + '.mp4'))
    assert_nothing_of_theirs_and_no_setuid(dest, other_user, planted=(part,))


def test_a_conference_directory_linked_elsewhere_is_not_written_through(recorded, dest, shared_root, other_user):
    private = os.path.join(shared_root, 'root-only')
    os.mkdir(private, 0o700)
    transcript = root_file(private, 'transcript.json', b'{"root": "data"}\n', 0o600)
    link = os.path.join(dest, CONFERENCE)
    other_user.run(f'ln -s {private} {link}')
    result = archive(recorded, dest, transcript=True)
    assert result['outcome'] == 'failed'
    for entry in result['files']:
        assert entry['failed'] and link in entry['msg'] and 'symbolic link' in entry['msg']
    assert os.listdir(private) == ['transcript.json']
    with open(transcript, 'rb') as handle:
        assert handle.read() == b'{"root": "data"}\n'
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o700


def test_a_conference_directory_of_another_user_is_not_used(recorded, dest, other_user):
    folder = os.path.join(dest, CONFERENCE)
    other_user.run(f'mkdir -m 0777 {folder}')
    result = archive(recorded, dest, transcript=True)
    for entry in result['files']:
        assert entry['failed'] and folder in entry['msg'] and f'owned by uid {other_user.uid}' in entry['msg']
    assert os.listdir(folder) == []
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o1777  # the shared directory's mode is unchanged


def test_a_new_conference_directory_is_ours_and_only_we_may_write_to_it(recorded, dest):
    result = archive(recorded, dest, new_file_mode=0o640)
    assert result['outcome'] == 'archived'
    folder = os.lstat(os.path.join(dest, CONFERENCE))
    assert (folder.st_uid, stat.S_IMODE(folder.st_mode)) == (os.geteuid(), 0o750)
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o1777


def test_a_replaced_file_keeps_its_mode_without_setuid(recorded, tmp_path):
    folder = tmp_path / CONFERENCE
    folder.mkdir()
    old = folder / (media_of(recorded) + '.mp4')
    old.write_bytes(b'short')
    old.chmod(0o6755)
    assert archive(recorded, tmp_path)['outcome'] == 'archived'
    assert stat.S_IMODE(old.stat().st_mode) == 0o755


def test_a_video_larger_than_the_free_space_fails_before_its_download(recorded, tmp_path):
    add_videos(recorded, {'media_id': 'media-huge', 'file_size': 2**60, 'stored_size': 10})
    result = archive(recorded, tmp_path)
    (huge,) = [entry for entry in result['files'] if entry.get('media_id') == 'media-huge']
    assert huge['failed'] and huge['path'] in huge['msg'] and 'bytes free' in huge['msg']
    assert 'media-huge' not in json.dumps(recorded.files.requests())
    assert not os.path.exists(huge['path'])


def test_dest_through_a_link_of_another_user_is_refused(shared_root, dest, other_user):
    target = os.path.join(shared_root, 'root-archive')
    os.mkdir(target, 0o700)
    link = os.path.join(dest, 'archive')
    other_user.run(f'ln -s {target} {link}')
    with pytest.raises(InvalidOptionError, match=f'uid {other_user.uid}') as caught:
        check_dest(link)
    assert link in str(caught.value)
    os.unlink(link)
    os.symlink(target, link)  # one of our own is the user's choice
    check_dest(link)
