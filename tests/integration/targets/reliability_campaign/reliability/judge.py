# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The judge of the reliability campaign: the module's results against the emulator's truth.

Nothing here runs anything: each check takes what a run reported, the emulator's conferences before and
after it and its request log, and records the figures and every problem it finds in ``Findings``.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import math
from urllib.parse import quote, unquote

from .cases import (
    CONCURRENCY,
    CONFERENCES,
    EXPECTED,
    FAULTS,
    FOREIGN_CODE,
    HOSTILE_IDS,
    MAYBE_DONE,
    MODULE_RUN_OVERHEAD,
    PLAYBOOK_OVERHEAD,
    RATE_LIMIT,
    TIMEOUT,
    hostile_union_id_conferences,
    printable,
)


@dataclasses.dataclass
class StopRun:
    """One playbook run of the fault campaign, and what the emulator saw of it."""

    name: str
    description: str
    kinds: dict  # conference id -> kind of conference (cases.KIND_PATTERN)
    results: list  # the module's result per conference
    elapsed: float
    retries: int
    mode: str  # 'batch' (one module run) or 'loop' (one per conference)
    truth_before: dict  # conference id -> the emulator's conference before the run
    truth: dict  # ... and after it
    calls: list  # the emulator's request log of the run


def conference_of(call):
    """The conference id a logged call was for, decoded from its path; None for other calls."""
    if not call['path'].startswith(CONFERENCES):
        return None
    return unquote(call['path'][len(CONFERENCES) :].split('/')[0])


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
    if call['duration'] >= TIMEOUT and f'within {TIMEOUT} seconds' in msg:
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


def intended_paths(conference_ids):
    """Every path a query or a stop of these conferences may take: each id encoded as exactly one segment."""
    intended = {}
    for conference_id in conference_ids:
        segment = quote(conference_id, safe='') if conference_id not in ('.', '..') else conference_id.replace('.', '%2E')
        intended[CONFERENCES + segment] = conference_id
        intended[CONFERENCES + segment + '/cloudRecords/stop'] = conference_id
    return intended


class Findings:
    """The figures of every run, the hostile cases tried, and every problem found: what the report is written from.

    ``constants`` are the back-off constants of the client under test (for the time bounds) and its throttling codes.
    """

    def __init__(self, constants):
        self.constants = constants
        self.phases = []
        self.problems = []
        self.hostile = []
        self.hostile_elapsed = 0.0
        self.stopped_anyway = collections.Counter()  # per run: failures whose stop happened before its answer was lost

    def problem(self, phase, subject, text):
        self.problems.append((phase, subject, text))

    # The fault campaign ------------------------------------------------------------

    def judge_run(self, run):
        """Check one run against the emulator's truth; keep its figures; return {conference id: result}."""
        by_id = collections.defaultdict(list)
        for result in run.results:
            by_id[result.get('conference_id') or result.get('item')].append(result)
        for conference_id in set(by_id) - set(run.kinds):
            self.problem(run.name, conference_id, 'reported, but not in the list')
        reported = {}
        for conference_id, kind in run.kinds.items():
            if len(by_id[conference_id]) != 1:
                self.problem(run.name, conference_id, f'reported {len(by_id[conference_id])} times')
                continue
            result = reported[conference_id] = by_id[conference_id][0]
            expected = EXPECTED[kind]
            if kind in ('recording', 'paused') and run.truth_before[conference_id]['cloud_record_status'] == 3:
                expected = ('not_recording', False, 3)  # stopped by an earlier run
            if result.get('failed') and run.retries == 0:
                self._check_failure(run, conference_id, result)
            else:
                self._check_outcome(run, conference_id, kind, result, expected)
        figures = self._figures(run, reported)
        if run.elapsed > figures['bound']:
            self.problem(run.name, 'time', 'took {0:.0f} s, more than its bound of {1:.0f} s'.format(run.elapsed, figures['bound']))
        self.phases.append(figures)
        return reported

    def judge_rerun(self, kinds, first, second, truth):
        """A run without retries, then the same conferences again: no stop reported twice, every recording stopped."""
        for conference_id, kind in kinds.items():
            claims = [result.get('changed') for result in (first.get(conference_id, {}), second.get(conference_id, {}))].count(True)
            if claims > 1:
                self.problem('no_retries + rerun', conference_id, 'the stop was reported twice')
            if kind in ('recording', 'paused') and truth[conference_id]['cloud_record_status'] != 3:
                self.problem('no_retries + rerun', conference_id, 'still recording after the re-run')

    def judge_campaign_time(self, elapsed):
        bound = sum(phase['bound'] for phase in self.phases)
        if elapsed > bound:
            self.problem('time', 'campaign', f'took {elapsed:.0f} s, more than its bound of {bound:.0f} s')

    def _check_outcome(self, run, conference_id, kind, result, expected):
        outcome, changed, record_status = expected
        got = (result.get('outcome'), bool(result.get('changed')), run.truth[conference_id]['cloud_record_status'])
        if got != expected:
            self.problem(
                run.name,
                conference_id,
                'a {0} conference: expected outcome {1}, changed {2}, status {3} afterwards; got {4}, {5}, {6} ({7})'.format(
                    kind, outcome, changed, record_status, got[0], got[1], got[2], result.get('msg', 'no message')
                ),
            )
        if kind == 'foreign' and result.get('error_code') != FOREIGN_CODE:
            self.problem(run.name, conference_id, 'a conference of another host failed with {0}, not {1}'.format(result.get('error_code'), FOREIGN_CODE))

    def _check_failure(self, run, conference_id, result):
        """A conference reported failed: it claims no change, names the fault of its last call, and says when the stop may have happened."""
        if result.get('changed'):
            self.problem(run.name, conference_id, 'failed, yet reported changed')
        # The failing call is the last to arrive (the log is in the order the answers ended).
        last = max((call for call in run.calls if conference_of(call) == conference_id), key=lambda call: call['time'], default=None)
        if not names_cause(result, last):
            self.problem(run.name, conference_id, 'the failure "{0}" does not name the cause: {1}'.format(result.get('msg'), describe_call(last)))
        stopped_anyway = run.truth_before[conference_id]['cloud_record_status'] in (1, 2) and run.truth[conference_id]['cloud_record_status'] == 3
        if stopped_anyway:
            self.stopped_anyway[run.name] += 1
            if MAYBE_DONE not in result.get('msg', ''):
                self.problem(run.name, conference_id, 'reported failed although the stop happened, without saying it may have')

    def _figures(self, run, reported):
        calls = run.calls
        faults = collections.Counter(fault_name(call) for call in calls if call['fault'])
        by_call = collections.defaultdict(list)
        for call in calls:
            by_call[(conference_of(call), call['api'])].append(call)
        # A recovery: a call that met a fault and was then answered without one (by a retry).
        recoveries = sum(
            1
            for attempts in by_call.values()
            if any(call['fault'] for call in attempts) and any(not call['fault'] and call['status'] is not None for call in attempts)
        )
        throttled = sum(1 for call in calls if call['status'] == 429 or call['code'] in self.constants['PER_SECOND_THROTTLING_CODES'])
        return {
            'name': run.name,
            'description': run.description,
            'conferences': len(run.kinds),
            'calls': len(calls),
            'faults': sum(faults.values()),
            'faults_by_kind': dict(faults),
            'recoveries': recoveries,
            'elapsed': run.elapsed,
            'bound': self.time_bound(len(run.kinds), run.retries, run.mode, throttled),
            'outcomes': dict(collections.Counter(result.get('outcome') for result in reported.values())),
            'changed': sum(1 for result in reported.values() if result.get('changed')),
            'failed': sum(1 for result in reported.values() if result.get('failed')),
            'problems': sum(1 for problem in self.problems if problem[0] == run.name),
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

    def judge_hostile_requests(self, results, answers, truth, calls):
        """Hostile ids reach exactly their own path, hostile union ids stay in the body, hostile answers fail as they must."""
        union_id_conferences = hostile_union_id_conferences()
        intended = intended_paths(
            HOSTILE_IDS + tuple(conference_id for conference_id, _union_id in union_id_conferences) + tuple(answer['conference_id'] for answer in answers)
        )
        strays = [call['path'][:80] for call in calls if call['path'] not in intended]
        if strays:
            self.problem('hostile', 'paths', f'calls to unintended paths: {strays}')

        by_id = dict((result['conference_id'], result) for result in results['ids']['results'])
        for conference_id in HOSTILE_IDS:
            result = by_id.get(conference_id, {})
            paths = sorted(call['path'] for call in calls if call['path'] in intended and intended[call['path']] == conference_id)
            ok = (result.get('outcome'), result.get('changed'), truth[conference_id]['cloud_record_status']) == ('stopped', True, 3)
            ok = ok and len(paths) == 2 and all(unquote(path.split('/')[4]) == conference_id for path in paths)
            self.hostile_case('conference id', printable(conference_id), 'stopped; the query and the stop went to its own encoded path', ok, result.get('msg'))

        for (conference_id, union_id), result in zip(union_id_conferences, results['union_ids']):
            stops = [call for call in calls if call['api'] == 'cloudRecord.stop' and conference_of(call) == conference_id]
            ok = result.get('outcome') == 'stopped' and len(stops) == 1 and stops[0]['body'] == {'unionId': union_id}
            ok = (
                ok
                and not any(name in stops[0]['headers'] for name in ('x-injected',))
                and stops[0]['headers'].get('x-acs-dingtalk-access-token', '').startswith('emu')
            )
            self.hostile_case('union id', printable(union_id), 'stopped; sent only in the JSON body, no header injected', ok, result.get('msg'))

        by_id = dict((result['conference_id'], result) for result in results['answers']['results'])
        for answer in answers:
            self._judge_hostile_answer(answer, by_id.get(answer['conference_id'], {}), truth, calls)

    def _judge_hostile_answer(self, answer, result, truth, calls):
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
            expectation = 'fails: "{0}"{1}'.format(
                answer['expect'], '; the stop happened, and the message says it may have' if answer['stopped_anyway'] else '; nothing was stopped'
            )
        self.hostile_case('answer', answer['name'], expectation, ok, result.get('msg'))

    def judge_hostile_options(self, options, results, calls):
        """Every hostile option fails with its message, without a traceback, before any call."""
        for option, result in zip(options, results):
            ok = result.get('failed') and option['expected'] in result.get('msg', '') and 'Traceback' not in json.dumps(result)
            self.hostile_case('option', option['label'], 'fails before any call: "{0}"'.format(option['expected']), ok, result.get('msg'))
        if calls:
            self.problem('hostile', 'options', f'{len(calls)} calls reached the API')

    def hostile_case(self, kind, value, expectation, ok, message):
        self.hostile.append({'kind': kind, 'value': value, 'expectation': expectation, 'ok': bool(ok)})
        if not ok:
            self.problem('hostile', f'{kind} {value}', f'expected {expectation}; got: {message}')
