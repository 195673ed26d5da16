# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the conference_events source watches: each poll's view of the organisation, compared with the last one.

DingTalk documents no conference or recording event (neither in Stream mode nor by HTTP push), so
``ConferenceWatch.poll`` reads what the modules read (the list of ongoing conferences, each
conference's query, a stopped recording's videos) and turns each change it sees into one event.
Synchronous and free of asyncio: the source runs a poll in a thread. This is a private module: its
interface may change without notice.
"""

from __future__ import annotations

import datetime
import time
from collections import namedtuple

from ansible_collections.community.dingtalk.plugins.module_utils._batch import run_concurrently
from ansible_collections.community.dingtalk.plugins.module_utils._conference import (
    CLOUD_RECORD_STATUS_NAMES,
    FINISHED,
    MEETING_ENDED,
    MEETING_STATUS_NAMES,
    NOT_RECORDING,
    PAUSED,
    RECORDING,
    ROOM_NOT_FOUND_CODE,
    list_ongoing_conferences,
    shape_conference,
)
from ansible_collections.community.dingtalk.plugins.module_utils._errors import (
    INVALID_TOKEN_CODE,
    ORG_QUOTA_USED_UP_CODE,
    PERMISSION_DENIED_CODE,
    DingTalkError,
)
from ansible_collections.community.dingtalk.plugins.module_utils._recordings import list_videos, shape_video

CONFERENCE_STARTED = 'conference_started'
CONFERENCE_ENDED = 'conference_ended'
RECORDING_STARTED = 'recording_started'
RECORDING_PAUSED = 'recording_paused'
RECORDING_STOPPED = 'recording_stopped'
RECORDING_READY = 'recording_ready'
EVENT_TYPES = (CONFERENCE_STARTED, CONFERENCE_ENDED, RECORDING_STARTED, RECORDING_PAUSED, RECORDING_STOPPED, RECORDING_READY)
# The events that need each conference queried: the list of ongoing conferences has no recording status.
RECORDING_EVENT_TYPES = frozenset((RECORDING_STARTED, RECORDING_PAUSED, RECORDING_STOPPED, RECORDING_READY))

# The largest page DingTalk's list takes: the fewest listing calls per poll.
LISTING_PAGE_SIZE = 100
# Queries under way at once: enough to keep each API at its rate limit with answers up to ~0.4 s slow.
QUERY_CONCURRENCY = 8
# A stopped recording whose videos DingTalk still lists none of after this long is given up on (with a warning):
# DingTalk processes a recording in minutes, and a source must not ask about it for ever.
READY_WAIT_SECONDS = 6 * 3600

# Codes no later poll can mend: the credentials or the app's permissions, or the organisation's monthly quota.
FATAL_CODES = frozenset(
    (
        'invalidClientIdOrSecret',
        'invalidSuiteKey',
        'invalidSuiteTicket',
        'invalidAuthInfo',
        INVALID_TOKEN_CODE,
        PERMISSION_DENIED_CODE,
        ORG_QUOTA_USED_UP_CODE,
    )
)


def is_fatal(error, ever_polled):
    """Whether ``error`` must stop the source: rejected credentials, a missing permission, the quota used up, or a
    failure no retry can mend (an untrusted certificate, a refused connection) before any poll succeeded."""
    if error.code in FATAL_CODES or (error.code or '').startswith('Missing'):
        return True
    return not ever_polled and not error.retryable


# What the source keeps per conference: its two statuses, and its shape compactly (the key tuple is shared by
# every conference, the values are a tuple), so that 10,000 conferences fit in a few megabytes.
Tracked = namedtuple('Tracked', ['meeting_status', 'record_status', 'keys', 'values'])
# A stopped recording whose videos are awaited: the conference as last seen, whom to ask as, and since when.
Awaited = namedtuple('Awaited', ['conference', 'union_id', 'since'])


def meeting_status_of(conference):
    """The meeting status of a conference, queried or listed (both have the shape of dingtalk_conference_info)."""
    return conference.get('meeting_status')


def statuses(meeting_status, record_status):
    """The statuses of an event's ``before`` or ``after``, as integers and words (None where not known)."""
    return {
        'meeting_status': meeting_status,
        'meeting_status_name': MEETING_STATUS_NAMES.get(meeting_status),
        'cloud_record_status': record_status,
        'cloud_record_status_name': CLOUD_RECORD_STATUS_NAMES.get(record_status),
    }


def record_events(before, after):
    """The recording events a change of cloud recording status from ``before`` to ``after`` means.

    ``before`` is None for a conference seen for the first time: its recording is reported as it is now. A
    recording that started and stopped between two polls (not recording, then finished) was stopped too.
    """
    if before == after or after is None:
        return []
    if after == RECORDING:
        return [RECORDING_STARTED]
    if after == PAUSED:
        return [RECORDING_PAUSED]
    if after == FINISHED and before in (None, NOT_RECORDING, RECORDING, PAUSED):
        return [RECORDING_STOPPED]
    if after == NOT_RECORDING and before in (RECORDING, PAUSED):
        return [RECORDING_STOPPED]
    return []


class ConferenceWatch:
    """The organisation's ongoing conferences as the last poll saw them, and the events of each new poll.

    ``client`` is a DingTalkClient; ``event_types`` the events to emit; ``title_pattern`` a compiled regular
    expression a conference's title must match (searched), or None; with ``emit_in_progress`` the first poll
    reports the conferences and recordings it finds as started, else it only learns them. ``warn`` receives a
    message for each problem that does not stop the source.
    """

    def __init__(self, client, event_types, title_pattern=None, emit_in_progress=False, warn=None, clock=time.time):
        self._client = client
        self._event_types = frozenset(event_types)
        self._queries = bool(self._event_types & RECORDING_EVENT_TYPES)
        self._title_pattern = title_pattern
        self._emit_in_progress = emit_in_progress
        self._warn = warn or (lambda message: None)
        self._clock = clock
        self._tracked = {}
        self._awaited = {}
        self._reported_media = {}
        self._keys = ()
        self.polls = 0

    @property
    def tracked(self):
        """How many conferences the watch keeps."""
        return len(self._tracked)

    def poll(self):
        """One poll: the list of ongoing conferences (every page), the queries the events need; the events, in order.

        Raises DingTalkError when the list cannot be read, or when a query fails in a way ``is_fatal`` calls fatal;
        a query that fails otherwise keeps that conference as it was, with a warning.
        """
        listed = [conference for conference in list_ongoing_conferences(self._client, LISTING_PAGE_SIZE) if self._matches(conference)]
        current = self._query_all(listed) if self._queries else {conference['conference_id']: conference for conference in listed}
        silent = self.polls == 0 and not self._emit_in_progress
        events = []
        for conference_id, conference in current.items():
            if conference is not None:
                events.extend(self._observe(conference_id, conference, silent))
        for conference_id in [conference_id for conference_id in self._tracked if conference_id not in current]:
            events.extend(self._ended(conference_id))
        if RECORDING_READY in self._event_types:
            events.extend(self._ready_recordings())
        self.polls += 1
        return [event for event in events if event['type'] in self._event_types]

    def _matches(self, conference):
        return self._title_pattern is None or self._title_pattern.search(conference.get('title') or '') is not None

    def _query_all(self, listed):
        """``{conference_id: shaped conference}`` of the listed ones; None for a query that failed (it stays as it was).

        A conference DingTalk no longer knows (roomNotFound) is left out, as one that ended.
        """
        answers = run_concurrently(self._query, listed, QUERY_CONCURRENCY)
        current = {}
        failures = []
        for listed_conference, (conference, error) in zip(listed, answers):
            if error is not None and error.code == ROOM_NOT_FOUND_CODE:
                continue
            if error is not None:
                failures.append(error)
            current[listed_conference['conference_id']] = conference
        if failures:
            self._warn(
                f'{len(failures)} of {len(listed)} conference queries failed; those conferences are compared again at the next poll. '
                f'First: {failures[0].describe()}'
            )
        return current

    def _query(self, conference):
        """``(shaped conference, None)``, or ``(None, DingTalkError)``; raises the errors ``is_fatal`` calls fatal."""
        conference_id = conference['conference_id']
        try:
            return shape_conference(self._client.get_conference(conference_id), conference_id), None
        except DingTalkError as error:
            if is_fatal(error, ever_polled=True):
                raise
            return None, error

    def _observe(self, conference_id, conference, silent):
        before = self._tracked.get(conference_id)
        meeting_status = meeting_status_of(conference)
        record_status = conference.get('cloud_record_status')
        self._tracked[conference_id] = self._compact(conference, meeting_status, record_status)
        if silent:
            return []
        events = []
        if before is None:
            events.append(self._event(CONFERENCE_STARTED, conference, None, statuses(meeting_status, record_status)))
        before_statuses = None if before is None else statuses(before.meeting_status, before.record_status)
        for kind in record_events(None if before is None else before.record_status, record_status):
            events.append(self._event(kind, conference, before_statuses, statuses(meeting_status, record_status)))
            if kind == RECORDING_STOPPED:
                self._await_videos(conference)
        return events

    def _ended(self, conference_id):
        """The events of a tracked conference that left the list: queried once more when recording events are asked for."""
        before = self._tracked[conference_id]
        last = dict(zip(before.keys, before.values))
        after, record_status = last, before.record_status
        if self._queries:
            try:
                after = shape_conference(self._client.get_conference(conference_id), conference_id)
                record_status = after['cloud_record_status']
            except DingTalkError as error:
                if is_fatal(error, ever_polled=True):
                    raise
                if error.code != ROOM_NOT_FOUND_CODE:
                    self._warn(
                        f'Conference {conference_id} left the list of ongoing conferences, but its query failed; '
                        f'asking again at the next poll: {error.describe()}'
                    )
                    return []
        del self._tracked[conference_id]
        before_statuses = statuses(before.meeting_status, before.record_status)
        events = [self._event(CONFERENCE_ENDED, after, before_statuses, statuses(MEETING_ENDED, record_status))]
        for kind in record_events(before.record_status, record_status):
            events.append(self._event(kind, after, before_statuses, statuses(MEETING_ENDED, record_status)))
            if kind == RECORDING_STOPPED:
                self._await_videos(after)
        if conference_id not in self._awaited:
            self._reported_media.pop(conference_id, None)
        return events

    def _await_videos(self, conference):
        if RECORDING_READY in self._event_types:
            union_id = conference.get('cloud_record_owner_union_id') or conference.get('host_union_id')
            self._awaited[conference['conference_id']] = Awaited(conference, union_id, self._clock())

    def _ready_recordings(self):
        """recording_ready for each awaited recording whose new videos DingTalk now lists, each with its size."""
        events = []
        for conference_id, awaited in list(self._awaited.items()):
            try:
                videos = [shape_video(video) for video in list_videos(self._client, conference_id, awaited.union_id)]
            except DingTalkError as error:
                if is_fatal(error, ever_polled=True):
                    raise
                self._warn(f'Listing the videos of conference {conference_id} failed; asking again at the next poll: {error.describe()}')
                continue
            reported = self._reported_media.get(conference_id, frozenset())
            new = [video for video in videos if video['media_id'] not in reported]
            if new and all(video['file_size'] is not None for video in new):
                del self._awaited[conference_id]
                self._reported_media[conference_id] = reported | {video['media_id'] for video in new}
                if conference_id not in self._tracked:
                    self._reported_media.pop(conference_id)
                conference = awaited.conference
                after = statuses(meeting_status_of(conference), conference.get('cloud_record_status'))
                events.append(self._event(RECORDING_READY, conference, after, after, union_id=awaited.union_id, recordings=new))
            elif self._clock() - awaited.since > READY_WAIT_SECONDS:
                del self._awaited[conference_id]
                self._warn(
                    f'DingTalk listed no new video of conference {conference_id} within {READY_WAIT_SECONDS // 3600} hours '
                    'of its recording\'s stop; no longer waiting for it'
                )
        return events

    def _compact(self, conference, meeting_status, record_status):
        keys = tuple(conference)
        if keys != self._keys:
            self._keys = keys
        return Tracked(meeting_status, record_status, self._keys, tuple(conference.values()))

    def _event(self, kind, latest, before, after, **extra):
        """One event: what happened to which conference, its statuses before and after, the conference as last read."""
        event = {
            'type': kind,
            'conference_id': latest['conference_id'],
            'title': latest.get('title'),
            'host_union_id': latest.get('host_union_id'),
            'cloud_record_owner_union_id': latest.get('cloud_record_owner_union_id'),
            'before': before,
            'after': after,
            'conference': dict(latest),
            'observed_at': datetime.datetime.fromtimestamp(self._clock(), tz=datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        }
        event.update(extra)
        return event
