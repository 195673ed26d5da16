#!/usr/bin/python

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: dingtalk_cloud_record_archive
short_description: Download the cloud recordings of DingTalk video conferences to a directory, idempotently
version_added: 0.1.0
description:
  - Writes every video of a conference's cloud recordings to C(<dest>/<conference_id>/<media_id>.mp4), and with
    O(transcript=true) the transcript to C(<dest>/<conference_id>/transcript.json).
  - Idempotent. A video file that is already there with the size DingTalk lists (C(fileSize)) is complete and is not
    downloaded again; the task then reports RV(ignore:changed=false). A file of another size is downloaded again and
    replaced.
  - Each file is streamed to a temporary file C(.<name>.part) in the same directory, in chunks of 1 MiB, so memory
    stays flat whatever the size, and renamed to its name only once it is complete. A temporary file left by an
    interrupted run is overwritten, never taken for a complete file; a run that is writing the same file at that
    moment makes this one fail for that file.
  - The download links are signed and short-lived. A link the storage host refuses (it answers HTTP 403 when a link
    has expired) is replaced by a new one from DingTalk, and a transfer that breaks off resumes where it stopped
    (with an HTTP C(Range) request), within O(retries).
  - The access token is never sent to the storage host, and no link appears in the result or in any message.
  - Right after a recording is stopped, DingTalk needs some time to process it before it lists the video.
    O(wait_timeout) waits for it.
  - With O(conference_ids), one module run archives many conferences concurrently, over one connection pool and one
    token, with the calls to each DingTalk API spaced to stay under O(rate_limit), as batch mode of
    M(community.dingtalk.dingtalk_cloud_record) does.
author:
  - community.dingtalk maintainers (@community-dingtalk)
extends_documentation_fragment:
  - community.dingtalk.connection
  - community.dingtalk.access_token
  - community.dingtalk.auth
  - ansible.builtin.files
  - community.dingtalk.attributes
attributes:
  check_mode:
    support: full
    details:
      - Lists the recordings and compares them with the files in O(dest), and reports in RV(files[].written) which
        files would be written; nothing is downloaded, written or created.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  conference_id:
    description:
      - The ID of the video conference (C(conferenceId)) whose recordings to archive.
      - Exactly one of O(conference_id) and O(conference_ids) is required.
    type: str
  conference_ids:
    description:
      - The IDs of many conferences to archive in one module run (batch mode).
      - A conference listed more than once is archived, and reported, once.
      - White space around each ID is removed (DingTalk's IDs carry none), so that V(a, b), as an AWX survey or a
        comma-separated string gives it, means V(a) and V(b). The same holds for O(conference_id) and O(union_id).
      - The module then returns RV(results), one entry per conference, and RV(outcomes); it fails if any conference
        failed, unless O(fail_on_error=false).
      - Without O(union_id) the conferences may have different hosts.
    type: list
    elements: str
  union_id:
    description:
      - The C(unionId) of the user on whose behalf the recordings are read, usually the meeting's host.
      - If not set, each conference's recordings are read as their owner, the user who started the recording, whom
        the conference's state names (C(cloudRecordOwnerUnionId)); so a batch of conferences of many hosts can be
        archived in one task. That needs one more call per conference, the conference query. A conference the app
        cannot read, or whose recording names no owner, then fails with RV(outcome=owner_unknown) and a message
        saying that O(union_id) is required; the others are archived as usual.
      - RV(union_id) says whom the recordings were read as.
    type: str
    version_added: 0.1.0
  dest:
    description:
      - The directory to archive into. It must exist. Each conference gets a directory of its own in it, named after
        the conference ID, which the module creates.
      - O(dest) may be storage that other users (other jobs) can write to. A conference directory is used only when
        it is the current user's and not a link; a new one is created with the permissions to read the new files,
        and only its owner may write to it. A file in it that is a link, not a regular file or another user's (the
        video, the transcript or a temporary C(.<name>.part)) fails that file, with its path and why; nothing is
        written through a link, and a mode is copied only from a regular file of the current user's, without
        setuid, setgid or sticky bits. O(dest) itself may be a link of the current user's or of root, not of
        another user. See R(the security guide,ansible_collections.community.dingtalk.docsite.guide_security).
      - Before a download, the file system must have room for the listed size of the video, or that video fails.
      - File and directory names come from IDs. An ID of letters, digits and C(-_.~) is used as it is; any other
        character (such as C(/), a control character or C(%)), and a leading dot, is percent-encoded, so that no ID can
        lead a file out of its directory. An ID too long for a file name fails that file.
    type: path
    required: true
  transcript:
    description:
      - Whether to write the conference's transcript to C(transcript.json) beside its videos, with every paragraph
        as DingTalk sends it (its field names, under C(paragraphList)).
      - The file is rewritten only when the transcript has changed.
    type: bool
    default: false
  wait_timeout:
    description:
      - How many seconds to wait at most for DingTalk to list a conference's videos, when it lists none yet (a
        recording stopped a moment ago). The list is read every O(poll_interval) seconds.
      - V(0) reads the list once. A conference without any video fails with RV(outcome=no_recordings) either way.
    type: int
    default: 0
  poll_interval:
    description:
      - Seconds between two reads of the list of videos while waiting (O(wait_timeout)).
      - Must be greater than zero.
    type: int
    default: 5
  rate_limit:
    description:
      - The most calls a second this module run makes to each DingTalk API (the list of videos, the links and the
        transcript are different APIs and are limited separately). Downloads from the storage host are not counted.
      - Must be greater than zero. See O(community.dingtalk.dingtalk_cloud_record#module:rate_limit).
    type: float
    default: 18
  concurrency:
    description:
      - How many conferences of O(conference_ids) are archived at the same time (and how many connections are kept
        open to DingTalk and to the storage host). The videos of one conference are downloaded one after another.
      - Between 1 and 64.
    type: int
    default: 16
  fail_on_error:
    description:
      - With O(conference_ids), whether the task fails when any conference fails.
      - With V(false), the task succeeds, reports each failure in RV(results), and warns with a summary.
    type: bool
    default: true
notes:
  - O(mode), O(owner), O(group) and the other file attributes apply to every file of the conference, written in this
    run or not. Without O(mode), a new file gets the default permissions (C(0666) less the umask) and a replaced file
    keeps those of the file it replaces; while a file is downloaded, only its owner can read it. The directories the
    module creates get the default permissions.
  - An O(owner) or O(group) that does not exist on the machine (a name; a numeric ID is taken as it is) fails the task
    before any call to DingTalk, so that nothing is downloaded in vain.
  - Every file attribute is tried, even when another fails, so that O(mode) is set although O(group) could not be,
    for example. A file attribute that cannot be set fails the conference, and its result still holds its
    RV(files) (with RV(files[].attributes_failed=true) and RV(files[].msg) for that file) and its RV(outcome).
  - The app behind the token needs the permission C(VideoConference.Conference.Read).
  - O(timeout) bounds the connection to the storage host and each read from it, not a whole download, which may take
    long for a large recording. O(validate_certs), O(ca_path) and the proxy environment variables apply to the storage
    host as to DingTalk.
  - Complete means the size DingTalk lists; DingTalk gives no checksum to compare the content with. A file cut short,
    by a crash say, has another size and is downloaded again by the next run.
  - Files are not flushed to disk (C(fsync)) before they are renamed.
seealso:
  - module: community.dingtalk.dingtalk_cloud_record_info
  - module: community.dingtalk.dingtalk_cloud_record
  - module: community.dingtalk.dingtalk_conference_info
    description: Lists every ongoing conference of the organisation, with the owner of each recording.
"""

EXAMPLES = r"""
# archive_dest is a directory such as /srv/recordings; archive_group a group that exists on the host, such as records.
- name: Stop the recording, wait for it to be processed, and archive it
  module_defaults:
    group/community.dingtalk.dingtalk:
      app_key: "{{ vault_dingtalk_app_key }}"
      app_secret: "{{ vault_dingtalk_app_secret }}"
  block:
    - name: Stop the cloud recording
      community.dingtalk.dingtalk_cloud_record:
        conference_id: "{{ conference_id }}"
        union_id: "{{ host_union_id }}"
        state: stopped

    - name: Make sure the archive directory exists
      ansible.builtin.file:
        path: "{{ archive_dest }}"
        state: directory
        mode: "0750"

    - name: Archive the videos and the transcript, waiting up to ten minutes for DingTalk to process them
      community.dingtalk.dingtalk_cloud_record_archive:
        conference_id: "{{ conference_id }}"
        union_id: "{{ host_union_id }}"
        dest: "{{ archive_dest }}"
        transcript: true
        wait_timeout: 600
        poll_interval: 15
        mode: "0640"
        group: "{{ archive_group }}"
      register: archived

    - name: Report the files
      ansible.builtin.debug:
        msg: "{{ archived.files | map(attribute='path') | list }}"

- name: Archive last week's meetings in one run, each conference's recordings read as their owner
  community.dingtalk.dingtalk_cloud_record_archive:
    conference_ids: "{{ last_week_conference_ids }}"
    dest: "{{ archive_dest }}"
    concurrency: 4
    fail_on_error: false
    access_token: "{{ dingtalk_access_token }}"
  register: weekly_archive

- name: Report the conferences whose recording names no owner (they need union_id)
  ansible.builtin.debug:
    msg: "{{ weekly_archive.results | selectattr('outcome', 'equalto', 'owner_unknown') | map(attribute='conference_id') | list }}"
"""

RETURN = r"""
conference_id:
  description: The conference, as given.
  returned: when O(conference_id) is given
  type: str
  sample: 5d2ac8d6-1d8c-4b0a-9d0b-0d7c7e8f9a10
outcome:
  description:
    - V(archived) when at least one file was written, V(up_to_date) when every file was already complete.
    - V(no_recordings) when DingTalk lists no video (the task fails), V(failed) when any file or call failed.
    - V(owner_unknown) when O(union_id) is not set and the app may not read the conference, or DingTalk names no
      owner of its recording; the task fails, and nothing is read or written.
    - A file attribute that could not be set fails the task but leaves the outcome as it is. V(archived) or
      V(up_to_date) then says what was archived, and RV(files[].attributes_failed) which file lacks an attribute.
  returned: when O(conference_id) is given
  type: str
  choices: [archived, up_to_date, no_recordings, owner_unknown, failed]
  sample: archived
files:
  description: One entry per file of the conference, the videos in the order DingTalk lists them, then the transcript.
  returned: when O(conference_id) is given
  type: list
  elements: dict
  contains:
    kind:
      description: V(video) or V(transcript).
      type: str
      sample: video
    path:
      description: The file's path; V(null) when no name could be made for it.
      type: str
      sample: /srv/recordings/5d2ac8d6-1d8c-4b0a-9d0b-0d7c7e8f9a10/media-7381920-1.mp4
    size:
      description: The file's size in bytes (for a video, the C(fileSize) DingTalk lists).
      type: int
      sample: 734003200
    written:
      description: Whether the file was written in this run (in check mode, whether it would be).
      type: bool
      sample: true
    changed:
      description: Whether the file was written or its attributes (O(mode), O(owner), O(group)) were changed.
      type: bool
      sample: true
    media_id:
      description: The video's C(mediaId).
      type: str
      returned: for a video
      sample: media-7381920-1
    record_id:
      description: The recording the video belongs to (C(recordId)).
      type: str
      returned: for a video
      sample: "7381920"
    paragraphs:
      description: How many paragraphs the transcript has.
      type: int
      returned: for a transcript that could be read
      sample: 412
    attributes_failed:
      description:
        - Whether a file attribute asked for (O(mode), O(owner), O(group), ...) could not be set on this file; the
          others were set. RV(files[].msg) says which, and why.
        - V(false) also for a file that was not written (it failed, or check mode would write it).
      type: bool
      sample: false
      version_added: 0.1.0
    failed:
      description: Whether this file could not be archived.
      type: bool
      returned: when it failed
      sample: true
    msg:
      description: Why this file could not be archived, or which file attribute could not be set on it.
      type: str
      returned: when it failed, or an attribute could not be set
      sample: "media media-7381920-1: the storage host oss-cn-hangzhou.example.com ended the transfer after 1048576 of 734003200 bytes"
waited:
  description: Seconds spent reading the list of videos, waiting included.
  returned: when O(conference_id) is given
  type: float
  sample: 42.1
union_id:
  description:
    - The C(unionId) the recordings were read as.
    - O(union_id) when it is given; otherwise the recording's owner as DingTalk names it (C(cloudRecordOwnerUnionId)),
      V(null) when it names nobody or the app may not read the conference.
  returned: when O(conference_id) is given
  type: str
  sample: host-union-0001
  version_added: 0.1.0
msg:
  description: What went wrong.
  returned: failure
  type: str
  sample: "1 of 3 files of conference 5d2ac8d6 could not be archived: media media-7381920-2: ..."
error_code:
  description: The DingTalk error code when listing the videos failed, for example V(resourceClose); V(null) otherwise.
  returned: failure, when O(conference_id) is given
  type: str
  sample: resourceClose
http_status:
  description: The HTTP status of the failed DingTalk call; V(null) otherwise.
  returned: failure, when O(conference_id) is given
  type: int
  sample: 400
request_id:
  description: DingTalk's request ID of the failed call, to quote to DingTalk support; V(null) otherwise.
  returned: failure, when O(conference_id) is given
  type: str
  sample: 8A7B3C2D-0000-4E5F-9A8B-1C2D3E4F5A6B
results:
  description:
    - With O(conference_ids), one entry per conference, in the order given (repeats left out), with the keys a single
      conference returns (RV(files), RV(outcome), RV(waited), RV(union_id), and on failure RV(msg) and the error fields), and
      C(conference_id), C(changed) and C(failed).
  returned: when O(conference_ids) is given
  type: list
  elements: dict
  sample:
    - conference_id: conf-1
      changed: true
      failed: false
      outcome: archived
      waited: 0.012
      union_id: host-union-0001
      files:
        - {kind: video, path: /srv/recordings/conf-1/media-1.mp4, size: 1048576, written: true, changed: true,
           attributes_failed: false, media_id: media-1, record_id: "1"}
outcomes:
  description: With O(conference_ids), how many conferences ended with each outcome.
  returned: when O(conference_ids) is given
  type: dict
  sample: {"archived": 12, "up_to_date": 88}
"""

from ansible_collections.community.dingtalk.plugins.module_utils._module import run_module


def main():
    run_module('dingtalk_cloud_record_archive')


if __name__ == '__main__':
    main()
