#!/usr/bin/python
# -*- coding: utf-8 -*-

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
  - Only the meeting's host may start or stop its recording.
  - With O(conference_ids), one module run handles many conferences concurrently, over one connection pool, with one
    token, and with the calls to each DingTalk API spaced to stay under O(rate_limit). This is much faster than a
    loop, which pays a whole module execution per conference, and keeps clear of DingTalk's throttling.
author:
  - community.dingtalk maintainers (@community-dingtalk)
extends_documentation_fragment:
  - community.dingtalk.connection
  - community.dingtalk.access_token
  - community.dingtalk.auth
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
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
  platform:
    platforms: all
  action_group:
    support: full
    membership:
      - community.dingtalk.dingtalk
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
      - All of them must have the same host, O(union_id).
      - The module then returns RV(results), one entry per conference, and RV(outcomes); it reports
        RV(ignore:changed=true) if any conference changed, and fails if any failed, unless O(fail_on_error=false).
    type: list
    elements: str
    version_added: 0.1.0
  rate_limit:
    description:
      - The most calls a second this module run makes to each DingTalk API (the conference query and the stop or
        start are different APIs and are limited separately).
      - DingTalk allows about 20 calls a second per app and API on standard organisations and answers
        V(Forbidden.AccessDenied.QpsLimitForAppkeyAndApi) beyond that (a third-party app,
        V(Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi), counted per authorising organisation); the
        default stays safely under. Raise it only for an organisation with a higher limit, and keep it under that limit.
      - After a throttling answer, every call to that API waits a second; after a per-minute one
        (V(Forbidden.AccessDenied.QpmLimitForAppkeyAndApi), V(Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi)),
        20 seconds.
      - Must be greater than zero.
    type: float
    default: 18
    version_added: 0.1.0
  concurrency:
    description:
      - How many conferences of O(conference_ids) are handled at the same time (and how many connections are kept
        open). Calls still respect O(rate_limit).
      - Between 1 and 64.
    type: int
    default: 16
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
      - When O(state=started), this user becomes the owner of the recording.
    type: str
    required: true
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

- name: Stop recordings on a mainland China tenant, with the token from the environment (DINGTALK_ACCESS_TOKEN)
  community.dingtalk.dingtalk_cloud_record:
    api_url: https://api.dingtalk.com
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
        msg: "Recording would be {{ 'stopped' if preview.changed else 'left alone: ' ~ preview.outcome }}"

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
    - V(failed) when a DingTalk call failed.
  returned: when O(conference_id) is given
  type: str
  sample: stopped
meeting_status:
  description:
    - The meeting status DingTalk reported before the task acted (C(status)).
    - V(0) initializing, V(1) ended, V(2) in progress.
    - V(null) when the app may not read the conference.
  returned: when O(conference_id) is given
  type: int
  sample: 2
cloud_record_status:
  description:
    - The cloud recording status DingTalk reported before the task acted (C(cloudRecordStatus)).
    - V(0) not recording, V(1) recording, V(2) paused, V(3) finished.
    - V(null) when the app may not read the conference.
  returned: when O(conference_id) is given
  type: int
  sample: 1
error_code:
  description:
    - The DingTalk error code, for example V(recordStopPermissionError) or V(recordStartPermissionError) when
      O(union_id) is not the host.
    - V(null) when the module itself refused to act (RV(outcome=meeting_ended) or RV(outcome=paused) found by the
      check).
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
    cloud_record_status:
      description: As RV(cloud_record_status) for a single conference.
      type: int
      sample: 1
    msg:
      description: What went wrong.
      type: str
      returned: when this conference failed
      sample: "DingTalk error recordStopPermissionError: only the host may stop the cloud recording (HTTP 400; request id 8A7B3C2D)"
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

from functools import partial

from ansible_collections.community.dingtalk.plugins.module_utils._batch import (
    DEFAULT_CONCURRENCY,
    MAX_CONCURRENCY,
    batch_result,
    run_concurrently,
    unique_in_order,
)
from ansible_collections.community.dingtalk.plugins.module_utils._client import InvalidOptionError
from ansible_collections.community.dingtalk.plugins.module_utils._cloud_record import (
    RECORD_MODES,
    SMALL_WINDOW_POSITIONS,
    apply_recording_state,
    validate_recording_options,
)
from ansible_collections.community.dingtalk.plugins.module_utils._module import DingTalkModule
from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import DEFAULT_CALLS_PER_SECOND, RateLimiter


def main():
    module = DingTalkModule(
        argument_spec=dict(
            conference_id=dict(type='str'),
            conference_ids=dict(type='list', elements='str'),
            union_id=dict(type='str', required=True),
            state=dict(type='str', default='stopped', choices=['started', 'stopped']),
            mode=dict(type='str', choices=list(RECORD_MODES)),
            small_window_position=dict(type='str', choices=list(SMALL_WINDOW_POSITIONS)),
            rate_limit=dict(type='float', default=DEFAULT_CALLS_PER_SECOND),
            concurrency=dict(type='int', default=DEFAULT_CONCURRENCY),
            fail_on_error=dict(type='bool', default=True),
        ),
        mutually_exclusive=[('conference_id', 'conference_ids')],
        required_one_of=[('conference_id', 'conference_ids')],
        supports_check_mode=True,
    )
    params = module.params
    module.require_text('conference_id', 'conference_ids', 'union_id')
    try:
        validate_recording_options(params['state'], params['mode'], params['small_window_position'])
        if params['rate_limit'] <= 0:
            raise InvalidOptionError('rate_limit must be greater than 0 calls a second, got {0}'.format(params['rate_limit']))
        if not 1 <= params['concurrency'] <= MAX_CONCURRENCY:
            raise InvalidOptionError('concurrency must be between 1 and {0}, got {1}'.format(MAX_CONCURRENCY, params['concurrency']))
    except InvalidOptionError as error:
        module.fail_json(msg=str(error))
    client = module.client(rate_limiter=RateLimiter(params['rate_limit']), pool_size=params['concurrency'])

    apply_state = partial(apply_recording_state, client, union_id=params['union_id'], state=params['state'], mode=params['mode'],
                          small_window_position=params['small_window_position'], check_mode=module.check_mode)
    if params['conference_id'] is not None:
        module.exit_with_result(apply_state(params['conference_id']))
    results = run_concurrently(apply_state, unique_in_order(params['conference_ids']), params['concurrency'])
    module.exit_with_result(batch_result(results, params['fail_on_error']))


if __name__ == '__main__':
    main()
