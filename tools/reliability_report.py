# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fault campaign, hostile input and secret scan of dingtalk_cloud_record against the emulator, written up as a report.

  python tools/reliability_report.py --output docs/reliability.md [--conferences 300] [--loop-conferences 20] [--keep]

Starts its own DingTalk emulator and runs ansible-playbook -vvvv (the one next to this Python, else the one
on PATH) with the playbooks of tests/integration/targets/reliability_campaign, whose Python package
``reliability`` is the campaign: cases.py (what is tried), campaign.py (runs it), judge.py (the module's
results against the emulator's truth) and report.py. The exit status is 1 if any check failed. The
collection comes from ANSIBLE_COLLECTIONS_PATH when it holds community.dingtalk, else from the
ansible_collections tree this file is in, else this git checkout is staged to a temporary tree first.
The reliability_campaign integration target runs this in `make test`.
"""

from __future__ import annotations

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [
    os.path.join(ROOT, 'tests'),  # the emulator's launcher and admin client: the package "emulator"
    os.path.join(ROOT, 'tests', 'integration', 'targets', 'reliability_campaign'),
]  # the package "reliability"
from emulator.launcher import EmulatorStartError  # noqa: E402  pylint: disable=wrong-import-position,import-error
from reliability import campaign  # noqa: E402  pylint: disable=wrong-import-position,import-error


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--output', required=True, help='where to write the report (Markdown)')
    parser.add_argument('--conferences', type=int, default=300, help='conferences of the batch runs')
    parser.add_argument('--loop-conferences', type=int, default=20, help='conferences of the loop run (a module run each)')
    parser.add_argument('--keep', action='store_true', help='keep the work directory (logs and results) and print where it is')
    args = parser.parse_args()
    try:
        return campaign.run(args.output, args.conferences, args.loop_conferences, keep=args.keep)
    except EmulatorStartError as err:
        raise SystemExit(str(err)) from err


if __name__ == '__main__':
    sys.exit(main())
