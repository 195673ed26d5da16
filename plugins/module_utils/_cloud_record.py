# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bringing one conference's cloud recording to a wanted state, idempotently.

Kept apart from the module so that single and batch runs, and both doors, decide the same way:
nothing here knows Ansible. A stop or a start returns a RecordingOutcome, or raises Refusal (with
the outcome observed so far) when it cannot reach the wanted state; _results.py turns either
into the task's result. This is a private module: its interface may change without notice.
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
from ansible_collections.community.dingtalk.plugins.module_utils._errors import PERMISSION_DENIED_CODE, DingTalkError, InvalidOptionError, Refusal

# The values the start call documents for its optional body fields.
RECORD_MODES = ('grid', 'speech', 'full_screen')
SMALL_WINDOW_POSITIONS = ('relative_right', 'float_right', 'float_bottom')

ROOM_CLOSED_CODE = 'roomClosed'
# DingTalk's answer to a stop by somebody who may not stop the recording: only the meeting's host may.
RECORD_STOP_PERMISSION_CODE = 'recordStopPermissionError'
# DingTalk's answer to a start while a recording is running or paused. Its
# documentation does not ask to try again, so the client does not retry it.
RECORD_START_ERROR_CODE = 'recordStartError'
# DingTalk's answer to a start by somebody who is not the meeting's host.
RECORD_START_PERMISSION_CODE = 'recordStartPermissionError'

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

# A stop or start with a union_id that DingTalk refused, though the conference query has just named its host.
WRONG_HOST_MESSAGE = (
    'DingTalk refused to {0} conference {1} as {2} (union_id): only the meeting\'s host may, and the conference names '
    '{3} as its host (creatorId). Pass that unionId as union_id.'
)

MEETING_ENDED_START_MESSAGE = 'Conference {0} has ended: a cloud recording cannot be started in a meeting that is over.'

PAUSED_START_MESSAGE = (
    'The cloud recording of conference {0} is paused. DingTalk has no API to resume a recording, and a start call '
    'does not resume it (DingTalk refuses it with recordStartError): resume the recording in the DingTalk client, '
    'or stop it with state=stopped and then start a new one.'
)

# What one conference's run observed and did: ``outcome`` (None while only read), ``changed``, the states after
# the run (in check mode: the predicted ones) and, under ``*_before``, those read before acting, each an integer with
# its ``*_name`` word (None when not known: the app may not read the conference, or DingTalk's answer does not tell),
# whom the call is made as, the diff (None when there is none to show), and the warnings. The result of a run,
# and the outcome a Refusal carries.
RecordingOutcome = namedtuple(
    'RecordingOutcome',
    [
        'conference_id',
        'outcome',
        'changed',
        'meeting_status',
        'meeting_status_name',
        'cloud_record_status',
        'cloud_record_status_name',
        'meeting_status_before',
        'meeting_status_before_name',
        'cloud_record_status_before',
        'cloud_record_status_before_name',
        'union_id',
        'diff',
        'warnings',
    ],
    defaults=(None, False) + (None,) * 8 + (None, None, ()),
)
# The words a diff shows for a conference's state, before and after.
RecordingState = namedtuple('RecordingState', ['meeting_status', 'cloud_record_status'])
RecordingDiff = namedtuple('RecordingDiff', ['before', 'after'])
# Who the conference names: the recording's owner (cloudRecordOwnerUnionId) and the meeting's host (creatorId); None when unknown.
Hosts = namedtuple('Hosts', ['owner', 'host'], defaults=(None, None))


def recording_state(meeting_status, cloud_record_status):
    """The words a diff shows for a conference's state."""
    return RecordingState(MEETING_STATUS_NAMES.get(meeting_status, 'unknown'), CLOUD_RECORD_STATUS_NAMES.get(cloud_record_status, 'unknown'))


def _states(meeting_status, cloud_record_status, suffix=''):
    """The status fields of a RecordingOutcome, integers and their words, after the run (``suffix`` '') or before it ('_before')."""
    return {
        'meeting_status' + suffix: meeting_status,
        'meeting_status' + suffix + '_name': MEETING_STATUS_NAMES.get(meeting_status),
        'cloud_record_status' + suffix: cloud_record_status,
        'cloud_record_status' + suffix + '_name': CLOUD_RECORD_STATUS_NAMES.get(cloud_record_status),
    }


def _after(seen, meeting_status, cloud_record_status):
    """``seen`` with the states after the run."""
    return seen._replace(**_states(meeting_status, cloud_record_status))


def _ended(seen):
    """``seen`` once DingTalk said the meeting is over (roomClosed): what became of the recording is not known."""
    return _after(seen, MEETING_ENDED, None)


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
        raise InvalidOptionError(f'{given[0]} applies only to state=started; remove it or set state=started')
    if given and state != 'started':
        raise InvalidOptionError('{0} apply only to state=started; remove them or set state=started'.format(' and '.join(given)))


def validate_union_id(state, union_id):
    """Raise InvalidOptionError when ``union_id`` is needed but missing: a start has no owner to act as.

    Called before any API call.
    """
    if union_id is None and state == 'started':
        raise InvalidOptionError('union_id is required with state=started: the user given there starts, and owns, the recording')


def apply_recording_state(client, conference_id, union_id, state, mode=None, small_window_position=None, check_mode=False):
    """Bring one conference's recording to ``state`` (``stopped`` or ``started``): the record of the matching function below.

    ``union_id`` None (only with ``stopped``) stops each recording as its owner.
    """
    if state == 'started':
        return start_recording(client, conference_id, union_id, mode=mode, small_window_position=small_window_position, check_mode=check_mode)
    return stop_recording(client, conference_id, union_id, check_mode=check_mode)


# Stopping --------------------------------------------------------------------


def stop_recording(client, conference_id, union_id=None, check_mode=False):
    """Stop the cloud recording of ``conference_id`` if one is running or paused; return its RecordingOutcome.

    With ``union_id`` None, the stop is made as the recording's owner that the query names; without the read
    permission, or without an owner, that is refused with outcome ``owner_unknown``. A failed call raises
    Refusal, its outcome ``failed`` with what was observed, so that a batch can report each conference on its own.
    """
    try:
        seen, hosts = read_recording(client, conference_id, union_id, NO_READ_PERMISSION_WARNING)
    except Refusal as refusal:
        if refusal.error.code != ROOM_CLOSED_CODE:
            raise
        return _ended(refusal.outcome)._replace(outcome='meeting_ended')
    as_owner = union_id is None
    if seen.meeting_status_before is not None or as_owner:
        _require_state(seen, NO_READ_PERMISSION_OWNER_MESSAGE)
        if seen.meeting_status_before == MEETING_ENDED:
            return seen._replace(outcome='meeting_ended')
        if seen.cloud_record_status_before not in (RECORDING, PAUSED):
            return seen._replace(outcome='not_recording')
        seen = _aiming_at(seen, FINISHED)
    try:
        if not check_mode:
            client.stop_cloud_record(conference_id, seen.union_id)
    except DingTalkError as error:
        if error.code == ROOM_CLOSED_CODE:
            # The meeting ended between the query and the stop: nothing is recording any more. DingTalk's
            # answer, not the query, decided, so the predicted diff no longer holds.
            return _ended(seen)._replace(outcome='meeting_ended', diff=None)
        message = error.describe()
        if error.code == RECORD_STOP_PERMISSION_CODE:
            message = f'{_stop_refused_message(seen, hosts, as_owner)} {message}'.lstrip()
        raise _call_failed(seen, 'stop', error, message) from None
    return seen._replace(outcome='stopped', changed=True)


# Starting --------------------------------------------------------------------


def start_recording(client, conference_id, union_id, mode=None, small_window_position=None, check_mode=False):
    """Start the cloud recording of ``conference_id`` unless one is already running; return its RecordingOutcome.

    ``mode`` and ``small_window_position`` go into the start call only when given (check them first with
    :func:`validate_recording_options`). A meeting that has ended, or a recording paused in the DingTalk
    client, is refused without a start call: no start can succeed there.
    """
    try:
        seen, hosts = read_recording(client, conference_id, union_id, NO_READ_PERMISSION_START_WARNING)
    except Refusal as refusal:
        return _start_refused(refusal.outcome, refusal.error, Hosts(), acted=False)
    state_known = seen.meeting_status_before is not None
    if state_known or union_id is None:
        _require_state(seen, NO_READ_PERMISSION_OWNER_MESSAGE)
        if seen.meeting_status_before == MEETING_ENDED:
            raise Refusal(MEETING_ENDED_START_MESSAGE.format(conference_id), seen._replace(outcome='meeting_ended'))
        if seen.cloud_record_status_before == RECORDING:
            return seen._replace(outcome='already_recording')
        if seen.cloud_record_status_before == PAUSED:
            raise Refusal(PAUSED_START_MESSAGE.format(conference_id), seen._replace(outcome='paused'))
        seen = _aiming_at(seen, RECORDING)
    try:
        if not check_mode:
            client.start_cloud_record(conference_id, seen.union_id, mode=mode, small_window_position=small_window_position)
    except DingTalkError as error:
        return _start_refused(seen, error, hosts, acted=True)
    # Without the read permission, DingTalk's acceptance is all that is known: a recording runs now.
    return _after(seen, seen.meeting_status, RECORDING)._replace(outcome='started', changed=True)


def _start_refused(seen, error, hosts, acted):
    """What DingTalk's refusal of the query (``acted`` false) or of the start means: an outcome, or Refusal raised."""
    state_known = seen.meeting_status_before is not None
    if error.code == ROOM_CLOSED_CODE:
        message = f'{MEETING_ENDED_START_MESSAGE.format(seen.conference_id)} {error.describe()}'
        raise Refusal(message, _ended(seen)._replace(outcome='meeting_ended', diff=None), error) from None
    if error.code == RECORD_START_ERROR_CODE and not state_known:
        # Without the read permission this is how DingTalk says "already recording" (or paused).
        # When the state was read, it contradicts what was seen, so it stays a failure.
        return seen._replace(outcome='already_recording', diff=None)
    message = error.describe()
    if error.code == RECORD_START_PERMISSION_CODE and hosts.host not in (None, seen.union_id):
        message = '{0} {1}'.format(WRONG_HOST_MESSAGE.format('start a recording of', seen.conference_id, seen.union_id, hosts.host), message)
    raise _call_failed(seen, 'start' if acted else None, error, message) from None


# The shared read ------------------------------------------------------------------


def read_recording(client, conference_id, union_id, no_read_warning):
    """``(RecordingOutcome, Hosts)``: the conference's states as read before acting (after them the same), no outcome yet.

    ``union_id`` None: the outcome's ``union_id`` is the recording's owner that the query names. An app that may
    act but not read gives no states (None), and, when ``union_id`` is given, ``no_read_warning``. A failed query
    raises Refusal. The Hosts are whom the conference names, for the message of a refused call.
    """
    seen = RecordingOutcome(conference_id=conference_id, union_id=union_id)
    try:
        conf_info = client.get_conference(conference_id)
    except DingTalkError as error:
        if error.code != PERMISSION_DENIED_CODE:
            raise _call_failed(seen, None, error, error.describe()) from None
        return seen._replace(warnings=() if union_id is None else (no_read_warning.format(conference_id),)), Hosts()
    hosts = Hosts(recording_owner(conf_info), _named(conf_info.get('creatorId')))
    if union_id is None:
        seen = seen._replace(union_id=hosts.owner)
    try:
        meeting_status = read_status(conf_info, 'status', MEETING_STATUS_NAMES)
        seen = seen._replace(**dict(_states(meeting_status, None, '_before'), **_states(meeting_status, None)))
        record_status = read_status(conf_info, 'cloudRecordStatus', CLOUD_RECORD_STATUS_NAMES)
    except DingTalkError as error:
        raise _call_failed(seen, None, error, error.describe()) from None
    before = recording_state(meeting_status, record_status)
    seen = seen._replace(
        diff=RecordingDiff(before, before), **dict(_states(meeting_status, record_status, '_before'), **_states(meeting_status, record_status))
    )
    return seen, hosts


def _require_state(seen, no_read_message):
    """Refuse with ``owner_unknown`` when the state could not be read: whom to act as is then unknown."""
    if seen.meeting_status_before is None:
        raise Refusal(no_read_message.format(seen.conference_id), seen._replace(outcome='owner_unknown'))


def _aiming_at(seen, target_status):
    """``seen`` about to act: it needs whom to act as, and its states after (and its diff) show ``target_status``."""
    if seen.union_id is None:
        raise Refusal(NO_OWNER_MESSAGE.format(seen.conference_id), seen._replace(outcome='owner_unknown'))
    after = seen.diff.before._replace(cloud_record_status=CLOUD_RECORD_STATUS_NAMES[target_status])
    return _after(seen, seen.meeting_status_before, target_status)._replace(diff=RecordingDiff(seen.diff.before, after))


def _call_failed(seen, action, error, message):
    """The Refusal of a query or call DingTalk refused; ``action`` (stop or start) when the call itself did, else None.

    The states after are those before: nothing changed. If the call got no answer that rules out that DingTalk
    carried it out, the message says so, and what became of the recording is not known.
    """
    record_status = seen.cloud_record_status_before
    if action is not None and error.answer_lost:
        message = f'{message} {MAYBE_DONE_NOTE.format(action)}'
        record_status = None
    return Refusal(message, _after(seen, seen.meeting_status_before, record_status)._replace(outcome='failed'), error)


class OwnerUnknown(Exception):
    """Whom to act as is unknown: no union_id was given, and the conference names no recording owner or cannot be read."""


def acting_as(client, conference_id, union_id):
    """``union_id``, or when it is None the recording's owner (cloudRecordOwnerUnionId) that the conference query names.

    Raises OwnerUnknown, its text the message to show, when the app may not read the conference or it names
    no owner, and DingTalkError when the query fails otherwise.
    """
    if union_id is not None:
        return union_id
    try:
        conf_info = client.get_conference(conference_id)
    except DingTalkError as error:
        if error.code != PERMISSION_DENIED_CODE:
            raise
        raise OwnerUnknown(NO_READ_PERMISSION_OWNER_MESSAGE.format(conference_id)) from None
    owner = recording_owner(conf_info)
    if owner is None:
        raise OwnerUnknown(NO_OWNER_MESSAGE.format(conference_id))
    return owner


def _named(value):
    return value if isinstance(value, str) and value.strip() else None


def recording_owner(conf_info):
    """The unionId of who started the recording, as the conference query (``confInfo``) names it; None when it names nobody."""
    return _named(conf_info.get('cloudRecordOwnerUnionId'))


def _stop_refused_message(seen, hosts, as_owner):
    """What to say before DingTalk's recordStopPermissionError: whom the stop was made as, and whom the conference names."""
    if as_owner:
        creator_hint = ''
        if hosts.host is not None and hosts.host != seen.union_id:
            creator_hint = f' (the meeting\'s creator is {hosts.host}, if they still host it)'
        return OWNER_REFUSED_MESSAGE.format(seen.conference_id, seen.union_id, creator_hint)
    if hosts.host not in (None, seen.union_id):
        return WRONG_HOST_MESSAGE.format('stop the recording of', seen.conference_id, seen.union_id, hosts.host)
    return ''
