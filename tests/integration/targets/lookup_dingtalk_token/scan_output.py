# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fail if any secret or any token issued by the emulator appears where it must not.

Searched: the given -vvvv logs (every byte), the token cache's file names, and the
cache files' contents for secrets (a cache file may hold its token, nothing else).
Prints only counts, file names, line numbers and what kind of value matched, never the value.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request

import yaml

# Values in vars/credentials.yml that are secrets, plus the wrong secrets auth.yml tries.
SECRET_NAMES = ('app_secret', 'suite_secret', 'suite_ticket')
WRONG_SECRETS = ('wrong-secret-0b7d', 'wrong-suite-secret-1e', 'wrong-ticket-77')


def issued_tokens(emulator_url):
    with urllib.request.urlopen(emulator_url + '/_emulator/tokens', timeout=10) as answer:
        return [token['access_token'] for token in json.load(answer)['tokens']]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--emulator', required=True)
    parser.add_argument('--credentials', required=True)
    parser.add_argument('--cache-dir', required=True)
    parser.add_argument('logs', nargs='+')
    args = parser.parse_args()

    with open(args.credentials, encoding='utf-8') as credentials_file:
        credentials = yaml.safe_load(credentials_file)
    secrets = dict((name, credentials[name]) for name in SECRET_NAMES)
    secrets.update(('wrong secret {0}'.format(number), value) for number, value in enumerate(WRONG_SECRETS))
    secrets.update(('token {0}'.format(number), value) for number, value in enumerate(issued_tokens(args.emulator)))
    leaks = []

    for log in args.logs:
        with open(log, encoding='utf-8', errors='replace') as log_file:
            for line_number, line in enumerate(log_file, start=1):
                leaks += ['{0} line {1}: {2}'.format(log, line_number, name) for name, value in secrets.items() if value in line]

    cache_files = sorted(os.listdir(args.cache_dir))
    for file_name in cache_files:
        leaks += ['cache file name {0}: {1}'.format(file_name, name) for name, value in secrets.items() if value in file_name]
        with open(os.path.join(args.cache_dir, file_name), encoding='utf-8', errors='replace') as cache_file:
            content = cache_file.read()
        # A cache file may hold its token; nothing else.
        leaks += ['cache file {0}: {1}'.format(file_name, name) for name, value in secrets.items() if value in content and not name.startswith('token')]

    token_count = sum(1 for name in secrets if name.startswith('token'))
    print('scanned {0} logs and {1} cache files for {2} secrets and {3} tokens: {4} leaks'.format(
        len(args.logs), len(cache_files), len(secrets) - token_count, token_count, len(leaks)))
    for leak in leaks:
        print('LEAK: ' + leak)
    if not token_count or not cache_files:
        print('nothing to scan for: the run issued no token or left no cache file')
        return 1
    return 1 if leaks else 0


if __name__ == '__main__':
    sys.exit(main())
