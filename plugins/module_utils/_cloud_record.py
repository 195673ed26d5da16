# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bringing one conference's cloud recording to a wanted state, idempotently.

Kept apart from the module so that single and batch runs decide the same way:
nothing here knows AnsibleModule, and each call returns a result dict instead of
raising. This is a private module: its interface may change without notice.
"""

from __future__ import annotations

import re

from collections import namedtuple

from ansible_collections.community.dingtalk.plugins.module_utils._client import (
    PERMISSION_DENIED_CODE,
    DingTalkError,
    InvalidOptionError,
)

MEETING_ENDED = 1
MEETING_STATUS_NAMES = {0: 'initializing', 1: 'ended', 2: 'in_progress'}

NOT_RECORDING = 0
RECORDING = 1
PAUSED = 2
FINISHED = 3
CLOUD_RECORD_STATUS_NAMES = {0: 'not_recording', 1: 'recording', 2: 'paused', 3: 'finished'}

# The values the start call documents for its optional body fields.
RECORD_MODES = ('grid', 'speech', 'full_screen')
SMALL_WINDOW_POSITIONS = ('relative_right', 'float_right', 'float_bottom')

ROOM_CLOSED_CODE = 'roomClosed'
# DingTalk's answer to a stop by somebody who may not stop the recording: only the meeting's host may.
RECORD_STOP_PERMISSION_CODE = 'recordStopPermissionError'
# DingTalk's answer to a start while a recording is running or paused. Its
# documentation does not ask to try again, so the client does not retry it.
RECORD_START_ERROR_CODE = 'recordStartError'

NO_READ_PERMISSION_WARNING = (
    'The app cannot read conference {0} (it lacks the permission VideoConference.Conference.Read), so the recording '
    'state was not checked first: changed is reported as true whenever DingTalk accepts the stop, even if nothing '
    'was being recorded. Grant the app that permission for exact reporting.'
)

NO_READ_PERMISSION_START_WARNING = (
    'The app cannot read conference {0} (it lacks the permission VideoConference.Conference.Read), so the recording '
    'state was not checked first: DingTalk\'s answer recordStartError is taken to mean that a recording is already '
    'running, although it is also the answer when the recording is paused in the DingTalk client. Grant the app '
    'that permission for exact reporting.'
)

# Added to a failure when the stop or start itself failed in a way that does not rule out that DingTalk carried it out.
MAYBE_DONE_NOTE = ('The {0} call got no usable answer, so DingTalk may have carried it out anyway: run the task again to see '
                   'the recording state.')

# Without union_id, a stop is made as the recording's owner (cloudRecordOwnerUnionId), which only a query tells.
NO_READ_PERMISSION_OWNER_MESSAGE = (
    'The app cannot read conference {0} (it lacks the permission VideoConference.Conference.Read), so the owner of its '
    'recording is unknown: union_id is required. Set union_id to the unionId of the meeting\'s host, or grant the app '
    'that permission.'
)
NO_OWNER_MESSAGE = (
    'DingTalk names no owner of the recording of conference {0} (cloudRecordOwnerUnionId), so union_id is required: '
    'set it to the unionId of the meeting\'s host.'
)
OWNER_REFUSED_MESSAGE = (
    'The recording of conference {0} was stopped as its owner, {1} (cloudRecordOwnerUnionId), and DingTalk refused: '
    'only the meeting\'s current host may stop it. Pass the current host\'s unionId as union_id{2}.'
)

MEETING_ENDED_START_MESSAGE = 'Conference {0} has ended: a cloud recording cannot be started in a meeting that is over.'

PAUSED_START_MESSAGE = (
    'The cloud recording of conference {0} is paused. DingTalk has no API to resume a recording, and a start call '
    'does not resume it (DingTalk refuses it with recordStartError): resume the recording in the DingTalk client, '
    'or stop it with state=stopped and then start a new one.'
)

# What a decision step concludes: the outcome, and a failure message when the
# wanted state cannot be reached (None: the task succeeds unchanged).
Verdict = namedtuple('Verdict', ['outcome', 'failure'], defaults=(None,))


def read_status(conf_info, key, names):
    """Return the integer status ``conf_info[key]``, or raise DingTalkError if DingTalk sent something else.

    Acting on a misread status could stop the wrong thing or report a change
    that did not happen, so anything but a known integer is refused.
    """
    value = number_or_value(conf_info.get(key))
    if isinstance(value, bool) or not isinstance(value, int) or value not in names:
        raise DingTalkError('DingTalk answered the conference query with confInfo.{0} = {1!r}; expected one of {2}'.format(
            key, value, ', '.join(str(known) for known in sorted(names))), http_status=200)
    return value


def number_or_value(value):
    """``value`` as an int if it is a string of (a few) ASCII digits, the same number sent as a string; else unchanged."""
    if isinstance(value, str) and re.match(r'^[0-9]{1,15}$', value.strip()):
        return int(value.strip())
    return value


def recording_state(meeting_status, cloud_record_status):
    """The words a diff shows for a conference's state."""
    return {
        'meeting_status': MEETING_STATUS_NAMES.get(meeting_status, 'unknown'),
        'cloud_record_status': CLOUD_RECORD_STATUS_NAMES.get(cloud_record_status, 'unknown'),
    }


def validate_recording_options(state, mode=None, small_window_position=None):
    """Raise InvalidOptionError for start options that are unknown or given without ``state=started``.

    Called before any API call, so that bad input never reaches DingTalk.
    """
    if mode is not None and mode not in RECORD_MODES:
        raise InvalidOptionError('mode must be one of {0}, got {1}'.format(', '.join(RECORD_MODES), mode))
    if small_window_position is not None and small_window_position not in SMALL_WINDOW_POSITIONS:
        raise InvalidOptionError('small_window_position must be one of {0}, got {1}'.format(
            ', '.join(SMALL_WINDOW_POSITIONS), small_window_position))
    given = [name for name, value in (('mode', mode), ('small_window_position', small_window_position)) if value is not None]
    if len(given) == 1 and state != 'started':
        raise InvalidOptionError('{0} applies only to state=started; remove it or set state=started'.format(given[0]))
    if given and state != 'started':
        raise InvalidOptionError('{0} apply only to state=started; remove them or set state=started'.format(' and '.join(given)))


def validate_union_id(state, union_id):
    """Raise InvalidOptionError when ``union_id`` is needed but missing: a start has no owner to act as.

    Called before any API call.
    """
    if union_id is None and state == 'started':
        raise InvalidOptionError('union_id is required with state=started: the user given there starts, and owns, the recording')


def apply_recording_state(client, conference_id, union_id, state, mode=None, small_window_position=None, check_mode=False):
    """Bring one conference's recording to ``state`` (``stopped`` or ``started``); the result of the matching function below.

    ``union_id`` None (only with ``stopped``) stops each recording as its owner.
    """
    if state == 'started':
        return start_recording(client, conference_id, union_id, mode=mode, small_window_position=small_window_position, check_mode=check_mode)
    return stop_recording(client, conference_id, union_id, check_mode=check_mode)


# Stopping --------------------------------------------------------------------

def stop_recording(client, conference_id, union_id=None, check_mode=False):
    """Stop the cloud recording of ``conference_id`` if one is running or paused.

    Returns a result dict with ``changed``, ``outcome``, ``conference_id``, the
    observed ``meeting_status``/``cloud_record_status``, the ``union_id`` the
    stop is made as, a ``diff`` and ``warnings``. With ``union_id`` None, the
    stop is made as the recording's owner that the query names; without the
    read permission, or without an owner, that fails with outcome
    ``owner_unknown``. A failed call gives ``failed: true`` with ``msg`` and the
    DingTalk error fields instead of raising, so that a batch can report each
    conference on its own.
    """
    return _converge(
        client, conference_id, union_id, check_mode,
        decide=_decide_stop,
        act=lambda acting_union_id: client.stop_cloud_record(conference_id, acting_union_id),
        target_status=FINISHED,
        done_outcome='stopped',
        action='stop',
        interpret_error=_interpret_stop_error,
        no_read_warning=NO_READ_PERMISSION_WARNING,
    )


def _decide_stop(conference_id, meeting_status, record_status):
    if meeting_status == MEETING_ENDED:
        return Verdict('meeting_ended')
    if record_status not in (RECORDING, PAUSED):
        return Verdict('not_recording')
    return None


def _interpret_stop_error(conference_id, error, state_known):
    if error.code == ROOM_CLOSED_CODE:
        # The meeting ended between the query and the stop: nothing is recording any more.
        return Verdict('meeting_ended')
    return None


# Starting --------------------------------------------------------------------

def start_recording(client, conference_id, union_id, mode=None, small_window_position=None, check_mode=False):
    """Start the cloud recording of ``conference_id`` unless one is already running.

    ``mode`` and ``small_window_position`` go into the start call only when
    given (check them first with :func:`validate_recording_options`). The result
    has the shape of :func:`stop_recording`'s. A meeting that has ended, or a
    recording paused in the DingTalk client, fails without a start call: no
    start can succeed there.
    """
    return _converge(
        client, conference_id, union_id, check_mode,
        decide=_decide_start,
        act=lambda acting_union_id: client.start_cloud_record(conference_id, acting_union_id, mode=mode,
                                                              small_window_position=small_window_position),
        target_status=RECORDING,
        done_outcome='started',
        action='start',
        interpret_error=_interpret_start_error,
        no_read_warning=NO_READ_PERMISSION_START_WARNING,
    )


def _decide_start(conference_id, meeting_status, record_status):
    if meeting_status == MEETING_ENDED:
        return Verdict('meeting_ended', MEETING_ENDED_START_MESSAGE.format(conference_id))
    if record_status == RECORDING:
        return Verdict('already_recording')
    if record_status == PAUSED:
        return Verdict('paused', PAUSED_START_MESSAGE.format(conference_id))
    return None


def _interpret_start_error(conference_id, error, state_known):
    if error.code == ROOM_CLOSED_CODE:
        return Verdict('meeting_ended', MEETING_ENDED_START_MESSAGE.format(conference_id))
    if error.code == RECORD_START_ERROR_CODE and not state_known:
        # Without the read permission this is how DingTalk says "already recording" (or paused).
        # When the state was read, it contradicts what was seen, so it stays a failure.
        return Verdict('already_recording')
    return None


# The shared decision skeleton ---------------------------------------------------

def _converge(client, conference_id, union_id, check_mode, decide, act, target_status, done_outcome, action, interpret_error, no_read_warning):
    """Read the conference, let ``decide`` conclude or ask to act, then act unless in check mode.

    ``decide(conference_id, meeting_status, record_status)`` returns a Verdict,
    or None to act; ``act(union_id)`` moves the recording to ``target_status``,
    as ``union_id`` or, when that is None, as the recording's owner.
    ``interpret_error(conference_id, error, state_known)`` turns a DingTalk error
    into a Verdict, or None to fail with the error as it is; if ``act`` (the
    ``action`` call) failed without ruling out that DingTalk carried it out,
    the failure says so.
    """
    result = {
        'changed': False,
        'conference_id': conference_id,
        'outcome': None,
        'meeting_status': None,
        'cloud_record_status': None,
        'union_id': union_id,
        'warnings': [],
    }
    as_owner = union_id is None
    state_known = acting = False
    conf_info = None
    try:
        if as_owner:
            conf_info = _read_conference_for_owner(client, conference_id)
            if conf_info is None:
                return _conclude(result, Verdict('owner_unknown', NO_READ_PERMISSION_OWNER_MESSAGE.format(conference_id)))
            result['union_id'] = _recording_owner(conf_info)
        else:
            conf_info = _read_conference_if_permitted(client, conference_id, result, no_read_warning)
        if conf_info is not None:
            state_known = True
            meeting_status = result['meeting_status'] = read_status(conf_info, 'status', MEETING_STATUS_NAMES)
            record_status = result['cloud_record_status'] = read_status(conf_info, 'cloudRecordStatus', CLOUD_RECORD_STATUS_NAMES)
            before = recording_state(meeting_status, record_status)
            result['diff'] = {'before': before, 'after': dict(before)}
            verdict = decide(conference_id, meeting_status, record_status)
            if verdict is not None:
                return _conclude(result, verdict)
            if result['union_id'] is None:
                return _conclude(result, Verdict('owner_unknown', NO_OWNER_MESSAGE.format(conference_id)))
            result['diff']['after']['cloud_record_status'] = CLOUD_RECORD_STATUS_NAMES[target_status]
        if not check_mode:
            acting = True
            act(result['union_id'])
    except DingTalkError as error:
        verdict = interpret_error(conference_id, error, state_known)
        if verdict is None:
            _fail(result, error)
            if as_owner and acting and error.code == RECORD_STOP_PERMISSION_CODE:
                result['msg'] = '{0} {1}'.format(_owner_refused_message(conference_id, result['union_id'], conf_info), error.describe())
            if acting and error.answer_lost:
                result['msg'] = '{0} {1}'.format(result['msg'], MAYBE_DONE_NOTE.format(action))
            return result
        # DingTalk's answer, not the query, decided: the predicted diff no longer holds.
        result.pop('diff', None)
        return _conclude(result, verdict, error)
    return _finish(result, done_outcome, changed=True)


def _read_conference_if_permitted(client, conference_id, result, no_read_warning=NO_READ_PERMISSION_WARNING):
    """Return the conference, or None (with a warning) when the app may act but not read."""
    try:
        return client.get_conference(conference_id)
    except DingTalkError as error:
        if error.code != PERMISSION_DENIED_CODE:
            raise
    result['warnings'].append(no_read_warning.format(conference_id))
    return None


def _read_conference_for_owner(client, conference_id):
    """Return the conference, or None when the app may not read it (then the owner is unknown)."""
    try:
        return client.get_conference(conference_id)
    except DingTalkError as error:
        if error.code != PERMISSION_DENIED_CODE:
            raise
    return None


def _recording_owner(conf_info):
    """The unionId of who started the recording, as the query names it; None when it names nobody."""
    owner = conf_info.get('cloudRecordOwnerUnionId')
    return owner if isinstance(owner, str) and owner.strip() else None


def _owner_refused_message(conference_id, owner, conf_info):
    creator = conf_info.get('creatorId') if conf_info else None
    creator_hint = ''
    if isinstance(creator, str) and creator.strip() and creator != owner:
        creator_hint = ' (the meeting\'s creator is {0}, if they still host it)'.format(creator)
    return OWNER_REFUSED_MESSAGE.format(conference_id, owner, creator_hint)


def _conclude(result, verdict, error=None):
    """Finish unchanged, or fail with the verdict's message (and the DingTalk error that led to it, if any)."""
    if verdict.failure is None:
        return _finish(result, verdict.outcome)
    if error is None:
        result.update(error_code=None, http_status=None, request_id=None, msg=verdict.failure)
    else:
        result.update(error.as_result())
        result['msg'] = '{0} {1}'.format(verdict.failure, error.describe())
    result.update(failed=True, outcome=verdict.outcome)
    return result


def _finish(result, outcome, changed=False):
    result['outcome'] = outcome
    result['changed'] = changed
    return result


def _fail(result, error):
    result.update(error.as_result())
    result.update(failed=True, outcome='failed', msg=error.describe())
    return result
