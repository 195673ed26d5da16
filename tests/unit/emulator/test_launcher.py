# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The emulator's launcher (a child process, and a command run beside it) and its admin client's command line."""

from __future__ import annotations

import glob
import os
import subprocess
import sys

import pytest
import requests

from ansible_collections.community.dingtalk.tests.emulator.admin import EmulatorAdmin
from ansible_collections.community.dingtalk.tests.emulator.launcher import EmulatorProcess, EmulatorStartError

EMULATOR_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'emulator'))
LAUNCHER = os.path.join(EMULATOR_DIR, 'launcher.py')
ADMIN = os.path.join(EMULATOR_DIR, 'admin.py')


def refuses_connections(url):
    try:
        requests.get(url + '/_emulator/stats', timeout=5)
    except requests.ConnectionError:
        return True
    return False


def test_a_child_process_listens_once_started_and_is_gone_once_stopped(tmp_path):
    log_file = str(tmp_path / 'emulator.log')
    with EmulatorProcess(qps_limit=7, region='com', verbose=True, log_file=log_file) as emulator:
        admin = EmulatorAdmin(emulator.url)
        assert admin.config()['qps_limit'] == 7 and admin.config()['region'] == 'com'
        admin.close()
    assert emulator.process.returncode == 0  # stopped by SIGTERM, which it handles
    assert refuses_connections(emulator.url)
    with open(log_file, encoding='utf-8') as log:
        assert f'listening on {emulator.url}' in log.read()


def test_a_child_process_that_cannot_start_says_why():
    with pytest.raises(EmulatorStartError, match=r'did not start \(exit status 2\):[\s\S]*--tls-cert and --tls-key go together'):
        EmulatorProcess(tls_cert='cert.pem')


def test_a_command_runs_beside_the_emulator_and_its_status_is_the_launchers(tmp_path):
    config = tmp_path / 'integration_config.yml'
    seen = tmp_path / 'seen'
    # The admin client's command line finds the emulator in DINGTALK_EMULATOR_URL.
    command = '"$0" "$1" reset && printf %s "$DINGTALK_EMULATOR_URL" >"$2" && exit 3'
    finished = subprocess.run(
        [sys.executable, LAUNCHER, '--integration-config', str(config), '--qps-limit', '0', '--', 'sh', '-c', command, sys.executable, ADMIN, str(seen)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert finished.returncode == 3, finished.stderr
    url = seen.read_text(encoding='utf-8')
    assert config.read_text(encoding='utf-8') == f'---\ndingtalk_emulator_url: {url}\n'
    assert refuses_connections(url)  # stopped once the command ended


@pytest.mark.parametrize(
    'arguments, message',
    [
        (['--qps-limit', '0'], 'give the command to run after --'),
        (['--region', 'mars', '--', 'true'], "invalid choice: 'mars'"),
    ],
)
def test_the_launcher_refuses_to_run_without_a_command_or_an_emulator(arguments, message):
    finished = subprocess.run([sys.executable, LAUNCHER] + arguments, check=False, capture_output=True, text=True)
    assert finished.returncode != 0 and message in finished.stderr


def test_the_admin_client_as_a_command(emulator):
    def admin(*arguments):
        return subprocess.run([sys.executable, ADMIN, '--url', emulator.url] + list(arguments), check=True, capture_output=True, text=True).stdout.strip()

    assert admin('url') == emulator.url
    token = admin('mint-token', 'ding-app')
    assert [entry['access_token'] for entry in emulator.tokens()] == [token]
    admin('reset')
    assert emulator.tokens() == []
    refused = subprocess.run([sys.executable, ADMIN, '--url', emulator.url, 'mint-token', 'no-such-app'], check=False, capture_output=True, text=True)
    assert refused.returncode == 1 and 'POST /_emulator/tokens answered 400' in refused.stderr


def test_the_integration_targets_get_every_file_of_the_emulator():
    aliases = os.path.join(EMULATOR_DIR, '..', 'integration', 'targets', 'setup_emulator', 'aliases')
    with open(aliases, encoding='utf-8') as handle:
        listed = {line.strip()[len('needs/file/') :] for line in handle if line.startswith('needs/file/')}
    assert listed == {'tests/emulator/' + os.path.basename(path) for path in glob.glob(os.path.join(EMULATOR_DIR, '*.py'))}
