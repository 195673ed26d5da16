#!/usr/bin/python

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: dingtalk_cloud_record
short_description: Start or stop the cloud recording of a DingTalk video conference
version_added: 0.1.0
description:
  - Brings the cloud recording of a DingTalk video conference to the wanted O(state), idempotently.
  - The module first reads the conference, decides from its meeting and recording state, and calls DingTalk only
    when something must change. It reports RV(ignore:changed=true) only then, so a job can run again and again.
  - With O(state=stopped), a running or paused recording is stopped. A conference with nothing to stop, or a meeting
    that has already ended, is reported as unchanged. Stopping the recording does not end the meeting.
  - With O(state=started), a recording is started unless one is already running, which is reported as unchanged
    with RV(outcome=already_recording). A meeting that has ended fails with RV(outcome=meeting_ended), and a
    recording paused in the DingTalk client fails with RV(outcome=paused); see the notes.
  - Only the meeting's host may start or stop its recording. When DingTalk refuses a stop or start made as O(union_id)
    for that reason, the message names the host the conference names (C(creatorId)), to pass as O(union_id).
  - The result holds the recording's state after the task (in check mode, as it would be), as integers with their
    words (RV(cloud_record_status), RV(cloud_record_status_name)), and the state read before acting under
    RV(cloud_record_status_before) and RV(cloud_record_status_before_name); the same for the meeting.
  - Without O(union_id), a recording is stopped as its owner, the user who started it, whom the conference's state
    names (C(cloudRecordOwnerUnionId)). So a list of conferences of many hosts, such as every ongoing conference of
    the organisation that M(community.dingtalk.dingtalk_conference_info) lists, can be swept in one task.
  - With O(conference_ids), one module run handles many conferences concurrently, over one connection pool, with one
    token, and with the calls to each DingTalk API spaced to stay under O(rate_limit). This is much faster than a
    loop, which pays a whole module execution per conference, and keeps clear of DingTalk's throttling.
author:
  - community.dingtalk maintainers (@community-dingtalk)
extends_documentation_fragment:
  - community.dingtalk.connection
  - community.dingtalk.access_token
  - community.dingtalk.auth
  - community.dingtalk.concurrency
  - community.dingtalk.attributes
attributes:
  check_mode:
    support: full
    details:
      - Only reads the conference and predicts RV(ignore:changed) and RV(outcome); the recording is never started or
        stopped.
  diff_mode:
    support: full
    details:
      - Shows the meeting and recording state before and after.
options:
  conference_id:
    description:
      - The ID of the video conference (C(conferenceId)).
      - Exactly one of O(conference_id) and O(conference_ids) is required.
    type: str
  conference_ids:
    description:
      - The IDs of many conferences to bring to O(state) in one module run (batch mode).
      - A conference listed more than once is handled, and reported, once.
      - White space around each ID is removed (DingTalk's IDs carry none), so that V(a, b), as an AWX survey or a
        comma-separated string gives it, means V(a) and V(b). The same holds for O(conference_id) and O(union_id).
      - With O(union_id), all of them must have that host. Without it, each recording is stopped as its own owner.
      - An empty list is valid. Nothing is done then, and the task is unchanged.
      - The module then returns RV(results), one entry per conference, and RV(outcomes); it reports
        RV(ignore:changed=true) if any conference changed, and fails if any failed, unless O(fail_on_error=false).
      - Interrupted (SIGINT, as when a job is cancelled), the module starts no further conference, lets the calls
        under way finish, and fails with the conferences it handled in RV(results). Run it again to handle the rest.
    type: list
    elements: str
    version_added: 0.1.0
  fail_on_error:
    description:
      - With O(conference_ids), whether the task fails when any conference fails.
      - With V(false), the task succeeds, reports each failure in RV(results) (with RV(results[].failed=true) and its
        error fields), and warns with a summary.
    type: bool
    default: true
    version_added: 0.1.0
  union_id:
    description:
      - The C(unionId) of the meeting's host. DingTalk lets only the host control the recording.
      - When O(state=started), this user becomes the owner of the recording. Required with O(state=started).
      - If not set with O(state=stopped), each recording is stopped as its owner (C(cloudRecordOwnerUnionId) in the
        conference's state), which needs the permission C(VideoConference.Conference.Read). A conference the app
        cannot read, or whose recording names no owner, then fails with RV(outcome=owner_unknown) and a message
        saying that O(union_id) is required; one with nothing to stop is unchanged as usual.
      - If DingTalk refuses a stop made as the owner with V(recordStopPermissionError), the owner no longer hosts the
        meeting (the host role was handed on). The message names the owner it tried, and suggests to set O(union_id)
        to the current host.
    type: str
  state:
    description:
      - The wanted state of the cloud recording.
      - V(stopped) stops a running or paused recording.
      - V(started) starts a recording unless one is already running.
    type: str
    choices: [started, stopped]
    default: stopped
  mode:
    description:
      - The layout of a recording started with O(state=started) (C(mode) of the start call).
      - V(grid) shows the participants side by side, V(speech) puts the speaker in front, V(full_screen) shows one
        view in full screen.
      - If not set, DingTalk's default layout is used and C(mode) is left out of the start call.
      - Only valid with O(state=started). It is not compared with a recording that is already running, and DingTalk
        does not report the layout of one.
    type: str
    choices: [grid, speech, full_screen]
  small_window_position:
    description:
      - Where the small video window is placed in a recording started with O(state=started)
        (C(smallWindowPosition) of the start call).
      - If not set, DingTalk's default is used and C(smallWindowPosition) is left out of the start call.
      - Only valid with O(state=started).
    type: str
    choices: [relative_right, float_right, float_bottom]
notes:
  - The app behind the token needs the permission C(VideoConference.Conference.Write) to start or stop a recording,
    and C(VideoConference.Conference.Read) to check the recording state first.
  - Without the read permission the module acts anyway, interprets DingTalk's answer and warns. With O(state=stopped),
    RV(ignore:changed) may then report a change where nothing was recorded. With O(state=started), DingTalk's answer
    V(recordStartError) is reported as RV(outcome=already_recording), although DingTalk gives it for a paused
    recording too.
  - A meeting that ends between the check and the stop (DingTalk answers V(roomClosed)) is reported as unchanged,
    with RV(outcome=meeting_ended). A start in a meeting that has ended fails with RV(outcome=meeting_ended), whether
    the check or DingTalk's answer to the start shows it, because no recording can be made there.
  - A recording can be paused only in the DingTalk client, and DingTalk has no API to resume it; it refuses a start
    while a recording is paused. So O(state=started) fails on a paused recording with RV(outcome=paused) and a
    message saying to resume it in the DingTalk client, without a start call. Reporting success would claim a
    recording that is not running, and stopping it to start afresh would split the recording in two without being
    asked. To start a new recording anyway, run the module with O(state=stopped) first.
  - If the check showed nothing recording but DingTalk still answers the start with V(recordStartError) (for example
    because someone started a recording in between), the task fails with that code; it is not retried.
seealso:
  - module: community.dingtalk.dingtalk_conference_info
    description: Lists every ongoing conference of the organisation, for O(conference_ids).
"""

EXAMPLES = r"""
- name: Stop the cloud recording of a meeting
  community.dingtalk.dingtalk_cloud_record:
    conference_id: "{{ conference_id }}"
    union_id: "{{ host_union_id }}"
    state: stopped
    access_token: "{{ dingtalk_access_token }}"

- name: Start recording when a scheduled compliance meeting begins, in speaker layout
  community.dingtalk.dingtalk_cloud_record:
    conference_id: "{{ conference_id }}"
    union_id: "{{ host_union_id }}"
    state: started
    mode: speech
    small_window_position: float_right
    access_token: "{{ dingtalk_access_token }}"

# On a mainland China tenant, with DINGTALK_API_URL=https://api.dingtalk.com and a token in DINGTALK_ACCESS_TOKEN
- name: Stop recordings with the API host and the token from the environment
  community.dingtalk.dingtalk_cloud_record:
    conference_id: "{{ item }}"
    union_id: "{{ host_union_id }}"
  loop: "{{ conference_ids }}"

- name: Set the connection once for every DingTalk task of a play
  module_defaults:
    group/community.dingtalk.dingtalk:
      access_token: "{{ dingtalk_access_token }}"
      retries: 5
  block:
    - name: Stop the recording, and show what would change first
      community.dingtalk.dingtalk_cloud_record:
        conference_id: "{{ conference_id }}"
        union_id: "{{ host_union_id }}"
      check_mode: true
      diff: true
      register: preview

    - name: Report the prediction
      ansible.builtin.debug:
        msg: >-
          Recording would be {{ 'stopped' if preview.changed else 'left alone: ' ~ preview.outcome }}
          ({{ preview.cloud_record_status_before_name }}, then {{ preview.cloud_record_status_name }})

    - name: Wait for the meeting to end, at most two hours
      community.dingtalk.dingtalk_conference_info:
        conference_id: "{{ conference_id }}"
        wait_for: ended
        wait_timeout: 7200
        poll_interval: 30

    - name: Make sure nothing is left recording
      community.dingtalk.dingtalk_cloud_record:
        conference_id: "{{ conference_id }}"
        union_id: "{{ host_union_id }}"
        state: stopped

- name: Stop the recordings of many meetings in one module run, reporting failures instead of failing
  community.dingtalk.dingtalk_cloud_record:
    conference_ids: "{{ todays_meetings | map(attribute='conference_id') | list }}"
    union_id: "{{ host_union_id }}"
    fail_on_error: false
  register: batch

- name: Report what happened to each
  ansible.builtin.debug:
    msg: "{{ batch.outcomes }}; failed: {{ batch.results | selectattr('failed') | map(attribute='conference_id') | list }}"

- name: Stop every recording in the organisation, each as its owner
  module_defaults:
    group/community.dingtalk.dingtalk:
      app_key: "{{ vault_dingtalk_app_key }}"
      app_secret: "{{ vault_dingtalk_app_secret }}"
  block:
    - name: List every ongoing conference
      community.dingtalk.dingtalk_conference_info:
      register: ongoing

    - name: Stop each recording as the user who started it
      community.dingtalk.dingtalk_cloud_record:
        conference_ids: "{{ ongoing.conferences | map(attribute='conference_id') | list }}"
        state: stopped
      register: sweep

    - name: Report who was stopped
      ansible.builtin.debug:
        msg: "{{ sweep.results | selectattr('changed') | map(attribute='union_id') | list }}"
"""

RETURN = r"""
conference_id:
  description: The conference the task acted on.
  returned: when O(conference_id) is given
  type: str
  sample: 5d2ac8d6-1d8c-4b0a-9d0b-0d7c7e8f9a10
outcome:
  description:
    - What the task did, or in check mode would do.
    - V(stopped) when a running or paused recording was stopped (RV(ignore:changed=true)).
    - V(started) when a recording was started (RV(ignore:changed=true)).
    - V(not_recording) when O(state=stopped) and nothing was being recorded.
    - V(already_recording) when O(state=started) and a recording was already running.
    - V(meeting_ended) when the meeting had already ended. Unchanged with O(state=stopped); the task fails with
      O(state=started).
    - V(paused) when O(state=started) and the recording is paused in the DingTalk client; the task fails.
    - V(owner_unknown) when O(union_id) is not set and the recording must be stopped, but the app may not read the
      conference or DingTalk names no owner of the recording; the task fails.
    - V(failed) when a DingTalk call failed.
  returned: when O(conference_id) is given
  type: str
  sample: stopped
meeting_status:
  description:
    - The meeting status after the task (C(status)); in check mode, as it would be. The task does not change it,
      so it is the status read before acting, unless DingTalk answered the stop or start with V(roomClosed), which
      makes it V(1).
    - V(0) initializing, V(1) ended, V(2) in progress.
    - V(null) when the app may not read the conference.
  returned: when O(conference_id) is given
  type: int
  sample: 2
meeting_status_name:
  description:
    - RV(meeting_status) in words, V(initializing), V(ended) or V(in_progress), as
      M(community.dingtalk.dingtalk_conference_info) returns them. V(null) when RV(meeting_status) is.
  returned: when O(conference_id) is given
  type: str
  sample: in_progress
  version_added: 0.1.0
cloud_record_status:
  description:
    - The cloud recording status after the task (C(cloudRecordStatus)); in check mode, as it would be. After a stop
      V(3), after a start V(1); when nothing was done, or a call failed, the status read before acting.
    - V(0) not recording, V(1) recording, V(2) paused, V(3) finished.
    - V(null) when it is not known. The app may not read the conference (a start DingTalk accepted is V(1) even
      then), DingTalk answered V(roomClosed) (the meeting ended, and with it the recording), or a stop or start got no
      answer that says whether DingTalk carried it out.
    - RV(cloud_record_status_before) is the status read before acting.
  returned: when O(conference_id) is given
  type: int
  sample: 3
cloud_record_status_name:
  description:
    - RV(cloud_record_status) in words, V(not_recording), V(recording), V(paused) or V(finished), as
      M(community.dingtalk.dingtalk_conference_info) returns them. V(null) when RV(cloud_record_status) is.
  returned: when O(conference_id) is given
  type: str
  sample: finished
  version_added: 0.1.0
meeting_status_before:
  description:
    - The meeting status DingTalk reported before the task acted, as RV(meeting_status); V(null) when the app may not
      read the conference.
  returned: when O(conference_id) is given
  type: int
  sample: 2
  version_added: 0.1.0
meeting_status_before_name:
  description: RV(meeting_status_before) in words, as RV(meeting_status_name).
  returned: when O(conference_id) is given
  type: str
  sample: in_progress
  version_added: 0.1.0
cloud_record_status_before:
  description:
    - The cloud recording status DingTalk reported before the task acted, as RV(cloud_record_status); V(null) when the
      app may not read the conference.
  returned: when O(conference_id) is given
  type: int
  sample: 1
  version_added: 0.1.0
cloud_record_status_before_name:
  description: RV(cloud_record_status_before) in words, as RV(cloud_record_status_name).
  returned: when O(conference_id) is given
  type: str
  sample: recording
  version_added: 0.1.0
union_id:
  description:
    - The C(unionId) the stop or start is (or in check mode would be) made as.
    - O(union_id) when it is given; otherwise the recording's owner as DingTalk names it (C(cloudRecordOwnerUnionId)),
      V(null) when it names nobody or the app may not read the conference.
  returned: when O(conference_id) is given
  type: str
  sample: host-union-0001
  version_added: 0.1.0
error_code:
  description:
    - The DingTalk error code, for example V(recordStopPermissionError) or V(recordStartPermissionError) when
      O(union_id) is not the host.
    - V(null) when the module itself refused to act (RV(outcome=meeting_ended), RV(outcome=paused) or
      RV(outcome=owner_unknown)).
  returned: failure, when O(conference_id) is given
  type: str
  sample: recordStartPermissionError
http_status:
  description: The HTTP status of the failed call; V(null) when no answer arrived or no call failed.
  returned: failure, when O(conference_id) is given
  type: int
  sample: 404
request_id:
  description: DingTalk's request ID of the failed call, to quote to DingTalk support; V(null) when no call failed.
  returned: failure, when O(conference_id) is given
  type: str
  sample: 8A7B3C2D-0000-4E5F-9A8B-1C2D3E4F5A6B
results:
  description:
    - With O(conference_ids), one entry per conference, in the order given (repeats left out).
  returned: when O(conference_ids) is given
  type: list
  elements: dict
  contains:
    conference_id:
      description: The conference.
      type: str
      sample: 5d2ac8d6-1d8c-4b0a-9d0b-0d7c7e8f9a10
    changed:
      description: Whether this conference's recording was stopped or started.
      type: bool
      sample: true
    failed:
      description: Whether this conference failed.
      type: bool
      sample: false
    outcome:
      description: As RV(outcome) for a single conference.
      type: str
      sample: stopped
    meeting_status:
      description: As RV(meeting_status) for a single conference.
      type: int
      sample: 2
    meeting_status_name:
      description: As RV(meeting_status_name) for a single conference.
      type: str
      sample: in_progress
      version_added: 0.1.0
    cloud_record_status:
      description: As RV(cloud_record_status) for a single conference.
      type: int
      sample: 3
    cloud_record_status_name:
      description: As RV(cloud_record_status_name) for a single conference.
      type: str
      sample: finished
      version_added: 0.1.0
    meeting_status_before:
      description: As RV(meeting_status_before) for a single conference.
      type: int
      sample: 2
      version_added: 0.1.0
    meeting_status_before_name:
      description: As RV(meeting_status_before_name) for a single conference.
      type: str
      sample: in_progress
      version_added: 0.1.0
    cloud_record_status_before:
      description: As RV(cloud_record_status_before) for a single conference.
      type: int
      sample: 1
      version_added: 0.1.0
    cloud_record_status_before_name:
      description: As RV(cloud_record_status_before_name) for a single conference.
      type: str
      sample: recording
      version_added: 0.1.0
    union_id:
      description: As RV(union_id) for a single conference.
      type: str
      sample: host-union-0001
      version_added: 0.1.0
    msg:
      description: What went wrong.
      type: str
      returned: when this conference failed
      sample: >-
        DingTalk refused to stop the recording of conference 5d2ac8d6-1d8c-4b0a-9d0b-0d7c7e8f9a10 as guest-union-0002
        (union_id): only the meeting's host may, and the conference names host-union-0001 as its host (creatorId).
        Pass that unionId as union_id. DingTalk error recordStopPermissionError: you can't operator, please contact
        meeting manager (HTTP 400; request id 8A7B3C2D-0000-4E5F-9A8B-1C2D3E4F5A6B)
    error_code:
      description: As RV(error_code) for a single conference.
      type: str
      returned: when this conference failed
      sample: recordStopPermissionError
    http_status:
      description: As RV(http_status) for a single conference.
      type: int
      returned: when this conference failed
      sample: 400
    request_id:
      description: As RV(request_id) for a single conference.
      type: str
      returned: when this conference failed
      sample: 8A7B3C2D-0000-4E5F-9A8B-1C2D3E4F5A6B
outcomes:
  description: With O(conference_ids), how many conferences ended with each RV(results[].outcome).
  returned: when O(conference_ids) is given
  type: dict
  sample: {"stopped": 480, "not_recording": 15, "meeting_ended": 5}
"""

from ansible_collections.community.dingtalk.plugins.module_utils._module import run_module


def main():
    run_module('dingtalk_cloud_record')


if __name__ == '__main__':
    main()
