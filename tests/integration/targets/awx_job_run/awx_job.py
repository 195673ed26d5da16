# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run jobs as AWX runs them, against the DingTalk emulator, and check what they leave behind.

  awx_job.py collection-root                        where the collection under test is installed
  awx_job.py seed                                   reset the emulator; register the test app, suite and meetings
  awx_job.py run IDENT CREDENTIAL_TYPE PLAYBOOK [--verbosity N] [--var NAME=VALUE ...]
                                                    one job: a private data dir, the credential's injectors, ansible-runner
  awx_job.py expect IDENT TASK --changed yes|no --outcome OUTCOME
                                                    the runner_on_ok event of TASK in that job's events
  awx_job.py scan                                   no secret or token in any job event, stdout or artifact file

The credential is applied as AWX applies a custom credential type: its injector templates
are rendered in a sandboxed Jinja environment with the credential's inputs; environment
variables go to env/envvars and extra vars, every value marked !unsafe, to env/extravars
of the private data dir. (AWX gives a credential's extra vars a file of their own, passed
with -e @file: the same precedence as env/extravars.) Job directories are made under
$AWX_JOB_WORK_DIR. Values of secrets and tokens are never printed.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys

import ansible_runner
import yaml

from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
# The emulator's admin client, from tests/emulator (aliases of ../setup_emulator).
sys.path.insert(0, os.path.join(HERE, '..', '..', '..'))
from emulator.admin import EmulatorAdmin  # noqa: E402  pylint: disable=wrong-import-position,import-error

CREDENTIALS_FILE = os.path.join(HERE, 'credentials.yml')
HOST_UNION_ID = 'host-union-awx'

# What AWX puts in a job's inventory for a playbook that talks to an API from the execution node.
INVENTORY = """---
all:
  hosts:
    localhost:
      ansible_connection: local
      ansible_python_interpreter: "{{ ansible_playbook_python }}"
"""


class _VarsFileLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """Reads the credential types vars file as AWX gets it: ``!unsafe`` marks a plain string."""


_VarsFileLoader.add_constructor('!unsafe', lambda loader, node: loader.construct_scalar(node))


def load_yaml(path, loader=yaml.SafeLoader):
    with open(path, encoding='utf-8') as yaml_file:
        return yaml.load(yaml_file, Loader=loader)


def collection_root():
    """The collection as Ansible finds it: ansible-test runs this script from a copy of tests/integration only."""
    listing = subprocess.run(['ansible-galaxy', 'collection', 'list', 'community.dingtalk', '--format', 'json'],
                             check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    for collections_path, collections in json.loads(listing).items():
        if 'community.dingtalk' in collections:
            return os.path.join(collections_path, 'community', 'dingtalk')
    raise SystemExit('community.dingtalk is not installed where Ansible looks for collections')


def credential_types():
    path = os.path.join(collection_root(), 'extensions', 'awx', 'dingtalk_credential_types.yml')
    return dict((credential_type['name'], credential_type)
                for credential_type in load_yaml(path, _VarsFileLoader)['dingtalk_credential_types'])


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


def emulator():
    return EmulatorAdmin.from_integration_config(os.path.join(HERE, '..', '..', 'integration_config.yml'))


def emulator_url():
    return emulator().url


# Commands -------------------------------------------------------------------

def print_collection_root(_args):
    print(collection_root())
    return 0


def seed(_args):
    internal = credentials()['DingTalk internal app']
    suite = credentials()['DingTalk third-party app']
    admin = emulator()
    admin.reset()
    admin.seed({
        'apps': [{'app_key': internal['app_key'], 'app_secret': internal['app_secret']}],
        'suites': [{'suite_key': suite['suite_key'], 'suite_secret': suite['suite_secret'],
                    'suite_ticket': suite['suite_ticket'], 'corp_ids': [suite['auth_corp_id']]}],
        'conferences': [
            {'conference_id': conference_id, 'title': title, 'host_union_id': HOST_UNION_ID, 'status': 2, 'cloud_record_status': 1}
            for conference_id, title in (('conf-awx-internal', 'Weekly sync'), ('conf-awx-suite', 'Customer call'),
                                         ('conf-awx-lookup', 'Board meeting'))
        ],
    })
    return 0


def render_injectors(credential_type, inputs):
    """The environment variables and extra vars AWX injects for a credential with these inputs."""
    sandbox = ImmutableSandboxedEnvironment()
    injectors = credential_type['injectors']
    env = dict((name, sandbox.from_string(template).render(**inputs)) for name, template in injectors.get('env', {}).items())
    extra_vars = dict((name, sandbox.from_string(template).render(**inputs)) for name, template in injectors.get('extra_vars', {}).items())
    return env, extra_vars


def awx_safe_dump(unsafe_vars, plain_vars):
    """Extra vars as AWX writes them: injected values marked !unsafe, so that Ansible never templates them."""
    lines = ['---']
    lines.extend('{0}: !unsafe {1}'.format(name, json.dumps(value)) for name, value in sorted(unsafe_vars.items()))
    lines.extend('{0}: {1}'.format(name, json.dumps(value)) for name, value in sorted(plain_vars.items()))
    return '\n'.join(lines) + '\n'


def write_private_file(path, content):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as private_file:
        private_file.write(content)


def run(args):
    credential_type = credential_types()[args.credential_type]
    env, credential_vars = render_injectors(credential_type, credentials()[args.credential_type])
    job_vars = dict(variable.split('=', 1) for variable in args.var)

    private_data_dir = os.path.join(work_dir(), args.ident)
    shutil.rmtree(private_data_dir, ignore_errors=True)
    for directory in ('env', 'project', 'inventory'):
        os.makedirs(os.path.join(private_data_dir, directory), mode=0o700)
    shutil.copy(args.playbook, os.path.join(private_data_dir, 'project'))
    write_private_file(os.path.join(private_data_dir, 'inventory', 'hosts'), INVENTORY)
    write_private_file(os.path.join(private_data_dir, 'env', 'envvars'), json.dumps(env))
    write_private_file(os.path.join(private_data_dir, 'env', 'extravars'), awx_safe_dump(credential_vars, job_vars))

    print('== job {0}: {1} with a "{2}" credential (injects {3}; extra vars {4})'.format(
        args.ident, os.path.basename(args.playbook), args.credential_type, ', '.join(sorted(env)), ', '.join(sorted(credential_vars))))
    # The parameters AWX gives ansible-runner that matter here: its own ident, no output on
    # the worker's terminal, the job's verbosity.
    runner = ansible_runner.run(private_data_dir=private_data_dir, playbook=os.path.basename(args.playbook), ident=args.ident,
                                verbosity=args.verbosity, quiet=True)
    events = job_events(args.ident)
    for event in events:
        if event['event'] in ('runner_on_ok', 'runner_on_failed', 'runner_on_unreachable'):
            data = event['event_data']
            outcome = ' ({0})'.format(data['res']['outcome']) if 'outcome' in data['res'] else ''
            changed = 'changed' if data['res'].get('changed') else 'unchanged'
            print('   {0}: {1} {2}{3}'.format(data['task'], event['event'][len('runner_on_'):], changed, outcome))
    print('   status {0}, rc {1}'.format(runner.status, runner.rc))
    if runner.status != 'successful' or runner.rc != 0:
        for event in events:
            if event['event'] in ('runner_on_failed', 'runner_on_unreachable'):
                print('FAILED {0}: {1}'.format(event['event_data']['task'], event['event_data']['res'].get('msg')))
        return 1
    return 0


def job_events(ident):
    """The job's events in the order they happened, read from artifacts/<ident>/job_events."""
    events = []
    for path in glob.glob(os.path.join(work_dir(), ident, 'artifacts', ident, 'job_events', '*.json')):
        with open(path, encoding='utf-8') as event_file:
            events.append(json.load(event_file))
    return sorted(events, key=lambda event: event['counter'])


def expect(args):
    oks = [event for event in job_events(args.ident) if event['event'] == 'runner_on_ok' and event['event_data']['task'] == args.task]
    if len(oks) != 1:
        print('job {0}: expected one runner_on_ok event of "{1}", found {2}'.format(args.ident, args.task, len(oks)))
        return 1
    result = oks[0]['event_data']['res']
    changed = args.changed == 'yes'
    if bool(result.get('changed')) != changed or result.get('outcome') != args.outcome:
        print('job {0}, "{1}": expected changed={2} outcome={3}, got changed={4} outcome={5}'.format(
            args.ident, args.task, changed, args.outcome, result.get('changed'), result.get('outcome')))
        return 1
    if not oks[0]['event_data'].get('host') == 'localhost':
        print('job {0}: the event names no host'.format(args.ident))
        return 1
    print('job {0}, "{1}": changed={2}, outcome={3}, as expected'.format(args.ident, args.task, changed, args.outcome))
    return 0


def scan(_args):
    """Search every file ansible-runner wrote under artifacts/ for the secrets and every token the emulator issued.

    artifacts/<ident>/command is ansible-runner's record of how it started ansible-playbook,
    with the process environment: that environment holds the injected DINGTALK_* variables
    (ansible-runner writes it for AWX too, which deletes the private data directory after the
    job). So in that file, a secret may appear only as the value of the variable that injected
    it, never in the command line; a token nowhere. The env/ directory holds the injection
    itself and is not searched.
    """
    secrets = secret_values()
    tokens = [token['access_token'] for token in emulator().tokens()]
    secrets.update(('token {0}'.format(number), token) for number, token in enumerate(tokens))
    injected = {}
    for type_name, credential_type in credential_types().items():
        injected.update(render_injectors(credential_type, credentials()[type_name])[0])

    leaks = []
    files = []
    for root, _dirs, names in os.walk(work_dir()):
        if os.sep + 'artifacts' + os.sep not in root + os.sep:
            continue
        files.extend(os.path.join(root, name) for name in names)
    for path in sorted(files):
        with open(path, encoding='utf-8', errors='replace') as artifact:
            content = artifact.read()
        if os.path.basename(path) == 'command':
            record = json.loads(content)
            visible = json.dumps([record['command'], record['cwd']])
            leaks += ['{0} (command line): {1}'.format(path, name) for name, value in secrets.items() if value in visible]
            for variable, value in record['env'].items():
                leaks += ['{0} (environment variable {1}): {2}'.format(path, variable, name) for name, secret in secrets.items()
                          if secret in value and not (name.startswith('DingTalk') and injected.get(variable) == value == secret)]
        else:
            leaks += ['{0}: {1}'.format(path, name) for name, value in secrets.items() if value in content]

    event_files = [path for path in files if os.sep + 'job_events' + os.sep in path]
    print('scanned {0} artifact files ({1} job events) for {2} secrets and {3} tokens: {4} leaks'.format(
        len(files), len(event_files), len(secrets) - len(tokens), len(tokens), len(leaks)))
    for leak in leaks:
        print('LEAK: ' + leak)
    if not tokens or not event_files:
        print('nothing to scan for: the jobs issued no token or left no job event')
        return 1
    return 1 if leaks else 0


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest='command', required=True)
    commands.add_parser('collection-root').set_defaults(handler=print_collection_root)
    commands.add_parser('seed').set_defaults(handler=seed)
    run_parser = commands.add_parser('run')
    run_parser.add_argument('ident')
    run_parser.add_argument('credential_type')
    run_parser.add_argument('playbook')
    run_parser.add_argument('--verbosity', type=int, default=0)
    run_parser.add_argument('--var', action='append', default=[])
    run_parser.set_defaults(handler=run)
    expect_parser = commands.add_parser('expect')
    expect_parser.add_argument('ident')
    expect_parser.add_argument('task')
    expect_parser.add_argument('--changed', choices=['yes', 'no'], required=True)
    expect_parser.add_argument('--outcome', required=True)
    expect_parser.set_defaults(handler=expect)
    commands.add_parser('scan').set_defaults(handler=scan)
    args = parser.parse_args()
    return args.handler(args)


if __name__ == '__main__':
    sys.exit(main())
