# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The long loop of loop.yml: seed its meetings, then check its memory and its token requests.

loop_memory.py seed N INTEGRATION_CONFIG      N recording meetings conf-loop-1 .. conf-loop-N, and the app
loop_memory.py check N LOG INTEGRATION_CONFIG the worker's memory late in the loop within 10 MB of after 20 items,
                                              one token request, N stops
"""

from __future__ import annotations

import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
# The emulator's admin client, from tests/emulator.
sys.path.insert(0, os.path.join(HERE, '..', '..', '..'))
from emulator.admin import EmulatorAdmin  # noqa: E402  pylint: disable=wrong-import-position,import-error

MAX_GROWTH_KIB = 10 * 1024
LABEL = re.compile(r'\(item=conf-loop-([0-9]+) worker-rss-kib=([0-9]+)\)')


def seed(size, config):
    with open(os.path.join(HERE, 'vars.yml'), encoding='utf-8') as handle:
        names = yaml.safe_load(handle)
    admin = EmulatorAdmin.from_integration_config(config)
    admin.reset()
    conferences = [
        {'conference_id': f'conf-loop-{number}', 'host_union_id': names['host_union_id'], 'status': 2, 'cloud_record_status': 1}
        for number in range(1, size + 1)
    ]
    admin.seed({'apps': [{'app_key': names['app_key'], 'app_secret': names['app_secret']}], 'conferences': conferences})
    return 0


def check(size, log, config):
    with open(log, encoding='utf-8', errors='replace') as handle:
        memory = dict((int(number), int(kib)) for number, kib in LABEL.findall(handle.read()))
    stats = EmulatorAdmin.from_integration_config(config).stats()
    problems = []
    if sorted(memory) != list(range(1, size + 1)):
        problems.append(f'the log labels {len(memory)} of the {size} items with the worker memory')
    else:
        # A label is read as its item starts: item 21's is the memory after the first 20 items, the last one's after all but one.
        growth = memory[size] - memory[21]
        print(f'worker memory: {memory[21]} KiB after 20 items, {memory[size]} KiB after {size - 1} ({growth:+d} KiB)')
        if growth > MAX_GROWTH_KIB:
            problems.append(f'the worker grew by {growth} KiB from item 21 to item {size} (at most {MAX_GROWTH_KIB})')
    print('token requests: {0}; stops: {1}'.format(stats['tokens_issued'], stats['by_api'].get('cloudRecord.stop')))
    if stats['tokens_issued'] != 1:
        problems.append('the loop asked for {0} tokens, not one'.format(stats['tokens_issued']))
    if stats['by_api'].get('cloudRecord.stop') != size:
        problems.append('{0} stops reached the emulator, not {1}'.format(stats['by_api'].get('cloudRecord.stop'), size))
    for problem in problems:
        print('FAILED: ' + problem)
    return 1 if problems else 0


if __name__ == '__main__':
    if sys.argv[1] == 'seed':
        sys.exit(seed(int(sys.argv[2]), sys.argv[3]))
    sys.exit(check(int(sys.argv[2]), sys.argv[3], sys.argv[4]))
