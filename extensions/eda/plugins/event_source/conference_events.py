# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An Event-Driven Ansible source: DingTalk conferences and cloud recordings, as they start, stop and become ready."""

from __future__ import annotations

import os
import sys

DOCUMENTATION = r"""
---
short_description: Events of DingTalk video conferences and their cloud recordings
description:
  - An ansible-rulebook event source that watches the organisation's DingTalk video conferences and emits an event
    for each change it observes, once per transition.
  - DingTalk documents no conference or cloud recording event in its event subscriptions (Stream mode or HTTP push),
    so the source polls the calls the collection's modules make. Every O(interval) seconds it lists the organisation's
    ongoing conferences (every page) and, when a recording event is asked for in O(events), queries each listed
    conference for its recording; for a stopped recording it lists its videos until they are ready.
  - "Event types: V(conference_started) (a conference appears in the list), V(conference_ended) (it left the list),
    V(recording_started) (also when a paused recording goes on), V(recording_paused), V(recording_stopped) (also when a
    meeting that was recording ends) and V(recording_ready) (DingTalk lists the stopped recording's videos with their
    size)."
  - "Each event holds C(type), C(conference_id), C(title), C(host_union_id), C(cloud_record_owner_union_id),
    C(before) and C(after) (each with C(meeting_status), C(meeting_status_name), C(cloud_record_status),
    C(cloud_record_status_name); C(before) is null for a conference seen for the first time), C(conference) (the
    conference as M(community.dingtalk.dingtalk_conference_info) returns it: queried when a recording event is asked
    for, else as the organisation's list gives it), and C(observed_at) (UTC, C(YYYY-MM-DDTHH:MM:SSZ)). A
    V(recording_ready) event adds C(union_id) (whom the videos were listed as, the recording's owner or else the host)
    and C(recordings) (the new videos: C(record_id), C(media_id), C(region_id), C(record_type), C(duration_ms),
    C(file_size), C(start_time), C(end_time); no download link, which would be a short-lived bearer credential)."
  - Calls to each DingTalk API are spaced to stay under O(rate_limit). A poll of a large organisation that takes longer
    than O(interval) is followed at once by the next (said once in the log).
  - Throttling and transient failures are retried by each call, then waited out by the source, which polls again after
    a longer wait each time. Rejected credentials, a missing permission, the organisation's used-up API quota and bad
    options stop the source with one message. No secret and no token appears in an event or a message.
  - Credentials and connection options are those of the collection's modules, read from the source's arguments, or,
    when the arguments give no credential, from the same E(DINGTALK_APP_KEY), E(DINGTALK_APP_SECRET),
    E(DINGTALK_SUITE_KEY), E(DINGTALK_SUITE_SECRET), E(DINGTALK_AUTH_CORP_ID) and E(DINGTALK_SUITE_TICKET) environment
    variables; E(DINGTALK_API_URL), E(DINGTALK_CA_PATH) and E(DINGTALK_TOKEN_CACHE_DIR) set O(api_url), O(ca_path) and
    O(cache_dir) when the arguments do not. Tokens are shared with the modules through the token cache.
version_added: 0.1.0
author:
  - community.dingtalk maintainers (@community-dingtalk)
requirements:
  - requests >= 2.28.2, in the Python that runs ansible-rulebook
options:
  interval:
    description:
      - Seconds from the start of one poll to the start of the next.
      - An event comes at most O(interval) seconds (plus the poll's own duration) after the change it reports.
    type: float
    default: 30
  events:
    description:
      - The event types to emit. Without any recording event type the source makes no query per conference, only the
        list of ongoing conferences.
    type: list
    elements: str
    choices: [conference_started, conference_ended, recording_started, recording_paused, recording_stopped, recording_ready]
    default: [conference_started, conference_ended, recording_started, recording_paused, recording_stopped, recording_ready]
  title:
    description:
      - A regular expression (Python syntax, searched anywhere in the title) that a conference's title must match for
        the source to watch it. All conferences when not set.
    type: str
  emit_in_progress:
    description:
      - Whether the first poll emits the conferences it finds ongoing (V(conference_started)) and their recordings as
        they are (V(recording_started), V(recording_paused), or V(recording_stopped) for a finished one, then
        V(recording_ready)).
      - With V(false), the first poll only learns what is going on, and events start with the next change.
    type: bool
    default: false
  rate_limit:
    description:
      - The most calls a second the source makes to each DingTalk API (the list of conferences, the conference query
        and the list of videos are limited separately).
      - DingTalk allows about 20 calls a second per app and API on standard organisations. The default stays further
        under than the modules' (18), leaving room for the modules the rulebook's actions run with the same app, and
        for calls that a busy machine sends less evenly than they were spaced. Within any one second the source never
        makes more than O(rate_limit) calls to one API.
      - A poll of N conferences with recording events takes at least N / O(rate_limit) seconds.
    type: float
    default: 15
  api_url:
    description:
      - Base URL of the DingTalk open API, as O(community.dingtalk.dingtalk_cloud_record#module:api_url).
      - If not set, the value of the E(DINGTALK_API_URL) environment variable is used.
    type: str
    default: https://api.dingtalk.io
  validate_certs:
    description:
      - Whether to verify the TLS certificate of O(api_url), as O(community.dingtalk.dingtalk_cloud_record#module:validate_certs).
    type: bool
    default: true
  ca_path:
    description:
      - CA certificates to trust for O(api_url) instead of the system's, as O(community.dingtalk.dingtalk_cloud_record#module:ca_path).
      - If not set, the value of the E(DINGTALK_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Seconds to wait for a connection, and for each answer to begin and to end.
    type: int
    default: 10
  retries:
    description:
      - How many times a call is retried after a transient failure, as O(community.dingtalk.dingtalk_cloud_record#module:retries).
    type: int
    default: 3
  app_key:
    description:
      - The AppKey of an internal app, with O(app_secret). See O(community.dingtalk.dingtalk_cloud_record#module:app_key).
    type: str
  app_secret:
    description:
      - The AppSecret of the internal app O(app_key). Never shown.
    type: str
  suite_key:
    description:
      - The SuiteKey of a third-party enterprise app, with O(suite_secret), O(auth_corp_id) and O(suite_ticket).
    type: str
  suite_secret:
    description:
      - The SuiteSecret of the third-party app O(suite_key). Never shown.
    type: str
  auth_corp_id:
    description:
      - The CorpId of the organisation that installed the third-party app O(suite_key).
    type: str
  suite_ticket:
    description:
      - The latest suite ticket DingTalk pushed to the third-party app. Never shown.
    type: str
  cache:
    description:
      - Whether to share access tokens through the token cache, as O(community.dingtalk.dingtalk_cloud_record#module:cache).
    type: bool
    default: true
  cache_dir:
    description:
      - The token cache directory, as O(community.dingtalk.dingtalk_cloud_record#module:cache_dir).
      - If not set, the value of the E(DINGTALK_TOKEN_CACHE_DIR) environment variable is used.
    type: path
notes:
  - The app needs the permission C(VideoConference.Conference.Read); the rulebook's actions that stop recordings need
    C(VideoConference.Conference.Write).
  - A token given as a string is not accepted (it would expire within two hours); give app credentials.
  - A stopped recording whose videos DingTalk has not listed after six hours is no longer waited for (with a warning).
  - The source keeps its state in memory. After a restart, use O(emit_in_progress=true) to hear of the recordings
    that are under way, or finished and not yet archived.
seealso:
  - module: community.dingtalk.dingtalk_cloud_record
  - module: community.dingtalk.dingtalk_cloud_record_archive
"""

EXAMPLES = r"""
- name: Stop every recording of a confidential meeting within one interval
  hosts: localhost
  sources:
    - community.dingtalk.conference_events:
        interval: 15
        events: [recording_started]
        title: "(?i)confidential"
  rules:
    - name: Stop the recording
      condition: event.type == "recording_started"
      action:
        run_module:
          name: community.dingtalk.dingtalk_cloud_record
          module_args:
            conference_id: "{{ event.conference_id }}"
            union_id: "{{ event.host_union_id }}"
            state: stopped

- name: Archive each recording once DingTalk has it ready
  hosts: localhost
  sources:
    - community.dingtalk.conference_events:
        events: [recording_ready]
        emit_in_progress: true
  rules:
    - name: Archive the recording
      condition: event.type == "recording_ready"
      action:
        run_module:
          name: community.dingtalk.dingtalk_cloud_record_archive
          module_args:
            conference_id: "{{ event.conference_id }}"
            union_id: "{{ event.union_id }}"
            dest: /srv/recordings
"""


def _collections_root(path):
    """The directory holding the ``ansible_collections`` tree that ``path`` is in, or None."""
    directory = os.path.dirname(os.path.abspath(path))
    while os.path.dirname(directory) != directory:
        if os.path.basename(directory) == 'ansible_collections':
            return os.path.dirname(directory)
        directory = os.path.dirname(directory)
    return None


# ansible-rulebook runs this file with runpy and puts no collection path on sys.path: the collection's own
# code is found from where this file is, first, so that another copy of the collection elsewhere never answers.
_ROOT = _collections_root(__file__)
if _ROOT is not None and _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from ansible_collections.community.dingtalk.plugins.plugin_utils._event_source import run  # noqa: E402  pylint: disable=wrong-import-position


async def main(queue, args):
    """ansible-rulebook's entry point: put conference and recording events on ``queue`` until cancelled."""
    await run(queue, args)


if __name__ == '__main__':
    import asyncio
    import json

    class _PrintingQueue:
        async def put(self, event):
            print(json.dumps(event, sort_keys=True), flush=True)

    asyncio.run(main(_PrintingQueue(), json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}))
