#!/usr/bin/python

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: dingtalk_conference_info
short_description: Read the state of a DingTalk video conference, or list every ongoing conference of the organisation
version_added: 0.1.0
description:
  - Reads a DingTalk video conference and returns it as RV(conference), with stable snake_case keys, so that a
    playbook can branch on the meeting and recording state, or report them.
  - With O(wait_for), the module polls the conference until it has reached that state, for example until the meeting
    has ended, without an C(until) loop in the playbook. It fails when O(wait_timeout) passes first.
  - Without O(conference_id), the module lists every ongoing conference of the organisation as RV(conferences),
    following DingTalk's pages to the end. With O(include_record_status=true) it also queries each of them,
    concurrently and within O(rate_limit), for its cloud recording state and owner.
  - The module never changes anything.
author:
  - community.dingtalk maintainers (@community-dingtalk)
extends_documentation_fragment:
  - community.dingtalk.connection
  - community.dingtalk.access_token
  - community.dingtalk.auth
  - community.dingtalk.concurrency
  - community.dingtalk.attributes
  - community.dingtalk.attributes.INFO_MODULE
attributes:
  check_mode:
    details:
      - The module only reads, so it does the same in check mode, waiting included.
options:
  conference_id:
    description:
      - The ID of the video conference (C(conferenceId)) to read, returned as RV(conference).
      - If not set, every ongoing conference of the organisation is listed instead, as RV(conferences). For a
        third-party app, that is the organisation that O(auth_corp_id) names.
    type: str
  include_record_status:
    description:
      - Without O(conference_id), also query each listed conference for RV(conferences[].cloud_record_status) and
        RV(conferences[].cloud_record_owner_union_id). That is one more call per conference, O(concurrency) at a
        time and within O(rate_limit).
      - Not needed to stop every recording, since M(community.dingtalk.dingtalk_cloud_record) checks each conference itself.
      - Only valid without O(conference_id), which always returns the recording state.
    type: bool
    default: false
    version_added: 0.1.0
  page_size:
    description:
      - Without O(conference_id), how many conferences to ask DingTalk for per page (C(maxResults)).
      - DingTalk does not document the largest page size it accepts. Between 1 and 100.
    type: int
    default: 20
    version_added: 0.1.0
  max_pages:
    description:
      - Without O(conference_id), the most pages to read. If DingTalk still says more pages follow after that many,
        the module fails with a message naming this limit, and returns the conferences read so far.
      - This guards against a list that never ends. The default covers 20,000 ongoing conferences with the default
        O(page_size).
      - At least 1.
    type: int
    default: 1000
    version_added: 0.1.0
  wait_for:
    description:
      - Poll the conference until it is in this state, then return it.
      - V(ended) waits for the meeting to end.
      - V(recording) waits for a cloud recording to be running. If the meeting ends first, the module fails at once,
        since no recording can start any more.
      - V(not_recording) waits until no cloud recording is running or paused (none was started, or it has finished).
        A paused recording does not count, because it can be resumed in the DingTalk client.
      - If the conference is already in that state, the module returns after a single query.
      - If not set, the module queries the conference once.
      - Only valid with O(conference_id).
    type: str
    choices: [ended, recording, not_recording]
  wait_timeout:
    description:
      - How many seconds to wait at most with O(wait_for), counted from the first query. The module fails when the
        state has not been reached by then, and returns the last RV(conference) it read.
      - A query that is under way when the time is up is waited for (up to O(timeout)).
      - Must be greater than zero.
    type: int
    default: 300
  poll_interval:
    description:
      - Seconds between two queries with O(wait_for).
      - Must be greater than zero. Every query counts against DingTalk's rate limits, so keep it at a few seconds
        or more when many hosts wait at once.
    type: int
    default: 5
notes:
  - The app behind the token needs the permission C(VideoConference.Conference.Read), for the list of ongoing
    conferences too.
  - A conference that appears on two pages (because the list changed while it was read) is returned once. A
    conference that starts while the list is read may be missed; one that ends may still be listed.
  - Transient failures of each query are retried as O(retries) says; any other DingTalk error ends the wait and fails
    the task.
seealso:
  - module: community.dingtalk.dingtalk_cloud_record
"""

EXAMPLES = r"""
- name: Read a meeting
  community.dingtalk.dingtalk_conference_info:
    conference_id: "{{ conference_id }}"
    access_token: "{{ dingtalk_access_token }}"
  register: meeting

- name: Report it
  ansible.builtin.debug:
    msg: >-
      {{ meeting.conference.title }} is {{ meeting.conference.meeting_status_name }},
      recording {{ meeting.conference.cloud_record_status_name }},
      {{ meeting.conference.active_participants }} participant(s) since {{ meeting.conference.start_time }}

- name: Start recording only if the meeting is running and nobody is recording
  community.dingtalk.dingtalk_cloud_record:
    conference_id: "{{ conference_id }}"
    union_id: "{{ meeting.conference.host_union_id }}"
    state: started
    access_token: "{{ dingtalk_access_token }}"
  when:
    - meeting.conference.meeting_status_name == 'in_progress'
    - meeting.conference.cloud_record_status_name in ['not_recording', 'finished']

- name: List every ongoing conference of the organisation, with the state of its recording
  community.dingtalk.dingtalk_conference_info:
    include_record_status: true
    app_key: "{{ vault_dingtalk_app_key }}"
    app_secret: "{{ vault_dingtalk_app_secret }}"
  register: ongoing

- name: Report the meetings being recorded, and by whom
  ansible.builtin.debug:
    msg: "{{ item.title }} ({{ item.conference_id }}), hosted by {{ item.host_nick }}, recorded by {{ item.cloud_record_owner_union_id }}"
  loop: "{{ ongoing.conferences | selectattr('cloud_record_status_name', 'in', ['recording', 'paused']) }}"
  loop_control:
    label: "{{ item.conference_id }}"

- name: Compliance recording from the start to the end of a scheduled meeting
  module_defaults:
    group/community.dingtalk.dingtalk:
      access_token: "{{ dingtalk_access_token }}"
  block:
    - name: Start recording as the meeting begins
      community.dingtalk.dingtalk_cloud_record:
        conference_id: "{{ conference_id }}"
        union_id: "{{ host_union_id }}"
        state: started
        mode: speech

    - name: Wait up to three hours for the meeting to end, checking every minute
      community.dingtalk.dingtalk_conference_info:
        conference_id: "{{ conference_id }}"
        wait_for: ended
        wait_timeout: 10800
        poll_interval: 60
      register: finished_meeting

    - name: Record how long it ran
      ansible.builtin.debug:
        msg: "{{ conference_id }} ran from {{ finished_meeting.conference.start_time }} to {{ finished_meeting.conference.end_time }}"
"""

RETURN = r"""
conference:
  description:
    - The conference as last read. With O(wait_for), the state that ended the wait, or on a time-out the last
      state seen.
    - Keys DingTalk leaves out of its answer are V(null).
  returned: with O(conference_id), on success, and on failure once the conference could be read
  type: dict
  contains:
    conference_id:
      description: The ID of the conference (C(conferenceId)).
      type: str
      sample: 5d2ac8d6-1d8c-4b0a-9d0b-0d7c7e8f9a10
    title:
      description: The meeting's title (C(title)).
      type: str
      sample: Weekly compliance review
    meeting_status:
      description:
        - The meeting status (C(status)). V(0) initializing, V(1) ended, V(2) in progress.
      type: int
      sample: 2
    meeting_status_name:
      description: RV(conference.meeting_status) as a word.
      type: str
      choices: [initializing, ended, in_progress]
      sample: in_progress
    cloud_record_status:
      description:
        - The cloud recording status (C(cloudRecordStatus)). V(0) not recording, V(1) recording, V(2) paused (in the
          DingTalk client), V(3) finished.
      type: int
      sample: 1
    cloud_record_status_name:
      description: RV(conference.cloud_record_status) as a word.
      type: str
      choices: [not_recording, recording, paused, finished]
      sample: recording
    host_union_id:
      description: The C(unionId) of the meeting's creator, its host (C(creatorId)).
      type: str
      sample: host-union-0001
    host_nick:
      description: The display name of the host (C(creatorNick)); V(null) when DingTalk does not send it.
      type: str
      sample: Li Lei
    cloud_record_owner_union_id:
      description: The C(unionId) of the user who started the cloud recording (C(cloudRecordOwnerUnionId)); V(null) when none was.
      type: str
      sample: host-union-0001
    start_time:
      description: When the meeting started, in UTC, as ISO 8601 to the second (from C(startTime), milliseconds since the epoch).
      type: str
      sample: "2026-03-02T09:30:00Z"
    end_time:
      description: When the meeting ended, in UTC, as ISO 8601 to the second (from C(endTime)); V(null) while it has not ended.
      type: str
      sample: "2026-03-02T10:45:12Z"
    active_participants:
      description: How many participants are in the meeting now (C(activeNum)).
      type: int
      sample: 12
    room_code:
      description: The meeting's room code, which people type to join (C(roomCode)); V(null) when DingTalk does not send it.
      type: str
      sample: "512345678"
    external_link_url:
      description: The link to join the meeting (C(externalLinkUrl)); V(null) when DingTalk does not send it.
      type: str
      sample: https://meeting.dingtalk.com/j/abcdef
  sample:
    conference_id: 5d2ac8d6-1d8c-4b0a-9d0b-0d7c7e8f9a10
    title: Weekly compliance review
    meeting_status: 2
    meeting_status_name: in_progress
    cloud_record_status: 1
    cloud_record_status_name: recording
    host_union_id: host-union-0001
    host_nick: Li Lei
    cloud_record_owner_union_id: host-union-0001
    start_time: "2026-03-02T09:30:00Z"
    end_time: null
    active_participants: 12
    room_code: "512345678"
    external_link_url: https://meeting.dingtalk.com/j/abcdef
conferences:
  description:
    - Every ongoing conference of the organisation (not yet ended), in DingTalk's order.
    - Each has the keys of RV(conference), so that one expression filters a listed conference and a queried one.
      Keys that the list does not carry are V(null) (RV(conference.active_participants),
      RV(conference.external_link_url), and without O(include_record_status=true) the recording state), as are keys
      DingTalk leaves out of its answer.
    - RV(conferences[].meeting_status) and RV(conferences[].meeting_status_name) are V(null) for a status DingTalk
      does not document.
    - RV(conferences[].cloud_record_status), RV(conferences[].cloud_record_status_name) and
      RV(conferences[].cloud_record_owner_union_id) come from a query of each conference, with
      O(include_record_status=true); they are V(null) without it, and for a conference whose query failed (the task
      then fails and says why).
    - On failure, the conferences listed (and queried) before it.
  returned: without O(conference_id)
  type: list
  elements: dict
  version_added: 0.1.0
  contains:
    conference_id:
      description: As RV(conference.conference_id).
      type: str
    title:
      description: As RV(conference.title).
      type: str
    meeting_status:
      description: As RV(conference.meeting_status); V(null) for a status DingTalk does not document.
      type: int
    meeting_status_name:
      description: As RV(conference.meeting_status_name); V(null) with RV(conferences[].meeting_status).
      type: str
    cloud_record_status:
      description:
        - As RV(conference.cloud_record_status), from a query of the conference.
        - V(null) without O(include_record_status=true), or when the query failed.
      type: int
    cloud_record_status_name:
      description: RV(conferences[].cloud_record_status) as a word; V(null) when that is.
      type: str
    host_union_id:
      description: As RV(conference.host_union_id).
      type: str
    host_nick:
      description: As RV(conference.host_nick).
      type: str
    cloud_record_owner_union_id:
      description: As RV(conference.cloud_record_owner_union_id), from a query of the conference; V(null) without O(include_record_status=true).
      type: str
    start_time:
      description: As RV(conference.start_time).
      type: str
    end_time:
      description: As RV(conference.end_time); the list holds only ongoing conferences, so usually V(null).
      type: str
    active_participants:
      description: Always V(null), the list does not carry it; RV(conference.active_participants) of a query does.
      type: int
    room_code:
      description: As RV(conference.room_code).
      type: str
    external_link_url:
      description: Always V(null), the list does not carry it; RV(conference.external_link_url) of a query does.
      type: str
  sample:
    - conference_id: 5d2ac8d6-1d8c-4b0a-9d0b-0d7c7e8f9a10
      title: Weekly compliance review
      meeting_status: 2
      meeting_status_name: in_progress
      cloud_record_status: 1
      cloud_record_status_name: recording
      host_union_id: host-union-0001
      host_nick: Li Lei
      cloud_record_owner_union_id: host-union-0001
      start_time: "2026-03-02T09:30:00Z"
      end_time: null
      active_participants: null
      room_code: "512345678"
      external_link_url: null
waited:
  description:
    - Seconds from the start of the first query to the last answer.
    - Without O(wait_for), or when the first answer settled the wait, this is the duration of one query.
  returned: with O(conference_id)
  type: float
  sample: 62.417
error_code:
  description: The DingTalk error code of a failed query or list, for example V(roomNotFound).
  returned: when a DingTalk call failed
  type: str
  sample: roomNotFound
http_status:
  description: The HTTP status of the failed query; V(null) when no answer arrived.
  returned: when a DingTalk call failed
  type: int
  sample: 404
request_id:
  description: DingTalk's request ID of the failed query, to quote to DingTalk support.
  returned: when a DingTalk call failed
  type: str
  sample: 8A7B3C2D-0000-4E5F-9A8B-1C2D3E4F5A6B
"""

from ansible_collections.community.dingtalk.plugins.module_utils._module import run_module


def main():
    run_module('dingtalk_conference_info')


if __name__ == '__main__':
    main()
