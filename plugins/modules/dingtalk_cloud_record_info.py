#!/usr/bin/python

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: dingtalk_cloud_record_info
short_description: List the cloud recordings of a DingTalk video conference, with their download links and transcript
version_added: 0.1.0
description:
  - Lists the video files of a conference's cloud recordings as RV(recordings), one entry per video, with the signed
    links to download (RV(recordings[].mp4_url)) or play (RV(recordings[].play_url)) each.
  - With O(transcript=true), also returns the transcript of the conference in RV(transcript), every page of it.
  - To download the videos to a directory, idempotently and with links renewed as they expire, use
    M(community.dingtalk.dingtalk_cloud_record_archive) instead.
  - The module never changes anything.
author:
  - community.dingtalk maintainers (@community-dingtalk)
extends_documentation_fragment:
  - community.dingtalk.connection
  - community.dingtalk.access_token
  - community.dingtalk.auth
  - community.dingtalk.attributes
  - community.dingtalk.attributes.INFO_MODULE
options:
  conference_id:
    description:
      - The ID of the video conference (C(conferenceId)).
    type: str
    required: true
  union_id:
    description:
      - The C(unionId) of the user on whose behalf the recordings are read, usually the meeting's host.
      - If not set, the recordings are read as their owner, the user who started the recording, whom the
        conference's state names (C(cloudRecordOwnerUnionId)); that takes one more call, the conference query. If the
        app cannot read the conference, or its recording names no owner, the task fails with a message saying that
        O(union_id) is required.
      - RV(union_id) says whom the recordings were read as.
    type: str
    version_added: 0.1.0
  transcript:
    description:
      - Whether to read the conference's transcript too, into RV(transcript).
      - Every page is read, up to 50 pages of 2000 paragraphs; a longer transcript fails the task rather than return
        part of it.
    type: bool
    default: false
notes:
  - The app behind the token needs the permission C(VideoConference.Conference.Read).
  - B(The links are bearer credentials.) RV(recordings[].mp4_url) and RV(recordings[].play_url) are signed, short-lived
    URLs on a storage host, not on the DingTalk API host. Anyone who has one can download the recording until it
    expires, without any DingTalk credential. The module returns them as they are, because handing them to another
    tool is what they are for, so they appear in the task's output; set C(no_log) to V(true) on the task when its output
    is kept (AWX keeps every job event), and use them soon, as they expire.
    M(community.dingtalk.dingtalk_cloud_record_archive) never shows a link.
  - A video appears some time after its recording is stopped, once DingTalk has processed it. Until then, and for a
    conference that was never recorded, RV(recordings) is empty; the module does not fail.
  - Several videos of one recording share a RV(recordings[].record_id); RV(recordings[].media_id) tells them apart.
seealso:
  - module: community.dingtalk.dingtalk_cloud_record_archive
  - module: community.dingtalk.dingtalk_cloud_record
"""

EXAMPLES = r"""
- name: List the recordings of a meeting
  community.dingtalk.dingtalk_cloud_record_info:
    conference_id: "{{ conference_id }}"
    union_id: "{{ host_union_id }}"
    access_token: "{{ dingtalk_access_token }}"
  register: recorded
  no_log: true  # the result holds signed download links

- name: Report how much was recorded
  ansible.builtin.debug:
    msg: "{{ recorded.recordings | length }} video(s), {{ recorded.recordings | map(attribute='duration_ms') | sum // 60000 }} minute(s)"

- name: Read the transcript too, as the recording's owner, and keep what was said
  community.dingtalk.dingtalk_cloud_record_info:
    conference_id: "{{ conference_id }}"
    transcript: true
    access_token: "{{ dingtalk_access_token }}"
  register: with_transcript
  no_log: true

- name: Write the transcript as text
  ansible.builtin.copy:
    dest: "{{ minutes_dir }}/{{ conference_id }}.txt"
    content: |
      {% for paragraph in with_transcript.transcript %}
      {{ paragraph.nick_name }}: {{ paragraph.paragraph }}
      {% endfor %}
    mode: "0640"
"""

RETURN = r"""
conference_id:
  description: The conference, as given.
  returned: always
  type: str
  sample: 5d2ac8d6-1d8c-4b0a-9d0b-0d7c7e8f9a10
union_id:
  description:
    - The C(unionId) the recordings were read as.
    - O(union_id) when it is given; otherwise the recording's owner as DingTalk names it (C(cloudRecordOwnerUnionId)),
      V(null) when it names nobody or the app may not read the conference.
  returned: always
  type: str
  sample: host-union-0001
  version_added: 0.1.0
recordings:
  description:
    - One entry per video file of the conference's cloud recordings, in the order DingTalk lists them. Empty when
      DingTalk lists none (not recorded, or not processed yet).
    - Keys DingTalk leaves out of its answer are V(null).
  returned: success
  type: list
  elements: dict
  contains:
    record_id:
      description: The recording the video belongs to (C(recordId)). Several videos may share one.
      type: str
      sample: "7381920"
    media_id:
      description: The video file (C(mediaId)).
      type: str
      sample: media-7381920-1
    region_id:
      description: Where DingTalk stores the file (C(regionId)).
      type: str
      sample: cn-hangzhou
    record_type:
      description: The kind of video (C(recordType)); V(0) a normal recording, V(1) a composed file.
      type: int
      sample: 0
    duration_ms:
      description: How long the video is, in milliseconds (C(duration)).
      type: int
      sample: 3601250
    file_size:
      description: The size of the MP4 file in bytes (C(fileSize)).
      type: int
      sample: 734003200
    start_time:
      description: When the video starts, in UTC, as ISO 8601 to the second (from C(startTime), milliseconds since the epoch).
      type: str
      sample: "2026-03-02T09:30:00Z"
    end_time:
      description: When the video ends, in UTC, as ISO 8601 to the second (from C(endTime)).
      type: str
      sample: "2026-03-02T10:30:01Z"
    mp4_url:
      description:
        - A signed, short-lived link to download the MP4 file (C(mp4FileUrl) of the play info).
        - A bearer credential until it expires; see the notes.
      type: str
      sample: https://oss-cn-hangzhou.example.com/media-7381920-1.mp4?Expires=1772450000&Signature=...
    play_url:
      description:
        - A signed, short-lived link to stream the video (C(playUrl), an HLS playlist).
        - A bearer credential until it expires; see the notes.
      type: str
      sample: https://oss-cn-hangzhou.example.com/media-7381920-1.m3u8?Expires=1772450000&Signature=...
transcript:
  description:
    - The paragraphs of the transcript, oldest first, from every page.
    - Empty when the conference has no transcript.
  returned: when O(transcript=true) and the module succeeded
  type: list
  elements: dict
  contains:
    record_id:
      description: The recording the paragraph belongs to (C(recordId)).
      type: str
      sample: "7381920"
    union_id:
      description: The speaker's C(unionId).
      type: str
      sample: host-union-0001
    nick_name:
      description: The speaker's display name (C(nickName)).
      type: str
      sample: Li Lei
    paragraph:
      description: What was said.
      type: str
      sample: Let us start with the quarterly numbers.
    start_time:
      description:
        - When the paragraph starts, in UTC, as ISO 8601 to the millisecond (from C(startTime), milliseconds since the
          epoch). Transcript times keep their milliseconds, which tell sentences of one second apart.
      type: str
      sample: "2026-03-02T09:30:05.000Z"
    end_time:
      description: When the paragraph ends, in UTC, as ISO 8601 to the millisecond (from C(endTime)).
      type: str
      sample: "2026-03-02T09:30:11.000Z"
    status:
      description: The paragraph's C(status) as DingTalk gives it.
      type: int
      sample: 0
    sentences:
      description:
        - The paragraph's sentences (C(sentenceList)), each with C(sentence), C(union_id), C(start_time) and
          C(end_time) (ISO 8601 in UTC, to the millisecond). The per-word timings are left out.
      type: list
      elements: dict
      sample: [{"sentence": "Let us start.", "union_id": "host-union-0001", "start_time": "2026-03-02T09:30:05.000Z", "end_time": "2026-03-02T09:30:06.500Z"}]
error_code:
  description: The DingTalk error code of a failed call, for example V(resourceClose).
  returned: when a DingTalk call failed
  type: str
  sample: resourceClose
http_status:
  description: The HTTP status of the failed call; V(null) when no answer arrived.
  returned: when a DingTalk call failed
  type: int
  sample: 400
request_id:
  description: DingTalk's request ID of the failed call, to quote to DingTalk support.
  returned: when a DingTalk call failed
  type: str
  sample: 8A7B3C2D-0000-4E5F-9A8B-1C2D3E4F5A6B
"""

from ansible_collections.community.dingtalk.plugins.module_utils._module import run_module


def main():
    run_module('dingtalk_cloud_record_info')


if __name__ == '__main__':
    main()
