# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Archiving recordings against the emulator and its file host: where files go, what is downloaded, what never leaks."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils._archive import (
    MAX_LINK_RENEWALS,
    ArchiveOptions,
    archive_conference,
    conference_directory,
    safe_file_name,
)
from ansible_collections.community.dingtalk.plugins.module_utils._auth import StaticToken
from ansible_collections.community.dingtalk.plugins.module_utils._client import TOKEN_HEADER, Connection, DingTalkClient
from ansible_collections.community.dingtalk.plugins.module_utils._errors import FileAttributeError, InvalidOptionError, Refusal
from ansible_collections.community.dingtalk.plugins.module_utils._http import FileHost
from ansible_collections.community.dingtalk.plugins.module_utils._results import conference_result, result_of
from ansible_collections.community.dingtalk.plugins.module_utils._tasks import _with_file_attributes
from ansible_collections.community.dingtalk.tests.emulator.file_host import object_bytes, object_sha256
from ansible_collections.community.dingtalk.tests.unit.fake_time import FakeTime

CONFERENCE = 'conf-rec'
HOST = 'host-union'


def stopped(emulator, **recordings_config):
    """The emulator once a recording of CONFERENCE has been stopped, with ``recordings_config``; ``.files`` is its file host."""
    emulator.add_conference(CONFERENCE, cloud_record_status=1, host_union_id=HOST)
    emulator.token = emulator.mint_token()
    emulator.configure_recordings(**recordings_config)
    emulator.files = emulator.file_host()
    client(emulator).stop_cloud_record(CONFERENCE, HOST)
    return emulator


@pytest.fixture
def recorded(emulator):
    """An emulator with a conference whose recording has just been stopped (one video listed at once), and its file host."""
    return stopped(emulator, recording_size=300000)


def client(emulator, **options):
    options.setdefault('sleep', FakeTime().sleep)
    options.setdefault('retries', 2)
    return DingTalkClient(Connection(api_url=emulator.url, **options), StaticToken(emulator.token))


def add_videos(emulator, *videos, **extra):
    return emulator.add_recordings(CONFERENCE, videos=list(videos), **extra)['videos']


def archive(emulator, dest, **options):
    dingtalk = options.pop('dingtalk', None) or client(emulator)
    return result_of(archive_conference, dingtalk, FileHost(timeout=10), CONFERENCE, ArchiveOptions(HOST, str(dest), **options))


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b''):
            digest.update(block)
    return digest.hexdigest()


def all_files_under(root):
    return sorted(os.path.relpath(os.path.join(folder, name), str(root)) for folder, _dirs, names in os.walk(str(root)) for name in names)


def videos_of(result):
    return [entry for entry in result['files'] if entry['kind'] == 'video']


# Files and their content ---------------------------------------------------------------


def test_every_video_is_written_by_media_id_and_is_byte_identical(recorded, tmp_path):
    # Two videos of one recording share a recordId: the media id names the file.
    add_videos(recorded, {'record_id': 'rec-9', 'media_id': 'media-a', 'file_size': 70001}, {'record_id': 'rec-9', 'media_id': 'media-b', 'file_size': 1})
    result = archive(recorded, tmp_path)
    assert (result['changed'], result['outcome']) == (True, 'archived'), result
    videos = videos_of(result)
    assert [entry['media_id'] for entry in videos][1:] == ['media-a', 'media-b']
    for entry in videos:
        assert entry['path'] == str(tmp_path / CONFERENCE / (entry['media_id'] + '.mp4'))
        assert entry['written'] is True
        assert os.path.getsize(entry['path']) == entry['size']
        assert sha256_of(entry['path']) == object_sha256(entry['media_id'], entry['size'])
    assert all_files_under(tmp_path) == sorted('{0}/{1}.mp4'.format(CONFERENCE, entry['media_id']) for entry in videos)


def test_a_rerun_downloads_nothing_and_reports_no_change(recorded, tmp_path):
    archive(recorded, tmp_path)
    recorded.files.clear_requests()
    recorded.delete('/requests')
    result = archive(recorded, tmp_path)
    assert (result['changed'], result['outcome']) == (False, 'up_to_date')
    assert [entry['written'] for entry in result['files']] == [False]
    assert recorded.files.requests() == []
    assert [call['api'] for call in recorded.requests_log()] == ['cloudRecord.getVideos']  # no link asked for


def test_a_file_of_another_size_is_downloaded_again_and_replaced(recorded, tmp_path):
    archive(recorded, tmp_path)
    [entry] = videos_of(archive(recorded, tmp_path))
    with open(entry['path'], 'r+b') as handle:
        handle.truncate(1000)  # cut short, as by a crash
    result = archive(recorded, tmp_path)
    assert result['changed'] is True and videos_of(result)[0]['written'] is True
    assert sha256_of(entry['path']) == object_sha256(entry['media_id'], entry['size'])


def test_a_leftover_temporary_file_is_replaced_never_taken_as_complete(recorded, tmp_path):
    [listed] = recorded.recordings()[0]['videos']  # the stop's video
    folder = tmp_path / CONFERENCE
    folder.mkdir()
    leftover = folder / '.{0}.mp4.part'.format(listed['media_id'])
    leftover.write_bytes(b'\0' * listed['file_size'])  # even of the right size: a temporary file is never complete
    result = archive(recorded, tmp_path)
    assert result['outcome'] == 'archived'
    assert not leftover.exists()
    assert sha256_of(str(folder / (listed['media_id'] + '.mp4'))) == object_sha256(listed['media_id'], listed['file_size'])
    assert all_files_under(tmp_path) == ['{0}/{1}.mp4'.format(CONFERENCE, listed['media_id'])]


def test_a_file_host_with_another_size_than_dingtalk_lists_fails_that_video_and_keeps_nothing(recorded, tmp_path):
    add_videos(recorded, {'media_id': 'media-short', 'file_size': 5000, 'stored_size': 4000})
    result = archive(recorded, tmp_path)
    failed = [entry for entry in result['files'] if entry.get('failed')]
    assert [entry['media_id'] for entry in failed] == ['media-short']
    assert 'has 4000 bytes where DingTalk lists 5000 (fileSize)' in failed[0]['msg']
    assert result['failed'] is True and result['outcome'] == 'failed'
    assert not any('media-short' in name for name in all_files_under(tmp_path))
    assert len(videos_of(result)) == 2 and videos_of(result)[0]['written'] is True  # the other video is archived all the same


# Ids from the server never lead out of dest ----------------------------------------------


HOSTILE_MEDIA_IDS = [
    '..',
    '.',
    '../../outside',
    '/absolute',
    'a/b',
    'back\\slash',
    'nul\x00byte',
    'control\x01\x1f\x7fchars',
    '.hidden',
    '%2E%2E',
    '%2E.',
    'line\nbreak',
    '会议',
]


def test_hostile_media_ids_are_written_inside_their_conference_directory_under_distinct_names(recorded, tmp_path):
    dest = tmp_path / 'dest'
    dest.mkdir()
    add_videos(recorded, *[{'media_id': media_id, 'file_size': 100} for media_id in HOSTILE_MEDIA_IDS])
    result = archive(recorded, dest)
    assert result['outcome'] == 'archived', result
    hostile = videos_of(result)[1:]
    assert [entry['media_id'] for entry in hostile] == HOSTILE_MEDIA_IDS
    names = [os.path.basename(entry['path']) for entry in hostile]
    assert len(set(names)) == len(names)
    for entry, name in zip(hostile, names):
        assert os.path.dirname(entry['path']) == str(dest / CONFERENCE)
        assert not name.startswith('.') and '/' not in name and not any(ord(char) < 32 or ord(char) == 127 for char in name)
        with open(entry['path'], 'rb') as handle:
            assert handle.read() == object_bytes(entry['media_id'], 100)
    assert os.listdir(str(tmp_path)) == ['dest']  # nothing beside dest
    assert len(all_files_under(dest)) == len(HOSTILE_MEDIA_IDS) + 1


def test_ids_of_plain_characters_keep_their_names():
    assert safe_file_name('emumedia000001', '.mp4') == 'emumedia000001.mp4'
    assert safe_file_name('a-b_c.d~e') == 'a-b_c.d~e'


def test_a_video_without_a_media_id_or_with_one_too_long_fails_alone(recorded, tmp_path):
    add_videos(recorded, {'media_id': '', 'file_size': 10}, {'media_id': 'x' * 300, 'file_size': 10})
    result = archive(recorded, tmp_path)
    failed = [entry for entry in result['files'] if entry.get('failed')]
    assert len(failed) == 2
    assert 'an empty id cannot name a file' in failed[0]['msg']
    assert 'too long to name a file' in failed[1]['msg']
    assert failed[0]['path'] is None and failed[1]['path'] is None
    assert videos_of(result)[0]['written'] is True
    assert len(all_files_under(tmp_path)) == 1


@pytest.mark.parametrize('conference_id', ['..', '.', '../x', 'a/b', ''])
def test_conference_directories_stay_inside_dest(tmp_path, conference_id):
    if not conference_id:
        with pytest.raises(InvalidOptionError):
            conference_directory(str(tmp_path), conference_id)
        return
    path = conference_directory(str(tmp_path), conference_id)
    assert os.path.dirname(path) == str(tmp_path)
    assert os.path.basename(path) not in ('.', '..')


# Links: renewed when they expire, resumed when cut, never leaked ------------------------------


def test_an_expired_link_is_renewed_through_get_play_infos_and_the_file_is_archived(recorded, tmp_path):
    recorded.files.add_faults({'kind': 'expired', 'times': 1})
    result = archive(recorded, tmp_path)
    assert result['outcome'] == 'archived' and not result.get('failed'), result
    assert [entry['status'] for entry in recorded.files.requests()] == [403, 200]
    assert len(recorded.requests_log(api='cloudRecord.getPlayInfos')) == 2
    entry = videos_of(result)[0]
    assert sha256_of(entry['path']) == object_sha256(entry['media_id'], entry['size'])


def test_links_that_are_expired_when_handed_out_fail_after_a_bounded_number_of_renewals(recorded, tmp_path):
    recorded.configure_recordings(link_lifetime=0)
    result = archive(recorded, tmp_path)
    [entry] = videos_of(result)
    assert entry['failed'] is True
    assert f'refused its link even after {MAX_LINK_RENEWALS} new ones from DingTalk' in entry['msg']
    assert '127.0.0.1' in entry['msg'] and 'Signature' not in entry['msg']
    assert len(recorded.requests_log(api='cloudRecord.getPlayInfos')) == 1 + MAX_LINK_RENEWALS
    assert all_files_under(tmp_path) == []


def test_a_cut_transfer_resumes_with_a_range_request(recorded, tmp_path):
    recorded.files.add_faults({'kind': 'cut', 'after_bytes': 100000, 'times': 1})
    fake = FakeTime()
    result = archive(recorded, tmp_path, dingtalk=client(recorded, sleep=fake.sleep))
    assert result['outcome'] == 'archived', result
    first, second = recorded.files.requests()
    assert (first['range'], first['bytes_sent']) == (None, 100000)
    assert (second['range'], second['status']) == ('bytes=100000-', 206)
    assert len(fake.sleeps) == 1  # one retry, with its back-off
    entry = videos_of(result)[0]
    assert sha256_of(entry['path']) == object_sha256(entry['media_id'], entry['size'])


def test_a_busy_file_host_is_retried_and_a_lasting_failure_keeps_no_file(recorded, tmp_path):
    recorded.files.add_faults({'kind': 'error', 'status': 503, 'times': 1})
    assert archive(recorded, tmp_path)['outcome'] == 'archived'
    recorded.files.add_faults({'kind': 'error', 'status': 500})
    add_videos(recorded, {'media_id': 'media-late', 'file_size': 10})
    result = archive(recorded, tmp_path, dingtalk=client(recorded, retries=1))
    [failed] = [entry for entry in result['files'] if entry.get('failed')]
    assert failed['media_id'] == 'media-late' and 'answered HTTP 500' in failed['msg']
    assert not any('media-late' in name for name in all_files_under(tmp_path))


def test_the_access_token_never_reaches_the_file_host_and_no_link_is_in_the_result(recorded, tmp_path):
    recorded.files.add_faults({'kind': 'expired', 'times': 1}, {'kind': 'cut', 'after_bytes': 10, 'times': 1})
    seen_links = []
    result = archive(recorded, tmp_path, on_link=seen_links.append)
    logged = recorded.files.requests()
    assert len(logged) == 3
    for entry in logged:
        assert TOKEN_HEADER not in entry['headers']
        assert not any(recorded.token in value for value in entry['headers'].values())
        assert sorted(entry['headers']) in (
            ['accept', 'accept-encoding', 'connection', 'host', 'user-agent'],
            ['accept', 'accept-encoding', 'connection', 'host', 'range', 'user-agent'],
        )
    assert len(seen_links) == 2 and all('Signature=' in link for link in seen_links)
    assert 'Signature' not in json.dumps(result) and recorded.token not in json.dumps(result)


# Check mode, waiting, DingTalk's errors ---------------------------------------------------------


def test_check_mode_reports_what_would_be_written_and_writes_nothing(recorded, tmp_path):
    result = archive(recorded, tmp_path, transcript=True, check_mode=True)
    assert result['changed'] is True and [entry['written'] for entry in result['files']] == [True, True]
    assert os.listdir(str(tmp_path)) == []
    assert recorded.files.requests() == []
    assert recorded.requests_log(api='cloudRecord.getPlayInfos') == []
    archive(recorded, tmp_path, transcript=True)
    again = archive(recorded, tmp_path, transcript=True, check_mode=True)
    assert again['changed'] is False and [entry['written'] for entry in again['files']] == [False, False]


def test_a_recording_still_processing_is_waited_for(emulator, tmp_path):
    stopped(emulator, video_delay=0.4)
    polls = FakeTime()

    def sleep(seconds):
        polls.sleep(seconds)
        emulator.advance_clock(seconds)  # the processing time passes on the emulator's clock, without waiting

    result = archive(emulator, tmp_path, wait_timeout=30, poll_interval=0.1, sleep=sleep)
    assert result['outcome'] == 'archived', result
    assert polls.sleeps and all(delay <= 0.1 for delay in polls.sleeps)
    assert len(emulator.requests_log(api='cloudRecord.getVideos')) == len(polls.sleeps) + 1


def test_waiting_ends_at_wait_timeout_with_a_clear_failure(emulator, tmp_path):
    stopped(emulator, video_delay=3600)
    fake = FakeTime()
    result = archive(emulator, tmp_path, wait_timeout=12, poll_interval=5, sleep=fake.sleep, clock=fake.clock)
    assert (result['failed'], result['outcome']) == (True, 'no_recordings')
    assert f'DingTalk lists no video for conference {CONFERENCE} after waiting 12.0 seconds (wait_timeout=12)' in result['msg']
    # Already waiting: the advice is to wait longer, with the value in force, not to start waiting.
    assert result['msg'].endswith('To wait longer, raise wait_timeout (12 s now).')
    assert 'Set wait_timeout' not in result['msg']
    assert fake.sleeps == [5, 5, 2]
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize('not_ready_answer', ['error', 'empty'])
def test_no_video_without_waiting_fails_and_suggests_wait_timeout(emulator, tmp_path, not_ready_answer):
    emulator.add_conference(CONFERENCE, cloud_record_status=0, host_union_id=HOST)
    emulator.token = emulator.mint_token()
    emulator.configure_recordings(not_ready_answer=not_ready_answer)
    result = archive(emulator, tmp_path)
    assert (result['failed'], result['outcome']) == (True, 'no_recordings')
    assert 'Set wait_timeout to wait for it' in result['msg']


def test_a_closed_recording_resource_fails_with_dingtalks_code(recorded, tmp_path):
    recorded.post('/recordings', {'conference_id': CONFERENCE, 'closed': True})
    result = archive(recorded, tmp_path)
    assert (result['failed'], result['outcome'], result['error_code'], result['http_status']) == (True, 'failed', 'resourceClose', 400)
    assert result['msg'].startswith('DingTalk error resourceClose:') and 'request id' in result['msg']


# The transcript ------------------------------------------------------------------------


def test_the_transcript_is_written_whole_from_every_page_and_rewritten_only_when_it_changes(recorded, tmp_path):
    recorded.post('/recordings', {'conference_id': CONFERENCE, 'transcript': [{'paragraph': f'said {number}', 'start_time': number} for number in range(4500)]})
    result = archive(recorded, tmp_path, transcript=True)
    transcript = result['files'][-1]
    assert (transcript['kind'], transcript['written'], transcript['paragraphs']) == ('transcript', True, 4503)
    with open(transcript['path'], encoding='utf-8') as handle:
        saved = json.load(handle)
    assert [paragraph['paragraph'] for paragraph in saved['paragraphList'][3:]] == [f'said {number}' for number in range(4500)]
    assert [call['query'].get('nextToken') for call in recorded.requests_log(api='cloudRecord.getTexts')] == [None, '2000', '4000']
    assert archive(recorded, tmp_path, transcript=True)['files'][-1]['written'] is False
    recorded.post('/recordings', {'conference_id': CONFERENCE, 'transcript': [{'paragraph': 'one more'}]})
    assert archive(recorded, tmp_path, transcript=True)['files'][-1]['written'] is True


# As whom: union_id, or each recording's owner ---------------------------------------------


def test_without_union_id_the_recordings_are_read_as_their_owner(recorded, tmp_path):
    recorded.patch_conference(CONFERENCE, cloud_record_owner_union_id='owner-x', host_union_id='host-y')
    result = result_of(archive_conference, client(recorded), FileHost(timeout=10), CONFERENCE, ArchiveOptions(None, str(tmp_path), transcript=True))
    assert (result['outcome'], result['union_id']) == ('archived', 'owner-x'), result
    for api in ('cloudRecord.getVideos', 'cloudRecord.getPlayInfos', 'cloudRecord.getTexts'):
        assert {call['query']['unionId'] for call in recorded.requests_log(api=api)} == {'owner-x'}
    assert len(recorded.requests_log(api='conference.get')) == 1


def test_a_given_union_id_needs_no_conference_query(recorded, tmp_path):
    result = archive(recorded, tmp_path)
    assert (result['outcome'], result['union_id']) == ('archived', HOST)
    assert recorded.requests_log(api='conference.get') == []


def test_without_union_id_a_recording_without_an_owner_is_refused_before_any_read(recorded, tmp_path):
    result = result_of(archive_conference, client(recorded), FileHost(timeout=10), CONFERENCE, ArchiveOptions(None, str(tmp_path)))
    assert (result['failed'], result['outcome'], result['union_id'], result['files']) == (True, 'owner_unknown', None, [])
    assert f'DingTalk names no owner of the recording of conference {CONFERENCE}' in result['msg']
    assert 'union_id is required' in result['msg']
    assert recorded.requests_log(api='cloudRecord.getVideos') == []
    assert os.listdir(str(tmp_path)) == []


def test_without_union_id_an_app_that_may_not_read_the_conference_is_refused(recorded, tmp_path):
    recorded.add_app('no-read', 'secret', permissions=['VideoConference.Conference.Write'])
    recorded.token = recorded.mint_token('no-read')
    result = result_of(archive_conference, client(recorded), FileHost(timeout=10), CONFERENCE, ArchiveOptions(None, str(tmp_path)))
    assert (result['failed'], result['outcome']) == (True, 'owner_unknown')
    assert 'VideoConference.Conference.Read' in result['msg'] and 'union_id is required' in result['msg']


# File attributes: each file tried, the result kept --------------------------------------------


def test_an_attribute_failure_keeps_the_files_and_the_outcome_and_every_file_is_tried(recorded, tmp_path):
    add_videos(recorded, {'media_id': 'media-b', 'file_size': 10})
    outcome = archive_conference(client(recorded), FileHost(timeout=10), CONFERENCE, ArchiveOptions(HOST, str(tmp_path)))
    tried = []

    def set_attributes(path, changed):
        # A door that sets the mode and cannot set the group, as one without the right to chgrp.
        tried.append(path)
        os.chmod(path, 0o640)
        raise FileAttributeError('chgrp failed', changed=True)

    refused = _with_file_attributes(outcome, set_attributes)
    assert isinstance(refused, Refusal)
    result = conference_result(refused)
    assert (result['failed'], result['outcome'], result['changed']) == (True, 'archived', True)
    assert tried == [entry['path'] for entry in result['files']] and len(tried) == 2
    assert all(entry['attributes_failed'] and entry['msg'] == 'chgrp failed' for entry in result['files'])
    assert result['msg'].startswith(f'2 of 2 files of conference {CONFERENCE} are archived (see files) but could not be given every file attribute')
    assert all(os.stat(path).st_mode & 0o777 == 0o640 for path in tried)
