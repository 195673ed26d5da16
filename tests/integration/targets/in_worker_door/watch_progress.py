# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Progress lines of a long batch, read from a running ansible-playbook before its task ends.

watch_progress.py N LATENCY LOG INTEGRATION_CONFIG [ansible-playbook arguments...]

Seeds N recording meetings conf-slow-1 .. conf-slow-N, makes the emulator answer every API call LATENCY seconds
late, and runs ansible-playbook -vvvv with the arguments (progress.yml), its output copied to LOG as it comes (for
the secret scan). It runs on a terminal, as ansible-runner (AWX) runs it: Python hands on each line to a terminal
at once, and holds the output to a pipe in a buffer (PYTHONUNBUFFERED=1 changes that). Fails unless progress
lines came while the batch's task was still running, with counts that grow, and the last one says every item
stopped.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
# The emulator's admin client, from tests/emulator.
sys.path.insert(0, os.path.join(HERE, '..', '..', '..'))
from emulator.admin import EmulatorAdmin  # noqa: E402  pylint: disable=wrong-import-position,import-error

PROGRESS = re.compile(
    r'^\[in_worker\] Stopping recordings: ([0-9]+) of ([0-9]+) done, ([0-9]+) changed, ([0-9]+) failed; '
    r'[0-9.]+ s waiting for the rate limit, ([0-9.]+) s elapsed$'
)
# The task's own result line: once it is printed the task has ended.
TASK_RESULT = re.compile(r'^(changed|ok|fatal|failed): \[in_worker\]')
TASK_HEADER = 'TASK [Stop the recordings one at a time, slowly]'


def seed(size, latency, admin):
    with open(os.path.join(HERE, 'vars.yml'), encoding='utf-8') as handle:
        names = yaml.safe_load(handle)
    admin.reset()
    conferences = [
        {'conference_id': f'conf-slow-{number}', 'host_union_id': names['host_union_id'], 'status': 2, 'cloud_record_status': 1}
        for number in range(1, size + 1)
    ]
    admin.seed({'config': {'latency': latency}, 'apps': [{'app_key': names['app_key'], 'app_secret': names['app_secret']}], 'conferences': conferences})


def terminal_lines(fd):
    """The lines written to the terminal whose controlling side is ``fd``, as they come, until the other side is closed."""
    pending = b''
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the command ended and closed its side
            data = b''
        if not data:
            break
        pending += data
        *lines, pending = pending.split(b'\n')
        for line in lines:
            yield line.decode('utf-8', 'replace').rstrip('\r') + '\n'
    if pending:
        yield pending.decode('utf-8', 'replace') + '\n'


def watch(command, log):
    """The progress lines the command printed while its batch task ran, as ``(seconds since start, line, running)``, and its exit status."""
    seen, in_task = [], False
    started = time.monotonic()
    controller, terminal = pty.openpty()
    with open(log, 'w', encoding='utf-8') as copy:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal, close_fds=True)
        os.close(terminal)
        for line in terminal_lines(controller):
            copy.write(line)
            line = line.rstrip('\n')
            if line.startswith(TASK_HEADER):
                in_task = True
            elif in_task and TASK_RESULT.match(line):
                in_task = False
            elif in_task and PROGRESS.match(line):
                # Read here, before the task's result: the playbook is still running (and still in the task).
                seen.append((time.monotonic() - started, line, process.poll() is None))
        os.close(controller)
        return seen, process.wait()


def check(size, seen, status):
    problems = []
    if status != 0:
        problems.append(f'ansible-playbook failed ({status}); see its output above')
    for moment, line, running in seen:
        print('{0:6.1f} s {1}{2}'.format(moment, line, '' if running else ' (the playbook had ended)'))
    counts = [[int(value) for value in PROGRESS.match(line).groups()[:4]] for _moment, line, _running in seen]
    if len(seen) < 3 or not all(running for _moment, _line, running in seen):
        problems.append(f'expected at least three progress lines while the batch ran, got {len(seen)}')
    if [count[0] for count in counts] != sorted(count[0] for count in counts):
        problems.append(f'the done counts do not grow: {[count[0] for count in counts]}')
    if not counts or counts[-1] != [size, size, size, 0]:
        problems.append(f'the last line does not say {size} of {size} done, {size} changed, 0 failed')
    elif seen[-1][0] - seen[0][0] < 2:
        problems.append(f'the lines came within {seen[-1][0] - seen[0][0]:.1f} s: not as the batch went')
    for problem in problems:
        print('FAILED: ' + problem)
    return 1 if problems else 0


def main(argv):
    size, latency, log, config = int(argv[1]), float(argv[2]), argv[3], argv[4]
    admin = EmulatorAdmin.from_integration_config(config)
    seed(size, latency, admin)
    try:
        seen, status = watch(['ansible-playbook', '-vvvv'] + argv[5:] + ['-e', f'batch_size={size}'], log)
    finally:
        admin.configure(latency=0)
    result = check(size, seen, status)
    if result:
        with open(log, encoding='utf-8') as output:
            print(''.join(output.readlines()[-40:]))
    return result


if __name__ == '__main__':
    sys.exit(main(sys.argv))
