# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``make emulator``: the DingTalk emulator in the foreground, with an example organisation, until Ctrl-C.

Prints the variables to export in another shell, so that one's own playbooks reach it as they would reach
DingTalk (the modules and the lookup read DINGTALK_API_URL, DINGTALK_APP_KEY and DINGTALK_APP_SECRET).

    python tools/run_emulator.py --collections-path DIR [--bin DIR] [--port 8765] [--seed tools/emulator_organisation.json]

Stdlib only: it runs on the Python of the demo's virtualenv.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'tests'))

from emulator.dingtalk_emulator import start_in_thread  # noqa: E402  # pylint: disable=import-error,wrong-import-position

RECORD_STATES = {0: 'not recording', 1: 'recording', 2: 'paused', 3: 'finished'}


def exports(url, app, collections_path, bin_dir, token_cache_dir):
    """The shell lines that point Ansible and the collection at this emulator."""
    variables = [
        ('DINGTALK_API_URL', url),
        ('DINGTALK_APP_KEY', app['app_key']),
        ('DINGTALK_APP_SECRET', app['app_secret']),
        # The emulator's tokens are worthless elsewhere: keep them out of the user's own token cache.
        ('DINGTALK_TOKEN_CACHE_DIR', token_cache_dir),
        ('ANSIBLE_COLLECTIONS_PATH', collections_path),
    ]
    lines = [f'export {name}={shlex.quote(value)}' for name, value in variables]
    if bin_dir:
        lines.append(f'export PATH={shlex.quote(bin_dir)}:"$PATH"')
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--collections-path', required=True, help='where the collection is staged (ANSIBLE_COLLECTIONS_PATH)')
    parser.add_argument('--bin', help='the bin directory of a virtualenv with ansible-core, to put first on PATH')
    parser.add_argument('--port', type=int, default=8765, help='0 picks a free port')
    parser.add_argument('--seed', default=os.path.join(HERE, 'emulator_organisation.json'))
    args = parser.parse_args(argv)
    with open(args.seed, encoding='utf-8') as handle:
        seed = json.load(handle)
    try:
        server = start_in_thread(port=args.port, state_file=args.seed)
    except OSError as error:
        parser.error(f'cannot listen on port {args.port} ({error.strerror}); choose another with EMULATOR_PORT=...')
    token_cache_dir = tempfile.mkdtemp(prefix='dingtalk-emulator-tokens-')
    print(f'DingTalk emulator on {server.url} (recordings on {server.file_host_url}), with an example organisation:')
    for conference in seed['conferences']:
        print(
            '  {0:<14} {1:<14} host {2:<14} meeting {3}, {4}'.format(
                conference['conference_id'],
                conference['title'],
                conference['host_union_id'],
                'ended' if conference['status'] == 1 else 'in progress',
                RECORD_STATES[conference['cloud_record_status']],
            )
        )
    print('\nIn another shell, export these and run your playbooks (no credentials needed in them):\n')
    print('\n'.join(exports(server.url, seed['apps'][0], args.collections_path, args.bin, token_cache_dir)))
    print('\nfor example: ansible-playbook -i docs/examples/inventory.yml docs/examples/stop_all_recordings.yml')
    print('State lives in memory: stop with Ctrl-C, and the next start begins afresh.', flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    while not stop.wait(0.2):
        pass
    server.shutdown()
    shutil.rmtree(token_cache_dir, ignore_errors=True)  # made above, by this process
    print('Emulator stopped.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
