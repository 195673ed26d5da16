# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every example that ``ansible-doc`` shows for the collection's plugins, run verbatim against the emulator.

The examples come from ``ansible-doc --json``, as a user sees them, cut into their top-level items with their
text unchanged. SCENES puts each item in exactly one scene: consecutive items of one plugin that run as one
play, with the variables and environment they reference, an emulator state set up with the admin client
first, and a check of the emulator's truth after. An example added to a plugin without a scene here fails
the ``write`` step, so that no example goes untested.

    plugin_examples.py write DIR            one playbook per scene in DIR; prints the scene names
    plugin_examples.py prepare SCENE DIR    reset and seed the emulator; write DIR/SCENE.vars.yml and DIR/SCENE.env;
                                            print the meeting to end once its recording starts, if the scene has one
    plugin_examples.py check SCENE          the emulator's state after the scene is what its examples say
    plugin_examples.py end-after-start ID   end meeting ID as soon as a recording start for it arrives (in the background)
"""

from __future__ import annotations

import functools
import grp
import json
import os
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))

from emulator.admin import EmulatorAdmin  # noqa: E402  # pylint: disable=import-error,wrong-import-position

INTEGRATION_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'integration_config.yml')
APP_KEY = 'ding-examples-app'
APP_SECRET = 'examples-secret-do-not-print-3b7a'
SUITE = {'suite_key': 'suite-examples', 'suite_secret': 'examples-suite-secret-c94e', 'suite_ticket': 'examples-ticket-51d0', 'auth_corp_id': 'corp-ex'}
HOST = 'host-ex'
OWNER = HOST
# The organisation every scene starts from: a meeting being recorded, one not recording, one that has ended,
# and one whose recording has ended and is listed with its videos and transcript.
CONFERENCES = [
    {
        'conference_id': 'ex-recording',
        'title': 'Weekly sync',
        'host_union_id': HOST,
        'status': 2,
        'cloud_record_status': 1,
        'cloud_record_owner_union_id': OWNER,
    },
    {'conference_id': 'ex-idle', 'title': 'Compliance review', 'host_union_id': HOST, 'status': 2, 'cloud_record_status': 0},
    {'conference_id': 'ex-ended', 'title': 'All hands', 'host_union_id': HOST, 'status': 1, 'cloud_record_status': 3},
    # Recorded by its host, who DingTalk names as the recording's owner; ex-ended's recording names nobody (its archive reports owner_unknown).
    {
        'conference_id': 'ex-recorded',
        'title': 'Board meeting',
        'host_union_id': HOST,
        'status': 1,
        'cloud_record_status': 3,
        'cloud_record_owner_union_id': HOST,
    },
]
RECORDED = {
    'videos': [{'media_id': 'media-ex-1', 'duration': 120000}],
    'transcript': [
        {'paragraph': 'Good morning.', 'nick_name': 'Li Lei', 'union_id': HOST, 'start_time': 1772443805000, 'end_time': 1772443806500},
        {'paragraph': 'Let us begin.', 'nick_name': 'Li Lei', 'union_id': HOST, 'start_time': 1772443807000, 'end_time': 1772443809000},
    ],
}

# What the scenes' examples reference. dingtalk_access_token is the lookup, as the docs suggest putting it in vars.
COMMON_VARS = {
    'host_union_id': HOST,
    'dingtalk_access_token': "{{ lookup('community.dingtalk.dingtalk_token') }}",
    'vault_dingtalk_app_key': APP_KEY,
    'vault_dingtalk_app_secret': APP_SECRET,
}
# The credentials for the lookup in dingtalk_access_token, in the environment as the AWX credential type injects them.
APP_ENVIRONMENT = {'DINGTALK_APP_KEY': APP_KEY, 'DINGTALK_APP_SECRET': APP_SECRET}

SCENES = {
    'cloud_record_stop_and_start': {
        'plugin': ('module', 'dingtalk_cloud_record'),
        'items': [0, 1],
        'vars': {'conference_id': 'ex-recording'},
        'environment': APP_ENVIRONMENT,
        # Stopped, then started again in speaker layout.
        'expect': {'ex-recording': 1},
    },
    'cloud_record_token_from_environment': {
        'plugin': ('module', 'dingtalk_cloud_record'),
        'items': [2],
        'vars': {'conference_ids': ['ex-recording', 'ex-idle']},
        'environment': {'DINGTALK_ACCESS_TOKEN': 'minted'},
        'expect': {'ex-recording': 3, 'ex-idle': 0},
    },
    'cloud_record_module_defaults': {
        'plugin': ('module', 'dingtalk_cloud_record'),
        'items': [3],
        # The wait for the meeting to end returns at once: it has.
        'vars': {'conference_id': 'ex-ended'},
        'environment': APP_ENVIRONMENT,
        'expect': {'ex-ended': 3, 'ex-recording': 1},
    },
    'cloud_record_batch': {
        'plugin': ('module', 'dingtalk_cloud_record'),
        'items': [4, 5],
        'vars': {'todays_meetings': [{'conference_id': 'ex-recording'}, {'conference_id': 'ex-idle'}, {'conference_id': 'ex-ended'}]},
        'environment': APP_ENVIRONMENT,
        'expect': {'ex-recording': 3, 'ex-idle': 0},
    },
    'cloud_record_sweep': {
        'plugin': ('module', 'dingtalk_cloud_record'),
        'items': [6],
        'expect': {'ex-recording': 3, 'ex-idle': 0},
    },
    'conference_info_read_and_start': {
        'plugin': ('module', 'dingtalk_conference_info'),
        'items': [0, 1, 2],
        'vars': {'conference_id': 'ex-idle'},
        'environment': APP_ENVIRONMENT,
        'expect': {'ex-idle': 1},
    },
    'conference_info_list': {
        'plugin': ('module', 'dingtalk_conference_info'),
        'items': [3, 4],
        'expect': {'ex-recording': 1, 'ex-idle': 0},
    },
    'conference_info_compliance_recording': {
        'plugin': ('module', 'dingtalk_conference_info'),
        'items': [5],
        'vars': {'conference_id': 'ex-idle'},
        'environment': APP_ENVIRONMENT,
        # runme.sh ends the meeting once its recording has started, which ends the wait.
        'end_after_start': 'ex-idle',
        'expect': {'ex-idle': 3},
    },
    'cloud_record_info': {
        'plugin': ('module', 'dingtalk_cloud_record_info'),
        'items': [0, 1, 2, 3],
        'vars': {'conference_id': 'ex-recorded', 'minutes_dir': '{work_dir}'},
        'environment': APP_ENVIRONMENT,
        'expect_files': ['ex-recorded.txt'],
    },
    'cloud_record_archive': {
        'plugin': ('module', 'dingtalk_cloud_record_archive'),
        'items': [0, 1, 2],
        # The group: the test user's own, a group that exists on every test machine.
        'vars': {
            'conference_id': 'ex-recording',
            'archive_dest': '{work_dir}',
            'archive_group': '{user_group}',
            'last_week_conference_ids': ['ex-recorded', 'ex-ended'],
        },
        'environment': APP_ENVIRONMENT,
        'expect': {'ex-recording': 3},
        'expect_files': ['ex-recording', 'ex-recorded/media-ex-1.mp4'],
    },
    'lookup_internal_app': {
        'plugin': ('lookup', 'dingtalk_token'),
        'items': [0, 1, 2],
        'vars': {'conference_id': 'ex-recording', 'my_app_key': APP_KEY, 'my_app_secret': APP_SECRET, 'dingtalk_api_url': '{emulator_url}'},
        'environment': APP_ENVIRONMENT,
        'expect': {'ex-recording': 3},
    },
    'lookup_third_party_app': {
        'plugin': ('lookup', 'dingtalk_token'),
        'items': [3],
        'vars': {'dingtalk_' + name: value for name, value in SUITE.items()},
    },
}


PLUGINS = [('module', 'dingtalk_cloud_record'), ('module', 'dingtalk_conference_info'), ('module', 'dingtalk_cloud_record_info'),
           ('module', 'dingtalk_cloud_record_archive'), ('lookup', 'dingtalk_token')]  # fmt: skip


@functools.lru_cache(maxsize=None)
def shown_docs(plugin_type):
    """What ``ansible-doc --json`` shows for every plugin of PLUGINS of that type: one ansible-doc run (about a second) per type."""
    fqcns = ['community.dingtalk.' + name for kind, name in PLUGINS if kind == plugin_type]
    return json.loads(subprocess.run(['ansible-doc', '--json', '-t', plugin_type, *fqcns], check=True, stdout=subprocess.PIPE).stdout)


def plugin_examples(plugin_type, name):
    """The EXAMPLES text ansible-doc shows for community.dingtalk.NAME."""
    return shown_docs(plugin_type)['community.dingtalk.' + name]['examples']


def top_level_items(examples):
    """The top-level items of an EXAMPLES text, each as its lines unchanged (comments just above an item go with it)."""
    items, pending = [], []
    for line in examples.strip('\n').splitlines():
        if line.startswith('- '):
            items.append(pending + [line])
            pending = []
        elif line.startswith('#') or not items:
            pending.append(line)
        else:
            items[-1].append(line)
    return ['\n'.join(item).rstrip() for item in items]


def write(out_dir):
    """A playbook per scene in ``out_dir``; fails unless every example item of every plugin is in exactly one scene."""
    by_plugin = {}
    for scene in SCENES.values():
        by_plugin.setdefault(scene['plugin'], []).extend(scene['items'])
    for plugin_type, name in PLUGINS:
        count = len(top_level_items(plugin_examples(plugin_type, name)))
        if sorted(by_plugin.get((plugin_type, name), [])) != list(range(count)):
            sys.exit(f'{name} has {count} examples; SCENES covers {sorted(by_plugin.get((plugin_type, name), []))}: give every example a scene')
    for scene_name, scene in SCENES.items():
        items = top_level_items(plugin_examples(*scene['plugin']))
        tasks = '\n\n'.join('\n'.join('    ' + line if line else line for line in items[index].splitlines()) for index in scene['items'])
        header = '---\n- name: {0} (EXAMPLES of community.dingtalk.{1}, verbatim)\n  hosts: localhost\n  gather_facts: false\n  tasks:\n'
        with open(os.path.join(out_dir, scene_name + '.yml'), 'w', encoding='utf-8') as playbook:
            playbook.write(header.format(scene_name, scene['plugin'][1]) + tasks + '\n')
        print(scene_name)


def prepare(scene_name, out_dir):
    """Reset the emulator to the example organisation; write the scene's variables and environment for runme.sh."""
    scene = SCENES[scene_name]
    admin = EmulatorAdmin.from_integration_config(INTEGRATION_CONFIG)
    admin.reset()
    admin.seed(
        {
            'apps': [{'app_key': APP_KEY, 'app_secret': APP_SECRET}],
            'suites': [dict({name: SUITE[name] for name in ('suite_key', 'suite_secret', 'suite_ticket')}, corp_ids=[SUITE['auth_corp_id']])],
            'conferences': CONFERENCES,
        }
    )
    admin.add_recordings('ex-recorded', **RECORDED)
    work_dir = os.path.join(out_dir, scene_name + '.files')
    os.mkdir(work_dir, 0o700)
    fill = {'work_dir': work_dir, 'user_group': grp.getgrgid(os.getgid()).gr_name, 'emulator_url': admin.url}
    variables = dict(COMMON_VARS, **{name: value.format(**fill) if isinstance(value, str) else value for name, value in scene.get('vars', {}).items()})
    environment = dict(scene.get('environment', {}), DINGTALK_API_URL=admin.url)
    if environment.get('DINGTALK_ACCESS_TOKEN') == 'minted':
        environment['DINGTALK_ACCESS_TOKEN'] = admin.mint_token(APP_KEY)
    with open(os.path.join(out_dir, scene_name + '.vars.yml'), 'w', encoding='utf-8') as handle:
        json.dump(variables, handle)  # JSON is YAML
    with open(os.path.join(out_dir, scene_name + '.env'), 'w', encoding='utf-8') as handle:
        handle.write(''.join(f'export {name}={shlex.quote(value)}\n' for name, value in environment.items()))
    if scene.get('end_after_start'):
        print(scene['end_after_start'])


def check(scene_name, out_dir):
    """Exit non-zero unless the emulator and the files are as the scene's examples leave them."""
    scene = SCENES[scene_name]
    admin = EmulatorAdmin.from_integration_config(INTEGRATION_CONFIG)
    states = {conference['conference_id']: conference['cloud_record_status'] for conference in admin.conferences()}
    wrong = {conference_id: states.get(conference_id) for conference_id, state in scene.get('expect', {}).items() if states.get(conference_id) != state}
    missing = [path for path in scene.get('expect_files', []) if not os.path.exists(os.path.join(out_dir, scene_name + '.files', path))]
    if wrong or missing:
        sys.exit('{0}: recording states {1} (expected {2}); files missing: {3}'.format(scene_name, wrong, scene.get('expect'), missing))
    print(f'{scene_name}: as its examples say')


def end_after_start(conference_id, timeout=120):
    """End the meeting as soon as the emulator has a recording start for it (what its host would do later)."""
    admin = EmulatorAdmin.from_integration_config(INTEGRATION_CONFIG)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(conference_id in call['path'] and call['status'] == 200 for call in admin.requests_log('cloudRecord.start')):
            admin.patch_conference(conference_id, status=1)
            return
        time.sleep(0.05)
    sys.exit(f'no recording start for {conference_id} within {timeout} seconds')


if __name__ == '__main__':
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == 'write':
        write(*arguments)
    elif command == 'prepare':
        prepare(*arguments)
    elif command == 'check':
        check(*arguments)
    elif command == 'end-after-start':
        end_after_start(*arguments)
    else:
        sys.exit(__doc__)
