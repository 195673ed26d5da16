# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The reliability campaign: runs the playbooks of this target against an emulator of its own, and hands what
happened to the judge.

1. batch: N conferences in one module run, while the emulator injects faults into about 20 % of
   the calls (cases.FAULTS);
2. loop: a smaller set, one module run per conference;
3. without retries: N more conferences with retries=0 under the same faults, where failures must be
   reported accurately, then 4. the same conferences again with retries, which must report them
   correctly;
5. hostile conference ids, union ids, answers and option values;
6. a scan of every log, result, temporary file and token cache file for the app secret and tokens.

``run`` does it all and writes the report; tools/reliability_report.py is its command line.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

from emulator.admin import EmulatorAdmin  # pylint: disable=import-error  # tests/ is on sys.path (tools/reliability_report.py)
from emulator.launcher import EmulatorProcess  # pylint: disable=import-error

from .cases import (
    APP_KEY,
    APP_SECRET,
    HOST,
    HOSTILE_IDS,
    RETRIES,
    SEED,
    SLOW_ANSWER,
    TIMEOUT,
    conference_kinds,
    fault_rules,
    hostile_answers,
    hostile_options,
    hostile_union_id_conferences,
    seed_conferences,
    stop_vars,
)
from .judge import Findings, StopRun
from .report import write_report

PLAYBOOKS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # this target
COLLECTION_ROOT = os.path.abspath(os.path.join(PLAYBOOKS, '..', '..', '..', '..'))
SCANNER = os.path.join(PLAYBOOKS, '..', 'setup_secret_scan', 'scan_secrets.py')


class Campaign:
    """Runs the phases against one emulator (its admin client ``admin``), in one work directory, for ``findings``."""

    def __init__(self, admin, work_dir, ansible_playbook, collections_path, findings):
        self.admin = admin
        self.findings = findings
        self.scanned = os.path.join(work_dir, 'scanned')  # everything under it is searched for secrets
        self.private = os.path.join(work_dir, 'private')
        for directory in (self.scanned, self.private):
            os.makedirs(directory, mode=0o700)
        self.ansible_playbook = ansible_playbook
        self.env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=collections_path,
            ANSIBLE_NOCOLOR='1',
            ANSIBLE_FORCE_COLOR='0',
            ANSIBLE_LOCAL_TEMP=os.path.join(self.scanned, 'ansible-local-tmp'),
            ANSIBLE_REMOTE_TEMP=os.path.join(self.scanned, 'ansible-remote-tmp'),
            DINGTALK_TOKEN_CACHE_DIR=os.path.join(self.scanned, 'token-cache'),
        )
        for name in ('DINGTALK_APP_KEY', 'DINGTALK_APP_SECRET', 'DINGTALK_ACCESS_TOKEN', 'DINGTALK_API_URL', 'DINGTALK_CA_PATH'):
            self.env.pop(name, None)

    # Running playbooks -----------------------------------------------------------

    def playbook(self, name, playbook, variables, credentials):
        """Run a playbook at -vvvv with ``variables`` as ``campaign``; return (its saved result, seconds it took)."""
        result_file = os.path.join(self.scanned, name + '.result.json')
        variables = dict(variables, api_url=self.admin.url, result_file=result_file)
        vars_file = os.path.join(self.scanned, name + '.vars.json')
        with open(vars_file, 'w', encoding='utf-8') as handle:
            json.dump({'campaign': variables}, handle)
        log = os.path.join(self.scanned, name + '.log')
        started = time.monotonic()
        with open(log, 'wb') as output:
            run = subprocess.run(
                [self.ansible_playbook, '-vvvv', '-i', os.path.join(PLAYBOOKS, 'inventory.yml'), '-e', '@' + vars_file, os.path.join(PLAYBOOKS, playbook)],
                stdout=output,
                stderr=subprocess.STDOUT,
                env=dict(self.env, **credentials),
                check=False,
            )
        elapsed = time.monotonic() - started
        print(f'{name}: ansible-playbook {playbook} took {elapsed:.1f} s', flush=True)
        self.admin.settle(SLOW_ANSWER + 10)  # a slow answer finishes after the client gave up on it
        if run.returncode != 0:
            with open(log, encoding='utf-8', errors='replace') as handle:
                tail = handle.read()[-6000:]
            raise SystemExit(f'{name} ({playbook}) failed with exit status {run.returncode}; the end of its log:\n{tail}')
        with open(result_file, encoding='utf-8') as handle:
            return json.load(handle), elapsed

    @staticmethod
    def app_credentials():
        return {'DINGTALK_APP_KEY': APP_KEY, 'DINGTALK_APP_SECRET': APP_SECRET}

    def start_phase(self, faults):
        """Forget earlier faults and calls; inject ``faults`` (reproducibly: the generator is seeded again)."""
        self.admin.clear_faults()
        self.admin.clear_requests()
        self.admin.configure(seed=SEED)
        if faults:
            self.admin.add_faults(*faults)

    def truth(self):
        """The emulator's conferences, by id."""
        return dict((conference['conference_id'], conference) for conference in self.admin.conferences())

    # The fault campaign ------------------------------------------------------------

    def stop_run(self, name, description, playbook, kinds, retries, mode, result_key=None):
        """Run one stop of ``kinds`` under the campaign's faults; return it for the judge."""
        truth_before = self.truth()
        self.start_phase(fault_rules())
        results, elapsed = self.playbook(name, playbook, stop_vars(kinds, retries), self.app_credentials())
        return StopRun(
            name=name,
            description=description,
            kinds=kinds,
            results=results[result_key] if result_key else results,
            elapsed=elapsed,
            retries=retries,
            mode=mode,
            truth_before=truth_before,
            truth=self.truth(),
            calls=self.admin.requests_log(),
        )

    def fault_campaign(self, conferences, loop_conferences):
        self.admin.add_app(APP_KEY, APP_SECRET)
        judge = self.findings.judge_run

        kinds = self.seed('batch', conferences)
        judge(self.stop_run('batch', f'batch mode, retries {RETRIES}', 'batch.yml', kinds, RETRIES, 'batch', 'results'))

        kinds = self.seed('loop', loop_conferences)
        judge(self.stop_run('loop', f'loop mode (one module run per conference), retries {RETRIES}', 'loop.yml', kinds, RETRIES, 'loop'))

        kinds = self.seed('noretry', conferences)
        first = judge(self.stop_run('no_retries', 'batch mode, retries 0', 'batch.yml', kinds, 0, 'batch', 'results'))
        second = judge(self.stop_run('rerun', f'the same conferences again, batch mode, retries {RETRIES}', 'batch.yml', kinds, RETRIES, 'batch', 'results'))
        self.findings.judge_rerun(kinds, first, second, self.truth())

    def seed(self, prefix, count):
        """Create ``count`` conferences named prefix-0001...; return {id: kind}."""
        kinds = conference_kinds(prefix, count)
        self.admin.seed({'conferences': seed_conferences(kinds)})
        return kinds

    # Hostile input -----------------------------------------------------------------

    def hostile_input(self):
        token = self.admin.mint_token(APP_KEY)
        self.hostile_requests()
        self.hostile_options(token)

    def hostile_requests(self):
        answers = hostile_answers()
        union_id_conferences = hostile_union_id_conferences()
        conferences = [{'conference_id': conference_id, 'host_union_id': HOST, 'cloud_record_status': 1} for conference_id in HOSTILE_IDS]
        conferences += [
            {'conference_id': conference_id, 'host_union_id': union_id, 'cloud_record_status': 1} for conference_id, union_id in union_id_conferences
        ]
        conferences += [{'conference_id': answer['conference_id'], 'host_union_id': HOST, 'cloud_record_status': 1} for answer in answers]
        self.admin.seed({'conferences': conferences})
        self.start_phase([answer['rule'] for answer in answers])
        variables = {
            'union_id': HOST,
            'timeout': TIMEOUT,
            'hostile_ids': list(HOSTILE_IDS),
            'hostile_union_ids': [{'conference_id': conference_id, 'union_id': union_id} for conference_id, union_id in union_id_conferences],
            'answer_conference_ids': [answer['conference_id'] for answer in answers],
        }
        results, elapsed = self.playbook('hostile_requests', 'hostile_requests.yml', variables, self.app_credentials())
        self.findings.hostile_elapsed += elapsed
        self.findings.judge_hostile_requests(results, answers, self.truth(), self.admin.requests_log())

    def hostile_options(self, token):
        options = hostile_options(self.admin.url, self.scanned)
        self.start_phase([])
        results, elapsed = self.playbook(
            'hostile_options', 'hostile_options.yml', {'union_id': HOST, 'timeout': TIMEOUT, 'hostile_options': options}, {'DINGTALK_ACCESS_TOKEN': token}
        )
        self.findings.hostile_elapsed += elapsed
        self.findings.judge_hostile_options(options, results, self.admin.requests_log())

    # Secrets ---------------------------------------------------------------------

    def secret_scan(self):
        secrets_file = os.path.join(self.private, 'secrets.yml')
        with open(secrets_file, 'w', encoding='utf-8') as handle:
            json.dump({'app_secret': APP_SECRET}, handle)  # JSON is YAML
        summary_file = os.path.join(self.private, 'scan.json')
        run = subprocess.run(
            [
                sys.executable,
                SCANNER,
                '--label',
                'reliability campaign',
                '--secrets-file',
                secrets_file,
                '--emulator',
                self.admin.url,
                '--token-cache',
                self.env['DINGTALK_TOKEN_CACHE_DIR'],
                '--summary',
                summary_file,
                self.scanned,
            ],
            stdout=subprocess.PIPE,
            check=False,
        )
        output = run.stdout.decode('utf-8', errors='replace')
        with open(summary_file, encoding='utf-8') as handle:
            summary = json.load(handle)
        if run.returncode != 0:
            self.findings.problem('secrets', 'scan', output.strip())
        # The scanner must see a leak when there is one.
        canary_dir = os.path.join(self.private, 'canary')
        os.makedirs(canary_dir)
        with open(os.path.join(canary_dir, 'leak.log'), 'w', encoding='utf-8') as handle:
            handle.write(f'a task printed {APP_SECRET} here\n')
        canary = subprocess.run([sys.executable, SCANNER, '--label', 'canary', '--secrets-file', secrets_file, canary_dir], stdout=subprocess.PIPE, check=False)
        summary['canary_found'] = canary.returncode == 1 and b'LEAK: ' in canary.stdout
        if not summary['canary_found']:
            self.findings.problem('secrets', 'canary', 'the scanner missed a planted secret')
        return summary


# Setting up ------------------------------------------------------------------------


def find_collections_path(work_dir):
    """A directory with ansible_collections/community/dingtalk in it: ANSIBLE_COLLECTIONS_PATH when it holds the collection,
    else the ansible_collections tree this file is in, else this git checkout staged to a temporary tree."""
    for path in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep):
        if path and os.path.isfile(os.path.join(path, 'ansible_collections', 'community', 'dingtalk', 'galaxy.yml')):
            return os.path.abspath(path)
    parts = COLLECTION_ROOT.split(os.sep)
    if parts[-3:-1] == ['ansible_collections', 'community'] and parts[-1] == 'dingtalk':
        return os.sep.join(parts[:-3])
    stage = os.path.join(work_dir, 'collections')
    subprocess.run(
        [sys.executable, os.path.join(COLLECTION_ROOT, 'tools', 'stage_collection.py'), COLLECTION_ROOT, stage], check=True, stdout=subprocess.DEVNULL
    )
    return stage


def client_constants(collections_path):
    """The back-off constants of the client under test, for the time bound.

    MAX_BACKOFF_SECONDS leaves out the back-off after a per-minute throttling answer: the campaign injects none.
    """
    sys.path.insert(0, collections_path)
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.community.dingtalk.plugins.module_utils import _client, _errors, _rate_limit

    return {
        'MAX_BACKOFF_SECONDS': _client.MAX_BACKOFF_SECONDS,
        'THROTTLE_PAUSE_SECONDS': _rate_limit.THROTTLE_PAUSE_SECONDS,
        'PER_SECOND_THROTTLING_CODES': _errors.PER_SECOND_THROTTLING_CODES,
    }


def versions(ansible_playbook):
    first_line = subprocess.run([ansible_playbook, '--version'], stdout=subprocess.PIPE, check=True).stdout.decode('utf-8').splitlines()[0]
    core = re.search(r'core ([^\]]+)', first_line)
    return 'ansible-core {0}, Python {1}'.format(core.group(1) if core else 'unknown', platform.python_version())


def print_summary(findings, scan):
    for phase in findings.phases:
        print(
            '{name}: {conferences} conferences, {calls} calls, {faults} faults, {recoveries} recoveries, {failed} failed, '
            '{problems} problems, {elapsed:.1f} s (bound {bound:.0f} s)'.format(**phase)
        )
    print(
        'hostile input: {0} tried, {1} as expected, {2:.1f} s'.format(
            len(findings.hostile), sum(1 for case in findings.hostile if case['ok']), findings.hostile_elapsed
        )
    )
    print('secret scan: {files} files, {bytes} bytes, {leaks} leaks'.format(**scan))
    for phase, subject, text in findings.problems:
        print(f'PROBLEM {phase}, {subject}: {text}')


def run(output, conferences, loop_conferences, keep=False):
    """The whole campaign, its report written to ``output``; the exit status: 1 if any check failed."""
    work_dir = tempfile.mkdtemp(prefix='dingtalk-reliability-')
    started = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d')
    ansible_playbook = shutil.which('ansible-playbook', path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
    if ansible_playbook is None:
        raise SystemExit(f'ansible-playbook was not found next to {sys.executable} or on PATH')
    collections_path = find_collections_path(work_dir)
    findings = Findings(client_constants(collections_path))
    with EmulatorProcess(qps_limit=0, log_file=os.path.join(work_dir, 'emulator.log')) as emulator:
        campaign = Campaign(EmulatorAdmin(emulator.url, timeout=30), work_dir, ansible_playbook, collections_path, findings)
        campaign_started = time.monotonic()
        campaign.fault_campaign(conferences, loop_conferences)
        findings.judge_campaign_time(time.monotonic() - campaign_started)
        campaign.hostile_input()
        scan = campaign.secret_scan()
    write_report(output, findings, scan, started, versions(ansible_playbook))
    print_summary(findings, scan)
    print(f'report written to {output}')
    if keep:
        print(f'work directory kept: {work_dir}')
    else:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 1 if findings.problems else 0
