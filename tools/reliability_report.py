# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fault campaign, hostile input and secret scan of dingtalk_cloud_record against the emulator, written up as a report.

  python tools/reliability_report.py --output docs/reliability.md [--conferences 300] [--loop-conferences 30]

Starts its own DingTalk emulator and runs ansible-playbook -vvvv (the one next to this Python, else
the one on PATH) with the playbooks of tests/integration/targets/reliability_campaign:

1. batch: N conferences in one module run, while the emulator injects faults into about 20 % of
   the calls (500 systemError and innerSystemError, 429, 403 QPS limit, HTML error pages, dropped
   connections and answers slower than the timeout, some of them after the stop happened);
2. loop: a smaller set, one module run per conference (each run costs about half a second);
3. without retries: N more conferences with retries=0 under the same faults, where failures must be
   reported accurately, then 4. the same conferences again with retries, which must report them
   correctly;
5. hostile conference ids, union ids, answers and option values;
6. a scan of every log, result, temporary file and token cache file for the app secret and tokens.

After each run the module's results are compared with the emulator's truth (its conferences and
its request log). The report lists the figures and every problem found. The exit status is 1 if
any check failed. The collection comes from ANSIBLE_COLLECTIONS_PATH when it holds
community.dingtalk, else from the ansible_collections tree this file is in, else this git checkout
is staged to a temporary ansible_collections tree first.
"""

from __future__ import annotations

import argparse
import base64
import collections
import datetime
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from urllib.parse import quote, unquote

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYBOOKS = os.path.join(ROOT, 'tests', 'integration', 'targets', 'reliability_campaign')
EMULATOR = os.path.join(ROOT, 'tests', 'emulator', 'dingtalk_emulator.py')
SCANNER = os.path.join(ROOT, 'tests', 'integration', 'targets', 'setup_secret_scan', 'scan_secrets.py')
CONFERENCES = '/v1.0/conference/videoConferences/'

APP_KEY = 'ding-reliability-app'
APP_SECRET = 'reliability-app-secret-5d1f09'
HOST = 'host-union-reliability'
OTHER_HOST = 'host-union-somebody-else'

TIMEOUT = 1             # seconds, the module's timeout option
SLOW_ANSWER = 2.0       # seconds a slow answer takes: more than TIMEOUT
RETRIES = 8             # a call fails all 9 attempts with a chance of 0.2 ** 9, about 5e-7
RATE_LIMIT = 500        # calls a second per API: far above what the campaign needs, so it is not rate-bound
CONCURRENCY = 16
SEED = 20260401         # the emulator's fault generator
# Upper bounds of the time one ansible-playbook run and one module run take beyond their DingTalk calls.
PLAYBOOK_OVERHEAD = 60
MODULE_RUN_OVERHEAD = 5

# The faults, in the order the emulator tries them; a call gets at most one per phase. "after" runs
# the operation first: the stop happened, its answer is lost or late. Together about 20 % of calls.
FAULTS = (
    ('500 systemError', {'kind': 'error', 'status': 500, 'code': 'systemError', 'probability': 0.06}),
    ('500 innerSystemError', {'kind': 'error', 'status': 500, 'code': 'innerSystemError', 'probability': 0.03}),
    # Throttling answers hold every caller of the API back a second (see _rate_limit.py): rarer, or the run is all pauses.
    ('429 system.busy', {'kind': 'error', 'status': 429, 'code': 'system.busy', 'probability': 0.005}),
    ('403 QPS limit', {'kind': 'error', 'status': 403, 'code': 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', 'probability': 0.005}),
    ('502 HTML page', {'kind': 'html', 'status': 502, 'probability': 0.03}),
    ('dropped connection', {'kind': 'drop', 'probability': 0.02}),
    ('slow answer', {'kind': 'delay', 'delay': SLOW_ANSWER, 'probability': 0.015}),
    ('answer lost after the call', {'kind': 'drop', 'phase': 'after', 'probability': 0.025}),
    ('slow answer after the call', {'kind': 'delay', 'delay': SLOW_ANSWER, 'phase': 'after', 'probability': 0.015}),
    ('answer cut off after the call', {'kind': 'truncated', 'phase': 'after', 'probability': 0.01}),
)

# Kinds of conference, by position in each group of 20, and what stopping must end in:
# (outcome, changed, cloud_record_status afterwards).
KIND_PATTERN = ('recording',) * 16 + ('paused', 'idle', 'finished', 'ended or foreign')
SEEDS = {
    'recording': {'status': 2, 'cloud_record_status': 1},
    'paused': {'status': 2, 'cloud_record_status': 2},
    'idle': {'status': 2, 'cloud_record_status': 0},
    'finished': {'status': 2, 'cloud_record_status': 3},
    'ended': {'status': 1, 'cloud_record_status': 3},
    'foreign': {'status': 2, 'cloud_record_status': 1, 'host_union_id': OTHER_HOST},
}
EXPECTED = {
    'recording': ('stopped', True, 3),
    'paused': ('stopped', True, 3),
    'idle': ('not_recording', False, 0),
    'finished': ('not_recording', False, 3),
    'ended': ('meeting_ended', False, 3),
    'foreign': ('failed', False, 1),
}
FOREIGN_CODE = 'recordStopPermissionError'
MAYBE_DONE = 'may have carried it out anyway'

HOSTILE_IDS = (
    '..', '.', '/', '?', '#', '%', '%2F', '%%', 'a/../../oauth2/accessToken', '../../_emulator/reset', 'id?unionId=evil#frag',
    'tab\tid', 'line\r\nX-Injected: 1', '会议/ü', '\U0001f3a5 meeting', ' leading and trailing ', 'semi;colon=1', 'back\\slash',
    'quote\'"', '<script>alert(1)</script>', '+plus+&amp;', '$(reboot)', 'x' * 10240,
)
HOSTILE_UNION_IDS = ('host\r\nX-Injected: 1', 'host\nx-acs-dingtalk-access-token: stolen', '"}, "unionId": "other', 'ü host \U0001f3a5')


class Emulator:
    """The emulator as a child process, and its admin API."""

    def __init__(self, work_dir):
        port_file = os.path.join(work_dir, 'emulator.port')
        self.log = open(os.path.join(work_dir, 'emulator.log'), 'wb')  # pylint: disable=consider-using-with
        self.process = subprocess.Popen([sys.executable, EMULATOR, '--port', '0', '--port-file', port_file, '--qps-limit', '0'],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not os.path.exists(port_file):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit('the DingTalk emulator did not start; see {0}'.format(self.log.name))
            time.sleep(0.05)
        with open(port_file, encoding='utf-8') as handle:
            self.url = 'http://127.0.0.1:{0}'.format(int(handle.read()))

    def admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode('utf-8')
        request = urllib.request.Request(self.url + '/_emulator/' + path, data=data, method=method,
                                         headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)

    def settle(self):
        """Wait until no API request is being answered: a slow answer finishes after the client gave up on it."""
        deadline = time.monotonic() + SLOW_ANSWER + 10
        while self.admin('GET', 'stats')['in_flight'] and time.monotonic() < deadline:
            time.sleep(0.1)

    def start_phase(self, faults):
        """Forget earlier faults and calls; inject ``faults`` (reproducibly: the generator is seeded again)."""
        self.admin('DELETE', 'faults')
        self.admin('DELETE', 'requests')
        self.admin('PUT', 'config', {'seed': SEED})
        if faults:
            self.admin('POST', 'faults', {'rules': faults})

    def truth(self):
        return dict((conference['conference_id'], conference) for conference in self.admin('GET', 'conferences')['conferences'])

    def calls(self):
        return self.admin('GET', 'requests')['requests']

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


class Campaign:
    """Runs the phases against one emulator, in one work directory, and collects figures and problems."""

    def __init__(self, emulator, work_dir, ansible_playbook, collections_path, constants):
        self.emulator = emulator
        self.scanned = os.path.join(work_dir, 'scanned')  # everything under it is searched for secrets
        self.private = os.path.join(work_dir, 'private')
        for directory in (self.scanned, self.private):
            os.makedirs(directory, mode=0o700)
        self.ansible_playbook = ansible_playbook
        self.constants = constants
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
                        ANSIBLE_LOCAL_TEMP=os.path.join(self.scanned, 'ansible-local-tmp'),
                        ANSIBLE_REMOTE_TEMP=os.path.join(self.scanned, 'ansible-remote-tmp'),
                        DINGTALK_TOKEN_CACHE_DIR=os.path.join(self.scanned, 'token-cache'))
        for name in ('DINGTALK_APP_KEY', 'DINGTALK_APP_SECRET', 'DINGTALK_ACCESS_TOKEN', 'DINGTALK_API_URL', 'DINGTALK_CA_PATH'):
            self.env.pop(name, None)
        self.phases = []
        self.problems = []
        self.hostile = []
        self.hostile_elapsed = 0.0
        self.stopped_anyway = collections.Counter()  # per run: failures whose stop happened before its answer was lost

    # Running playbooks -----------------------------------------------------------

    def playbook(self, name, playbook, variables, credentials):
        """Run a playbook at -vvvv with ``variables`` as ``campaign``; return (its saved result, seconds it took)."""
        result_file = os.path.join(self.scanned, name + '.result.json')
        variables = dict(variables, api_url=self.emulator.url, result_file=result_file)
        vars_file = os.path.join(self.scanned, name + '.vars.json')
        with open(vars_file, 'w', encoding='utf-8') as handle:
            json.dump({'campaign': variables}, handle)
        log = os.path.join(self.scanned, name + '.log')
        started = time.monotonic()
        with open(log, 'wb') as output:
            run = subprocess.run([self.ansible_playbook, '-vvvv', '-i', os.path.join(PLAYBOOKS, 'inventory.yml'), '-e', '@' + vars_file,
                                  os.path.join(PLAYBOOKS, playbook)], stdout=output, stderr=subprocess.STDOUT,
                                 env=dict(self.env, **credentials), check=False)
        elapsed = time.monotonic() - started
        print('{0}: ansible-playbook {1} took {2:.1f} s'.format(name, playbook, elapsed), flush=True)
        self.emulator.settle()
        if run.returncode != 0:
            with open(log, encoding='utf-8', errors='replace') as handle:
                tail = handle.read()[-6000:]
            raise SystemExit('{0} ({1}) failed with exit status {2}; the end of its log:\n{3}'.format(name, playbook, run.returncode, tail))
        with open(result_file, encoding='utf-8') as handle:
            return json.load(handle), elapsed

    def app_credentials(self):
        return {'DINGTALK_APP_KEY': APP_KEY, 'DINGTALK_APP_SECRET': APP_SECRET}

    # The fault campaign ------------------------------------------------------------

    def seed(self, prefix, count):
        """Create ``count`` conferences named prefix-0001...; return {id: kind}."""
        kinds = {}
        conferences = []
        for index in range(count):
            kind = KIND_PATTERN[index % len(KIND_PATTERN)]
            if kind == 'ended or foreign':
                kind = 'ended' if (index // len(KIND_PATTERN)) % 2 == 0 else 'foreign'
            conference_id = '{0}-{1:04d}'.format(prefix, index + 1)
            kinds[conference_id] = kind
            conferences.append(dict({'conference_id': conference_id, 'host_union_id': HOST}, **SEEDS[kind]))
        self.emulator.admin('POST', 'seed', {'conferences': conferences})
        return kinds

    def fault_campaign(self, conferences, loop_conferences):
        faults = [dict(rule, api='*') for _name, rule in FAULTS]
        self.emulator.admin('POST', 'apps', {'app_key': APP_KEY, 'app_secret': APP_SECRET})

        kinds = self.seed('batch', conferences)
        truth_before = self.emulator.truth()
        self.emulator.start_phase(faults)
        results, elapsed = self.playbook('batch', 'batch.yml', self.stop_vars(kinds, RETRIES), self.app_credentials())
        self.record_phase('batch', 'batch mode, retries {0}'.format(RETRIES), kinds, results['results'], elapsed, RETRIES,
                          truth_before, mode='batch')

        kinds = self.seed('loop', loop_conferences)
        truth_before = self.emulator.truth()
        self.emulator.start_phase(faults)
        results, elapsed = self.playbook('loop', 'loop.yml', self.stop_vars(kinds, RETRIES), self.app_credentials())
        self.record_phase('loop', 'loop mode (one module run per conference), retries {0}'.format(RETRIES), kinds, results, elapsed,
                          RETRIES, truth_before, mode='loop')

        kinds = self.seed('noretry', conferences)
        truth_before = self.emulator.truth()
        self.emulator.start_phase(faults)
        results, elapsed = self.playbook('no_retries', 'batch.yml', self.stop_vars(kinds, 0), self.app_credentials())
        first = self.record_phase('no_retries', 'batch mode, retries 0', kinds, results['results'], elapsed, 0, truth_before, mode='batch')

        truth_between = self.emulator.truth()
        self.emulator.start_phase(faults)
        results, elapsed = self.playbook('rerun', 'batch.yml', self.stop_vars(kinds, RETRIES), self.app_credentials())
        second = self.record_phase('rerun', 'the same conferences again, batch mode, retries {0}'.format(RETRIES), kinds, results['results'],
                                   elapsed, RETRIES, truth_between, mode='batch')
        truth = self.emulator.truth()
        for conference_id, kind in kinds.items():
            claims = [result.get('changed') for result in (first.get(conference_id, {}), second.get(conference_id, {}))].count(True)
            if claims > 1:
                self.problem('no_retries + rerun', conference_id, 'the stop was reported twice')
            if kind in ('recording', 'paused') and truth[conference_id]['cloud_record_status'] != 3:
                self.problem('no_retries + rerun', conference_id, 'still recording after the re-run')

    def stop_vars(self, kinds, retries):
        return {'conference_ids': list(kinds), 'union_id': HOST, 'timeout': TIMEOUT, 'retries': retries,
                'rate_limit': RATE_LIMIT, 'concurrency': CONCURRENCY}

    def record_phase(self, name, description, kinds, results, elapsed, retries, truth_before, mode):
        """Check one run against the emulator's truth; keep its figures; return {conference id: result}."""
        truth = self.emulator.truth()
        calls = self.emulator.calls()
        by_id = collections.defaultdict(list)
        for result in results:
            by_id[result.get('conference_id') or result.get('item')].append(result)
        for conference_id in set(by_id) - set(kinds):
            self.problem(name, conference_id, 'reported, but not in the list')
        reported = {}
        for conference_id, kind in kinds.items():
            if len(by_id[conference_id]) != 1:
                self.problem(name, conference_id, 'reported {0} times'.format(len(by_id[conference_id])))
                continue
            result = reported[conference_id] = by_id[conference_id][0]
            expected = EXPECTED[kind]
            if kind in ('recording', 'paused') and truth_before[conference_id]['cloud_record_status'] == 3:
                expected = ('not_recording', False, 3)  # stopped by an earlier run
            if result.get('failed') and retries == 0:
                self.check_failure(name, conference_id, result, truth, truth_before, calls)
            else:
                self.check_outcome(name, conference_id, kind, result, expected, truth)
        figures = self.figures(name, description, kinds, reported, calls, elapsed, retries, mode)
        if elapsed > figures['bound']:
            self.problem(name, 'time', 'took {0:.0f} s, more than its bound of {1:.0f} s'.format(elapsed, figures['bound']))
        self.phases.append(figures)
        return reported

    def check_outcome(self, name, conference_id, kind, result, expected, truth):
        outcome, changed, record_status = expected
        got = (result.get('outcome'), bool(result.get('changed')), truth[conference_id]['cloud_record_status'])
        if got != expected:
            self.problem(name, conference_id, 'a {0} conference: expected outcome {1}, changed {2}, status {3} afterwards; got {4}, {5}, {6}'
                         ' ({7})'.format(kind, outcome, changed, record_status, got[0], got[1], got[2], result.get('msg', 'no message')))
        if kind == 'foreign' and result.get('error_code') != FOREIGN_CODE:
            self.problem(name, conference_id, 'a conference of another host failed with {0}, not {1}'.format(result.get('error_code'), FOREIGN_CODE))

    def check_failure(self, name, conference_id, result, truth, truth_before, calls):
        """A conference reported failed: it claims no change, names the fault of its last call, and says when the stop may have happened."""
        if result.get('changed'):
            self.problem(name, conference_id, 'failed, yet reported changed')
        # The failing call is the last to arrive (the log is in the order the answers ended).
        last = max((call for call in calls if conference_of(call) == conference_id), key=lambda call: call['time'], default=None)
        if not names_cause(result, last):
            self.problem(name, conference_id, 'the failure "{0}" does not name the cause: {1}'.format(
                result.get('msg'), describe_call(last)))
        stopped_anyway = truth_before[conference_id]['cloud_record_status'] in (1, 2) and truth[conference_id]['cloud_record_status'] == 3
        if stopped_anyway:
            self.stopped_anyway[name] += 1
            if MAYBE_DONE not in result.get('msg', ''):
                self.problem(name, conference_id, 'reported failed although the stop happened, without saying it may have')

    def figures(self, name, description, kinds, reported, calls, elapsed, retries, mode):
        faults = collections.Counter(fault_name(call) for call in calls if call['fault'])
        by_call = collections.defaultdict(list)
        for call in calls:
            by_call[(conference_of(call), call['api'])].append(call)
        # A recovery: a call that met a fault and was then answered without one (by a retry).
        recoveries = sum(1 for attempts in by_call.values() if any(call['fault'] for call in attempts)
                         and any(not call['fault'] and call['status'] is not None for call in attempts))
        throttled = sum(1 for call in calls if call['status'] == 429 or call['code'] in self.constants['PER_SECOND_THROTTLING_CODES'])
        return {
            'name': name, 'description': description, 'conferences': len(kinds), 'calls': len(calls), 'faults': sum(faults.values()),
            'faults_by_kind': dict(faults), 'recoveries': recoveries, 'elapsed': elapsed,
            'bound': self.time_bound(len(kinds), retries, mode, throttled),
            'outcomes': dict(collections.Counter(result.get('outcome') for result in reported.values())),
            'changed': sum(1 for result in reported.values() if result.get('changed')),
            'failed': sum(1 for result in reported.values() if result.get('failed')),
            'problems': sum(1 for problem in self.problems if problem[0] == name),
        }

    def time_bound(self, conferences, retries, mode, throttled):
        """The longest the run may take: every call uses all its attempts, each as slow as the timeout allows, and every back-off."""
        # An attempt waits up to `timeout` for the connection, again for the answer to begin, and again for the rest of it.
        per_call = (retries + 1) * 3 * TIMEOUT + retries * self.constants['MAX_BACKOFF_SECONDS']
        calls = 2  # the query and the stop; the token comes from the cache, or once per run
        if mode == 'loop':
            return PLAYBOOK_OVERHEAD + conferences * (MODULE_RUN_OVERHEAD + calls * per_call) + per_call
        rounds = math.ceil(conferences / CONCURRENCY)
        pauses = throttled * self.constants['THROTTLE_PAUSE_SECONDS']  # every throttling answer holds the API back this long
        return PLAYBOOK_OVERHEAD + per_call + rounds * calls * per_call + pauses + conferences * calls / RATE_LIMIT

    # Hostile input -----------------------------------------------------------------

    def hostile_input(self):
        token = self.emulator.admin('POST', 'tokens', {'app_key': APP_KEY})['access_token']
        self.hostile_requests()
        self.hostile_options(token)

    def hostile_requests(self):
        answers = hostile_answers()
        conferences = [{'conference_id': conference_id, 'host_union_id': HOST, 'cloud_record_status': 1} for conference_id in HOSTILE_IDS]
        conferences += [{'conference_id': 'union-{0}'.format(index), 'host_union_id': union_id, 'cloud_record_status': 1}
                        for index, union_id in enumerate(HOSTILE_UNION_IDS)]
        conferences += [{'conference_id': answer['conference_id'], 'host_union_id': HOST, 'cloud_record_status': 1} for answer in answers]
        self.emulator.admin('POST', 'seed', {'conferences': conferences})
        self.emulator.start_phase([answer['rule'] for answer in answers])
        variables = {'union_id': HOST, 'timeout': TIMEOUT, 'hostile_ids': list(HOSTILE_IDS),
                     'hostile_union_ids': [{'conference_id': 'union-{0}'.format(index), 'union_id': union_id}
                                           for index, union_id in enumerate(HOSTILE_UNION_IDS)],
                     'answer_conference_ids': [answer['conference_id'] for answer in answers]}
        results, elapsed = self.playbook('hostile_requests', 'hostile_requests.yml', variables, self.app_credentials())
        self.hostile_elapsed += elapsed
        truth = self.emulator.truth()
        calls = self.emulator.calls()

        intended = {}
        for conference_id in HOSTILE_IDS + tuple('union-{0}'.format(index) for index in range(len(HOSTILE_UNION_IDS))) + tuple(
                answer['conference_id'] for answer in answers):
            segment = quote(conference_id, safe='') if conference_id not in ('.', '..') else conference_id.replace('.', '%2E')
            intended[CONFERENCES + segment] = conference_id
            intended[CONFERENCES + segment + '/cloudRecords/stop'] = conference_id
        strays = [call['path'][:80] for call in calls if call['path'] not in intended]
        if strays:
            self.problem('hostile', 'paths', 'calls to unintended paths: {0}'.format(strays))

        by_id = dict((result['conference_id'], result) for result in results['ids']['results'])
        for conference_id in HOSTILE_IDS:
            result = by_id.get(conference_id, {})
            paths = sorted(call['path'] for call in calls if call['path'] in intended and intended[call['path']] == conference_id)
            ok = (result.get('outcome'), result.get('changed'), truth[conference_id]['cloud_record_status']) == ('stopped', True, 3)
            ok = ok and len(paths) == 2 and all(unquote(path.split('/')[4]) == conference_id for path in paths)
            self.hostile_case('conference id', printable(conference_id), 'stopped; the query and the stop went to its own encoded path',
                              ok, result.get('msg'))

        for index, (union_id, result) in enumerate(zip(HOSTILE_UNION_IDS, results['union_ids'])):
            stops = [call for call in calls if call['api'] == 'cloudRecord.stop' and conference_of(call) == 'union-{0}'.format(index)]
            ok = result.get('outcome') == 'stopped' and len(stops) == 1 and stops[0]['body'] == {'unionId': union_id}
            ok = ok and not any(name in stops[0]['headers'] for name in ('x-injected',)) and stops[0]['headers'].get(
                'x-acs-dingtalk-access-token', '').startswith('emu')
            self.hostile_case('union id', printable(union_id), 'stopped; sent only in the JSON body, no header injected', ok,
                              result.get('msg'))

        by_id = dict((result['conference_id'], result) for result in results['answers']['results'])
        for answer in answers:
            result = by_id.get(answer['conference_id'], {})
            stop_called = any(call['api'] == 'cloudRecord.stop' and conference_of(call) == answer['conference_id'] for call in calls)
            stopped = truth[answer['conference_id']]['cloud_record_status'] == 3
            ok = stop_called == answer['stop_called']
            if answer['expect'] == 'stopped':
                ok = ok and result.get('outcome') == 'stopped' and result.get('changed') and stopped
                expectation = 'handled: stopped'
            else:
                msg = result.get('msg', '')
                ok = ok and result.get('failed') and not result.get('changed') and answer['expect'] in msg and len(msg) < 1500
                ok = ok and stopped == answer['stopped_anyway'] and (MAYBE_DONE in msg) == answer['stopped_anyway']
                expectation = 'fails: "{0}"{1}'.format(answer['expect'], '; the stop happened, and the message says it may have'
                                                       if answer['stopped_anyway'] else '; nothing was stopped')
            self.hostile_case('answer', answer['name'], expectation, ok, result.get('msg'))

    def hostile_options(self, token):
        options = hostile_options(self.emulator.url, self.scanned)
        self.emulator.start_phase([])
        results, elapsed = self.playbook('hostile_options', 'hostile_options.yml', {'union_id': HOST, 'timeout': TIMEOUT,
                                                                                    'hostile_options': options},
                                         {'DINGTALK_ACCESS_TOKEN': token})
        self.hostile_elapsed += elapsed
        calls = self.emulator.calls()
        for option, result in zip(options, results):
            ok = result.get('failed') and option['expected'] in result.get('msg', '') and 'Traceback' not in json.dumps(result)
            self.hostile_case('option', option['label'], 'fails before any call: "{0}"'.format(option['expected']), ok, result.get('msg'))
        if calls:
            self.problem('hostile', 'options', '{0} calls reached the API'.format(len(calls)))

    def hostile_case(self, kind, value, expectation, ok, message):
        self.hostile.append({'kind': kind, 'value': value, 'expectation': expectation, 'ok': bool(ok)})
        if not ok:
            self.problem('hostile', '{0} {1}'.format(kind, value), 'expected {0}; got: {1}'.format(expectation, message))

    # Secrets ---------------------------------------------------------------------

    def secret_scan(self):
        secrets_file = os.path.join(self.private, 'secrets.yml')
        with open(secrets_file, 'w', encoding='utf-8') as handle:
            json.dump({'app_secret': APP_SECRET}, handle)  # JSON is YAML
        summary_file = os.path.join(self.private, 'scan.json')
        run = subprocess.run([sys.executable, SCANNER, '--label', 'reliability campaign', '--secrets-file', secrets_file,
                              '--emulator', self.emulator.url, '--token-cache', self.env['DINGTALK_TOKEN_CACHE_DIR'],
                              '--summary', summary_file, self.scanned], stdout=subprocess.PIPE, check=False)
        output = run.stdout.decode('utf-8', errors='replace')
        with open(summary_file, encoding='utf-8') as handle:
            summary = json.load(handle)
        if run.returncode != 0:
            self.problem('secrets', 'scan', output.strip())
        # The scanner must see a leak when there is one.
        canary_dir = os.path.join(self.private, 'canary')
        os.makedirs(canary_dir)
        with open(os.path.join(canary_dir, 'leak.log'), 'w', encoding='utf-8') as handle:
            handle.write('a task printed {0} here\n'.format(APP_SECRET))
        canary = subprocess.run([sys.executable, SCANNER, '--label', 'canary', '--secrets-file', secrets_file, canary_dir],
                                stdout=subprocess.PIPE, check=False)
        summary['canary_found'] = canary.returncode == 1 and b'LEAK: ' in canary.stdout
        if not summary['canary_found']:
            self.problem('secrets', 'canary', 'the scanner missed a planted secret')
        return summary

    def problem(self, phase, subject, text):
        self.problems.append((phase, subject, text))


def hostile_answers():
    """Conferences answer-01...: each gets one hostile answer to its query or its stop (the emulator's raw fault)."""
    # (name, the call answered, the raw fault, what the result must say: "stopped" or a part of the failure message,
    #  whether a failed stop happened all the same: its answer was replaced after it)
    cases = (
        ('cloudRecordStatus "1" (a number sent as a string)', 'conference.get', {'body': '{"confInfo": {"status": 2, "cloudRecordStatus": "1"}}'},
         'stopped', False),
        ('cloudRecordStatus null', 'conference.get', {'body': '{"confInfo": {"status": 2, "cloudRecordStatus": null}}'},
         'confInfo.cloudRecordStatus = None', False),
        ('cloudRecordStatus "²" (a digit Python cannot int())', 'conference.get',
         {'body': '{"confInfo": {"status": 2, "cloudRecordStatus": "\\u00b2"}}'}, 'confInfo.cloudRecordStatus', False),
        ('status true', 'conference.get', {'body': '{"confInfo": {"status": true, "cloudRecordStatus": 1}}'}, 'confInfo.status = True', False),
        ('cloudRecordStatus 10**30', 'conference.get', {'body': '{"confInfo": {"status": 2, "cloudRecordStatus": 1' + '0' * 30 + '}}'},
         'confInfo.cloudRecordStatus', False),
        ('no confInfo', 'conference.get', {'body': '{"requestId": "x"}'}, 'without a confInfo object', False),
        ('confInfo is a list', 'conference.get', {'body': '{"confInfo": [2, 1]}'}, 'without a confInfo object', False),
        ('a JSON array', 'conference.get', {'body': '[]'}, 'HTTP 200 with a body that is not a JSON object', False),
        ('truncated body', 'conference.get', {'kind': 'truncated', 'body': '{"confInfo": {"status": 2, "cloudRecordStatus": 1}}'},
         'was cut off', False),
        ('50 MB body', 'conference.get', {'body': 'x' * 1024, 'repeat': 50 * 1024}, 'larger than 4 MiB', False),
        ('50 MB body without a length', 'conference.get', {'body': 'x' * 1024, 'repeat': 50 * 1024, 'headers': {'Content-Length': None}},
         'larger than 4 MiB', False),
        ('non-UTF-8 body', 'conference.get', {'body_base64': base64.b64encode(b'{"confInfo": "\xff\xfe"}').decode('ascii')},
         'HTTP 200 with a body that is not a JSON object', False),
        ('JSON nested 100000 deep', 'conference.get', {'body': '[' * 100000}, 'HTTP 200 with a body that is not a JSON object', False),
        ('an HTML page with HTTP 200', 'conference.get', {'body': '<html><body>maintenance</body></html>', 'content_type': 'text/html'},
         'not a JSON object (text/html)', False),
        ('a JSON answer labelled text/plain', 'conference.get',
         {'body': '{"confInfo": {"status": 2, "cloudRecordStatus": 1}}', 'content_type': 'text/plain'}, 'stopped', False),
        ('an error with a 10 kB message', 'conference.get', {'status': 500, 'body': json.dumps({'code': 'systemError', 'message': 'm' * 10240})},
         'DingTalk error systemError: mmm', False),
        ('a redirect to another host', 'conference.get', {'status': 307, 'body': '{}', 'headers': {'Location': 'http://127.0.0.1:9/steal'}},
         'a redirect, which is not followed', False),
        ('the stop answered 302 {"code": "200"}', 'cloudRecord.stop', {'status': 302, 'body': '{"code": "200"}'},
         'a redirect, which is not followed', False),
        ('the stop answered HTTP 200 with HTML, after stopping', 'cloudRecord.stop',
         {'body': '<html>ok</html>', 'content_type': 'text/html', 'phase': 'after'}, 'not a JSON object', True),
        ('the stop answered with a 50 MB body, after stopping', 'cloudRecord.stop',
         {'body': 'x' * 1024, 'repeat': 50 * 1024, 'phase': 'after'}, 'larger than 4 MiB', True),
    )
    answers = []
    for index, (name, api, rule, expect, stopped_anyway) in enumerate(cases):
        conference_id = 'answer-{0:02d}'.format(index + 1)
        rule = dict({'kind': 'raw', 'api': api, 'path_regex': '^' + re.escape(CONFERENCES + conference_id) + '(/|$)'}, **rule)
        answers.append({'name': name, 'conference_id': conference_id, 'rule': rule, 'expect': expect, 'stopped_anyway': stopped_anyway,
                        'stop_called': expect == 'stopped' or api == 'cloudRecord.stop'})
    return answers


def hostile_options(api_url, scanned):
    host_port = api_url.split('://', 1)[1]
    cases = (
        ({'api_url': 'http://user:password@' + host_port}, 'api_url must not contain credentials'),
        ({'api_url': api_url + '/v1.0/oauth2/accessToken'}, 'api_url must be scheme://host[:port] only'),
        ({'api_url': api_url + '?redirect=evil'}, 'api_url must be scheme://host[:port] only'),
        ({'api_url': 'ftp://' + host_port}, 'api_url must be an http:// or https:// URL'),
        ({'api_url': 'javascript:alert(1)'}, 'api_url must be an http:// or https:// URL'),
        ({'api_url': 'file:///etc/passwd'}, 'api_url must be an http:// or https:// URL'),
        ({'api_url': 'http://[::1'}, 'api_url is not a valid URL'),
        ({'api_url': api_url + '\r\nX-Injected: 1'}, 'api_url must not contain white space or control characters'),
        ({'api_url': 'http://\u0080'}, 'api_url has an invalid host name'),
        ({'access_token': 'token\r\nX-Injected: 1'}, 'access_token must be a non-empty string of visible ASCII characters'),
        ({'access_token': 'tök'}, 'access_token must be a non-empty string of visible ASCII characters'),
        ({'conference_id': '   '}, 'conference_id must not be empty or only white space'),
        ({'conference_ids': ['conf-a', '\t']}, 'conference_ids[1] must not be empty or only white space'),
        ({'union_id': ' '}, 'union_id must not be empty or only white space'),
        ({'timeout': 0}, 'timeout must be greater than 0'),
        ({'retries': 11}, 'retries must be between 0 and 10'),
        ({'ca_path': os.path.join(scanned, 'no-such-ca.pem')}, 'does not exist or cannot be read'),
        ({'conference_ids': ['conf-a'], 'rate_limit': -1}, 'rate_limit must be greater than 0'),
        ({'conference_ids': ['conf-a'], 'concurrency': 1000}, 'concurrency must be between 1 and 64'),
    )
    options = []
    for values, expected in cases:
        option = dict(values, expected=expected, label=printable(', '.join('{0}={1}'.format(name, value) for name, value in values.items())))
        if 'conference_ids' not in option:
            option.setdefault('conference_id', 'conf-a')
        options.append(option)
    return options


def conference_of(call):
    """The conference id a logged call was for, decoded from its path; None for other calls."""
    if not call['path'].startswith(CONFERENCES):
        return None
    return unquote(call['path'][len(CONFERENCES):].split('/')[0])


def fault_name(call):
    for name, rule in FAULTS:
        if (rule['kind'], rule.get('phase', 'before')) == (call['fault'], call['fault_phase']) and rule.get('code') in (None, call['code']):
            return name
    return call['fault']


def names_cause(result, call):
    """Whether a failure message names what the emulator did to the failing call."""
    msg = result.get('msg', '')
    if call is None:
        return False
    if call['duration'] >= TIMEOUT and 'within {0} seconds'.format(TIMEOUT) in msg:
        return True  # the emulator took longer than the timeout (a slow answer, or a busy machine): the client timed out first
    fault = call['fault']
    if fault == 'error' or (fault is None and call['status'] and call['status'] >= 400):
        return result.get('error_code') == call['code'] and result.get('http_status') == call['status']
    if fault == 'html':
        return result.get('http_status') == call['status'] and 'not a JSON object' in msg
    if fault == 'drop':
        return 'was dropped before the answer' in msg
    if fault == 'truncated':
        return 'was cut off' in msg
    return False


def describe_call(call):
    if call is None:
        return 'no call was logged for it'
    return 'its last call, {0} {1}, got fault {2}, status {3}, code {4}'.format(call['method'], call['api'], call['fault'], call['status'], call['code'])


def markdown_code(value):
    """``value`` for a Markdown table cell in backquotes."""
    return value.replace('|', '\\|').replace('`', "'")


def printable(value):
    """A value for the report: control characters escaped, long ones shortened."""
    text = value if value.isprintable() else value.encode('unicode_escape').decode('ascii')
    return text if len(text) <= 60 else '{0}... ({1} characters)'.format(text[:40], len(value))


# The report ------------------------------------------------------------------------

def write_report(path, campaign, scan, started, versions):
    phases = campaign.phases
    total = dict((key, sum(phase[key] for phase in phases)) for key in ('conferences', 'calls', 'faults', 'recoveries', 'elapsed', 'bound'))
    faults_by_kind = collections.Counter()
    for phase in phases:
        faults_by_kind.update(phase['faults_by_kind'])
    hostile_ok = sum(1 for case in campaign.hostile if case['ok'])
    lines = [
        '# Reliability report',
        '',
        '<!-- Generated by tools/reliability_report.py; the reliability_campaign integration target regenerates it in `make test`. -->',
        '',
        'What `dingtalk_cloud_record` does under faults, load and hostile input, measured against the DingTalk emulator',
        '(`tests/emulator`), whose record of every conference and every call is the truth the module\'s reports are checked',
        'against. Generated on {0} with {1}.'.format(started, versions),
        '',
        '| | |',
        '|---|---|',
        '| checks failed | **{0}** |'.format(len(campaign.problems)),
        '| conferences handled under faults | {0}, in {1} runs |'.format(total['conferences'], len(phases)),
        '| calls made | {0} |'.format(total['calls']),
        '| faults injected | {0} ({1:.1f} % of calls) |'.format(total['faults'], 100.0 * total['faults'] / max(1, total['calls'])),
        '| recoveries | {0} calls answered correctly after a fault |'.format(total['recoveries']),
        '| false reports | {0} (a recording reported stopped that runs, a stop reported twice, a failure without its cause) |'.format(
            sum(phase['problems'] for phase in phases)),
        '| hostile inputs tried | {0}, {1} handled as expected |'.format(len(campaign.hostile), hostile_ok),
        '| secrets and tokens leaked | **{0}** in {1} files ({2} bytes) |'.format(scan['leaks'], scan['files'], scan['bytes']),
        '| time | {0:.0f} s for the fault campaign, whose bound is {1:.0f} s; {2:.0f} s for the hostile input |'.format(
            total['elapsed'], total['bound'], campaign.hostile_elapsed),
        '',
        '## Fault campaign',
        '',
        'The module runs with `timeout: {0}`, `rate_limit: {1}`, `concurrency: {2}` and the app credentials in'.format(TIMEOUT, RATE_LIMIT, CONCURRENCY),
        '`DINGTALK_APP_KEY`/`DINGTALK_APP_SECRET`. The emulator injects these faults into every kind of call (seed {0}):'.format(SEED),
        '',
        '| fault | chance per call | injected |',
        '|---|---|---|',
    ]
    lines += ['| {0} | {1:.1f} % | {2} |'.format(name, 100 * rule['probability'], faults_by_kind.get(name, 0)) for name, rule in FAULTS]
    lines += [
        '',
        'A slow answer takes {0} s; "after the call" means the emulator carried the call out and then lost or delayed'.format(SLOW_ANSWER),
        'its answer. Four of every 20 conferences are not plainly recording: one paused, one idle, one finished, and one',
        'alternately in a meeting that has ended or hosted by somebody else, which must fail with `{0}`: those are'.format(FOREIGN_CODE),
        'the failures of the runs with retries.',
        '',
        '| run | conferences | calls | faults | recoveries | outcomes | changed | failed | problems | time | bound |',
        '|---|---|---|---|---|---|---|---|---|---|---|',
    ]
    for phase in phases:
        outcomes = ', '.join('{0} {1}'.format(count, outcome) for outcome, count in sorted(phase['outcomes'].items()))
        lines.append('| {description} | {conferences} | {calls} | {faults} | {recoveries} | {0} | {changed} | {failed} | {problems} | '
                     '{elapsed:.1f} s | {bound:.0f} s |'.format(outcomes, **phase))
    lines += [
        '',
        'Checked after each run, for every conference: it is reported once; the outcome, `changed` and the emulator\'s recording',
        'state afterwards agree (a recording that could be stopped is stopped, with `changed: true`; the others are unchanged).',
        'Without retries a conference may fail, but then it claims no change, its message names the fault of its failing',
        'call (the DingTalk code and HTTP status, the HTML page\'s status, the dropped connection, the timeout or the',
        'cut-off answer), and if the stop did happen before its answer was lost the message says that it may have (this',
        'time {0} of the failures). The re-run then reports each of those correctly, and no conference is reported stopped by'.format(
            sum(campaign.stopped_anyway.values())),
        'both runs.',
        '',
        'Loop mode costs a whole module run per conference (about a second at `-vvvv`), so it runs on a smaller set of',
        '{0} conferences; batch mode takes all of them. The bound of each run assumes every call uses all its attempts,'.format(
            sum(phase['conferences'] for phase in phases if phase['name'] == 'loop')),
        'each attempt waits `timeout` for the connection, for the answer to begin and for the rest of it, every back-off is',
        'the longest (`retries` x {0} s), every throttling answer holds the API back {1} s, plus {2} s per playbook and'.format(
            campaign.constants['MAX_BACKOFF_SECONDS'], campaign.constants['THROTTLE_PAUSE_SECONDS'], PLAYBOOK_OVERHEAD),
        '{0} s per module run: a limit that a hung retry loop would break, not a timing goal.'.format(MODULE_RUN_OVERHEAD),
        '',
        '## Hostile input',
        '',
        'Sent through the module (`ansible-playbook`, `retries: 0`). Ids must reach exactly their own path, encoded as one',
        'segment; answers are played back by the emulator\'s `raw` fault; options must fail before any call. The unit tests',
        '(`tests/unit/plugins/module_utils/test_hostile_input.py`) add property-based runs with hypothesis: 100 generated',
        'ids, answers, error answers, token answers and `api_url` values each, every run.',
        '',
        '| input | value | expected | as expected |',
        '|---|---|---|---|',
    ]
    lines += ['| {kind} | `{0}` | {expectation} | {1} |'.format(markdown_code(case['value']), 'yes' if case['ok'] else '**no**', **case)
              for case in campaign.hostile]
    lines += [
        '',
        '## Secrets',
        '',
        'Every run above is at `-vvvv`. Its output, the results the checker read, Ansible\'s local and remote temporary',
        'directories and the token cache ({0} files, {1} bytes) were searched for the app secret, the {2} tokens the'.format(
            scan['files'], scan['bytes'], scan['tokens']),
        'emulator issued and anything shaped like an emulator token: **{0} leaks**. A planted secret was {1} by the same'.format(
            scan['leaks'], 'found' if scan.get('canary_found') else '**not found**'),
        'scanner. The other integration targets scan their own `-vvvv` output the same way',
        '(`tests/integration/targets/setup_secret_scan`), and `awx_job_run` scans its ansible-runner artifacts.',
        '',
    ]
    if campaign.problems:
        lines += ['## Problems', '']
        lines += ['- {0}, {1}: {2}'.format(phase, subject, text.replace('\n', ' ')) for phase, subject, text in campaign.problems]
        lines.append('')
    lines += [
        '## Regenerating',
        '',
        '```sh',
        '.venv/bin/python tools/reliability_report.py --output docs/reliability.md',
        '```',
        '',
    ]
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write('\n'.join(lines))


# Setting up ------------------------------------------------------------------------

def find_collections_path(work_dir):
    """A directory with ansible_collections/community/dingtalk in it: see the module docstring."""
    for path in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep):
        if path and os.path.isfile(os.path.join(path, 'ansible_collections', 'community', 'dingtalk', 'galaxy.yml')):
            return os.path.abspath(path)
    parts = ROOT.split(os.sep)
    if parts[-3:-1] == ['ansible_collections', 'community'] and parts[-1] == 'dingtalk':
        return os.sep.join(parts[:-3])
    stage = os.path.join(work_dir, 'collections')
    subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'stage_collection.py'), ROOT, stage], check=True, stdout=subprocess.DEVNULL)
    return stage


def client_constants(collections_path):
    """The back-off constants of the client under test, for the time bound.

    MAX_BACKOFF_SECONDS leaves out the back-off after a per-minute throttling answer: the campaign injects none.
    """
    sys.path.insert(0, collections_path)
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.community.dingtalk.plugins.module_utils import _client, _errors, _rate_limit
    return {'MAX_BACKOFF_SECONDS': _client.MAX_BACKOFF_SECONDS, 'THROTTLE_PAUSE_SECONDS': _rate_limit.THROTTLE_PAUSE_SECONDS,
            'PER_SECOND_THROTTLING_CODES': _errors.PER_SECOND_THROTTLING_CODES}


def versions(ansible_playbook):
    first_line = subprocess.run([ansible_playbook, '--version'], stdout=subprocess.PIPE, check=True).stdout.decode('utf-8').splitlines()[0]
    core = re.search(r'core ([^\]]+)', first_line)
    return 'ansible-core {0}, Python {1}'.format(core.group(1) if core else 'unknown', platform.python_version())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--output', required=True, help='where to write the report (Markdown)')
    parser.add_argument('--conferences', type=int, default=300, help='conferences of the batch runs')
    parser.add_argument('--loop-conferences', type=int, default=20, help='conferences of the loop run (a module run each)')
    parser.add_argument('--keep', action='store_true', help='keep the work directory (logs and results) and print where it is')
    args = parser.parse_args()

    work_dir = tempfile.mkdtemp(prefix='dingtalk-reliability-')
    started = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d')
    ansible_playbook = shutil.which('ansible-playbook', path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
    if ansible_playbook is None:
        raise SystemExit('ansible-playbook was not found next to {0} or on PATH'.format(sys.executable))
    collections_path = find_collections_path(work_dir)
    emulator = Emulator(work_dir)
    try:
        campaign = Campaign(emulator, work_dir, ansible_playbook, collections_path, client_constants(collections_path))
        campaign_started = time.monotonic()
        campaign.fault_campaign(args.conferences, args.loop_conferences)
        campaign_elapsed = time.monotonic() - campaign_started
        bound = sum(phase['bound'] for phase in campaign.phases)
        if campaign_elapsed > bound:
            campaign.problem('time', 'campaign', 'took {0:.0f} s, more than its bound of {1:.0f} s'.format(campaign_elapsed, bound))
        campaign.hostile_input()
        scan = campaign.secret_scan()
    finally:
        emulator.stop()
    write_report(args.output, campaign, scan, started, versions(ansible_playbook))
    for phase in campaign.phases:
        print('{name}: {conferences} conferences, {calls} calls, {faults} faults, {recoveries} recoveries, {failed} failed, '
              '{problems} problems, {elapsed:.1f} s (bound {bound:.0f} s)'.format(**phase))
    print('hostile input: {0} tried, {1} as expected, {2:.1f} s'.format(
        len(campaign.hostile), sum(1 for case in campaign.hostile if case['ok']), campaign.hostile_elapsed))
    print('secret scan: {files} files, {bytes} bytes, {leaks} leaks'.format(**scan))
    for phase, subject, text in campaign.problems:
        print('PROBLEM {0}, {1}: {2}'.format(phase, subject, text))
    print('report written to {0}'.format(args.output))
    if args.keep:
        print('work directory kept: {0}'.format(work_dir))
    else:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 1 if campaign.problems else 0


if __name__ == '__main__':
    sys.exit(main())
