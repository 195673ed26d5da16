# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""dingtalk_conference_info's decisions as tables: input, expected result, no HTTP.

Which options it refuses (the module's check_options), and what a conference read means for a wait, how long
it polls, and what it says when a query fails (plugins/module_utils/_conference.py). The same paths over real
HTTP against the emulator are in tests/unit/plugins/module_utils/test_conference.py and test_org_conferences.py.
"""

from __future__ import annotations

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils._batch import DEFAULT_CONCURRENCY
from ansible_collections.community.dingtalk.plugins.module_utils._conference import (
    DEFAULT_MAX_PAGES,
    DEFAULT_PAGE_SIZE,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_WAIT_TIMEOUT,
    WAIT_REACHED,
    WAIT_UNREACHABLE,
    known_meeting_status,
    poll_until,
    query_failure_message,
    record_status_failures_message,
    shape_conference,
    wait_outcome,
)
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, InvalidOptionError
from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import DEFAULT_CALLS_PER_SECOND
from ansible_collections.community.dingtalk.plugins.module_utils._specs import check_conference_info_options as check_options
from ansible_collections.community.dingtalk.tests.unit.fake_time import FakeTime

# The module's parameters as AnsibleModule hands them over when the task sets none.
DEFAULT_PARAMS = {
    'conference_id': None,
    'include_record_status': False,
    'page_size': DEFAULT_PAGE_SIZE,
    'max_pages': DEFAULT_MAX_PAGES,
    'wait_for': None,
    'wait_timeout': DEFAULT_WAIT_TIMEOUT,
    'poll_interval': DEFAULT_POLL_INTERVAL,
    'rate_limit': DEFAULT_CALLS_PER_SECOND,
    'concurrency': DEFAULT_CONCURRENCY,
}


# Options ----------------------------------------------------------------------


@pytest.mark.parametrize(
    'task_sets',
    [
        {},
        {'conference_id': 'conf-1'},
        {'conference_id': 'conf-1', 'wait_for': 'recording', 'wait_timeout': 1, 'poll_interval': 1},
        {'include_record_status': True},
        {'include_record_status': True, 'page_size': 100, 'max_pages': 1, 'rate_limit': 0.5, 'concurrency': 64},
        {'page_size': 1, 'concurrency': 1},
    ],
)
def test_usable_options_are_accepted(task_sets):
    check_options(dict(DEFAULT_PARAMS, **task_sets))


@pytest.mark.parametrize(
    'task_sets, message',
    [
        (
            {'conference_id': 'conf-1', 'include_record_status': True},
            'include_record_status applies only without conference_id, which always returns the recording state',
        ),
        ({'conference_id': 'conf-1', 'wait_for': 'ended', 'wait_timeout': 0}, 'wait_timeout must be greater than 0 seconds, got 0'),
        ({'conference_id': 'conf-1', 'wait_for': 'ended', 'poll_interval': -5}, 'poll_interval must be greater than 0 seconds, got -5'),
        ({'page_size': 0}, 'page_size must be between 1 and 100, got 0'),
        ({'page_size': 101}, 'page_size must be between 1 and 100, got 101'),
        ({'max_pages': 0}, 'max_pages must be at least 1, got 0'),
        ({'include_record_status': True, 'rate_limit': 0}, 'rate_limit must be greater than 0 calls a second, got 0'),
        ({'include_record_status': True, 'concurrency': 65}, 'concurrency must be between 1 and 64, got 65'),
    ],
)
def test_unusable_options_are_refused_naming_the_option(task_sets, message):
    with pytest.raises(InvalidOptionError) as caught:
        check_options(dict(DEFAULT_PARAMS, **task_sets))
    assert str(caught.value) == message


# Waiting ----------------------------------------------------------------------


# meeting_status: 0 initializing, 1 ended, 2 in progress; cloud_record_status: 0 not recording, 1 recording,
# 2 paused, 3 finished.
@pytest.mark.parametrize(
    'wait_for, meeting_status, cloud_record_status, outcome',
    [
        (None, 2, 0, WAIT_REACHED),
        (None, 1, 3, WAIT_REACHED),
        ('ended', 1, 3, WAIT_REACHED),
        ('ended', 1, 0, WAIT_REACHED),
        ('ended', 2, 1, None),
        ('ended', 0, 0, None),
        ('recording', 2, 1, WAIT_REACHED),
        ('recording', 2, 0, None),
        ('recording', 2, 2, None),
        ('recording', 0, 0, None),
        ('recording', 1, 3, WAIT_UNREACHABLE),
        ('recording', 1, 0, WAIT_UNREACHABLE),
        ('not_recording', 2, 0, WAIT_REACHED),
        ('not_recording', 2, 3, WAIT_REACHED),
        ('not_recording', 1, 3, WAIT_REACHED),
        ('not_recording', 2, 1, None),
        ('not_recording', 2, 2, None),  # paused: it can be resumed in the DingTalk client
    ],
)
def test_what_a_conference_read_means_for_the_wait(wait_for, meeting_status, cloud_record_status, outcome):
    conference = shape_conference({'status': meeting_status, 'cloudRecordStatus': cloud_record_status}, 'conf-1')
    assert wait_outcome(conference, wait_for) == outcome


# A read that is never done.
NEVER = 1000


@pytest.mark.parametrize(
    'wait_timeout, poll_interval, done_at, reads, sleeps, waited',
    [
        (300, 5, 1, 1, [], 0.0),  # done at once: one read
        (0, 5, NEVER, 1, [], 0.0),  # no time to wait: one read
        (60, 5, 3, 3, [5, 5], 10.0),
        (10, 5, NEVER, 3, [5, 5], 10.0),  # the last read at the deadline
        (12, 5, NEVER, 4, [5, 5, 2], 12.0),  # the last sleep cut short to read at the deadline
        (1, 0.5, NEVER, 3, [0.5, 0.5], 1.0),
        (3, 5, NEVER, 2, [3], 3.0),  # an interval longer than the wait
    ],
)
def test_how_long_a_wait_polls(wait_timeout, poll_interval, done_at, reads, sleeps, waited):
    fake = FakeTime()
    read_at = []

    def read():  # done from its done_at-th call on
        read_at.append(fake.now)
        return len(read_at) >= done_at

    value, seconds = poll_until(read, bool, wait_timeout, poll_interval, sleep=fake.sleep, clock=fake.clock)
    assert (len(read_at), fake.sleeps, seconds) == (reads, sleeps, waited)
    assert value is (done_at <= reads)


# What a failure says ----------------------------------------------------------


@pytest.mark.parametrize(
    'error, message',
    [
        (
            DingTalkError('room not exist', code='roomNotFound', http_status=404, request_id='req-1'),
            'Conference conf-1 was not found: check the conference ID. DingTalk error roomNotFound: room not exist (HTTP 404; request id req-1)',
        ),
        (
            DingTalkError(
                'no right',
                code='Forbidden.AccessDenied.AccessTokenPermissionDenied',
                http_status=403,
                request_id='req-2',
                required_scopes=['VideoConference.Conference.Read'],
            ),
            'DingTalk error Forbidden.AccessDenied.AccessTokenPermissionDenied: no right (HTTP 403; request id req-2; '
            'required permission VideoConference.Conference.Read)',
        ),
        (
            DingTalkError('The connection to https://api.dingtalk.io was dropped before the answer'),
            'The connection to https://api.dingtalk.io was dropped before the answer',
        ),
    ],
)
def test_what_a_failed_query_says(error, message):
    assert query_failure_message('conf-1', error) == message


def failed_queries(count):
    return [(f'conf-{number}', DingTalkError(f'm{number}', code='E', http_status=500)) for number in range(1, count + 1)]


@pytest.mark.parametrize(
    'failed, queried, message',
    [
        (1, 3, '1 of 3 conference queries failed, so their cloud_record_status is null. conf-1: DingTalk error E: m1 (HTTP 500)'),
        (
            5,
            5,
            '5 of 5 conference queries failed, so their cloud_record_status is null. conf-1: DingTalk error E: m1 (HTTP 500); '
            'conf-2: DingTalk error E: m2 (HTTP 500); conf-3: DingTalk error E: m3 (HTTP 500); conf-4: DingTalk error E: m4 (HTTP 500); '
            'conf-5: DingTalk error E: m5 (HTTP 500)',
        ),
        (
            7,
            40,
            '7 of 40 conference queries failed, so their cloud_record_status is null. conf-1: DingTalk error E: m1 (HTTP 500); '
            'conf-2: DingTalk error E: m2 (HTTP 500); conf-3: DingTalk error E: m3 (HTTP 500); conf-4: DingTalk error E: m4 (HTTP 500); '
            'conf-5: DingTalk error E: m5 (HTTP 500); and 2 more',
        ),
    ],
)
def test_failed_record_status_queries_are_named_then_counted(failed, queried, message):
    assert record_status_failures_message(failed_queries(failed), queried) == message


# Listing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    'status, expected',
    [
        (0, 0),
        (2, 2),
        ('2', 2),  # the same number sent as a string
        (' 0 ', 0),
        (1, 1),
        (5, None),  # not a status DingTalk documents
        (-1, None),
        (True, None),  # a bool is no status, though Python counts it as 1
        ('in_progress', None),
        (None, None),
    ],
)
def test_which_listed_meeting_statuses_are_kept(status, expected):
    assert known_meeting_status(status) == expected
