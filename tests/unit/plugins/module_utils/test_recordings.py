# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Listing recordings and reading transcripts against the emulator: the calls, their parameters and the shapes returned."""

from __future__ import annotations

import json

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils import _recordings
from ansible_collections.community.dingtalk.plugins.module_utils._auth import StaticToken
from ansible_collections.community.dingtalk.plugins.module_utils._client import Connection, DingTalkClient
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError
from ansible_collections.community.dingtalk.plugins.module_utils._recordings import read_transcript, recording_info
from ansible_collections.community.dingtalk.plugins.module_utils._results import result_of

CONFERENCE = 'conf-rec'
HOST = 'host-union'


@pytest.fixture
def dingtalk(emulator):
    emulator.add_conference(CONFERENCE, cloud_record_status=3, host_union_id=HOST)
    return DingTalkClient(Connection(api_url=emulator.url, retries=0), StaticToken(emulator.mint_token()))


def add_recordings(emulator, **body):
    return emulator.post('/recordings', dict(conference_id=CONFERENCE, **body))


def test_recordings_are_listed_one_per_video_with_their_links(emulator, dingtalk):
    add_recordings(
        emulator,
        videos=[
            {
                'record_id': 'rec-1',
                'media_id': 'media-1',
                'region_id': 'cn-shanghai',
                'record_type': 0,
                'duration': 3601250,
                'file_size': 1234,
                'start_time': 1772443800000,
                'end_time': 1772447401250,
                'union_id': HOST,
            },
            {'record_id': 'rec-1', 'media_id': 'media-2', 'record_type': 1, 'file_size': 99},
        ],
    )
    result = result_of(recording_info, dingtalk, CONFERENCE, HOST)
    assert result['changed'] is False and 'failed' not in result
    first, second = result['recordings']
    links = {key: first.pop(key) for key in ('mp4_url', 'play_url')}
    assert first == {
        'record_id': 'rec-1',
        'media_id': 'media-1',
        'region_id': 'cn-shanghai',
        'record_type': 0,
        'duration_ms': 3601250,
        'file_size': 1234,
        'start_time': '2026-03-02T09:30:00Z',
        'end_time': '2026-03-02T10:30:01Z',
    }
    assert '/o/media-1?Expires=' in links['mp4_url'] and '/o/media-1.m3u8?Expires=' in links['play_url']
    assert (second['record_id'], second['media_id'], second['record_type']) == ('rec-1', 'media-2', 1)
    assert 'transcript' not in result


def test_the_calls_carry_dingtalks_parameters_exactly_even_for_ids_with_reserved_characters(emulator, dingtalk):
    add_recordings(emulator, videos=[{'media_id': 'a&b=c/d?e#f %', 'region_id': 'region/&=', 'file_size': 1}])
    result = result_of(recording_info, dingtalk, CONFERENCE, HOST)
    assert result['recordings'][0]['mp4_url'] is not None
    [videos] = emulator.requests_log(api='cloudRecord.getVideos')
    [play_info] = emulator.requests_log(api='cloudRecord.getPlayInfos')
    assert videos['query'] == {'unionId': HOST}
    assert play_info['query'] == {'mediaId': 'a&b=c/d?e#f %', 'regionId': 'region/&=', 'unionId': HOST}


def test_a_conference_without_videos_has_no_recordings_and_does_not_fail(emulator, dingtalk):
    result = result_of(recording_info, dingtalk, CONFERENCE, HOST, transcript=True)
    assert result == {'changed': False, 'conference_id': CONFERENCE, 'recordings': [], 'transcript': [], 'union_id': HOST}


def test_the_transcript_is_shaped_and_read_from_every_page(emulator, dingtalk):
    add_recordings(
        emulator,
        videos=[{'media_id': 'media-1'}],
        transcript=[
            {
                'paragraph': f'p{number}',
                'record_id': 7,
                'union_id': HOST,
                'nick_name': 'Li Lei',
                'start_time': 1000 + number,
                'end_time': 2000 + number,
            }
            for number in range(2001)
        ],
    )
    result = result_of(recording_info, dingtalk, CONFERENCE, HOST, transcript=True)
    assert len(result['transcript']) == 2001
    assert result['transcript'][0] == {
        'record_id': '7',
        'union_id': HOST,
        'nick_name': 'Li Lei',
        'paragraph': 'p0',
        'start_time': '1970-01-01T00:00:01.000Z',
        'end_time': '1970-01-01T00:00:02.000Z',
        'status': 0,
        'sentences': [{'sentence': 'p0', 'union_id': HOST, 'start_time': '1970-01-01T00:00:01.000Z', 'end_time': '1970-01-01T00:00:02.000Z'}],
    }
    calls = emulator.requests_log(api='cloudRecord.getTexts')
    assert [call['query'] for call in calls] == [
        {'unionId': HOST, 'direction': '0', 'maxResults': '2000'},
        {'unionId': HOST, 'direction': '0', 'maxResults': '2000', 'nextToken': '2000'},
    ]


def test_a_transcript_cursor_that_does_not_move_ends_the_reading_with_an_error(emulator, dingtalk):
    page = json.dumps({'hasMore': True, 'paragraphList': [{'paragraph': 'again', 'nextTtoken': 5}]})
    emulator.add_faults({'api': 'cloudRecord.getTexts', 'kind': 'raw', 'body': page})
    with pytest.raises(DingTalkError, match='gave no new cursor'):
        read_transcript(dingtalk, CONFERENCE, HOST)
    assert len(emulator.requests_log(api='cloudRecord.getTexts')) == 2


def test_a_transcript_that_never_ends_is_read_up_to_the_page_limit(emulator, dingtalk, monkeypatch):
    monkeypatch.setattr(_recordings, 'TRANSCRIPT_PAGE_SIZE', 2)
    add_recordings(emulator, videos=[{'media_id': 'media-1'}], transcript=[{'paragraph': f'p{number}'} for number in range(5)])
    assert [paragraph['paragraph'] for paragraph in read_transcript(dingtalk, CONFERENCE, HOST, max_pages=3)] == ['p0', 'p1', 'p2', 'p3', 'p4']
    with pytest.raises(DingTalkError, match='more than 2 pages of 2 paragraphs'):
        read_transcript(dingtalk, CONFERENCE, HOST, max_pages=2)


def test_dingtalk_errors_fail_with_code_message_and_request_id(emulator, dingtalk):
    add_recordings(emulator, videos=[{'media_id': 'media-1'}], closed=True)
    result = result_of(recording_info, dingtalk, CONFERENCE, HOST)
    assert (result['failed'], result['error_code'], result['http_status']) == (True, 'resourceClose', 400)
    assert 'request id' in result['msg']


def test_without_union_id_the_recordings_are_read_as_their_owner(emulator, dingtalk):
    emulator.patch_conference(CONFERENCE, cloud_record_owner_union_id='owner-x')
    add_recordings(emulator, videos=[{'media_id': 'media-1', 'file_size': 1}])
    result = result_of(recording_info, dingtalk, CONFERENCE, None, transcript=True)
    assert (result['union_id'], len(result['recordings'])) == ('owner-x', 1)
    for api in ('cloudRecord.getVideos', 'cloudRecord.getPlayInfos', 'cloudRecord.getTexts'):
        assert {call['query']['unionId'] for call in emulator.requests_log(api=api)} == {'owner-x'}


def test_without_union_id_a_recording_without_an_owner_fails_saying_union_id_is_required(emulator, dingtalk):
    result = result_of(recording_info, dingtalk, CONFERENCE, None)
    assert (result['failed'], result['union_id'], result['recordings']) == (True, None, [])
    assert f'DingTalk names no owner of the recording of conference {CONFERENCE}' in result['msg']
    assert 'union_id is required' in result['msg']
    assert emulator.requests_log(api='cloudRecord.getVideos') == []
