# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The events scenario of run_benchmark.py (--scenario events): the conference_events source against the emulator.

  1. Detection: the source runs as ansible-rulebook runs it (its ``run`` with a queue, interval 5 s) while
     recordings start at random moments of its interval, and stopped ones become listed; each event must be on
     the queue within interval + 2 s of the change.
  2. Cost: one poll of 1,000 ongoing conferences with recording events asked for, at the source's default rate
     limit (15 calls a second per API), against an emulator that enforces DingTalk's 20 a second and answers each call
     after 20 ms: its time against its rate floor (the calls of its busiest API / the rate limit), the most calls
     to one API in any one second of the emulator's request log, and the calls of a poll with nothing changed.
  3. Memory: the source's own state for 10,000 tracked conferences (tracemalloc: what the watch holds once its
     poll is over, measured as what is freed when it is dropped), with an emulator in another process, so that
     its request log is not counted.

Writes docs/benchmarks/events/README.md and results.json.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import statistics
import time
import tracemalloc
import uuid

from emulator.admin import EmulatorAdmin  # pylint: disable=import-error  # run_benchmark.py puts tests/ on sys.path
from emulator.dingtalk_emulator import start_in_thread  # pylint: disable=import-error
from emulator.launcher import EmulatorProcess  # pylint: disable=import-error

APP_KEY = 'ding-bench-events'
APP_SECRET = 'bench-events-secret'
DINGTALK_LIMIT = 20
LATENCY = 0.02
DETECTION_INTERVAL = 5.0
DETECTION_TRIALS = 6
DETECTION_SLACK = 2.0
COST_CONFERENCES = 1000
COST_TARGET = 1.15
MEMORY_CONFERENCES = 10000
MEMORY_TARGET_MIB = 20


def collection_code():
    """The collection's source code, imported from the stage run_benchmark.py put on sys.path."""
    # pylint: disable=import-outside-toplevel
    from ansible_collections.community.dingtalk.plugins.module_utils._connect import connect
    from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import RateLimiter
    from ansible_collections.community.dingtalk.plugins.plugin_utils import _conference_watch, _event_source

    return connect, RateLimiter, _event_source.DEFAULT_RATE_LIMIT, _conference_watch, _event_source


def realistic_conferences(count, **fields):
    """Conferences with ids, titles and union ids as long as DingTalk's."""
    return [
        dict(
            {
                'conference_id': str(uuid.UUID(int=number + 1)),
                'title': f'Project {number:05d} weekly sync',
                'host_union_id': f'Ab{number:026d}iE',
                'cloud_record_status': 0,
            },
            **fields,
        )
        for number in range(count)
    ]


def watch_for(url, rate_limit=None):
    connect, rate_limiter, default_rate, watch_module, _source = collection_code()
    get_option = {'api_url': url, 'validate_certs': True, 'ca_path': None, 'timeout': 10, 'retries': 3, 'cache': False, 'cache_dir': None}.get
    connected = connect(
        get_option,
        {'app_key': APP_KEY, 'app_secret': APP_SECRET},
        'the benchmark',
        accepts_access_token=False,
        rate_limiter_for=lambda _app_window: rate_limiter(rate_limit or default_rate),
        pool_size=watch_module.QUERY_CONCURRENCY,
    )
    return watch_module.ConferenceWatch(connected.client, watch_module.EVENT_TYPES), connected.client, rate_limit or default_rate


def most_calls_in_one_second(requests_log):
    """The most calls to one API whose arrivals fall within one second (a sliding window), per API."""
    most = {}
    by_api = {}
    for request in requests_log:
        by_api.setdefault(request['api'], []).append(request['time'])
    for api, times in by_api.items():
        times.sort()
        start = 0
        for end, moment in enumerate(times):
            while moment - times[start] >= 1.0:
                start += 1
            most[api] = max(most.get(api, 0), end - start + 1)
    return most


def measure_cost():
    # The emulator in a process of its own, as DingTalk is: in this one, its threads would share the interpreter
    # with the source's, and the times it logs would move with them.
    with EmulatorProcess(qps_limit=DINGTALK_LIMIT, latency=LATENCY) as server:
        admin = EmulatorAdmin(server.url)
        admin.add_app(APP_KEY, APP_SECRET)
        admin.post('/seed', {'conferences': realistic_conferences(COST_CONFERENCES)})
        watch, client, rate_limit = watch_for(server.url)
        polls = []
        for _number in range(2):
            admin.clear_requests()
            started = time.monotonic()
            events = watch.poll()
            took = time.monotonic() - started
            log = admin.requests_log()
            calls = {}
            for request in log:
                calls[request['api']] = calls.get(request['api'], 0) + 1
            busiest = max(count for api, count in calls.items() if api != 'oauth2.accessToken')
            polls.append(
                {
                    'seconds': round(took, 2),
                    'calls': calls,
                    'events': len(events),
                    'rate_floor_seconds': round(busiest / rate_limit, 2),
                    'ratio_to_floor': round(took / (busiest / rate_limit), 3),
                    'most_calls_in_one_second': most_calls_in_one_second(log),
                    'throttled': sum(1 for request in log if (request['code'] or '').startswith('Forbidden.AccessDenied.Q')),
                }
            )
        client.close()
    return {'conferences': COST_CONFERENCES, 'rate_limit': rate_limit, 'latency': LATENCY, 'first_poll': polls[0], 'unchanged_poll': polls[1]}


async def detect(server, admin, run):
    """Seconds from each change to its event on the queue: recordings started, and stopped ones listed as ready."""
    admin.configure_recordings(video_delay=1)
    for conference in realistic_conferences(20):
        admin.add_conference(conference.pop('conference_id'), **conference)
    target = str(uuid.UUID(int=1))
    queue = asyncio.Queue()
    args = {'api_url': server.url, 'app_key': APP_KEY, 'app_secret': APP_SECRET, 'cache': False, 'interval': DETECTION_INTERVAL}
    task = asyncio.ensure_future(run(queue, args, environ={}))
    rng = random.Random(24)
    started, ready = [], []
    _watch, client, _rate = watch_for(server.url)
    try:
        await asyncio.sleep(DETECTION_INTERVAL)  # past the first poll, which only learns
        for _trial in range(DETECTION_TRIALS):
            await asyncio.sleep(rng.uniform(0, DETECTION_INTERVAL))
            client.start_cloud_record(target, f'Ab{0:026d}iE')
            started.append(await seconds_until(queue, 'recording_started', time.monotonic()))
            await asyncio.sleep(rng.uniform(0, DETECTION_INTERVAL))
            client.stop_cloud_record(target, f'Ab{0:026d}iE')
            listed_at = time.monotonic() + 1  # video_delay
            ready.append(await seconds_until(queue, 'recording_ready', listed_at))
    finally:
        task.cancel()
        await asyncio.wait([task])
        client.close()
    return started, ready


async def seconds_until(queue, kind, since):
    while True:
        event = await asyncio.wait_for(queue.get(), 60)
        if event['type'] == kind:
            return round(time.monotonic() - since, 2)


def measure_detection():
    run = collection_code()[4].run
    with start_in_thread(qps_limit=DINGTALK_LIMIT, latency=LATENCY) as server:
        admin = EmulatorAdmin(server.url)
        admin.add_app(APP_KEY, APP_SECRET)
        started, ready = asyncio.run(detect(server, admin, run))
    return {'interval': DETECTION_INTERVAL, 'trials': DETECTION_TRIALS, 'recording_started_seconds': started, 'recording_ready_seconds': ready}


def measure_memory():
    with EmulatorProcess(qps_limit=0) as emulator:
        admin = EmulatorAdmin(emulator.url)
        admin.add_app(APP_KEY, APP_SECRET)
        admin.post('/seed', {'conferences': realistic_conferences(MEMORY_CONFERENCES, cloud_record_status=1)})
        watch, client, _rate = watch_for(emulator.url, rate_limit=1000)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        started = time.monotonic()
        watch.poll()
        took = time.monotonic() - started
        gc.collect()
        after_poll = tracemalloc.get_traced_memory()[0]
        tracked = watch.tracked
        client.close()
        del watch
        gc.collect()
        after_drop = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    return {
        'conferences': tracked,
        'state_bytes': after_poll - after_drop,
        'retained_after_poll_bytes': after_poll - before,
        'poll_seconds': round(took, 1),
    }


def targets(results):
    detection, cost, memory = results['detection'], results['cost'], results['memory']
    slowest = max(detection['recording_started_seconds'] + detection['recording_ready_seconds'])
    poll = cost['first_poll']
    unchanged = cost['unchanged_poll']
    needed = {'conference.listOrg': -(-COST_CONFERENCES // 100), 'conference.get': COST_CONFERENCES}
    return [
        {
            'target': f'an event within interval + {DETECTION_SLACK:.0f} s of its change',
            'measured': 'slowest {0} s of {1} changes (interval {2:.0f} s)'.format(slowest, 2 * detection['trials'], detection['interval']),
            'met': slowest <= detection['interval'] + DETECTION_SLACK,
        },
        {
            'target': f'a poll of {COST_CONFERENCES} conferences <= {COST_TARGET}x its rate floor',
            'measured': '{0} s, floor {1} s: {2}x (unchanged poll {3}x)'.format(
                poll['seconds'], poll['rate_floor_seconds'], poll['ratio_to_floor'], unchanged['ratio_to_floor']
            ),
            'met': max(poll['ratio_to_floor'], unchanged['ratio_to_floor']) <= COST_TARGET,
        },
        {
            'target': f'never more than {DINGTALK_LIMIT} calls per API in any second',
            'measured': 'at most {0} (throttled: {1})'.format(
                max(max(p['most_calls_in_one_second'].values()) for p in (poll, unchanged)), poll['throttled'] + unchanged['throttled']
            ),
            'met': all(max(p['most_calls_in_one_second'].values()) <= DINGTALK_LIMIT for p in (poll, unchanged)),
        },
        {
            'target': 'an unchanged poll makes only the listing and the queries',
            'measured': json.dumps(unchanged['calls'], sort_keys=True),
            'met': unchanged['calls'] == needed,
        },
        {
            'target': f'state of {MEMORY_CONFERENCES} tracked conferences < {MEMORY_TARGET_MIB} MiB',
            'measured': '{0:.1f} MiB ({1} conferences)'.format(memory['state_bytes'] / 1024**2, memory['conferences']),
            'met': memory['state_bytes'] < MEMORY_TARGET_MIB * 1024**2 and memory['conferences'] == MEMORY_CONFERENCES,
        },
    ]


def write_report(output_dir, results, machine_info):
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, 'results.json'), 'w', encoding='utf-8') as handle:
        json.dump(dict(results, machine=machine_info), handle, indent=2, sort_keys=True)
    detection = results['detection']
    lines = [
        '# Benchmark: the conference_events source',
        '',
        'Written by `make bench BENCH_ARGS="--scenario events"` (tests/benchmarks/events_benchmark.py); the figures are in',
        '`results.json`. Machine: {0}.'.format(', '.join(f'{key} {value}' for key, value in sorted(machine_info.items()))),
        '',
        '| target | measured | met |',
        '|---|---|---|',
    ]
    lines += ['| {0} | {1} | {2} |'.format(check['target'], check['measured'], 'yes' if check['met'] else '**no**') for check in results['targets']]
    lines += [
        '',
        '- Detection: the source as ansible-rulebook runs it, interval {0:.0f} s; a recording started {1} times at random'.format(
            detection['interval'], detection['trials']
        ),
        '  moments of the interval (seconds to its event: {0}, median {1}), and stopped as often, its video listed 1 s'.format(
            detection['recording_started_seconds'], statistics.median(detection['recording_started_seconds'])
        ),
        '  later (seconds from the listing to recording_ready: {0}).'.format(detection['recording_ready_seconds']),
        '- Cost: rate limit {0} calls a second per API, every answer 20 ms late, the emulator enforcing DingTalk\'s 20 a'.format(results['cost']['rate_limit']),
        '  second. The rate floor is the calls of the busiest API (the conference query) over the rate limit. The first poll',
        '  includes the token request.',
        '- Memory: tracemalloc, the bytes freed when the watch holding {0} conferences is dropped (after its poll:'.format(results['memory']['conferences']),
        '  {0:.1f} MiB retained by the process).'.format(results['memory']['retained_after_poll_bytes'] / 1024**2),
        '',
    ]
    with open(os.path.join(output_dir, 'README.md'), 'w', encoding='utf-8') as handle:
        handle.write('\n'.join(lines))


def main(benchmarks_dir, machine_info):
    """Every measurement, the targets printed, and the report in ``benchmarks_dir``/events."""
    results = {'detection': measure_detection(), 'cost': measure_cost(), 'memory': measure_memory()}
    results['targets'] = targets(results)
    write_report(os.path.join(benchmarks_dir, 'events'), results, machine_info)
    for check in results['targets']:
        print('{0:4} {1}: {2}'.format('ok' if check['met'] else 'MISS', check['target'], check['measured']))
