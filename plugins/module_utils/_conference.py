# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading a conference in a stable shape, waiting for it to reach a state, and listing the organisation's ongoing ones.

Free of Ansible, like _cloud_record: a read returns a record and a failure raises Refusal
(_results.py shapes either); the clock and sleep are parameters so that tests need not wait. The
value converters, the field tables they serve and the polling loop are shared with _recordings.
This is a private module: its interface may change without notice.
"""

from __future__ import annotations

import datetime
import re
import time
from collections import namedtuple

from ansible_collections.community.dingtalk.plugins.module_utils._batch import DEFAULT_CONCURRENCY, run_concurrently
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, InvalidOptionError, Refusal

# The states DingTalk's conference query reports (confInfo.status and confInfo.cloudRecordStatus).
MEETING_ENDED = 1
MEETING_STATUS_NAMES = {0: 'initializing', 1: 'ended', 2: 'in_progress'}

NOT_RECORDING = 0
RECORDING = 1
PAUSED = 2
FINISHED = 3
CLOUD_RECORD_STATUS_NAMES = {0: 'not_recording', 1: 'recording', 2: 'paused', 3: 'finished'}

ROOM_NOT_FOUND_CODE = 'roomNotFound'


# DingTalk's values in the documented shapes ------------------------------------


def number_or_value(value):
    """``value`` as an int if it is a whole number sent as a float (``2.0``) or a string of (a few) ASCII digits; else unchanged."""
    if isinstance(value, str) and re.match(r'^[0-9]{1,15}$', value.strip()):
        return int(value.strip())
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def iso_utc_from_ms(value, milliseconds=False):
    """An epoch in milliseconds as ISO 8601 in UTC: ``YYYY-MM-DDTHH:MM:SSZ``, or with ``milliseconds``
    ``YYYY-MM-DDTHH:MM:SS.mmmZ``; None when absent or unusable. Every time the collection returns has this form."""
    value = number_or_value(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    try:
        moment = datetime.datetime.fromtimestamp(int(value) // 1000, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    if milliseconds:
        return '{0}.{1:03d}Z'.format(moment.strftime('%Y-%m-%dT%H:%M:%S'), int(value) % 1000)
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def iso_utc_from_ms_exact(value):
    """As iso_utc_from_ms, to the millisecond: for transcripts, whose sentences are timed to it."""
    return iso_utc_from_ms(value, milliseconds=True)


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


def shape_fields(source, fields):
    """The documented snake_case dict of DingTalk's camelCase object ``source``.

    ``fields`` is a table of ``(key, DingTalk's key, converter)`` rows, one per documented key, in the
    documented order; each converter turns whatever DingTalk sent (or None) into the documented type or None.
    """
    return {key: convert(source.get(dingtalk_key)) for key, dingtalk_key, convert in fields}


def poll_until(read, done, wait_timeout, poll_interval, sleep=time.sleep, clock=time.monotonic):
    """``(value, waited seconds)``: call ``read()`` every ``poll_interval`` seconds until ``done(value)`` or the time is up.

    The last sleep is cut short so that the last read happens at ``wait_timeout``; a read under way then is waited
    for, so the total is bounded by ``wait_timeout`` plus one read. With ``wait_timeout`` 0, ``read()`` is called
    once. The caller tells a timeout from success with ``done`` on the value returned; what ``read()`` raises
    propagates.
    """
    started = clock()
    deadline = started + wait_timeout
    while True:
        value = read()
        now = clock()
        if done(value) or now >= deadline:
            return value, round(now - started, 3)
        sleep(min(poll_interval, deadline - now))


# One conference, and waiting for its state -----------------------------------

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
# What a conference read means for a wait (wait_outcome); None: keep waiting.
WAIT_REACHED = 'reached'
WAIT_UNREACHABLE = 'unreachable'


def wait_outcome(conference, wait_for):
    """WAIT_REACHED when the shaped ``conference`` is as ``wait_for`` wants (always, without ``wait_for``);
    WAIT_UNREACHABLE when it can never get there; None while it may still."""
    if wait_for is None or WAIT_CONDITIONS[wait_for](conference):
        return WAIT_REACHED
    # A recording cannot start in a meeting that is over; the other states can still be reached.
    if wait_for == 'recording' and conference['meeting_status'] == MEETING_ENDED:
        return WAIT_UNREACHABLE
    return None


def validate_wait_options(wait_for, wait_timeout, poll_interval):
    """Raise InvalidOptionError for unusable wait options; called before any API call."""
    if wait_for is not None and wait_for not in WAIT_CONDITIONS:
        raise InvalidOptionError('wait_for must be one of {0}, got {1}'.format(', '.join(sorted(WAIT_CONDITIONS)), wait_for))
    if wait_timeout is None or wait_timeout <= 0:
        raise InvalidOptionError(f'wait_timeout must be greater than 0 seconds, got {wait_timeout}')
    if poll_interval is None or poll_interval <= 0:
        raise InvalidOptionError(f'poll_interval must be greater than 0 seconds, got {poll_interval}')


def read_status(conf_info, key, names):
    """Return the integer status ``conf_info[key]``, or raise DingTalkError if DingTalk sent something else.

    Acting on a misread status could stop the wrong thing or report a change
    that did not happen, so anything but a known integer is refused.
    """
    value = number_or_value(conf_info.get(key))
    if isinstance(value, bool) or not isinstance(value, int) or value not in names:
        raise DingTalkError(
            'DingTalk answered the conference query with confInfo.{0} = {1!r}; expected one of {2}'.format(
                key, value, ', '.join(str(known) for known in sorted(names))
            ),
            http_status=200,
        )
    return value


# The keys of the documented conference after its ID, title and statuses: the same wherever a conference
# is returned (queried or listed); a key the call does not carry is None.
CONFERENCE_FIELDS = (
    ('host_union_id', 'creatorId', optional_text),
    ('host_nick', 'creatorNick', optional_text),
    ('cloud_record_owner_union_id', 'cloudRecordOwnerUnionId', optional_text),
    ('start_time', 'startTime', iso_utc_from_ms),
    ('end_time', 'endTime', iso_utc_from_ms),
    ('active_participants', 'activeNum', optional_count),
    ('room_code', 'roomCode', optional_text),
    ('external_link_url', 'externalLinkUrl', optional_text),
)


def conference_statuses(meeting_status, record_status):
    """The four status keys of a documented conference: each status (an int, or None when unknown) and its word."""
    return {
        'meeting_status': meeting_status,
        'meeting_status_name': MEETING_STATUS_NAMES.get(meeting_status),
        'cloud_record_status': record_status,
        'cloud_record_status_name': CLOUD_RECORD_STATUS_NAMES.get(record_status),
    }


def shape_conference(conf_info, conference_id):
    """Turn DingTalk's camelCase ``confInfo`` into the documented snake_case ``conference``.

    The two statuses must be known integers (see read_status): a playbook that
    branches on them must not see a guess. Optional fields DingTalk leaves out,
    or sends in an unusable form, become None.
    """
    meeting_status = read_status(conf_info, 'status', MEETING_STATUS_NAMES)
    record_status = read_status(conf_info, 'cloudRecordStatus', CLOUD_RECORD_STATUS_NAMES)
    conference = {'conference_id': optional_text(conf_info.get('conferenceId')) or conference_id, 'title': optional_text(conf_info.get('title'))}
    conference.update(conference_statuses(meeting_status, record_status))
    conference.update(shape_fields(conf_info, CONFERENCE_FIELDS))
    return conference


def get_conference_info(client, conference_id):
    """Query one conference and return it shaped; DingTalkError propagates."""
    return shape_conference(client.get_conference(conference_id), conference_id)


# What reading one conference found: the last conference read (None if none could be) and the seconds waited.
ConferenceOutcome = namedtuple('ConferenceOutcome', ['conference', 'waited', 'changed'], defaults=(None, 0.0, False))


def conference_info(
    client, conference_id, wait_for=None, wait_timeout=DEFAULT_WAIT_TIMEOUT, poll_interval=DEFAULT_POLL_INTERVAL, sleep=time.sleep, clock=time.monotonic
):
    """Read ``conference_id``, polling until ``wait_for`` holds when it is given; return a ConferenceOutcome.

    ``waited`` is the seconds since the first query. Failures (DingTalk errors, a timeout, a wait that can
    no longer succeed) raise Refusal, with the last conference read. The total wait is bounded by
    ``wait_timeout`` plus the duration of one query.
    """
    last_read = []

    def read():
        # Kept at once, so that a failed query later in the wait still returns the last state read.
        last_read[:] = [get_conference_info(client, conference_id)]
        return last_read[0]

    started = clock()
    try:
        conference, waited = poll_until(
            read, lambda conference: wait_outcome(conference, wait_for) is not None, wait_timeout, poll_interval, sleep=sleep, clock=clock
        )
    except DingTalkError as error:
        seen = ConferenceOutcome(last_read[0] if last_read else None, round(clock() - started, 3))
        raise Refusal(query_failure_message(conference_id, error), seen, error) from None
    seen = ConferenceOutcome(conference, waited)
    outcome = wait_outcome(conference, wait_for)
    if outcome == WAIT_REACHED:
        return seen
    if outcome == WAIT_UNREACHABLE:
        message = (
            f'Conference {conference_id} has ended, so it will not be recording again; '
            f'stopped waiting for it {WAIT_DESCRIPTIONS[wait_for]} after {waited:.1f} seconds.'
        )
        raise Refusal(message, seen, error_fields=False)
    message = (
        'Timed out after {0:.1f} seconds (wait_timeout={1}) waiting for conference {2} {3} '
        '(wait_for={4}); last observed: meeting {5}, cloud recording {6}.'.format(
            waited,
            wait_timeout,
            conference_id,
            WAIT_DESCRIPTIONS[wait_for],
            wait_for,
            conference['meeting_status_name'],
            conference['cloud_record_status_name'],
        )
    )
    raise Refusal(message, seen, error_fields=False)


def query_failure_message(conference_id, error):
    """The ``msg`` of a failed conference query: DingTalk's error, and for an unknown room, that the ID is the likely mistake."""
    if error.code == ROOM_NOT_FOUND_CODE:
        return f'Conference {conference_id} was not found: check the conference ID. {error.describe()}'
    return error.describe()


# The organisation's ongoing conferences ---------------------------------------

# DingTalk documents neither a default nor a largest page size (maxResults) for the list.
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# A server that keeps saying hasMore must not keep a job listing forever: 1,000 pages of 20 are
# 20,000 ongoing conferences, far more than an organisation holds at once.
DEFAULT_MAX_PAGES = 1000
# A query that failed is named in the message; beyond these, only counted.
MAX_FAILED_QUERIES_NAMED = 5


class ListingError(Exception):
    """The list of ongoing conferences could not be followed to its end."""


def validate_listing_options(page_size, max_pages):
    """Raise InvalidOptionError for unusable paging options; called before any API call."""
    if page_size is None or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidOptionError(f'page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}')
    if max_pages is None or max_pages < 1:
        raise InvalidOptionError(f'max_pages must be at least 1, got {max_pages}')


def known_meeting_status(value):
    """A meeting status DingTalk documents, as an int; None for anything else."""
    value = number_or_value(value)
    return value if value in MEETING_STATUS_NAMES and not isinstance(value, bool) else None


def shape_listed_conference(item):
    """Turn one entry of DingTalk's ``onGoingConfList`` into the documented conference, as shape_conference does.

    The list carries no recording state (None until add_record_status), and a meeting status DingTalk
    does not document becomes None: a list entry is not acted on as the conference query is. Without
    a ``conferenceId`` nothing could be done with the entry, and a sweep that skipped it would miss a
    recording: DingTalkError.
    """
    conference_id = optional_text(item.get('conferenceId')) if isinstance(item, dict) else None
    if conference_id is None:
        raise DingTalkError(f'DingTalk listed an ongoing conference without a conferenceId: {item!r}'[:300], http_status=200)
    conference = {'conference_id': conference_id, 'title': optional_text(item.get('title'))}
    conference.update(conference_statuses(known_meeting_status(item.get('status')), None))
    conference.update(shape_fields(item, CONFERENCE_FIELDS))
    return conference


def list_ongoing_conferences(client, page_size=DEFAULT_PAGE_SIZE, max_pages=DEFAULT_MAX_PAGES, listed=None):
    """Every ongoing conference of the organisation, shaped, following ``nextToken`` from page to page.

    A conference that appears on two pages (the list changed while it was read)
    is kept once. ``listed`` (a list) receives the conferences as they come, so
    that a caller still has them when this raises DingTalkError or ListingError.
    """
    conferences = [] if listed is None else listed
    seen_ids = set()
    seen_tokens = set()
    next_token = None
    for page in range(1, max_pages + 1):
        answer = client.list_org_conferences(page_size, next_token)
        for item in answer.get('onGoingConfList') or []:
            conference = shape_listed_conference(item)
            if conference['conference_id'] not in seen_ids:
                seen_ids.add(conference['conference_id'])
                conferences.append(conference)
        has_more = answer.get('hasMore', False)
        if not isinstance(has_more, bool):
            raise DingTalkError(
                f'DingTalk answered page {page} of the ongoing conferences with hasMore = {has_more!r}; expected true or false'[:300],
                http_status=200,
            )
        if not has_more:
            return conferences
        next_token = answer.get('nextToken')
        if not isinstance(next_token, str) or not next_token.strip():
            raise ListingError(
                f'DingTalk said that more ongoing conferences follow page {page} (hasMore) but gave no nextToken to '
                f'fetch them; {len(conferences)} conferences were listed.'
            )
        if next_token in seen_tokens:
            raise ListingError(
                f'DingTalk answered page {page} of the ongoing conferences with a nextToken it had already given, so the '
                f'list would never end; stopped after {len(conferences)} conferences.'
            )
        seen_tokens.add(next_token)
    raise ListingError(
        f'DingTalk still had more ongoing conferences after max_pages={max_pages} pages of page_size={page_size} ({len(conferences)} conferences listed); '
        'stopped there. Raise max_pages if the organisation really has more ongoing conferences.'
    )


def add_record_status(client, conferences, concurrency=DEFAULT_CONCURRENCY, progress=None):
    """Query each conference, ``concurrency`` at a time (within the client's rate limiter), for its recording.

    Sets ``cloud_record_status``, its ``_name`` and ``cloud_record_owner_union_id`` on each
    conference dict (None where the query failed) and returns the failed ones
    as ``[(conference_id, DingTalkError)]``, in list order. ``progress`` (None:
    silent) is told of each query as it ends: ``progress.item_done(changed, failed)``.
    """

    def query(conference):
        conference['cloud_record_status'] = conference['cloud_record_owner_union_id'] = None
        try:
            conf_info = client.get_conference(conference['conference_id'])
            conference['cloud_record_status'] = read_status(conf_info, 'cloudRecordStatus', CLOUD_RECORD_STATUS_NAMES)
            conference['cloud_record_status_name'] = CLOUD_RECORD_STATUS_NAMES[conference['cloud_record_status']]
        except DingTalkError as error:
            _tell(progress, failed=True)
            return conference['conference_id'], error
        conference['cloud_record_owner_union_id'] = optional_text(conf_info.get('cloudRecordOwnerUnionId'))
        _tell(progress, failed=False)
        return None

    return [failure for failure in run_concurrently(query, conferences, concurrency) if failure is not None]


def _tell(progress, failed):
    if progress is not None:
        progress.item_done(changed=False, failed=failed)


# The organisation's ongoing conferences as listed (and, if asked, queried for their recording).
OngoingConferences = namedtuple('OngoingConferences', ['conferences', 'changed'], defaults=((), False))


def org_conferences_info(
    client, include_record_status=False, page_size=DEFAULT_PAGE_SIZE, max_pages=DEFAULT_MAX_PAGES, concurrency=DEFAULT_CONCURRENCY, progress=None
):
    """The organisation's ongoing conferences: OngoingConferences.

    Failures raise Refusal, with the conferences listed (and queried) so far. ``progress`` (None: silent)
    follows the queries of ``include_record_status``.
    """
    listed = []
    try:
        list_ongoing_conferences(client, page_size, max_pages, listed=listed)
    except ListingError as error:
        raise Refusal(str(error), OngoingConferences(tuple(listed)), error_fields=False) from None
    except DingTalkError as error:
        message = f'Listing the ongoing conferences of the organisation failed: {error.describe()}'
        raise Refusal(message, OngoingConferences(tuple(listed)), error) from None
    if include_record_status:
        failures = add_record_status(client, listed, concurrency, progress)
        if failures:
            raise Refusal(record_status_failures_message(failures, len(listed)), OngoingConferences(tuple(listed)), error_fields=False)
    return OngoingConferences(tuple(listed))


def record_status_failures_message(failures, queried):
    """The ``msg`` for the ``[(conference_id, DingTalkError)]`` that failed of ``queried`` queries: the first few named, the rest counted."""
    named = '; '.join(f'{conference_id}: {error.describe()}' for conference_id, error in failures[:MAX_FAILED_QUERIES_NAMED])
    more = len(failures) - MAX_FAILED_QUERIES_NAMED
    return '{0} of {1} conference queries failed, so their cloud_record_status is null. {2}{3}'.format(
        len(failures), queried, named, f'; and {more} more' if more > 0 else ''
    )
