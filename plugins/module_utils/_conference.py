# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading a conference in a stable shape, and waiting for it to reach a state.

Free of AnsibleModule, like _cloud_record, so that single and batch runs share
it; the clock and sleep are parameters so that tests need not wait. This is a
private module: its interface may change without notice.
"""

from __future__ import annotations

import datetime
import time

from ansible_collections.community.dingtalk.plugins.module_utils._client import DingTalkError, InvalidOptionError
from ansible_collections.community.dingtalk.plugins.module_utils._cloud_record import (
    CLOUD_RECORD_STATUS_NAMES,
    FINISHED,
    MEETING_ENDED,
    MEETING_STATUS_NAMES,
    NOT_RECORDING,
    RECORDING,
    number_or_value,
    read_status,
)

ROOM_NOT_FOUND_CODE = 'roomNotFound'

DEFAULT_WAIT_TIMEOUT = 300
DEFAULT_POLL_INTERVAL = 5

# What each wait_for value waits for, checked on a shaped conference. A paused
# recording is not "not recording": it can be resumed in the client at any time.
WAIT_CONDITIONS = {
    'ended': lambda conference: conference['meeting_status'] == MEETING_ENDED,
    'recording': lambda conference: conference['cloud_record_status'] == RECORDING,
    'not_recording': lambda conference: conference['cloud_record_status'] in (NOT_RECORDING, FINISHED),
}
WAIT_DESCRIPTIONS = {
    'ended': 'to end',
    'recording': 'to be recording',
    'not_recording': 'to have no running or paused cloud recording',
}


def validate_wait_options(wait_for, wait_timeout, poll_interval):
    """Raise InvalidOptionError for unusable wait options; called before any API call."""
    if wait_for is not None and wait_for not in WAIT_CONDITIONS:
        raise InvalidOptionError('wait_for must be one of {0}, got {1}'.format(', '.join(sorted(WAIT_CONDITIONS)), wait_for))
    if wait_timeout is None or wait_timeout <= 0:
        raise InvalidOptionError('wait_timeout must be greater than 0 seconds, got {0}'.format(wait_timeout))
    if poll_interval is None or poll_interval <= 0:
        raise InvalidOptionError('poll_interval must be greater than 0 seconds, got {0}'.format(poll_interval))


def shape_conference(conf_info, conference_id):
    """Turn DingTalk's camelCase ``confInfo`` into the documented snake_case ``conference``.

    The two statuses must be known integers (see read_status): a playbook that
    branches on them must not see a guess. Optional fields DingTalk leaves out,
    or sends in an unusable form, become None.
    """
    meeting_status = read_status(conf_info, 'status', MEETING_STATUS_NAMES)
    record_status = read_status(conf_info, 'cloudRecordStatus', CLOUD_RECORD_STATUS_NAMES)
    return {
        'conference_id': optional_text(conf_info.get('conferenceId')) or conference_id,
        'title': optional_text(conf_info.get('title')),
        'meeting_status': meeting_status,
        'meeting_status_name': MEETING_STATUS_NAMES[meeting_status],
        'cloud_record_status': record_status,
        'cloud_record_status_name': CLOUD_RECORD_STATUS_NAMES[record_status],
        'host_union_id': optional_text(conf_info.get('creatorId')),
        'host_nick': optional_text(conf_info.get('creatorNick')),
        'cloud_record_owner_union_id': optional_text(conf_info.get('cloudRecordOwnerUnionId')),
        'start_time': iso_utc_from_ms(conf_info.get('startTime')),
        'end_time': iso_utc_from_ms(conf_info.get('endTime')),
        'active_participants': optional_count(conf_info.get('activeNum')),
        'room_code': optional_text(conf_info.get('roomCode')),
        'external_link_url': optional_text(conf_info.get('externalLinkUrl')),
    }


def get_conference_info(client, conference_id):
    """Query one conference and return it shaped; DingTalkError propagates."""
    return shape_conference(client.get_conference(conference_id), conference_id)


def conference_info(client, conference_id, wait_for=None, wait_timeout=DEFAULT_WAIT_TIMEOUT,
                    poll_interval=DEFAULT_POLL_INTERVAL, sleep=time.sleep, clock=time.monotonic):
    """Read ``conference_id``, polling until ``wait_for`` holds when it is given.

    Returns a result dict with ``changed`` (always false), ``conference`` (the
    last one read, None if none could be) and ``waited`` (seconds since the
    first query). Failures (DingTalk errors, a timeout, a wait that can no longer
    succeed) give ``failed: true`` and ``msg`` instead of raising. The total wait
    is bounded by ``wait_timeout`` plus the duration of one query.
    """
    result = {'changed': False, 'conference': None, 'waited': 0.0}
    started = clock()
    deadline = started + wait_timeout
    try:
        while True:
            conference = result['conference'] = get_conference_info(client, conference_id)
            now = clock()
            result['waited'] = round(now - started, 3)
            if wait_for is None or WAIT_CONDITIONS[wait_for](conference):
                return result
            if wait_for == 'recording' and conference['meeting_status'] == MEETING_ENDED:
                return _fail(result, 'Conference {0} has ended, so it will not be recording again; stopped waiting for it {1} '
                                     'after {2:.1f} seconds.'.format(conference_id, WAIT_DESCRIPTIONS[wait_for], result['waited']))
            remaining = deadline - now
            if remaining <= 0:
                return _fail(result, 'Timed out after {0:.1f} seconds (wait_timeout={1}) waiting for conference {2} {3} '
                                     '(wait_for={4}); last observed: meeting {5}, cloud recording {6}.'.format(
                                         result['waited'], wait_timeout, conference_id, WAIT_DESCRIPTIONS[wait_for], wait_for,
                                         conference['meeting_status_name'], conference['cloud_record_status_name']))
            sleep(min(poll_interval, remaining))
    except DingTalkError as error:
        result['waited'] = round(clock() - started, 3)
        msg = error.describe()
        if error.code == ROOM_NOT_FOUND_CODE:
            msg = 'Conference {0} was not found: check the conference ID. {1}'.format(conference_id, msg)
        result.update(error.as_result())
        return _fail(result, msg)


def iso_utc_from_ms(value):
    """An epoch in milliseconds as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, to the second); None when absent or unusable."""
    value = number_or_value(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    try:
        moment = datetime.datetime.fromtimestamp(value / 1000.0, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def optional_text(value):
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = str(value)
    return text if text else None


def optional_count(value):
    value = number_or_value(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _fail(result, msg):
    result.update(failed=True, msg=msg)
    return result
