# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A conference's cloud recordings as DingTalk lists them: the videos, their play links, the transcript.

Free of AnsibleModule, like _conference, so that the info and archive modules read the same way; the
clock and sleep are parameters so that tests need not wait. This is a private module: its interface
may change without notice.
"""

from __future__ import annotations

import time
from collections import namedtuple

from ansible_collections.community.dingtalk.plugins.module_utils._cloud_record import OwnerUnknown, acting_as
from ansible_collections.community.dingtalk.plugins.module_utils._conference import (
    iso_utc_from_ms,
    iso_utc_from_ms_exact,
    optional_count,
    optional_text,
    poll_until,
    shape_fields,
)
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, Refusal

# DingTalk's answer for a conference without any video: none was recorded, or none is ready yet after the stop.
CLOUD_RECORD_NOT_FOUND_CODE = 'cloudRecordNotFound'

# The most paragraphs getTexts documents for one page.
TRANSCRIPT_PAGE_SIZE = 2000
# 100 000 paragraphs, many hours of talk: a cursor that never ends must not keep a module reading, nor fill its memory.
MAX_TRANSCRIPT_PAGES = 50
TRANSCRIPT_OLDEST_FIRST = '0'


def list_videos(client, conference_id, union_id):
    """The videos DingTalk lists for ``conference_id``, as it sends them; [] when it has none (cloudRecordNotFound)."""
    try:
        return client.get_cloud_record_videos(conference_id, union_id)
    except DingTalkError as error:
        if error.code == CLOUD_RECORD_NOT_FOUND_CODE:
            return []
        raise


def wait_for_videos(client, conference_id, union_id, wait_timeout=0, poll_interval=5, sleep=time.sleep, clock=time.monotonic):
    """``(videos, waited seconds)``: the videos of ``conference_id``, polled every ``poll_interval`` seconds until there is one.

    A recording takes a while to be processed after its stop; until then DingTalk lists nothing. With
    ``wait_timeout`` 0 the list is read once. When the time is up the videos are [] and the caller decides.
    The total wait is bounded by ``wait_timeout`` plus the duration of one query.
    """
    return poll_until(lambda: list_videos(client, conference_id, union_id), bool, wait_timeout, poll_interval, sleep=sleep, clock=clock)


# A video of getVideos as the documented recording, without its links.
VIDEO_FIELDS = (
    ('record_id', 'recordId', optional_text),
    ('media_id', 'mediaId', optional_text),
    ('region_id', 'regionId', optional_text),
    ('record_type', 'recordType', optional_count),
    ('duration_ms', 'duration', optional_count),
    ('file_size', 'fileSize', optional_count),
    ('start_time', 'startTime', iso_utc_from_ms),
    ('end_time', 'endTime', iso_utc_from_ms),
)
# A paragraph of getTexts as the documented one (its sentences aside); the per-word timings are left out. Its times
# keep DingTalk's milliseconds, which tell apart sentences of one second.
PARAGRAPH_FIELDS = (
    ('record_id', 'recordId', optional_text),
    ('union_id', 'unionId', optional_text),
    ('nick_name', 'nickName', optional_text),
    ('paragraph', 'paragraph', optional_text),
    ('start_time', 'startTime', iso_utc_from_ms_exact),
    ('end_time', 'endTime', iso_utc_from_ms_exact),
    ('status', 'status', optional_count),
)
SENTENCE_FIELDS = (
    ('sentence', 'sentence', optional_text),
    ('union_id', 'unionId', optional_text),
    ('start_time', 'startTime', iso_utc_from_ms_exact),
    ('end_time', 'endTime', iso_utc_from_ms_exact),
)


def shape_video(video):
    """DingTalk's camelCase video (getVideos) as the documented snake_case recording, without its links."""
    return shape_fields(video, VIDEO_FIELDS)


def play_info(client, conference_id, union_id, recording):
    """getPlayInfos for a shaped ``recording``: its signed links and size. Raises DingTalkError, also when ids are missing."""
    if recording['media_id'] is None or recording['region_id'] is None:
        raise DingTalkError(
            f'DingTalk listed a video of conference {conference_id} without a mediaId and regionId, so its links cannot be asked for', http_status=200
        )
    info = client.get_cloud_record_play_info(conference_id, union_id, recording['media_id'], recording['region_id'])
    return {
        'mp4_url': optional_text(info.get('mp4FileUrl')),
        'play_url': optional_text(info.get('playUrl')),
        'file_size': optional_count(info.get('fileSize')),
    }


def read_transcript(client, conference_id, union_id, max_pages=MAX_TRANSCRIPT_PAGES):
    """Every paragraph of the conference's transcript, oldest first, as DingTalk sends them, page after page.

    The cursor for the next page is the ``nextTtoken`` (sic, the SDK's spelling) of a page's last paragraph,
    or a ``nextToken`` beside ``hasMore`` should DingTalk send one. A conference without a recording has no
    transcript: []. Raises DingTalkError for a cursor that does not move and past ``max_pages`` pages.
    """
    paragraphs = []
    next_token = None
    for _page in range(max_pages):
        try:
            page = client.get_cloud_record_texts(
                conference_id, union_id, next_token=next_token, max_results=TRANSCRIPT_PAGE_SIZE, direction=TRANSCRIPT_OLDEST_FIRST
            )
        except DingTalkError as error:
            if error.code == CLOUD_RECORD_NOT_FOUND_CODE:
                return paragraphs
            raise
        page_paragraphs = page.get('paragraphList') or []
        if not isinstance(page_paragraphs, list) or not all(isinstance(paragraph, dict) for paragraph in page_paragraphs):
            raise DingTalkError('DingTalk answered the transcript query with a paragraphList that is not a list of objects', http_status=200)
        paragraphs.extend(page_paragraphs)
        if page.get('hasMore') is not True:
            return paragraphs
        cursor = page.get('nextToken')
        if cursor is None and page_paragraphs:
            cursor = page_paragraphs[-1].get('nextTtoken')
        if cursor is None or cursor == next_token:
            raise DingTalkError(
                f'DingTalk said the transcript of conference {conference_id} has more paragraphs, but gave no new cursor (nextTtoken) to read them with',
                http_status=200,
            )
        next_token = cursor
    raise DingTalkError(
        f'The transcript of conference {conference_id} has more than {max_pages} pages of {TRANSCRIPT_PAGE_SIZE} paragraphs; stopped reading it there',
        http_status=200,
    )


def shape_paragraph(paragraph):
    """A transcript paragraph as the documented snake_case one; the per-word timings are left out."""
    sentences = paragraph.get('sentenceList')
    shaped = shape_fields(paragraph, PARAGRAPH_FIELDS)
    shaped['sentences'] = [
        shape_fields(sentence, SENTENCE_FIELDS) for sentence in (sentences if isinstance(sentences, list) else []) if isinstance(sentence, dict)
    ]
    return shaped


# What dingtalk_cloud_record_info found: ``recordings`` (one per video, with its links), if asked ``transcript``, and
# whom they were read as (``union_id``).
RecordingsOutcome = namedtuple('RecordingsOutcome', ['conference_id', 'recordings', 'transcript', 'changed', 'union_id'], defaults=((), None, False, None))


def recording_info(client, conference_id, union_id, transcript=False):
    """The recordings of ``conference_id`` with their links and, if asked, its transcript: RecordingsOutcome.

    ``union_id`` None reads them as the recording's owner, whom the conference query names; where it names none,
    or the app may not read it, that is refused. A failed call raises Refusal, with the recordings read until then.
    """
    recordings = []
    try:
        union_id = acting_as(client, conference_id, union_id)
        for video in list_videos(client, conference_id, union_id):
            recording = shape_video(video)
            links = play_info(client, conference_id, union_id, recording)
            recording.update(mp4_url=links['mp4_url'], play_url=links['play_url'])
            if recording['file_size'] is None:
                recording['file_size'] = links['file_size']
            recordings.append(recording)
        paragraphs = [shape_paragraph(paragraph) for paragraph in read_transcript(client, conference_id, union_id)] if transcript else None
    except OwnerUnknown as unknown:
        raise Refusal(str(unknown), RecordingsOutcome(conference_id)) from None
    except DingTalkError as error:
        raise Refusal(error.describe(), RecordingsOutcome(conference_id, tuple(recordings), union_id=union_id), error) from None
    return RecordingsOutcome(conference_id, tuple(recordings), None if paragraphs is None else tuple(paragraphs), union_id=union_id)
