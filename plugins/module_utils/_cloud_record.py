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

from collections import namedtuple

from ansible_collections.community.dingtalk.plugins.module_utils._conference import (
    CLOUD_RECORD_STATUS_NAMES,
    FINISHED,
    MEETING_ENDED,
    MEETING_STATUS_NAMES,
    PAUSED,
    RECORDING,
    read_status,
)
from ansible_collections.community.dingtalk.plugins.module_utils._errors import PERMISSION_DENIED_CODE, DingTalkError, InvalidOptionError

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
MAYBE_DONE_NOTE = 'The {0} call got no usable answer, so DingTalk may have carried it out anyway: run the task again to see the recording state.'

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
        raise InvalidOptionError('small_window_position must be one of {0}, got {1}'.format(', '.join(SMALL_WINDOW_POSITIONS), small_window_position))
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
    return _converge(client, STOP, conference_id, union_id, check_mode)


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
    return _converge(client, START, conference_id, union_id, check_mode, {'mode': mode, 'small_window_position': small_window_position})


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

# What moving a recording to a wanted state takes, described as data: the call (``act(client,
# conference_id, union_id, **options)``), the state it leads to and the outcome that reports it,
# ``decide(conference_id, meeting_status, record_status)`` returning a Verdict or None to act,
# ``interpret_error(conference_id, error, state_known)`` turning a DingTalk error into a Verdict or
# None to fail with it, and the warning for an app that may act but not read.
Transition = namedtuple('Transition', ['action', 'act', 'target_status', 'done_outcome', 'decide', 'interpret_error', 'no_read_warning'])

STOP = Transition(
    action='stop',
    act=lambda client, conference_id, union_id: client.stop_cloud_record(conference_id, union_id),
    target_status=FINISHED,
    done_outcome='stopped',
    decide=_decide_stop,
    interpret_error=_interpret_stop_error,
    no_read_warning=NO_READ_PERMISSION_WARNING,
)

START = Transition(
    action='start',
    act=lambda client, conference_id, union_id, **options: client.start_cloud_record(conference_id, union_id, **options),
    target_status=RECORDING,
    done_outcome='started',
    decide=_decide_start,
    interpret_error=_interpret_start_error,
    no_read_warning=NO_READ_PERMISSION_START_WARNING,
)


def _converge(client, transition, conference_id, union_id, check_mode, options=None):
    """Read the conference, let the transition decide or ask to act, then act unless in check mode.

    With ``union_id`` None the call is made as the recording's owner that the query names. If the
    call itself failed without ruling out that DingTalk carried it out, the failure says so.
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
        conf_info = _read_state(client, transition, conference_id, result)
        state_known = conf_info is not None
        verdict = _decide(transition, conference_id, result) if state_known or as_owner else None
        if verdict is not None:
            return _conclude(result, verdict)
        if not check_mode:
            acting = True
            transition.act(client, conference_id, result['union_id'], **(options or {}))
    except DingTalkError as error:
        return _failed_call(result, transition, error, state_known, acting, as_owner, conf_info)
    return _finish(result, transition.done_outcome, changed=True)


def _read_state(client, transition, conference_id, result):
    """The conference as read before acting, its states put into ``result``; None when the app may not read it."""
    if result['union_id'] is None:
        conf_info = _read_conference_for_owner(client, conference_id)
        if conf_info is not None:
            result['union_id'] = _recording_owner(conf_info)
    else:
        conf_info = _read_conference_if_permitted(client, conference_id, result, transition.no_read_warning)
    if conf_info is not None:
        meeting_status = result['meeting_status'] = read_status(conf_info, 'status', MEETING_STATUS_NAMES)
        record_status = result['cloud_record_status'] = read_status(conf_info, 'cloudRecordStatus', CLOUD_RECORD_STATUS_NAMES)
        before = recording_state(meeting_status, record_status)
        result['diff'] = {'before': before, 'after': dict(before)}
    return conf_info


def _decide(transition, conference_id, result):
    """The Verdict that ends the run without a call, or None to act (the diff then shows the target state)."""
    if result['meeting_status'] is None:
        # Stopping as the owner, and the app may not read the conference: whom to stop as is unknown.
        return Verdict('owner_unknown', NO_READ_PERMISSION_OWNER_MESSAGE.format(conference_id))
    verdict = transition.decide(conference_id, result['meeting_status'], result['cloud_record_status'])
    if verdict is not None:
        return verdict
    if result['union_id'] is None:
        return Verdict('owner_unknown', NO_OWNER_MESSAGE.format(conference_id))
    result['diff']['after']['cloud_record_status'] = CLOUD_RECORD_STATUS_NAMES[transition.target_status]
    return None


def _failed_call(result, transition, error, state_known, acting, as_owner, conf_info):
    """The result of a run whose query or call DingTalk refused: the Verdict the error stands for, or a failure."""
    verdict = transition.interpret_error(result['conference_id'], error, state_known)
    if verdict is not None:
        # DingTalk's answer, not the query, decided: the predicted diff no longer holds.
        result.pop('diff', None)
        return _conclude(result, verdict, error)
    _fail(result, error)
    if as_owner and acting and error.code == RECORD_STOP_PERMISSION_CODE:
        result['msg'] = '{0} {1}'.format(_owner_refused_message(result['conference_id'], result['union_id'], conf_info), error.describe())
    if acting and error.answer_lost:
        result['msg'] = '{0} {1}'.format(result['msg'], MAYBE_DONE_NOTE.format(transition.action))
    return result


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
