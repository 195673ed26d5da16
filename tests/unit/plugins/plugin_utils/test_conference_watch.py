# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The conference_events source's watch, poll after poll against the emulator: each transition once, and the calls it costs."""

from __future__ import annotations

import re

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils._connect import connect
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError
from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import RateLimiter
from ansible_collections.community.dingtalk.plugins.plugin_utils._conference_watch import EVENT_TYPES, QUERY_CONCURRENCY, ConferenceWatch, is_fatal

HOST = 'host-union'
CONNECTION_OPTIONS = {'api_url': None, 'validate_certs': True, 'ca_path': None, 'timeout': 5, 'retries': 1, 'cache': False, 'cache_dir': None}


def watch_of(emulator, events=EVENT_TYPES, app_secret='app-secret', **options):
    get_option = dict(CONNECTION_OPTIONS, api_url=emulator.url).get
    connected = connect(
        get_option,
        {'app_key': 'ding-app', 'app_secret': app_secret},
        'in the test',
        accepts_access_token=False,
        rate_limiter_for=lambda _app_window: RateLimiter(500),
        pool_size=QUERY_CONCURRENCY,
    )
    warnings = []
    watch = ConferenceWatch(connected.client, events, warn=warnings.append, **options)
    watch.client, watch.warnings = connected.client, warnings
    return watch


def kinds(events):
    return [(event['type'], event['conference_id']) for event in events]


def calls(emulator, api):
    return len(emulator.requests_log(api))


def test_each_transition_once_and_never_again(emulator):
    emulator.configure_recordings(video_delay=30, recording_size=4096)
    emulator.add_conference('weekly', title='Weekly sync', cloud_record_status=0)
    watch = watch_of(emulator)
    assert watch.poll() == []  # the first poll learns what is going on

    emulator.patch_conference('weekly', cloud_record_status=1, cloud_record_owner_union_id=HOST)
    started = watch.poll()
    assert kinds(started) == [('recording_started', 'weekly')]
    assert started[0]['before'] == {
        'meeting_status': 2,
        'meeting_status_name': 'in_progress',
        'cloud_record_status': 0,
        'cloud_record_status_name': 'not_recording',
    }
    assert started[0]['after']['cloud_record_status_name'] == 'recording'
    assert started[0]['title'] == 'Weekly sync' and started[0]['host_union_id'] == HOST and started[0]['cloud_record_owner_union_id'] == HOST
    assert started[0]['conference']['meeting_status_name'] == 'in_progress'
    assert re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$', started[0]['observed_at'])
    assert watch.poll() == []

    emulator.patch_conference('weekly', cloud_record_status=2)
    assert kinds(watch.poll()) == [('recording_paused', 'weekly')]
    emulator.patch_conference('weekly', cloud_record_status=1)
    resumed = watch.poll()
    assert kinds(resumed) == [('recording_started', 'weekly')] and resumed[0]['before']['cloud_record_status_name'] == 'paused'

    watch.client.stop_cloud_record('weekly', HOST)
    stopped = watch.poll()
    assert kinds(stopped) == [('recording_stopped', 'weekly')] and stopped[0]['after']['cloud_record_status'] == 3
    assert watch.poll() == []  # the video is not listed yet
    emulator.advance_clock(31)
    ready = watch.poll()
    assert kinds(ready) == [('recording_ready', 'weekly')]
    assert ready[0]['union_id'] == HOST
    assert [(video['media_id'], video['file_size']) for video in ready[0]['recordings']] == [
        (emulator.get('recordings')['recordings'][0]['videos'][0]['media_id'], 4096)
    ]
    assert 'mp4_url' not in ready[0]['recordings'][0]
    assert watch.poll() == []

    emulator.patch_conference('weekly', status=1)
    ended = watch.poll()
    assert kinds(ended) == [('conference_ended', 'weekly')]
    assert ended[0]['after']['meeting_status_name'] == 'ended' and ended[0]['before']['meeting_status_name'] == 'in_progress'
    emulator.add_conference('daily', cloud_record_status=0)
    assert kinds(watch.poll()) == [('conference_started', 'daily')]
    assert watch.poll() == [] and watch.warnings == []


def test_a_second_recording_is_ready_with_its_own_videos_only(emulator):
    emulator.add_conference('review', cloud_record_status=1)
    watch = watch_of(emulator, events=['recording_stopped', 'recording_ready'])
    watch.poll()
    watch.client.stop_cloud_record('review', HOST)
    assert kinds(watch.poll()) == [('recording_stopped', 'review'), ('recording_ready', 'review')]
    watch.client.start_cloud_record('review', HOST)
    watch.poll()
    watch.client.stop_cloud_record('review', HOST)
    events = watch.poll()
    assert kinds(events) == [('recording_stopped', 'review'), ('recording_ready', 'review')]
    assert len(events[1]['recordings']) == 1 and len(emulator.get('recordings')['recordings'][0]['videos']) == 2


def test_a_meeting_that_ends_while_recording_ends_its_recording(emulator):
    emulator.add_conference('all-hands', cloud_record_status=1)
    watch = watch_of(emulator)
    watch.poll()
    emulator.patch_conference('all-hands', status=1)
    assert kinds(watch.poll()) == [('conference_ended', 'all-hands'), ('recording_stopped', 'all-hands'), ('recording_ready', 'all-hands')]
    assert watch.poll() == [] and watch.tracked == 0


def test_emit_in_progress_reports_what_the_first_poll_finds(emulator):
    emulator.add_conference('idle', cloud_record_status=0)
    emulator.add_conference('recorded', cloud_record_status=1)
    emulator.add_conference('paused', cloud_record_status=2)
    events = watch_of(emulator, emit_in_progress=True).poll()
    assert kinds(events) == [
        ('conference_started', 'idle'),
        ('conference_started', 'recorded'),
        ('recording_started', 'recorded'),
        ('conference_started', 'paused'),
        ('recording_paused', 'paused'),
    ]
    assert all(event['before'] is None for event in events)


def test_every_page_is_listed_and_an_unchanged_poll_costs_only_the_listing_and_the_queries(emulator):
    emulator.configure(qps_limit=0)  # the watch's own rate limit is lifted too, so that the test need not wait
    emulator.post('/seed', {'conferences': [{'conference_id': f'org-{number:03d}', 'host_union_id': HOST} for number in range(250)]})
    watch = watch_of(emulator, emit_in_progress=True)
    assert len([event for event in watch.poll() if event['type'] == 'conference_started']) == 250
    emulator.clear_requests()
    assert watch.poll() == []
    assert (calls(emulator, 'conference.listOrg'), calls(emulator, 'conference.get'), calls(emulator, 'cloudRecord.getVideos')) == (3, 250, 0)


def test_conference_events_alone_make_no_query(emulator):
    emulator.add_conference('standup', cloud_record_status=1)
    watch = watch_of(emulator, events=['conference_started', 'conference_ended'])
    watch.poll()
    emulator.patch_conference('standup', status=1)
    ended = watch.poll()
    assert kinds(ended) == [('conference_ended', 'standup')] and ended[0]['after']['meeting_status'] == 1
    assert calls(emulator, 'conference.get') == 0


def test_the_title_filter_keeps_other_conferences_out(emulator):
    emulator.add_conference('c1', title='Confidential: budget')
    emulator.add_conference('c2', title='Team lunch')
    events = watch_of(emulator, title_pattern=re.compile('(?i)confidential'), emit_in_progress=True).poll()
    assert {event['conference_id'] for event in events} == {'c1'}
    assert [request['path'].rsplit('/', 1)[-1] for request in emulator.requests_log('conference.get')] == ['c1']


def test_a_failed_query_keeps_the_conference_as_it_was_until_the_next_poll(emulator):
    emulator.add_conference('flaky', cloud_record_status=0)
    watch = watch_of(emulator)
    watch.poll()
    emulator.patch_conference('flaky', cloud_record_status=1)
    emulator.add_faults({'api': 'conference.get', 'kind': 'error', 'status': 500, 'times': 2})
    assert watch.poll() == []  # neither started nor ended: not known this time
    assert len(watch.warnings) == 1 and 'systemError' in watch.warnings[0]
    assert kinds(watch.poll()) == [('recording_started', 'flaky')]


def test_a_missing_permission_is_fatal_and_a_throttled_call_is_not(emulator):
    emulator.add_app('ding-app', 'app-secret', permissions=[])
    with pytest.raises(DingTalkError) as caught:
        watch_of(emulator).poll()
    assert is_fatal(caught.value, ever_polled=True)
    throttled = DingTalkError('slow down', code='Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', http_status=403)
    assert not is_fatal(throttled, ever_polled=False)


def test_rejected_credentials_are_fatal(emulator):
    with pytest.raises(DingTalkError) as caught:
        watch_of(emulator, app_secret='not-the-secret').poll()
    assert caught.value.code == 'invalidClientIdOrSecret' and is_fatal(caught.value, ever_polled=True)
