#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: dingtalk_cloud_record
short_description: Stop the cloud recording of a DingTalk video conference
version_added: 0.1.0
description:
  - Brings the cloud recording of a DingTalk video conference to the wanted O(state), idempotently.
  - With O(state=stopped), the module first reads the conference. It stops the recording only when one is running
    or paused, and reports RV(ignore:changed=true) only then. A conference with nothing to stop, or a meeting
    that has already ended, is reported as unchanged, so a job can run again and again.
  - Only the meeting's host may stop its recording. Stopping the recording does not end the meeting.
author:
  - community.dingtalk maintainers (@community-dingtalk)
requirements:
  - requests
extends_documentation_fragment:
  - community.dingtalk.connection
  - community.dingtalk.access_token
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.ACTIONGROUPS
attributes:
  check_mode:
    support: full
    details:
      - Only reads the conference and predicts RV(ignore:changed) and RV(outcome); the recording is never stopped.
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
    type: str
    required: true
  union_id:
    description:
      - The C(unionId) of the meeting's host. DingTalk lets only the host control the recording.
    type: str
    required: true
  state:
    description:
      - The wanted state of the cloud recording.
      - V(stopped) stops a running or paused recording.
    type: str
    choices: [stopped]
    default: stopped
notes:
  - The app behind the token needs the permission C(VideoConference.Conference.Write) to stop a recording, and
    C(VideoConference.Conference.Read) to check the recording state first. Without the read permission the module
    stops the recording anyway and warns that RV(ignore:changed) may then report a change where nothing was recorded.
  - A meeting that ends between the check and the stop (DingTalk answers V(roomClosed)) is reported as unchanged,
    with RV(outcome=meeting_ended).
"""

EXAMPLES = r"""
- name: Stop the cloud recording of a meeting
  community.dingtalk.dingtalk_cloud_record:
    conference_id: "{{ conference_id }}"
    union_id: "{{ host_union_id }}"
    state: stopped
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
"""

RETURN = r"""
conference_id:
  description: The conference the task acted on.
  returned: always
  type: str
  sample: 5d2ac8d6-1d8c-4b0a-9d0b-0d7c7e8f9a10
outcome:
  description:
    - What the task did, or in check mode would do.
    - V(stopped) when a running or paused recording was stopped (RV(ignore:changed=true)).
    - V(not_recording) when nothing was being recorded.
    - V(meeting_ended) when the meeting had already ended.
    - V(failed) when a DingTalk call failed.
  returned: always
  type: str
  sample: stopped
meeting_status:
  description:
    - The meeting status DingTalk reported before the task acted (C(status)).
    - V(0) initializing, V(1) ended, V(2) in progress.
    - V(null) when the app may not read the conference.
  returned: always
  type: int
  sample: 2
cloud_record_status:
  description:
    - The cloud recording status DingTalk reported before the task acted (C(cloudRecordStatus)).
    - V(0) not recording, V(1) recording, V(2) paused, V(3) finished.
    - V(null) when the app may not read the conference.
  returned: always
  type: int
  sample: 1
error_code:
  description: The DingTalk error code, for example V(recordStopPermissionError) when O(union_id) is not the host.
  returned: failure
  type: str
  sample: recordStopPermissionError
http_status:
  description: The HTTP status of the failed call; V(null) when no answer arrived.
  returned: failure
  type: int
  sample: 400
request_id:
  description: DingTalk's request ID of the failed call, to quote to DingTalk support.
  returned: failure
  type: str
  sample: 8A7B3C2D-0000-4E5F-9A8B-1C2D3E4F5A6B
"""

from ansible_collections.community.dingtalk.plugins.module_utils._cloud_record import stop_recording
from ansible_collections.community.dingtalk.plugins.module_utils._module import DingTalkModule


def main():
    module = DingTalkModule(
        argument_spec=dict(
            conference_id=dict(type='str', required=True),
            union_id=dict(type='str', required=True),
            state=dict(type='str', default='stopped', choices=['stopped']),
        ),
        supports_check_mode=True,
    )
    module.require_text('conference_id', 'union_id')
    client = module.client()

    result = stop_recording(client, module.params['conference_id'], module.params['union_id'], check_mode=module.check_mode)
    module.exit_with_result(result)


if __name__ == '__main__':
    main()
