# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark: stopping N recordings three ways, against the emulator with a fixed latency per call.

  (a) ansible.builtin.uri in a loop (what users write without this collection)
  (b) dingtalk_cloud_record in a loop (through whichever door Ansible takes for it: the same playbook)
  (c) dingtalk_cloud_record with conference_ids (batch mode)

a one-task job ("single": one stop, end to end) with (a) and (b), and the organisation-wide sweep ("sweep"):
dingtalk_conference_info lists every ongoing conference, then dingtalk_cloud_record stops each recording as
its owner (tests/benchmarks/playbooks/org_sweep.yml). Every run also reads the busiest second of the
emulator's request log (load.py): the most calls one API got within one second, which DingTalk allows 20 of.
--busy repeats batch mode and the sweep while one busy loop per core shares the machine.

Every variant runs in this one process's session, side by side (taking turns run by run), against the same
emulator; each figure is the median of --runs runs. Run by `make bench`, which
writes docs/benchmarks/: results.json, README.md (table, targets, machine) and
benchmark.png.

--scenario archive runs the archive benchmark instead (archive_benchmark.py): a 1 GiB recording against curl,
the memory of the whole ansible-playbook process tree, and reruns that must download nothing; it writes
docs/benchmarks/archive/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))  # tests/emulator is the package "emulator"
from emulator.admin import EmulatorAdmin  # noqa: E402  pylint: disable=wrong-import-position,import-error
from emulator.dingtalk_emulator import start_in_thread  # noqa: E402  pylint: disable=wrong-import-position,import-error
from load import busiest_second, cpu_heavy_neighbour  # noqa: E402  pylint: disable=wrong-import-position,import-error  # beside this file

APP_KEY = 'ding-bench-app'
APP_SECRET = 'bench-secret'
HOST_UNION_ID = 'host-union-bench'
DINGTALK_LIMIT = 20  # calls a second per app and API on standard organisations

VARIANTS = (
    ('uri_loop', '(a) uri in a loop'),
    ('module_loop', '(b) module in a loop'),
    ('module_batch', '(c) module, conference_ids'),
)
# The default DingTalk limit, and an organisation with a higher one (module and emulator raised together).
SCENARIOS = (
    {'name': 'default', 'emulator_qps': DINGTALK_LIMIT, 'rate_limit': None, 'variants': ('uri_loop', 'module_loop', 'module_batch')},
    # The module's rate_limit keeps the default's margin of 10 % under the organisation's limit (18 under 20).
    {'name': 'raised', 'emulator_qps': 200, 'rate_limit': 180, 'variants': ('module_batch',)},
    # A one-task job: one stop, end to end, and the one-item runs that the loops' time per item is taken from.
    {'name': 'single', 'emulator_qps': DINGTALK_LIMIT, 'rate_limit': None, 'variants': ('uri_loop', 'module_loop'), 'sizes': (1,)},
)
# The loop targets are read at this N (or the largest measured, if smaller).
LOOP_TARGET_SIZE = 100
# The organisation-wide sweep: this many ongoing conferences, every other one recording, at DingTalk's limit.
SWEEP = {'name': 'sweep', 'conferences': 1000, 'recording': 500, 'page_size': 20}
ALL_SCENARIOS = tuple(scenario['name'] for scenario in SCENARIOS) + (SWEEP['name'],)


class Emulator(EmulatorAdmin):
    """The emulator's admin client, with the benchmark's scenarios."""

    def __init__(self, server):
        super().__init__(server.url, timeout=60)  # a seed or a log of a thousand conferences takes a while

    def prepare(self, qps_limit, latency, count, recording=True):
        self.reset()
        conferences = [
            {'conference_id': conference_id(number), 'host_union_id': HOST_UNION_ID, 'status': 2, 'cloud_record_status': 1 if recording else 3}
            for number in range(count)
        ]
        seed = {'config': {'qps_limit': qps_limit, 'latency': latency}, 'apps': [{'app_key': APP_KEY, 'app_secret': APP_SECRET}], 'conferences': conferences}
        self.seed(seed)

    def prepare_sweep(self, latency, conferences, recording):
        """An organisation of ``conferences`` ongoing meetings of as many hosts, the first ``recording`` of every two recording."""
        self.reset()
        meetings = []
        for number in range(conferences):
            host = f'host-union-{number:04d}'
            meeting = {'conference_id': conference_id(number), 'host_union_id': host, 'status': 2, 'cloud_record_status': 0}
            if number % 2 == 0 and number // 2 < recording:
                meeting.update(cloud_record_status=1, cloud_record_owner_union_id=host)
            meetings.append(meeting)
        seed = {'config': {'qps_limit': DINGTALK_LIMIT, 'latency': latency}, 'apps': [{'app_key': APP_KEY, 'app_secret': APP_SECRET}], 'conferences': meetings}
        self.seed(seed)

    def calls(self):
        return self.requests_log()

    def clear_calls(self):
        self.clear_requests()

    def still_recording(self):
        return sum(1 for conference in self.conferences() if conference['cloud_record_status'] in (1, 2))


def conference_id(number):
    return f'bench-conf-{number:04d}'


def run_playbook(collections_path, variant, count, api_url, rate_limit, work_dir):
    extra_vars = {'api_url': api_url, 'app_key': APP_KEY, 'app_secret': APP_SECRET}
    if variant != 'org_sweep':  # the sweep finds its conferences and their owners itself
        extra_vars.update(host_union_id=HOST_UNION_ID, conference_ids=[conference_id(number) for number in range(count)])
    if rate_limit is not None:
        extra_vars['rate_limit'] = rate_limit  # otherwise the module's default
    vars_file = os.path.join(work_dir, 'vars.json')
    with open(vars_file, 'w', encoding='utf-8') as handle:
        json.dump(extra_vars, handle)
    cache_dir = os.path.join(work_dir, 'token-cache')
    shutil.rmtree(cache_dir, ignore_errors=True)  # every run starts without a token
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=collections_path,
        DINGTALK_TOKEN_CACHE_DIR=cache_dir,
        ANSIBLE_STDOUT_CALLBACK='ansible.builtin.minimal',
        ANSIBLE_NOCOLOR='1',
    )
    playbook = os.path.join(HERE, 'playbooks', variant + '.yml')
    started = time.perf_counter()
    finished = subprocess.run(
        ['ansible-playbook', '-i', os.path.join(HERE, 'playbooks', 'inventory.yml'), '-e', '@' + vars_file, playbook],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
    )
    seconds = time.perf_counter() - started
    if finished.returncode != 0:
        raise RuntimeError('{0} with N={1} failed:\n{2}'.format(variant, count, finished.stdout.decode('utf-8', 'replace')[-3000:]))
    return seconds


def measure(emulator, collections_path, scenario, variant, count, latency, work_dir):
    emulator.prepare(scenario['emulator_qps'], latency, count)
    seconds = run_playbook(collections_path, variant, count, emulator.url, scenario['rate_limit'], work_dir)
    calls = emulator.calls()
    token_calls = [call for call in calls if call['api'].startswith('oauth2.')]
    api_calls = [call for call in calls if not call['api'].startswith('oauth2.')]
    run = {
        'seconds': seconds,
        'token_requests': len(token_calls),
        'api_calls_per_conference': len(api_calls) / count,
        'throttled': sum(1 for call in calls if (call.get('code') or '').startswith('Forbidden.AccessDenied.Qps')),
        'still_recording': emulator.still_recording(),
        'busiest_second': busiest_second(calls)[0],
    }
    if variant == 'module_batch' or (variant == 'module_loop' and count <= 10):
        # Run again with nothing left to do: one query per conference, no stop.
        emulator.clear_calls()
        run_playbook(collections_path, variant, count, emulator.url, scenario['rate_limit'], work_dir)
        run['idle_api_calls_per_conference'] = sum(1 for call in emulator.calls() if not call['api'].startswith('oauth2.')) / count
    return run


def measure_sweep(emulator, collections_path, latency, work_dir, conferences=SWEEP['conferences']):
    """One run of the organisation-wide sweep of ``conferences``, every other one recording; its calls per API, and its rate floor."""
    recording = conferences * SWEEP['recording'] // SWEEP['conferences']
    emulator.prepare_sweep(latency, conferences, recording)
    seconds = run_playbook(collections_path, 'org_sweep', conferences, emulator.url, None, work_dir)
    calls = emulator.calls()
    by_api = {}
    for call in calls:
        by_api[call['api']] = by_api.get(call['api'], 0) + 1
    pages = by_api.get('conference.listOrg', 0)
    queries = by_api.get('conference.get', 0)
    stops = by_api.get('cloudRecord.stop', 0)
    # Each API has its own limit: the pages come one after another first, then the queries and the stops go side by
    # side, each stop right after its conference's query. So the floor is the pages plus the longer of the two at the
    # limit, as for (c), whose floor is N / 20 for N queries and N stops.
    floor = pages / DINGTALK_LIMIT + max(queries, stops) / DINGTALK_LIMIT
    return {
        'conferences': conferences,
        'recording': recording,
        'seconds': round(seconds, 3),
        'list_pages': pages,
        'queries': queries,
        'stops': stops,
        'token_requests': sum(count for api, count in by_api.items() if api.startswith('oauth2.')),
        'floor_seconds': round(floor, 3),
        'floor_sum_seconds': round((pages + queries + stops) / DINGTALK_LIMIT, 3),
        'ratio': round(seconds / floor, 3),
        'throttled': sum(1 for call in calls if (call.get('code') or '').startswith('Forbidden.AccessDenied.Qp')),
        'still_recording': emulator.still_recording(),
        'busiest_second': busiest_second(calls)[0],
    }


def print_sweep(sweep, name=SWEEP['name']):
    print(
        '{0:8} {1} conferences, {2} recording: {3:.2f} s = {4:.2f}x the floor of {5:.1f} s ({6} pages, {7} queries, {8} stops; '
        'tokens {9}, throttled {10}, still recording {11}, busiest second {12})'.format(
            name,
            sweep['conferences'],
            sweep['recording'],
            sweep['seconds'],
            sweep['ratio'],
            sweep['floor_seconds'],
            sweep['list_pages'],
            sweep['queries'],
            sweep['stops'],
            sweep['token_requests'],
            sweep['throttled'],
            sweep['still_recording'],
            sweep.get('busiest_second', 'n/a'),
        ),
        flush=True,
    )


def summarise(runs, count):
    seconds = statistics.median(run['seconds'] for run in runs)
    summary = {
        'runs': len(runs),
        'seconds': round(seconds, 3),
        'seconds_all_runs': [round(run['seconds'], 3) for run in runs],
        'stops_per_second': round(count / seconds, 2),
        'token_requests': max(run['token_requests'] for run in runs),
        'api_calls_per_conference': max(run['api_calls_per_conference'] for run in runs),
        'throttled': max(run['throttled'] for run in runs),
        'still_recording': max(run['still_recording'] for run in runs),
        'busiest_second': max(run['busiest_second'] for run in runs),
    }
    if 'idle_api_calls_per_conference' in runs[0]:
        summary['idle_api_calls_per_conference'] = max(run['idle_api_calls_per_conference'] for run in runs)
    return summary


def machine():
    model = 'unknown'
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as cpuinfo:
            model = next((line.split(':', 1)[1].strip() for line in cpuinfo if line.startswith('model name')), model)
    except OSError:
        pass
    ansible_version = subprocess.run(['ansible', '--version'], stdout=subprocess.PIPE, check=False).stdout.decode().splitlines()[0]
    return {'cpu': model, 'cores': os.cpu_count(), 'python': platform.python_version(), 'system': platform.platform(), 'ansible': ansible_version}


RATE_FLOOR_RATIO = 1.15


def window_target(label, summaries, limit=DINGTALK_LIMIT):
    """The busiest second of ``summaries`` (runs of one kind) against the emulator's limit; None for results without it."""
    busiest = [summary['busiest_second'] for summary in summaries if 'busiest_second' in summary]
    if not busiest:
        return None
    return (
        f'{label}: no API gets more than {limit} calls in any one second of the emulator\'s log',
        f'at most {max(busiest)}',
        max(busiest) <= limit,
    )


def floor_check(name, seconds, floor, start_up):
    """``seconds`` against ``floor``: less ``start_up`` (what a one-task job takes end to end, none of it the rate
    limit's) when measured, since the floor counts only the calls' spacing; the wall time is said beside."""
    net = seconds - start_up if start_up is not None else seconds
    measured = f'{seconds:.2f} s' if start_up is None else f'{seconds:.2f} s, {net:.2f} s less the {start_up:.2f} s of a one-task job'
    return (name, f'{measured} = {net / floor:.2f}x', net <= RATE_FLOOR_RATIO * floor)


def sweep_targets(sweep, label='sweep', start_up=None):
    """The targets of the organisation-wide sweep: name, measured text, met."""
    expected_pages = -(-sweep['conferences'] // SWEEP['page_size'])
    calls = (sweep['list_pages'], sweep['queries'], sweep['stops'], sweep['still_recording'])
    checks = [
        floor_check(
            '{0} of {1} conferences, {2} recording, within {3}x the floor of {4:.1f} s'.format(
                label, sweep['conferences'], sweep['recording'], RATE_FLOOR_RATIO, sweep['floor_seconds']
            ),
            sweep['seconds'],
            sweep['floor_seconds'],
            start_up,
        ),
        (f'{label} without throttling answers', '{0} throttled'.format(sweep['throttled']), sweep['throttled'] == 0),
        (
            f'{label}: {expected_pages} pages, one query per conference, one stop per recording, nothing left recording',
            '{0} pages, {1} queries, {2} stops, {3} still recording'.format(*calls),
            calls == (expected_pages, sweep['conferences'], sweep['recording'], 0),
        ),
    ]
    return checks + [check for check in [window_target(label, [sweep])] if check is not None]


def batch_targets(batch, size, label, start_up=None):
    """Batch mode of ``size`` conferences against its rate floor, its throttling answers and its busiest second."""
    floor = size / DINGTALK_LIMIT
    checks = [
        floor_check(f'{label} N={size} within {RATE_FLOOR_RATIO}x the floor of {floor:.1f} s', batch['seconds'], floor, start_up),
        (f'{label} N={size} without throttling answers', '{0} throttled'.format(batch['throttled']), batch['throttled'] == 0),
    ]
    return checks + [check for check in [window_target(f'{label} N={size}', [batch])] if check is not None]


def per_item_seconds(many, one, size):
    """The time one more item costs: the wall time of ``size`` items less that of one item, over ``size`` - 1."""
    return (many['seconds'] - one['seconds']) / (size - 1)


def loop_targets(results, size):
    """The loop (b) against the uri loop (a) per item and against batch mode (c) in wall time; the one-task jobs' ratio."""
    default, single = results['default'], results.get('single')
    loop, uri, batch = (default[variant][str(size)] for variant in ('module_loop', 'uri_loop', 'module_batch'))
    checks = []
    if single is not None and size > 1:
        loop_item = per_item_seconds(loop, single['module_loop']['1'], size)
        uri_item = per_item_seconds(uri, single['uri_loop']['1'], size)
        checks.append(
            (
                f'(b) N={size} at least 5x faster per item than (a)',
                '{0:.3f} s against {1:.3f} s per item = {2:.1f}x'.format(loop_item, uri_item, uri_item / loop_item if loop_item > 0 else float('inf')),
                loop_item > 0 and uri_item / loop_item >= 5,
            )
        )
    checks.append(
        (
            f'(b) N={size} within 1.5x of the wall time of (c)',
            '{0:.2f} s against {1:.2f} s = {2:.2f}x'.format(loop['seconds'], batch['seconds'], loop['seconds'] / batch['seconds']),
            loop['seconds'] <= 1.5 * batch['seconds'],
        )
    )
    if single is not None:
        one_module, one_uri = single['module_loop']['1']['seconds'], single['uri_loop']['1']['seconds']
        checks.append(
            (
                'a one-task job (one stop) end to end against a one-task uri job (reported, no target)',
                f'{one_module:.2f} s against {one_uri:.2f} s = {one_module / one_uri:.2f}x',
                None,
            )
        )
    return checks


def targets(results, latency, sweep=None, busy=None):
    """The issue's targets, measured: name, measured text, met (None for a figure that is only reported)."""
    default = results['default']
    sizes = sorted(int(size) for size in default['uri_loop'])
    checks = loop_targets(results, LOOP_TARGET_SIZE if LOOP_TARGET_SIZE in sizes else sizes[-1])
    largest = str(sizes[-1])
    batch = default['module_batch'][largest]
    # Ansible's own start-up (a one-task job's wall time, its two calls included) is no part of a rate floor.
    start_up = results['single']['module_loop']['1']['seconds'] if 'single' in results else None
    checks += batch_targets(batch, int(largest), '(c)', start_up)
    speedup = default['uri_loop'][largest]['seconds'] / batch['seconds']
    checks.append((f'(c) N={largest} at least 8x faster than (a)', f'{speedup:.1f}x', speedup >= 8))
    if 'raised' in results:
        raised = results['raised']['module_batch'][largest]
        raised_speedup = default['uri_loop'][largest]['seconds'] / raised['seconds']
        checks.append(
            (
                f'(c) N={largest} at 200 calls/s at least 30x faster than (a)',
                '{0:.1f}x ({1:.2f} s)'.format(raised_speedup, raised['seconds']),
                raised_speedup >= 30,
            )
        )
    summaries = [summary for scenario in results.values() for variant in scenario.values() for summary in variant.values()]
    token_requests = {summary['token_requests'] for summary in summaries}
    checks.append(('exactly one token request per run', f'token requests per run: {sorted(token_requests)}', token_requests == {1}))
    per_conference = [
        summary['api_calls_per_conference']
        for scenario in results.values()
        for name, variant in scenario.items()
        if name != 'uri_loop'
        for summary in variant.values()
    ]
    idle = [summary['idle_api_calls_per_conference'] for summary in summaries if 'idle_api_calls_per_conference' in summary]
    checks.append(('API calls per conference at most 2', f'max {max(per_conference):.2f}', max(per_conference) <= 2))
    checks.append(('exactly 1 API call per conference with nothing to do', f'min {min(idle):.3f}, max {max(idle):.3f}', min(idle) == max(idle) == 1))
    # Each scenario against its emulator's limit: DingTalk's 20 a second, or the raised organisation's.
    limits = {scenario['name']: scenario['emulator_qps'] for scenario in SCENARIOS}
    for name, scenario in results.items():
        runs = [summary for variant in scenario.values() for summary in variant.values()]
        checks += [check for check in [window_target(f'every run of "{name}"', runs, limits[name])] if check is not None]
    del latency
    if sweep is not None:
        checks += sweep_targets(sweep, start_up=start_up)
    if busy is not None:
        label = 'under CPU load ({0} busy loops)'.format(busy['processes'])
        for size, summary in sorted(busy['module_batch'].items(), key=lambda item: int(item[0])):
            # Less the idle machine's start-up: under load Ansible starts slower still, so this errs against the target.
            checks += batch_targets(summary, int(size), '(c) ' + label, start_up)
        if busy.get('sweep') is not None:
            checks += sweep_targets(busy['sweep'], 'sweep ' + label, start_up)
    return checks


def met_text(met):
    return 'n/a' if met is None else 'yes' if met else '**no**'


def check_line(name, measured, met):
    return '{0:4} {1}: {2}'.format('' if met is None else 'ok' if met else 'MISS', name, measured)


def write_report(output_dir, results, checks, options, machine_info, sweep=None, busy=None):
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, 'results.json'), 'w', encoding='utf-8') as handle:
        json.dump(
            {
                'options': options,
                'machine': machine_info,
                'results': results,
                'sweep': sweep,
                'busy': busy,
                'targets': [{'target': name, 'measured': measured, 'met': met} for name, measured, met in checks],
            },
            handle,
            indent=2,
        )
    lines = [
        '# Benchmark: stopping N cloud recordings',
        '',
        'Generated by `make bench` (tests/benchmarks/run_benchmark.py); do not edit by hand.',
        '',
        'Against the DingTalk emulator with {0} ms added to every API answer (a stand-in for the network), '
        'the emulator limiting each app to {1} calls a second per API as DingTalk does ("default"), or to 200 '
        '("raised", with the module\'s `rate_limit` at {2}). Median of {3} runs each, except the loops (a) and (b) at the '
        'largest N ({4} run: they take minutes); every run starts without a cached token. (a) gets its token with the '
        'lookup once; (b) and (c) authenticate with app credentials. "Idle" is a second run with nothing left to stop. '
        '"single" is a one-task job: one stop, end to end; the loops\' time per item is their wall time less that of one item, '
        'over N - 1. "Busiest second" is the most calls one API got within one second of the emulator\'s request log, by '
        'arrival time (DingTalk allows {1}), the most of any run.'.format(
            int(options['latency'] * 1000), DINGTALK_LIMIT, SCENARIOS[1]['rate_limit'], options['runs'], options['loop_runs_largest']
        ),
        '',
        '| scenario | variant | N | runs | wall time (s) | stops/s | token requests | API calls per conference | idle API calls per conference '
        '| throttled | busiest second |',
        '|---|---|---|---|---|---|---|---|---|---|---|',
    ]
    labels = dict(VARIANTS)
    for scenario_name, scenario in results.items():
        for variant, by_size in scenario.items():
            for size, summary in sorted(by_size.items(), key=lambda item: int(item[0])):
                lines.append(
                    '| {0} | {1} | {2} | {9} | {3:.2f} | {4:.1f} | {5} | {6:.2f} | {7} | {8} | {10} |'.format(
                        scenario_name,
                        labels[variant],
                        size,
                        summary['seconds'],
                        summary['stops_per_second'],
                        summary['token_requests'],
                        summary['api_calls_per_conference'],
                        '{0:.3f}'.format(summary['idle_api_calls_per_conference']) if 'idle_api_calls_per_conference' in summary else 'n/a',
                        summary['throttled'],
                        summary['runs'],
                        summary.get('busiest_second', 'n/a'),
                    )
                )
    if sweep is not None:
        lines += [
            '',
            '## Organisation-wide sweep',
            '',
            '`dingtalk_conference_info` lists every ongoing conference (pages of {0}), then `dingtalk_cloud_record` stops each '
            'recording as its owner, without `union_id` (tests/benchmarks/playbooks/org_sweep.yml), against the emulator at {1} '
            'calls a second per API, with the modules\' default `rate_limit`; one run. The floor is the list pages plus the '
            'queries at {1} a second (the stops, another API, go side by side with the queries); all calls one after another '
            'would take {2:.1f} s.'.format(SWEEP['page_size'], DINGTALK_LIMIT, sweep['floor_sum_seconds']),
            '',
        ] + sweep_table(sweep)
    if busy is not None:
        lines += [
            '',
            '## Under CPU load',
            '',
            'Batch mode and the sweep again, while {0} busy-loop processes (one per core) shared the machine for the whole '
            'measurement: the client\'s threads wake late, which is when a rate limit that plans its send times ahead lets '
            'calls bunch up.'.format(busy['processes']),
            '',
            '| variant | N | runs | wall time (s) | floor (s) | ratio | throttled | busiest second |',
            '|---|---|---|---|---|---|---|---|',
        ]
        for size, summary in sorted(busy['module_batch'].items(), key=lambda item: int(item[0])):
            floor = int(size) / DINGTALK_LIMIT
            lines.append(
                '| (c) module, conference_ids | {0} | {1} | {2:.2f} | {3:.2f} | {4:.2f}x | {5} | {6} |'.format(
                    size, summary['runs'], summary['seconds'], floor, summary['seconds'] / floor, summary['throttled'], summary['busiest_second']
                )
            )
        if busy.get('sweep') is not None:
            lines += [''] + sweep_table(busy['sweep'])
    lines += [
        '',
        '## Targets',
        '',
        'A rate floor counts only the spacing of the calls at 20 a second. Against it, batch mode and the sweep are',
        'measured by their wall time less that of a one-task job (the "single" rows: ansible-playbook starting, one',
        'task, its two calls), which no rate limit can shorten; each row gives the wall time too.',
        '',
        '| target | measured | met |',
        '|---|---|---|',
    ]
    lines += [f'| {name} | {measured} | {met_text(met)} |' for name, measured, met in checks]
    if options.get('note'):
        lines += ['', '## Note', '', options['note']]
    lines += ['', '## Machine', '']
    lines += [f'- {key}: {value}' for key, value in machine_info.items()]
    lines += ['', '![wall time by N](benchmark.png)', '']
    with open(os.path.join(output_dir, 'README.md'), 'w', encoding='utf-8') as handle:
        handle.write('\n'.join(lines))
    plot(output_dir, results)


def sweep_table(sweep):
    return [
        '| conferences | recording | wall time (s) | floor (s) | ratio | list pages | queries | stops | token requests | throttled | still recording '
        '| busiest second |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|',
        '| {conferences} | {recording} | {seconds:.2f} | {floor_seconds:.2f} | {ratio:.2f}x | {list_pages} | {queries} | {stops} | '
        '{token_requests} | {throttled} | {still_recording} | {busiest} |'.format(busiest=sweep.get('busiest_second', 'n/a'), **sweep),
    ]


def plot(output_dir, results):
    try:
        import matplotlib  # pylint: disable=import-outside-toplevel
    except ImportError:  # make bench installs it; a run by hand may go without the picture
        print('matplotlib is not installed: {0} is not drawn again'.format(os.path.join(output_dir, 'benchmark.png')))
        return

    matplotlib.use('Agg')
    from matplotlib import pyplot  # pylint: disable=import-outside-toplevel

    figure, axes = pyplot.subplots(figsize=(8, 5))
    labels = dict(VARIANTS)
    for scenario_name, scenario in results.items():
        if scenario_name == 'single':  # one point each, which the loops' lines start near
            continue
        for variant, by_size in scenario.items():
            sizes = sorted(int(size) for size in by_size)
            axes.plot(
                sizes,
                [by_size[str(size)]['seconds'] for size in sizes],
                marker='o',
                label=f'{labels[variant]} [{scenario_name}]',
                linestyle='--' if scenario_name == 'raised' else '-',
            )
    all_sizes = sorted({int(size) for scenario in results.values() for variant in scenario.values() for size in variant})
    axes.plot(all_sizes, [size / DINGTALK_LIMIT for size in all_sizes], color='grey', linestyle=':', label='floor N / 20 calls/s')
    axes.set_xscale('log')
    axes.set_yscale('log')
    axes.set_xlabel('conferences (N)')
    axes.set_ylabel('wall time (s), median')
    axes.set_title('Stopping N cloud recordings against the emulator')
    axes.grid(True, which='both', alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(os.path.join(output_dir, 'benchmark.png'), dpi=100)


def measure_scenario(emulator, options, scenario, variants, sizes, work_dir):
    """Every variant of ``scenario`` at every size, taking turns run by run; the summaries by variant and size."""
    results = {variant: {} for variant in variants}
    sizes = scenario.get('sizes', sizes)
    for size in sizes:
        # The variants take turns run by run, so that a change in the machine's load meets them alike.
        runs = {variant: [] for variant in variants}
        for turn in range(max(options.runs, options.loop_runs_largest)):
            for variant in variants:
                loop_at_largest = variant != 'module_batch' and size == max(sizes) and 'sizes' not in scenario
                if turn < (options.loop_runs_largest if loop_at_largest else options.runs):
                    runs[variant].append(measure(emulator, options.collections_path, scenario, variant, size, options.latency, work_dir))
        for variant in variants:
            summary = summarise(runs[variant], size)
            results[variant][str(size)] = summary
            print(
                '{0:8} {1:28} N={2:<4} {3:7.2f} s  tokens {4}  calls/conf {5:.2f}  throttled {6}  still recording {7}  busiest second {8}'.format(
                    scenario['name'],
                    dict(VARIANTS)[variant],
                    size,
                    summary['seconds'],
                    summary['token_requests'],
                    summary['api_calls_per_conference'],
                    summary['throttled'],
                    summary['still_recording'],
                    summary['busiest_second'],
                ),
                flush=True,
            )
    return results


def measure_busy(emulator, options, size, work_dir, with_sweep):
    """Batch mode at ``size`` and the sweep again, with one busy loop per core beside them."""
    default = SCENARIOS[0]
    with cpu_heavy_neighbour() as processes:
        print(f'with {processes} busy-loop processes sharing the machine:', flush=True)
        batch = measure_scenario(emulator, options, dict(default, name='busy'), ['module_batch'], [size], work_dir)['module_batch']
        busy = {'processes': processes, 'module_batch': batch}
        busy['sweep'] = measure_sweep(emulator, options.collections_path, options.latency, work_dir, options.sweep_conferences) if with_sweep else None
    if busy['sweep'] is not None:
        print_sweep(busy['sweep'], 'busy')
    return busy


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--collections-path', required=True, help='the directory holding ansible_collections/community/dingtalk')
    parser.add_argument('--sizes', default='10,100,500')
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--loop-runs-largest', type=int, default=1, help='runs of the loop variants (a) and (b) at the largest N, which take minutes each')
    parser.add_argument('--latency', type=float, default=0.02)
    parser.add_argument('--output', default=os.path.join(HERE, '..', '..', 'docs', 'benchmarks'))
    parser.add_argument('--only', help='comma-separated variants to run, for a quick look; no report is written')
    parser.add_argument(
        '--scenarios',
        default=','.join(ALL_SCENARIOS),
        help='comma-separated scenarios to run, of {0}; with fewer than all, no report is written'.format(', '.join(ALL_SCENARIOS)),
    )
    parser.add_argument('--sweep-conferences', type=int, default=SWEEP['conferences'], help='ongoing conferences of the sweep, every other one recording')
    parser.add_argument(
        '--busy', action='store_true', help='also measure batch mode (largest N) and the sweep again while one busy loop per core shares the machine'
    )
    parser.add_argument('--note', help='a remark for the report, such as what else ran on the machine')
    parser.add_argument('--from-results', help='only write the report again from this results.json')
    parser.add_argument(
        '--scenario',
        choices=('stop', 'archive', 'events'),
        default='stop',
        help='stop: the stop benchmark above (default); archive: archive_benchmark.py, on its own; events: events_benchmark.py',
    )
    options = parser.parse_args()
    if options.scenario == 'events':
        import events_benchmark  # pylint: disable=import-outside-toplevel  # beside this file

        sys.path.insert(0, options.collections_path)  # the source's code, from the stage
        events_benchmark.main(options.output, machine())
        return
    if options.scenario == 'archive':
        import archive_benchmark  # pylint: disable=import-outside-toplevel  # beside this file

        with start_in_thread(qps_limit=DINGTALK_LIMIT) as server:
            results = archive_benchmark.run(server, options.collections_path, options.runs, os.path.join(options.output, 'archive'), machine())
        for check in results['targets']:
            print('{0:4} {1}: {2}'.format('ok' if check['met'] else 'MISS', check['target'], check['measured']))
        return
    if options.from_results:
        with open(options.from_results, encoding='utf-8') as handle:
            saved = json.load(handle)
        saved['options']['note'] = options.note or saved['options'].get('note')
        sweep, busy = saved.get('sweep'), saved.get('busy')
        checks = targets(saved['results'], saved['options']['latency'], sweep, busy)
        write_report(options.output, saved['results'], checks, saved['options'], saved['machine'], sweep, busy)
        return
    sizes = [int(size) for size in options.sizes.split(',')]
    only = set(options.only.split(',')) if options.only else None
    scenarios = set(options.scenarios.split(','))
    unknown = scenarios - set(ALL_SCENARIOS)
    if unknown:
        parser.error('unknown scenarios: {0}'.format(', '.join(sorted(unknown))))

    results = {}
    sweep = busy = None
    with start_in_thread(qps_limit=DINGTALK_LIMIT) as server, tempfile.TemporaryDirectory() as work_dir:
        emulator = Emulator(server)
        for scenario in (scenario for scenario in SCENARIOS if scenario['name'] in scenarios):
            variants = [variant for variant in scenario['variants'] if only is None or variant in only]
            results[scenario['name']] = measure_scenario(emulator, options, scenario, variants, sizes, work_dir)
        if SWEEP['name'] in scenarios:
            sweep = measure_sweep(emulator, options.collections_path, options.latency, work_dir, options.sweep_conferences)
            print_sweep(sweep)
        if options.busy:
            busy = measure_busy(emulator, options, max(sizes), work_dir, SWEEP['name'] in scenarios)
    if only is not None or scenarios != set(ALL_SCENARIOS):
        partial_checks = sweep_targets(sweep) if sweep is not None else []
        if busy is not None:
            partial_checks += batch_targets(busy['module_batch'][str(max(sizes))], max(sizes), '(c) under CPU load')
            partial_checks += sweep_targets(busy['sweep'], 'sweep under CPU load') if busy['sweep'] is not None else []
        for name, measured, met in partial_checks:
            print(check_line(name, measured, met))
        return
    checks = targets(results, options.latency, sweep, busy)
    run_options = {'sizes': sizes, 'runs': options.runs, 'loop_runs_largest': options.loop_runs_largest, 'latency': options.latency}
    run_options.update(sweep_conferences=options.sweep_conferences, busy=options.busy, note=options.note)
    write_report(options.output, results, checks, run_options, machine(), sweep, busy)
    for name, measured, met in checks:
        print(check_line(name, measured, met))
    print('report: {0}'.format(os.path.join(os.path.abspath(options.output), 'README.md')))


if __name__ == '__main__':
    main()
