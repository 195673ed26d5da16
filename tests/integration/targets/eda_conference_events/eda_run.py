# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The steps of the eda_conference_events target (runme.sh), against the emulator in DINGTALK_EMULATOR_URL.

  eda_run.py rulebook SOURCE COPY     the guide's rulebook with a shutdown action after each rule's own
  eda_run.py seed-stop                an app, a confidential meeting and another, neither recording
  eda_run.py start-recordings         once the source has polled: both meetings start recording
  eda_run.py check-stop               the confidential meeting's recording was stopped once, by its host; not the other
  eda_run.py seed-archive             an app and a meeting being recorded, whose video takes 3 s to be listed
  eda_run.py end-recorded-meeting     once the source has polled: the meeting ends, which stops its recording
  eda_run.py check-archive DEST       the video is in DEST, byte for byte what the storage host holds, downloaded once

No secret or token is printed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time

import yaml

# The emulator's admin client, from tests/emulator (aliases of ../setup_emulator).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))
from emulator.admin import EmulatorAdmin  # noqa: E402  pylint: disable=wrong-import-position,import-error

SHUTDOWN_MESSAGE = 'eda_run.py shutdown: the rule has run'
# How long ansible-rulebook may take to start (its rules engine is a JVM) and poll once.
FIRST_POLL_TIMEOUT = 120
STATE_FILE = os.path.join(os.environ.get('TMPDIR', '/tmp'), 'eda_run_state.json')
CONFIDENTIAL = 'conf-confidential'
OTHER = 'conf-lunch'
RECORDED = 'conf-review'
RECORDING_SIZE = 3 * 1024 * 1024


def admin():
    return EmulatorAdmin(os.environ['DINGTALK_EMULATOR_URL'])


def fail(message):
    print('FAILED: ' + message, file=sys.stderr)
    sys.exit(1)


def rulebook(source, copy):
    """Write ``copy``: ``source`` with, after each rule's action, a shutdown, so that a run ends once its rule has acted."""
    with open(source, encoding='utf-8') as handle:
        rulesets = yaml.safe_load(handle)
    for ruleset in rulesets:
        for rule in ruleset['rules']:
            actions = rule.pop('actions', None) or [rule.pop('action')]
            rule['actions'] = actions + [{'shutdown': {'delay': 0, 'message': SHUTDOWN_MESSAGE}}]
    with open(copy, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(rulesets, handle, sort_keys=False)


def seed_app(emulator):
    emulator.reset()
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'vars.yml'), encoding='utf-8') as handle:
        app = yaml.safe_load(handle)
    emulator.add_app(app['eda_app_key'], app['eda_app_secret'])


def seed_stop():
    emulator = admin()
    seed_app(emulator)
    emulator.add_conference(CONFIDENTIAL, title='Confidential: budget review', host_union_id='host-cfo', cloud_record_status=0)
    emulator.add_conference(OTHER, title='Team lunch', host_union_id='host-team', cloud_record_status=0)


def wait_for_first_poll(emulator, conference_id):
    """Until the source's query of ``conference_id`` has been answered: its first poll is then over."""
    deadline = time.monotonic() + FIRST_POLL_TIMEOUT
    while not [request for request in emulator.requests_log('conference.get') if request['path'].endswith('/' + conference_id)]:
        if time.monotonic() > deadline:
            fail(f'the source did not query {conference_id} within {FIRST_POLL_TIMEOUT} s of the start')
        if not rulebook_running():
            fail(f'ansible-rulebook ended before its source queried {conference_id}')
        time.sleep(0.2)


def rulebook_running():
    """Whether the ansible-rulebook of RULEBOOK_PID (set by runme.sh) still runs."""
    try:
        os.kill(int(os.environ['RULEBOOK_PID']), 0)
    except (KeyError, ValueError):
        return True
    except OSError:
        return False
    return True


def remember(**state):
    with open(STATE_FILE, 'w', encoding='utf-8') as handle:
        json.dump(state, handle)


def recall():
    with open(STATE_FILE, encoding='utf-8') as handle:
        return json.load(handle)


def start_recordings():
    emulator = admin()
    wait_for_first_poll(emulator, CONFIDENTIAL)
    remember(started=emulator.get('clock')['time'])
    emulator.patch_conference(CONFIDENTIAL, cloud_record_status=1, cloud_record_owner_union_id='host-cfo')
    emulator.patch_conference(OTHER, cloud_record_status=1, cloud_record_owner_union_id='host-team')
    print('Both meetings are recording; the rulebook polls every 2 s.')


def check_stop():
    emulator = admin()
    started = recall()['started']
    stops = emulator.requests_log('cloudRecord.stop')
    if [(request['path'].rsplit('/', 3)[-3], request['body'], request['status']) for request in stops] != [(CONFIDENTIAL, {'unionId': 'host-cfo'}, 200)]:
        fail('expected one stop of {0} as its host, got {1}'.format(CONFIDENTIAL, [(request['path'], request['status']) for request in stops]))
    if emulator.conference(CONFIDENTIAL)['cloud_record_status'] != 3 or emulator.conference(OTHER)['cloud_record_status'] != 1:
        fail('the confidential meeting should be stopped (3) and the other still recording (1)')
    queries = [request for request in emulator.requests_log('conference.get') if request['path'].endswith('/' + CONFIDENTIAL) and request['time'] > started]
    if not queries or queries[0]['seq'] > stops[0]['seq']:
        fail('the stop did not follow a poll after the start of the recording')
    print(
        'Stopped once, by its host: the first poll after the start came {0:.1f} s after it, the stop {1:.1f} s after it (the module run included).'.format(
            queries[0]['time'] - started, stops[0]['time'] - started
        )
    )


def seed_archive():
    emulator = admin()
    seed_app(emulator)
    emulator.configure_recordings(video_delay=3, recording_size=RECORDING_SIZE)
    emulator.add_conference(RECORDED, title='Quarterly review', host_union_id='host-ceo', cloud_record_status=1, cloud_record_owner_union_id='host-ceo')


def end_recorded_meeting():
    emulator = admin()
    wait_for_first_poll(emulator, RECORDED)
    emulator.patch_conference(RECORDED, status=1)
    print('The meeting ended, and with it its recording; its video is listed 3 s later.')


def check_archive(dest):
    emulator = admin()
    files = emulator.file_host()
    videos = emulator.get('recordings')['recordings'][0]['videos']
    if len(videos) != 1:
        fail(f'expected one video of {RECORDED}, the emulator has {len(videos)}')
    media_id = videos[0]['media_id']
    path = os.path.join(dest, RECORDED, media_id + '.mp4')
    if not os.path.isfile(path):
        fail(f'{path} was not archived')
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b''):
            digest.update(chunk)
    if os.path.getsize(path) != RECORDING_SIZE or digest.hexdigest() != files.checksums()[media_id]:
        fail(f'{path} is not byte for byte what the storage host holds')
    downloads = [request for request in files.requests() if request['method'] == 'GET' and request['status'] in (200, 206)]
    if len(downloads) != 1:
        fail(f'expected the video to be downloaded once, it was downloaded {len(downloads)} times')
    print(f'Archived once, byte for byte: {os.path.relpath(path, dest)} ({RECORDING_SIZE} bytes).')


def main(argv):
    steps = {
        'rulebook': rulebook,
        'seed-stop': seed_stop,
        'start-recordings': start_recordings,
        'check-stop': check_stop,
        'seed-archive': seed_archive,
        'end-recorded-meeting': end_recorded_meeting,
        'check-archive': check_archive,
    }
    if not argv or argv[0] not in steps:
        fail('usage: eda_run.py {0} [ARG...]'.format('|'.join(steps)))
    steps[argv[0]](*argv[1:])


if __name__ == '__main__':
    main(sys.argv[1:])
