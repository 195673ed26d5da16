# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bringing one conference's cloud recording to a wanted state, idempotently.

Kept apart from the module so that single and batch runs decide the same way.
This is a private module: its interface may change without notice.
"""

from __future__ import annotations

from ansible_collections.community.dingtalk.plugins.module_utils._client import (
    PERMISSION_DENIED_CODE,
    DingTalkError,
)

MEETING_ENDED = 1
MEETING_STATUS_NAMES = {0: 'initializing', 1: 'ended', 2: 'in_progress'}

RECORDING = 1
PAUSED = 2
CLOUD_RECORD_STATUS_NAMES = {0: 'not_recording', 1: 'recording', 2: 'paused', 3: 'finished'}

ROOM_CLOSED_CODE = 'roomClosed'

NO_READ_PERMISSION_WARNING = (
    'The app cannot read conference {0} (it lacks the permission VideoConference.Conference.Read), so the recording '
    'state was not checked first: changed is reported as true whenever DingTalk accepts the stop, even if nothing '
    'was being recorded. Grant the app that permission for exact reporting.'
)


def read_status(conf_info, key, names):
    """Return the integer status ``conf_info[key]``, or raise DingTalkError if DingTalk sent something else.

    Acting on a misread status could stop the wrong thing or report a change
    that did not happen, so anything but a known integer is refused.
    """
    value = conf_info.get(key)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)  # the same number sent as a string
    if isinstance(value, bool) or not isinstance(value, int) or value not in names:
        raise DingTalkError('DingTalk answered the conference query with confInfo.{0} = {1!r}; expected one of {2}'.format(
            key, value, ', '.join(str(known) for known in sorted(names))), http_status=200)
    return value


def recording_state(meeting_status, cloud_record_status):
    """The words a diff shows for a conference's state."""
    return {
        'meeting_status': MEETING_STATUS_NAMES.get(meeting_status, 'unknown'),
        'cloud_record_status': CLOUD_RECORD_STATUS_NAMES.get(cloud_record_status, 'unknown'),
    }


def stop_recording(client, conference_id, union_id, check_mode=False):
    """Stop the cloud recording of ``conference_id`` if one is running.

    Returns a result dict with ``changed``, ``outcome``, ``conference_id``, the
    observed ``meeting_status``/``cloud_record_status``, a ``diff`` and
    ``warnings``. A failed call gives ``failed: true`` with ``msg`` and the
    DingTalk error fields instead of raising, so that a batch can report each
    conference on its own.
    """
    result = {
        'changed': False,
        'conference_id': conference_id,
        'outcome': None,
        'meeting_status': None,
        'cloud_record_status': None,
        'warnings': [],
    }
    try:
        conf_info = _read_conference_if_permitted(client, conference_id, result)
        if conf_info is not None:
            meeting_status = result['meeting_status'] = read_status(conf_info, 'status', MEETING_STATUS_NAMES)
            record_status = result['cloud_record_status'] = read_status(conf_info, 'cloudRecordStatus', CLOUD_RECORD_STATUS_NAMES)
            before = recording_state(meeting_status, record_status)
            result['diff'] = {'before': before, 'after': dict(before)}
            if meeting_status == MEETING_ENDED:
                return _finish(result, 'meeting_ended')
            if record_status not in (RECORDING, PAUSED):
                return _finish(result, 'not_recording')
            result['diff']['after']['cloud_record_status'] = CLOUD_RECORD_STATUS_NAMES[3]
        if not check_mode:
            client.stop_cloud_record(conference_id, union_id)
    except DingTalkError as error:
        if error.code == ROOM_CLOSED_CODE:
            # The meeting ended between the query and the stop: nothing is recording any more.
            result.pop('diff', None)
            return _finish(result, 'meeting_ended')
        return _fail(result, error)
    return _finish(result, 'stopped', changed=True)


def _read_conference_if_permitted(client, conference_id, result):
    """Return the conference, or None (with a warning) when the app may stop but not read."""
    try:
        return client.get_conference(conference_id)
    except DingTalkError as error:
        if error.code != PERMISSION_DENIED_CODE:
            raise
    result['warnings'].append(NO_READ_PERMISSION_WARNING.format(conference_id))
    return None


def _finish(result, outcome, changed=False):
    result['outcome'] = outcome
    result['changed'] = changed
    return result


def _fail(result, error):
    result.update(error.as_result())
    result.update(failed=True, outcome='failed', msg=error.describe())
    return result
