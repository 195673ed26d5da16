# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client of the emulator's admin API (/_emulator/, see "Admin API" in README.md), and of its file host's
(/_files/): the one every test, tool and benchmark uses.

    admin = EmulatorAdmin(emulator.url)            # or EmulatorAdmin.from_integration_config(path)
    admin.reset(); admin.seed({...}); admin.add_faults({...})
    admin.requests_log(api='cloudRecord.stop')      # waits for calls still being answered first
    files = admin.file_host()                       # FileHostAdmin: files.add_faults({...}), files.requests()

Every named call raises EmulatorAdminError when the emulator refuses it. ``request`` sends anything and
returns the raw response, for tests of the admin API itself. Integration playbooks call it through the
emulator_admin task (tests/integration/targets/setup_emulator/action_plugins/). Shell scripts run it as a command:

    python tests/emulator/admin.py [--url URL | --integration-config FILE] [--ca FILE] url|reset|mint-token APP_KEY

(the address defaults to $DINGTALK_EMULATOR_URL, which launcher.py sets).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from urllib.parse import quote

import requests

ADMIN_PATH = '/_emulator/'
FILE_HOST_ADMIN_PATH = '/_files/'


def path_segment(value):
    """``value`` as one percent-encoded path segment; dot segments too, which URL normalisation would remove."""
    return value.replace('.', '%2E') if value in ('.', '..') else quote(value, safe='')


class EmulatorAdminError(Exception):
    """The emulator answered an admin call with an error status."""

    def __init__(self, method, url, response):
        super().__init__(f'{method} {url} answered {response.status_code}: {response.text[:500]}')
        self.status = response.status_code
        self.response = response


class _AdminClient:
    """Calls under ``url`` + ``admin_path``: JSON in and out. ``verify`` is the CA file to trust for HTTPS (or a bool),
    ``timeout`` the seconds each call may take: more for the seed of a thousand conferences."""

    admin_path = None

    def __init__(self, url, verify=True, timeout=10):
        self.url = url.rstrip('/')
        self.verify = verify
        self.timeout = timeout
        self.session = requests.Session()  # one connection for all admin calls
        self.session.trust_env = False  # straight to the emulator, even while a test sets a proxy for the client under test

    def close(self):
        self.session.close()

    def request(self, method, path, **options):
        """Send ``method`` to the admin ``path`` and return the response, whatever its status."""
        # verify is given per request: requests lets REQUESTS_CA_BUNDLE override a session's.
        options.setdefault('timeout', self.timeout)
        return self.session.request(method, self.url + self.admin_path + path.lstrip('/'), verify=self.verify, **options)

    def call(self, method, path, body=None, params=None):
        """The JSON answer of an admin call; EmulatorAdminError if it was refused."""
        response = self.request(method, path, json=body, params=params)
        if response.status_code >= 400:
            raise EmulatorAdminError(method, self.admin_path + path.lstrip('/'), response)
        return response.json()


class FileHostAdmin(_AdminClient):
    """The admin API of the recordings' file host (file_host.py) at ``url``: its objects, faults and request log."""

    admin_path = FILE_HOST_ADMIN_PATH

    def requests(self):
        """Every request to an object, oldest first, once those being answered are done."""
        return self.call('GET', 'requests')['requests']

    def clear_requests(self):
        return self.call('DELETE', 'requests')

    def objects(self):
        return self.call('GET', 'objects')['objects']

    def checksums(self):
        """``{key: sha256}`` of every object."""
        return self.call('GET', 'checksums')['checksums']

    def add_faults(self, *rules):
        return self.call('POST', 'faults', {'rules': list(rules)})

    def faults(self):
        return self.call('GET', 'faults')['rules']

    def clear_faults(self):
        return self.call('DELETE', 'faults')


class EmulatorAdmin(_AdminClient):
    """The admin API of the emulator at ``url``."""

    admin_path = ADMIN_PATH

    @classmethod
    def from_integration_config(cls, path, **options):
        """The emulator whose address tools/with_emulator.sh wrote to an integration_config.yml."""
        import yaml  # pylint: disable=import-outside-toplevel  # only this constructor needs it

        with open(path, encoding='utf-8') as config:
            return cls(yaml.safe_load(config)['dingtalk_emulator_url'], **options)

    # Any call -------------------------------------------------------------------------------------------

    def get(self, path, params=None):
        return self.call('GET', path, params=params)

    def post(self, path, body=None):
        return self.call('POST', path, {} if body is None else body)

    def put(self, path, body):
        return self.call('PUT', path, body)

    def patch(self, path, body):
        return self.call('PATCH', path, body)

    def delete(self, path):
        return self.call('DELETE', path)

    # The scenario ---------------------------------------------------------------------------------------

    def reset(self):
        return self.post('reset')

    def seed(self, scenario):
        """``{"config", "apps", "suites", "tokens", "conferences"}``, all optional, applied in that order."""
        return self.post('seed', scenario)

    def config(self):
        return self.get('config')

    def configure(self, **config):
        return self.put('config', config)

    def add_app(self, app_key='ding-app', app_secret='app-secret', **fields):
        return self.post('apps', dict(fields, app_key=app_key, app_secret=app_secret))

    def add_suite(self, **fields):
        return self.post('suites', fields)

    # Tokens ---------------------------------------------------------------------------------------------

    def mint_token(self, app_key='ding-app', **fields):
        """A token minted without an OAuth call: ``app_key``, or ``app_key=None, suite_key=..., corp_id=...``."""
        owner = {} if app_key is None else {'app_key': app_key}
        return self.post('tokens', dict(fields, **owner))['access_token']

    def tokens(self):
        """Every token issued since the last reset: ``[{"access_token", "principal", "expires_at"}]``."""
        return self.get('tokens')['tokens']

    def expire_tokens(self, access_token=None):
        """Expire one token, or all of them; returns how many."""
        return self.post('tokens/expire', {} if access_token is None else {'access_token': access_token})['expired']

    # Conferences ----------------------------------------------------------------------------------------

    def add_conference(self, conference_id, cloud_record_status=1, status=2, host_union_id='host-union', **fields):
        """Create or replace a conference, by default an ongoing, recording one; returns it in admin shape."""
        return self.post(
            'conferences', dict(fields, conference_id=conference_id, host_union_id=host_union_id, status=status, cloud_record_status=cloud_record_status)
        )

    def conferences(self):
        return self.get('conferences')['conferences']

    def conference(self, conference_id):
        return self.get('conferences/' + path_segment(conference_id))

    def patch_conference(self, conference_id, **fields):
        return self.patch('conferences/' + path_segment(conference_id), fields)

    # Faults ---------------------------------------------------------------------------------------------

    def add_faults(self, *rules):
        return self.post('faults', {'rules': list(rules)})

    def faults(self):
        return self.get('faults')['rules']

    def clear_faults(self):
        return self.delete('faults')

    # What happened --------------------------------------------------------------------------------------

    def stats(self):
        return self.get('stats')

    def settle(self, timeout=10):
        """Wait until no API call is being answered (a delayed one, say), for at most ``timeout`` seconds.

        A call is logged and counted before its answer goes out, so a client that has its answer needs no
        wait; this is for calls still under way, such as one whose client gave up waiting for a delayed answer.
        """
        deadline = time.monotonic() + timeout
        while self.stats()['in_flight'] and time.monotonic() < deadline:
            time.sleep(0.005)

    def requests_log(self, api=None, since=None):
        """The request log, oldest first (of one API, after sequence number ``since``): every call answered so far."""
        params = {key: value for key, value in (('api', api), ('since', since)) if value is not None}
        return self.get('requests', params=params or None)['requests']

    def clear_requests(self):
        return self.delete('requests')

    # Recordings (cloud_recordings.py) and their file host ------------------------------------------------

    def add_recordings(self, conference_id, **fields):
        """Add ``videos`` and ``transcript`` paragraphs to a conference, or close its recordings (``closed=True``)."""
        return self.post('recordings', dict(fields, conference_id=conference_id))

    def recordings(self, conference_id=None):
        return self.get('recordings', params={'conference_id': conference_id} if conference_id else None)['recordings']

    def recordings_config(self):
        return self.get('recordings/config')

    def configure_recordings(self, **config):
        """Update the recordings' config (``video_delay``, ``link_lifetime``, ...); returns it, with ``file_host_url``."""
        return self.put('recordings/config', config)

    def file_host(self):
        """The admin client of the recordings' file host, which serves on a port of its own."""
        return FileHostAdmin(self.recordings_config()['file_host_url'], verify=self.verify, timeout=self.timeout)

    # The clock ------------------------------------------------------------------------------------------

    def advance_clock(self, seconds):
        """Move the emulator's time forward (token expiry, scheduled ends, limit windows), instead of sleeping."""
        return self.post('clock', {'seconds': seconds})


def main(argv=None):
    parser = argparse.ArgumentParser(prog='admin.py', description="Call the admin API of a running DingTalk emulator.")
    where = parser.add_mutually_exclusive_group()
    where.add_argument('--url', default=os.environ.get('DINGTALK_EMULATOR_URL'), help='its address (default: $DINGTALK_EMULATOR_URL)')
    where.add_argument('--integration-config', help='an integration_config.yml that holds its address')
    parser.add_argument('--ca', help='the CA file to trust for an HTTPS emulator')
    commands = parser.add_subparsers(dest='command', required=True)
    commands.add_parser('url', help='print its address')
    commands.add_parser('reset', help='wipe the scenario (see POST /_emulator/reset)')
    commands.add_parser('mint-token', help='print a new token of a registered app').add_argument('app_key')
    args = parser.parse_args(argv)
    options = {'verify': args.ca} if args.ca else {}
    if args.integration_config:
        admin = EmulatorAdmin.from_integration_config(args.integration_config, **options)
    elif args.url:
        admin = EmulatorAdmin(args.url, **options)
    else:
        parser.error('give --url or --integration-config, or set DINGTALK_EMULATOR_URL')
    try:
        if args.command == 'url':
            print(admin.url)
        elif args.command == 'reset':
            admin.reset()
        else:
            print(admin.mint_token(args.app_key))
    except (EmulatorAdminError, requests.RequestException) as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
