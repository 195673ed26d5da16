# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Copy the collection to <build root>/ansible_collections/community/dingtalk for ansible-test and playbooks.

ansible-test insists on running inside such a path and resolves symlinks, so the
checkout is copied: every file git tracks or would track (untracked but not
ignored), as it is in the working tree. The copy is made afresh each time so that
deleted files do not linger; tests/output is kept, as ansible-test reuses it.
"""

import os
import shutil
import subprocess
import sys

KEPT_BETWEEN_RUNS = ('tests/output',)


def collection_files(checkout):
    listing = subprocess.run(
        ['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], cwd=checkout, check=True, stdout=subprocess.PIPE
    ).stdout.decode('utf-8')
    return sorted(path for path in listing.split('\0') if path and os.path.isfile(os.path.join(checkout, path)))


def clear(destination):
    if not os.path.isdir(destination):
        return
    for entry in os.listdir(destination):
        if entry == 'tests':
            for test_entry in os.listdir(os.path.join(destination, 'tests')):
                if os.path.join('tests', test_entry) not in KEPT_BETWEEN_RUNS:
                    remove(os.path.join(destination, 'tests', test_entry))
        else:
            remove(os.path.join(destination, entry))


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def main():
    checkout = os.path.abspath(sys.argv[1])
    build_root = os.path.abspath(sys.argv[2])
    destination = os.path.join(build_root, 'ansible_collections', 'community', 'dingtalk')
    clear(destination)
    for path in collection_files(checkout):
        target = os.path.join(destination, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(checkout, path), target)
    print(destination)


if __name__ == '__main__':
    main()
