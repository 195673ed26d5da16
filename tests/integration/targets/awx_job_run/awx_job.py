# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run jobs as AWX runs them, against the DingTalk emulator, and check what they leave behind.

  awx_job.py collection-root       where the collection under test is installed
  awx_job.py preflight             who jobs run as; exit 3 if they cannot run as AWX runs them here
  awx_job.py seed [--batch N]      reset the emulator; register the test app, suite and meetings (and N more, recording)
  awx_job.py run IDENT CREDENTIAL_TYPE PLAYBOOK [--verbosity N] [--var NAME=VALUE ...] [--input NAME=VALUE ...]
                 [--inventory-var NAME=VALUE ...] [--latency SECONDS] [--interrupt-after-stops N]
                                   one job: a private data dir, the credential injected, ansible-runner as the job user
  awx_job.py expect IDENT TASK --changed yes|no --outcome OUTCOME
                                   the runner_on_ok event of TASK in that job's events
  awx_job.py still-recording FILE  write the batch conferences still recording to FILE
  awx_job.py expect-batch IDENT TASK FILE
                                   TASK changed exactly the conferences in FILE, and no batch conference still records
  awx_job.py scan                  no secret, token or traceback in any job event, stdout or artifact file

A job runs as AWX runs it in an OpenShift-based execution environment: as an arbitrary
non-root UID (AWX_JOB_UID, in the root group) whose HOME it cannot write, through
ansible-runner. The credential is applied as AWX applies a custom credential type (see
tests/unit/extensions/awx_credential_rules.py): AWX would not launch a job whose credential
lacks a required input; environment variables go to env/envvars and extra vars, each value
marked !unsafe, to env/extravars of the private data dir. Every job must ask DingTalk for
one token, however many tasks use it, and the token cache, which cannot live under HOME,
must fall back to the job's private data dir and say so once.

A job started with --interrupt-after-stops is cancelled the way AWX cancels one, once its
batch has stopped that many recordings: SIGINT to ansible-playbook's process group, SIGTERM
after a grace period if anything of the job is still running (SIGKILL after another, which
fails the test). Values of secrets and tokens are never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import glob
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
# The emulator's admin client, from tests/emulator (aliases of ../setup_emulator).
sys.path.insert(0, os.path.join(HERE, '..', '..', '..'))

from emulator.admin import EmulatorAdmin  # noqa: E402  pylint: disable=wrong-import-position,import-error

CREDENTIALS_FILE = os.path.join(HERE, 'credentials.yml')
HOST_UNION_ID = 'host-union-awx'
BATCH_PREFIX = 'conf-batch-'
STOP_API = 'cloudRecord.stop'
TOKEN_APIS = ('oauth2.accessToken', 'oauth2.corpAccessToken', 'oauth2.token')
# What the token cache says, once, when it cannot use HOME (see plugins/module_utils/_token_cache.py).
FALLBACK_NOTICE = 'tokens are cached in'
FALLBACK_DIR_NAME = 'community.dingtalk-tokens'
# receptor gives a cancelled job 10 seconds to end after SIGINT.
GRACE_SECONDS = 10
JOB_TIMEOUT_SECONDS = 300

# What AWX puts in a job's inventory for a playbook that talks to an API from the execution node.
INVENTORY = {
    'all': {
        'hosts': {
            'localhost': {
                'ansible_connection': 'local',
                'ansible_python_interpreter': '{{ ansible_playbook_python }}',
            }
        }
    }
}


class JobError(Exception):
    """A job did not run, or did not end, the way AWX would run or end it."""


class _VarsFileLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """Reads the credential types vars file as AWX gets it: ``!unsafe`` marks a plain string."""


_VarsFileLoader.add_constructor('!unsafe', lambda loader, node: loader.construct_scalar(node))


def load_yaml(path, loader=yaml.SafeLoader):
    with open(path, encoding='utf-8') as yaml_file:
        return yaml.load(yaml_file, Loader=loader)


@functools.lru_cache(maxsize=None)
def collection_root():
    """The collection as Ansible finds it: ansible-test runs this script from a copy of tests/integration only.

    ansible-galaxy takes a second to say: runme.sh asks once and passes the answer to every job in AWX_COLLECTION_ROOT.
    """
    if os.environ.get('AWX_COLLECTION_ROOT'):
        return os.environ['AWX_COLLECTION_ROOT']
    listing = subprocess.run(
        ['ansible-galaxy', 'collection', 'list', 'community.dingtalk', '--format', 'json'], check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ).stdout
    for collections_path, collections in json.loads(listing).items():
        if 'community.dingtalk' in collections:
            return os.path.join(collections_path, 'community', 'dingtalk')
    raise SystemExit('community.dingtalk is not installed where Ansible looks for collections')


def awx_rules():
    """tests/unit/extensions/awx_credential_rules.py of the collection under test: what AWX does with a credential."""
    collections_path = os.path.dirname(os.path.dirname(os.path.dirname(collection_root())))
    if collections_path not in sys.path:
        sys.path.insert(0, collections_path)
    from ansible_collections.community.dingtalk.tests.unit.extensions import awx_credential_rules  # pylint: disable=import-outside-toplevel

    return awx_credential_rules


def credential_types():
    path = os.path.join(collection_root(), 'extensions', 'awx', 'dingtalk_credential_types.yml')
    return dict((credential_type['name'], credential_type) for credential_type in load_yaml(path, _VarsFileLoader)['dingtalk_credential_types'])


def credentials():
    """Credential type name -> the inputs of the test credential; the API URL is the emulator's."""
    return dict((type_name, dict(inputs, api_url=emulator_url())) for type_name, inputs in load_yaml(CREDENTIALS_FILE).items())


def secret_values():
    """Name -> value of every secret input of the test credentials."""
    secrets = {}
    for type_name, credential_type in credential_types().items():
        for field in credential_type['inputs']['fields']:
            if field.get('secret'):
                secrets['{0} {1}'.format(type_name, field['id'])] = credentials()[type_name][field['id']]
    return secrets


def work_dir():
    return os.environ['AWX_JOB_WORK_DIR']


@functools.lru_cache(maxsize=None)
def emulator():
    """The emulator's admin client: one, with one kept-open connection, for every call of this run."""
    return EmulatorAdmin.from_integration_config(os.path.join(HERE, '..', '..', 'integration_config.yml'))


def emulator_url():
    return emulator().url


def settled_stats():
    """The emulator's counters once no API request is in flight: a job that has ended must have left none behind."""
    emulator().settle()
    stats = emulator().stats()
    if stats['in_flight']:
        raise JobError('the emulator still answers requests of a job that has ended')
    return stats


def verdict(problems, subject, passed=None):
    """Print each of ``problems`` as a failure of ``subject`` (or, when there are none, ``passed``, if given); the exit status."""
    for problem in problems:
        print(f'FAILED {subject}: {problem}')
    if not problems and passed:
        print(f'{subject}: {passed}')
    return 1 if problems else 0


def token_requests(stats):
    return sum(stats['by_api'].get(api, 0) for api in TOKEN_APIS)


# The job user: an arbitrary UID with a HOME it cannot write -----------------------


class JobUser:
    """Who jobs run as, and how to become them."""

    def __init__(self):
        self.home = os.path.join(work_dir(), 'home')
        if not os.path.isdir(self.home):
            os.mkdir(self.home)
            os.chmod(self.home, 0o555)  # nobody but root may write in it: not the job
        if os.geteuid() == 0:
            self.uid = int(os.environ['AWX_JOB_UID'])
            self.command_prefix = self._switch_user()
        else:  # already not root: the job runs as this user
            self.uid = os.geteuid()
            self.command_prefix = []
        self._check_home_unwritable()

    def _switch_user(self):
        setpriv = shutil.which('setpriv')
        if setpriv is None:
            raise JobError('setpriv (util-linux) is not installed, so jobs cannot run as another user')
        # An arbitrary UID in the root group, as OpenShift runs a job's container.
        prefix = [setpriv, f'--reuid={self.uid}', '--regid=0', '--clear-groups', '--']
        # The Python and the collection under test may sit where only root may read (here under /root).
        # An execution environment's image is readable by everyone: grant reading, never writing.
        readable = prefix[:-1] + ['--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search', '--']
        # Which of the two works is the same for every job of this run: found out once (each probe starts a Python
        # that imports ansible_runner), and kept in the work dir for the jobs after.
        found = os.path.join(work_dir(), 'job-user-access')
        if os.path.exists(found):
            with open(found, encoding='utf-8') as access:
                return readable if access.read() == 'read' else prefix
        for access, candidate in (('plain', prefix), ('read', readable)):
            if self._can_run(candidate):
                write_private_file(found, access)
                return candidate
        raise JobError(f'uid {self.uid} cannot run {sys.executable} even with read access to every file')

    def _can_run(self, prefix):
        probe = prefix + [sys.executable, '-c', 'import ansible_runner, ansible_collections.community.dingtalk']
        env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.dirname(collection_root()))))
        return subprocess.run(probe, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode == 0

    def _check_home_unwritable(self):
        probe = self.command_prefix + [sys.executable, '-c', 'import os, sys; sys.exit(os.access(sys.argv[1], os.W_OK))', self.home]
        if subprocess.run(probe, check=False).returncode != 0:
            raise JobError(f'the job user (uid {self.uid}) may write to {self.home}, which must be an unwritable HOME')

    def describe(self):
        how = 'read access granted' if any('dac_read_search' in part for part in self.command_prefix) else 'no capability'
        return f'uid {self.uid}, gid 0 ({how}), HOME {self.home} not writable'

    def environment(self):
        """The job's process environment: this one, with the job user's HOME, nothing that moves the token cache, no junit
        callback, none of this test's own variables."""
        env = dict(os.environ, HOME=self.home)
        for name in ('XDG_CACHE_HOME', 'DINGTALK_TOKEN_CACHE_DIR', 'USER', 'LOGNAME', 'AWX_JOB_WORK_DIR', 'AWX_JOB_UID', 'AWX_COLLECTION_ROOT'):
            env.pop(name, None)
        # ansible-test's junit callback is not AWX's: as the job user it cannot write its report,
        # and its failure would be one more warning in the job's output.
        for name in [name for name in env if name.startswith('JUNIT_')] + ['ANSIBLE_CALLBACKS_ENABLED']:
            env.pop(name, None)
        return env

    def give(self, path):
        """Hand a private data dir over to the job user, as AWX's worker owns the one it runs."""
        if not self.command_prefix:
            return
        for root, dirs, files in os.walk(path):
            for name in [root] + [os.path.join(root, entry) for entry in dirs + files]:
                os.chown(name, self.uid, 0)

    def processes(self):
        """The ids of the processes running as the job user (Linux); None when jobs run as the test's own user."""
        if not self.command_prefix:
            return None
        pids = []
        for status_path in glob.glob('/proc/[0-9]*/status'):
            try:
                with open(status_path, encoding='utf-8') as status:
                    uid_line = next(line for line in status if line.startswith('Uid:'))
            except (OSError, StopIteration):
                continue  # it ended meanwhile
            if int(uid_line.split()[1]) == self.uid:
                pids.append(int(status_path.split('/')[2]))
        return pids


# Commands -------------------------------------------------------------------


def print_collection_root(_args):
    print(collection_root())
    return 0


def preflight(_args):
    """Say who jobs run as; exit 3 when no job can run as AWX runs it here."""
    try:
        print(f'Jobs run as {JobUser().describe()}.')
    except JobError as error:
        print(f'SKIPPED: jobs cannot run here as AWX runs them, as a non-root user with an unwritable HOME: {error}')
        return 3
    return 0


def seed(args):
    internal = credentials()['DingTalk internal app']
    suite = credentials()['DingTalk third-party app']
    conferences = [
        ('conf-awx-internal', 'Weekly sync'),
        ('conf-awx-suite', 'Customer call'),
        ('conf-awx-lookup', 'Board meeting'),
        ('conf-awx-archive', 'Quarterly review'),
    ]
    conferences += [(f'{BATCH_PREFIX}{number}', f'Class {number}') for number in range(args.batch)]
    admin = emulator()
    admin.reset()
    admin.seed(
        {
            'apps': [{'app_key': internal['app_key'], 'app_secret': internal['app_secret']}],
            'suites': [
                {
                    'suite_key': suite['suite_key'],
                    'suite_secret': suite['suite_secret'],
                    'suite_ticket': suite['suite_ticket'],
                    'corp_ids': [suite['auth_corp_id']],
                }
            ],
            'conferences': [
                {'conference_id': conference_id, 'title': title, 'host_union_id': HOST_UNION_ID, 'status': 2, 'cloud_record_status': 1}
                for conference_id, title in conferences
            ],
        }
    )
    return 0


def awx_safe_dump(unsafe_vars, plain_vars):
    """Extra vars as AWX writes them: injected values marked !unsafe, so that Ansible never templates them."""
    lines = ['---']
    lines.extend(f'{name}: !unsafe {json.dumps(value)}' for name, value in sorted(unsafe_vars.items()))
    lines.extend(f'{name}: {json.dumps(value)}' for name, value in sorted(plain_vars.items()))
    return '\n'.join(lines) + '\n'


def write_private_file(path, content):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as private_file:
        private_file.write(content)


def prepare_private_data_dir(args, injection):
    private_data_dir = os.path.join(work_dir(), args.ident)
    shutil.rmtree(private_data_dir, ignore_errors=True)
    for directory in ('env', 'project', 'inventory', 'tmp'):
        os.makedirs(os.path.join(private_data_dir, directory), mode=0o700)
    shutil.copy(args.playbook, os.path.join(private_data_dir, 'project'))
    inventory = json.loads(json.dumps(INVENTORY))
    inventory['all']['vars'] = dict(variable.split('=', 1) for variable in args.inventory_var)
    write_private_file(os.path.join(private_data_dir, 'inventory', 'hosts'), yaml.safe_dump(inventory))
    # Ansible's own temporary directories default to HOME too: an administrator whose jobs run with an
    # unwritable HOME points them elsewhere in the job settings (Extra Environment Variables).
    job_settings = {'ANSIBLE_LOCAL_TEMP': os.path.join(private_data_dir, 'tmp'), 'ANSIBLE_REMOTE_TEMP': os.path.join(private_data_dir, 'tmp')}
    write_private_file(os.path.join(private_data_dir, 'env', 'envvars'), json.dumps(dict(job_settings, **injection.env)))
    job_vars = dict(variable.split('=', 1) for variable in args.var)
    write_private_file(os.path.join(private_data_dir, 'env', 'extravars'), awx_safe_dump(injection.extra_vars, job_vars))
    return private_data_dir


def run(args):
    rules = awx_rules()
    credential_type = credential_types()[args.credential_type]
    inputs = dict(credentials()[args.credential_type], **dict(item.split('=', 1) for item in args.input))
    refusals = rules.credential_problems(credential_type, inputs) + rules.launch_problems(credential_type, inputs)
    if refusals:
        print('job {0}: AWX would not run it: {1}'.format(args.ident, '; '.join(refusals)))
        return 1
    injection = rules.inject(credential_type, inputs)
    try:
        user = JobUser()
    except JobError as error:
        print(f'job {args.ident}: {error}')
        return 1
    private_data_dir = prepare_private_data_dir(args, injection)
    user.give(private_data_dir)

    print(
        '== job {0}: {1} with a "{2}" credential (injects {3}; extra vars {4}), as {5}'.format(
            args.ident,
            os.path.basename(args.playbook),
            args.credential_type,
            ', '.join(sorted(injection.env)),
            ', '.join(sorted(injection.extra_vars)) or 'none',
            user.describe(),
        )
    )
    before = settled_stats()
    if args.latency:
        emulator().configure(latency=args.latency)
    # The parameters AWX gives ansible-runner that matter here: its own ident, no output on the
    # worker's terminal, the job's verbosity.
    command = (
        user.command_prefix
        + [shutil.which('ansible-runner'), 'run', private_data_dir, '--ident', args.ident, '-p', os.path.basename(args.playbook), '--quiet']
        + ['-v'] * args.verbosity
    )
    started = time.monotonic()
    runner = subprocess.Popen(command, env=user.environment(), start_new_session=True)  # pylint: disable=consider-using-with
    try:
        if args.interrupt_after_stops:
            interrupt_when_batch_runs(runner, args.ident, user, before['by_api'].get(STOP_API, 0) + args.interrupt_after_stops)
        runner.wait(JOB_TIMEOUT_SECONDS)
    except (JobError, subprocess.TimeoutExpired) as error:
        print(f'FAILED job {args.ident}: {error}')
        return 1
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
            for pid in user.processes() or []:
                os.kill(pid, signal.SIGKILL)
        if args.latency:
            emulator().configure(latency=0)

    status = read_artifact(args.ident, 'status')
    print_events(args.ident)
    print('   status {0}, rc {1}, {2:.0f} s'.format(status, read_artifact(args.ident, 'rc'), time.monotonic() - started))
    problems = []
    if args.interrupt_after_stops:
        if status == 'successful':
            problems.append('the job was not interrupted')
    elif args.expect_failure:
        messages = [event['event_data']['res'].get('msg') or '' for event in job_events(args.ident) if event['event'] == 'runner_on_failed']
        expected = args.expect_failure.format(job_uid=user.uid)
        if status == 'successful' or not any(expected in message for message in messages):
            problems.append(f'the job should have failed saying "{expected}"; it ended {status}, saying {messages}')
        else:
            print(f'   failed as expected: "{expected}"')
    elif status != 'successful':
        problems.extend(
            '{0}: {1}'.format(event['event_data']['task'], event['event_data']['res'].get('msg'))
            for event in job_events(args.ident)
            if event['event'] in ('runner_on_failed', 'runner_on_unreachable')
        )
        problems.append('the job did not succeed')
    # A cancelled job may have lost the notice with the result of the module it was in.
    expected_notices = (0, 1) if args.interrupt_after_stops else (1,)
    problems.extend(token_cache_problems(args.ident, private_data_dir, user, token_requests(settled_stats()) - token_requests(before), expected_notices))
    return verdict(problems, f'job {args.ident}')


def interrupt_when_batch_runs(runner, ident, user, stops):
    """Once the emulator has seen ``stops`` stop calls, cancel the job as AWX does; raise JobError if it does not end."""
    while emulator().stats()['by_api'].get(STOP_API, 0) < stops:
        if runner.poll() is not None:
            raise JobError('it ended before its batch had stopped the recordings it was to be interrupted after')
        time.sleep(0.1)
    group = os.getpgid(playbook_pid(ident))
    print('   cancelling the job as AWX does, its batch under way: SIGINT to the process group of ansible-playbook')
    os.killpg(group, signal.SIGINT)
    if wait_for_job_end(runner, group, user):
        return
    print(f'   still running after {GRACE_SECONDS} s: SIGTERM')
    _signal_group(group, signal.SIGTERM)
    if wait_for_job_end(runner, group, user):
        return
    for pid in user.processes() or []:
        os.kill(pid, signal.SIGKILL)
    _signal_group(group, signal.SIGKILL)
    raise JobError(f'it was still running {GRACE_SECONDS} s after SIGTERM, and was killed')


def playbook_pid(ident):
    """The process id of the job's ansible-playbook, as its job events give it."""
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        for path in glob.glob(os.path.join(work_dir(), ident, 'artifacts', ident, 'job_events', '*.json')):
            try:
                with open(path, encoding='utf-8') as event_file:
                    return json.load(event_file)['pid']
            except (OSError, ValueError, KeyError):
                continue  # still being written
        time.sleep(0.1)
    raise JobError('no job event names the process of ansible-playbook')


def wait_for_job_end(runner, group, user):
    """Whether everything of the job (ansible-playbook's group, and every process of the job user) ends within the grace period."""
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        if runner.poll() is not None and not _group_exists(group) and not user.processes():
            return True
        time.sleep(0.1)
    return False


def _group_exists(group):
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _signal_group(group, signum):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signum)


def token_cache_problems(ident, private_data_dir, user, requested, expected_notices):
    """One token request for the whole job; the cache in the job's private data dir, said once; nothing elsewhere."""
    problems = []
    fallback = os.path.join(private_data_dir, FALLBACK_DIR_NAME)
    notices = job_output(ident).count(FALLBACK_NOTICE)
    if requested != 1:
        problems.append(f'{requested} token requests, not one')
    if notices not in expected_notices:
        problems.append(f'the token cache said {notices} times that it cannot use HOME, not once')
    if not os.path.isdir(fallback):
        problems.append('no token cache in the private data dir')
    else:
        info = os.lstat(fallback)
        if (info.st_uid, stat.S_IMODE(info.st_mode)) != (user.uid, 0o700):
            problems.append(f'the token cache {fallback} is not private to uid {user.uid}')
    if os.listdir(user.home):
        problems.append(f'the job wrote to its HOME {user.home}')
    if not problems:
        print(
            '   one token request; the token cache in {0} (0700), which the job said {1}'.format(
                os.path.relpath(fallback, work_dir()), 'once' if notices else 'nothing of: cancelled before the task could report'
            )
        )
    return problems


def read_artifact(ident, name):
    try:
        with open(os.path.join(work_dir(), ident, 'artifacts', ident, name), encoding='utf-8') as artifact:
            return artifact.read().strip()
    except FileNotFoundError:
        return ''


def print_events(ident):
    for event in job_events(ident):
        if event['event'] in ('runner_on_ok', 'runner_on_failed', 'runner_on_unreachable'):
            data = event['event_data']
            outcome = ' ({0})'.format(data['res']['outcome']) if 'outcome' in data['res'] else ''
            outcomes = ' {0}'.format(json.dumps(data['res']['outcomes'], sort_keys=True)) if 'outcomes' in data['res'] else ''
            changed = 'changed' if data['res'].get('changed') else 'unchanged'
            print('   {0}: {1} {2}{3}{4}'.format(data['task'], event['event'][len('runner_on_') :], changed, outcome, outcomes))


def job_output(ident):
    """The job's output as AWX shows it, unwrapped: its events' stdout in order.

    Not the stdout artifact: ansible-core before 2.19 writes warnings to stderr, and in the pty
    ansible-runner reads, a warning's first lines race the callback's event markers on stdout
    and can be missing from that file, while the events keep them. Ansible wraps a warning at
    the terminal's width, maybe between the words looked for: hence unwrapped.
    """
    return ' '.join(' '.join(event.get('stdout', '') for event in job_events(ident)).split())


def job_events(ident):
    """The job's events in the order they happened, read from artifacts/<ident>/job_events."""
    events = []
    for path in glob.glob(os.path.join(work_dir(), ident, 'artifacts', ident, 'job_events', '*.json')):
        if path.endswith('-partial.json'):
            continue
        with open(path, encoding='utf-8') as event_file:
            events.append(json.load(event_file))
    return sorted(events, key=lambda event: event['counter'])


def task_result(ident, task):
    oks = [event for event in job_events(ident) if event['event'] == 'runner_on_ok' and event['event_data']['task'] == task]
    if len(oks) != 1:
        raise JobError(f'job {ident}: expected one runner_on_ok event of "{task}", found {len(oks)}')
    if oks[0]['event_data'].get('host') != 'localhost':
        raise JobError(f'job {ident}: the event names no host')
    return oks[0]['event_data']['res']


def expect(args):
    try:
        result = task_result(args.ident, args.task)
    except JobError as error:
        print(error)
        return 1
    changed = args.changed == 'yes'
    if bool(result.get('changed')) != changed or result.get('outcome') != args.outcome:
        print(
            'job {0}, "{1}": expected changed={2} outcome={3}, got changed={4} outcome={5}'.format(
                args.ident, args.task, changed, args.outcome, result.get('changed'), result.get('outcome')
            )
        )
        return 1
    print(f'job {args.ident}, "{args.task}": changed={changed}, outcome={args.outcome}, as expected')
    return 0


def expect_owned(args):
    """Every entry at and below PATH is the job user's (uid), no link, no setuid or setgid bit: what a job of that uid left."""
    problems = []
    for root, dirs, files in os.walk(args.path):
        for path in [root] + [os.path.join(root, name) for name in dirs + files]:
            status = os.lstat(path)
            if stat.S_ISLNK(status.st_mode):
                problems.append(f'{path} is a link')
            if status.st_uid != args.uid:
                problems.append(f'{path} is owned by uid {status.st_uid}, not {args.uid}')
            if status.st_mode & (stat.S_ISUID | stat.S_ISGID):
                problems.append(f'{path} has mode {stat.S_IMODE(status.st_mode):o}')
    return verdict(problems, args.path, f'every entry belongs to uid {args.uid}, no link, no setuid or setgid bit')


def batch_recording():
    """Batch conference id -> whether it is still recording, once no call is in flight."""
    settled_stats()
    return dict(
        (conference['conference_id'], conference['cloud_record_status'] == 1)
        for conference in emulator().conferences()
        if conference['conference_id'].startswith(BATCH_PREFIX)
    )


def still_recording(args):
    recording = batch_recording()
    remaining = sorted(conference_id for conference_id, is_recording in recording.items() if is_recording)
    with open(args.file, 'w', encoding='utf-8') as recording_file:
        json.dump(remaining, recording_file)
    print(f'{len(recording) - len(remaining)} of {len(recording)} batch conferences stopped before the job was cancelled, {len(remaining)} still recording')
    if not remaining or len(remaining) == len(recording):
        print('FAILED: the job was not cancelled in the middle of its batch')
        return 1
    return 0


def expect_batch(args):
    with open(args.file, encoding='utf-8') as recording_file:
        expected = set(json.load(recording_file))
    try:
        result = task_result(args.ident, args.task)
    except JobError as error:
        print(error)
        return 1
    changed = set(item['conference_id'] for item in result['results'] if item['changed'])
    problems = []
    if changed != expected:
        problems.append(f'changed for {len(changed - expected)} conferences that were not recording, and not for {len(expected - changed)} that were')
    if result['outcomes'] != {'stopped': len(expected), 'not_recording': len(result['results']) - len(expected)}:
        problems.append('outcomes {0}'.format(result['outcomes']))
    left = sorted(conference_id for conference_id, is_recording in batch_recording().items() if is_recording)
    if left:
        problems.append(f'{len(left)} conferences still record, {left[0]} first')
    return verdict(
        problems, f'job {args.ident}, "{args.task}"', f'changed exactly the {len(expected)} conferences still recording when it began; none records now'
    )


def scan(_args):
    """Search every file ansible-runner wrote under artifacts/ for the secrets, every token the emulator issued, and tracebacks.

    artifacts/<ident>/command is ansible-runner's record of how it started ansible-playbook,
    with the process environment: that environment holds the injected DINGTALK_* variables
    (ansible-runner writes it for AWX too, which deletes the private data directory after the
    job). So in that file, a secret may appear only as the value of the variable that injected
    it, never in the command line; a token nowhere. The env/ directory holds the injection
    itself and is not searched, nor is the token cache in the private data dir.
    """
    rules = awx_rules()
    secrets = secret_values()
    tokens = [token['access_token'] for token in emulator().tokens()]
    secrets.update((f'token {number}', token) for number, token in enumerate(tokens))
    injected = {}
    for type_name, credential_type in credential_types().items():
        injected.update(rules.inject(credential_type, credentials()[type_name]).env)

    leaks = []
    tracebacks = []
    files = []
    for root, _dirs, names in os.walk(work_dir()):
        if os.sep + 'artifacts' + os.sep not in root + os.sep:
            continue
        files.extend(os.path.join(root, name) for name in names)
    for path in sorted(files):
        with open(path, encoding='utf-8', errors='replace') as artifact:
            content = artifact.read()
        if 'Traceback (most recent call last)' in content:
            tracebacks.append(path)
        if os.path.basename(path) == 'command':
            record = json.loads(content)
            visible = json.dumps([record['command'], record['cwd']])
            leaks += [f'{path} (command line): {name}' for name, value in secrets.items() if value in visible]
            for variable, value in record['env'].items():
                leaks += [
                    f'{path} (environment variable {variable}): {name}'
                    for name, secret in secrets.items()
                    if secret in value and not (name.startswith('DingTalk') and injected.get(variable) == value == secret)
                ]
        else:
            leaks += [f'{path}: {name}' for name, value in secrets.items() if value in content]

    event_files = [path for path in files if os.sep + 'job_events' + os.sep in path]
    print(
        f'scanned {len(files)} artifact files ({len(event_files)} job events) for {len(secrets) - len(tokens)} secrets and {len(tokens)} tokens: '
        f'{len(leaks)} leaks, {len(tracebacks)} tracebacks'
    )
    for leak in leaks:
        print('LEAK: ' + leak)
    for path in tracebacks:
        print('TRACEBACK in ' + path)
    if not tokens or not event_files:
        print('nothing to scan for: the jobs issued no token or left no job event')
        return 1
    return 1 if leaks or tracebacks else 0


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest='command', required=True)
    commands.add_parser('collection-root').set_defaults(handler=print_collection_root)
    commands.add_parser('preflight').set_defaults(handler=preflight)
    seed_parser = commands.add_parser('seed')
    seed_parser.add_argument('--batch', type=int, default=0)
    seed_parser.set_defaults(handler=seed)
    run_parser = commands.add_parser('run')
    run_parser.add_argument('ident')
    run_parser.add_argument('credential_type')
    run_parser.add_argument('playbook')
    run_parser.add_argument('--verbosity', type=int, default=0)
    run_parser.add_argument('--var', action='append', default=[])
    run_parser.add_argument('--input', action='append', default=[])
    run_parser.add_argument('--inventory-var', action='append', default=[])
    run_parser.add_argument('--latency', type=float, default=0)
    run_parser.add_argument('--interrupt-after-stops', type=int, default=0)
    run_parser.add_argument('--expect-failure', help='the job must fail with this in a failed task\'s msg ({job_uid} is the job\'s uid)')
    run_parser.set_defaults(handler=run)
    expect_parser = commands.add_parser('expect')
    expect_parser.add_argument('ident')
    expect_parser.add_argument('task')
    expect_parser.add_argument('--changed', choices=['yes', 'no'], required=True)
    expect_parser.add_argument('--outcome', required=True)
    expect_parser.set_defaults(handler=expect)
    owned_parser = commands.add_parser('expect-owned')
    owned_parser.add_argument('path')
    owned_parser.add_argument('uid', type=int)
    owned_parser.set_defaults(handler=expect_owned)
    recording_parser = commands.add_parser('still-recording')
    recording_parser.add_argument('file')
    recording_parser.set_defaults(handler=still_recording)
    batch_parser = commands.add_parser('expect-batch')
    batch_parser.add_argument('ident')
    batch_parser.add_argument('task')
    batch_parser.add_argument('file')
    batch_parser.set_defaults(handler=expect_batch)
    commands.add_parser('scan').set_defaults(handler=scan)
    args = parser.parse_args()
    return args.handler(args)


if __name__ == '__main__':
    sys.exit(main())
