# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Compare what each door returned for the same scenarios (doors.yml), field by field.

  compare_doors.py OUT_DIR REFERENCE_HOST OTHER_HOST...

Ignored: the timing field ``waited``. Made equal: what differs from one run to the next by design whichever door
runs it, DingTalk's request ids (the emulator numbers every request it answers) and the expiry and signature
of a signed link (made at the time it is handed out). Exits 1 naming every field that differs.
"""

from __future__ import annotations

import json
import os
import re
import sys

TIMING_FIELDS = ('waited',)
REQUEST_ID = re.compile(r'\b[0-9a-f]{8}-0000-4000-8000-[0-9]{12}\b')
SIGNED_QUERY = re.compile(r'\?Expires=[0-9]+&Signature=[0-9a-f]+')


def normalised(value):
    if isinstance(value, dict):
        return dict((key, normalised(item)) for key, item in value.items() if key not in TIMING_FIELDS)
    if isinstance(value, list):
        return [normalised(item) for item in value]
    if isinstance(value, str):
        return SIGNED_QUERY.sub('?<signed>', REQUEST_ID.sub('<request id>', value))
    return value


def differences(reference, other, path):
    """Every path at which ``other`` differs from ``reference``, with both values."""
    if isinstance(reference, dict) and isinstance(other, dict):
        found = []
        for key in sorted(set(reference) | set(other)):
            if key not in other or key not in reference:
                found.append('{0}.{1}: {2!r} against {3!r}'.format(path, key, reference.get(key, '<absent>'), other.get(key, '<absent>')))
            else:
                found.extend(differences(reference[key], other[key], f'{path}.{key}'))
        return found
    if isinstance(reference, list) and isinstance(other, list) and len(reference) == len(other):
        found = []
        for index, (one, two) in enumerate(zip(reference, other)):
            found.extend(differences(one, two, f'{path}[{index}]'))
        return found
    return [] if reference == other else [f'{path}: {reference!r} against {other!r}']


def main(out_dir, reference_host, *other_hosts):
    def load(host):
        with open(os.path.join(out_dir, host + '.json'), encoding='utf-8') as handle:
            return normalised(json.load(handle))

    reference = load(reference_host)
    problems = []
    for host in other_hosts:
        other = load(host)
        for scenario in sorted(reference):
            problems.extend(f'{reference_host} vs {host}: {line}' for line in differences(reference[scenario], other.get(scenario), scenario))
    for problem in problems:
        print(problem)
    fields = sum(len(result) for result in reference.values())
    print(
        '{0} scenarios ({1} top-level fields) compared between {2} and {3}: {4} differences'.format(
            len(reference), fields, reference_host, ', '.join(other_hosts), len(problems)
        )
    )
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
