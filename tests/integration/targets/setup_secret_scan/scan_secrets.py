# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fail if a secret or an access token appears in any file a test run left behind.

  scan_secrets.py --label NAME [--secrets-file YAML ...] [--emulator URL | --integration-config FILE] [--ca FILE]
                  [--token-cache DIR ...] [--summary FILE] PATH ...

Every byte of every file under each PATH (logs, artifacts, temporary directories) is searched for:
- the secrets: every string in a --secrets-file that sits, at any depth, under a key whose name
  contains "secret", "ticket" or "password" (list items included);
- the tokens: every token the emulator lists at /_emulator/tokens, and anything shaped like the
  emulator's tokens (``emu``, six or more digits, eight hex digits), which also catches tokens
  issued before the emulator's last reset.
A file in a --token-cache directory may hold its token, nothing else; file names are searched too.
Prints counts, file names, line numbers and the kind of value that matched, never a value. Exits 1
on a leak, and when there was nothing to look for or nowhere to look.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

import yaml

# The emulator's admin client, from tests/emulator (aliases of ../setup_emulator).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))
from emulator.admin import EmulatorAdmin  # noqa: E402  pylint: disable=wrong-import-position,import-error

SECRET_KEY = re.compile(r'secret|ticket|password', re.IGNORECASE)
# How the emulator makes tokens (tests/emulator/dingtalk_api.py): "emu%06d%08x".
EMULATOR_TOKEN = re.compile(rb'emu[0-9]{6,}[0-9a-f]{8}')


class _AnsibleYamlLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """Reads playbooks and vars files: Ansible's tags (!unsafe, !vault) mark plain values."""


def _untagged(loader, _suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_AnsibleYamlLoader.add_multi_constructor('!', _untagged)


def secrets_in(data, under_secret_key=False):
    """The strings of a YAML document that sit under a key naming a secret."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from secrets_in(value, under_secret_key or bool(SECRET_KEY.search(str(key))))
    elif isinstance(data, list):
        for item in data:
            yield from secrets_in(item, under_secret_key)
    elif under_secret_key and isinstance(data, str) and data and '{{' not in data:  # a template is not the value
        yield data


def files_under(paths):
    for path in paths:
        if os.path.isfile(path):
            yield path
        for root, _dirs, names in os.walk(path):
            for name in sorted(names):
                yield os.path.join(root, name)


def in_any(path, directories):
    return any(os.path.commonpath([os.path.abspath(path), os.path.abspath(directory)]) == os.path.abspath(directory) for directory in directories)


def leaks_in(path, content, values, allow_tokens):
    """``(line number, kind)`` of each value found in ``content``."""
    found = []
    for kind, value in values:
        if allow_tokens and kind == 'token':
            continue
        start = content.find(value)
        while start != -1:
            found.append((content.count(b'\n', 0, start) + 1, kind))
            start = content.find(value, start + 1)
    if not allow_tokens:
        found += [(content.count(b'\n', 0, match.start()) + 1, 'token-shaped value') for match in EMULATOR_TOKEN.finditer(content)]
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--label', required=True, help='what was scanned, for the messages and the summary')
    parser.add_argument('--secrets-file', action='append', default=[])
    parser.add_argument('--emulator', help='URL of the emulator whose tokens to look for')
    parser.add_argument('--integration-config', help='integration_config.yml naming the emulator (dingtalk_emulator_url)')
    parser.add_argument('--ca', help='CA file to trust for an HTTPS emulator')
    parser.add_argument('--token-cache', action='append', default=[], help='a token cache directory: its files may hold their token')
    parser.add_argument('--summary', help='write the counts as JSON here')
    parser.add_argument('paths', nargs='+')
    args = parser.parse_args()

    secrets = set()
    for secrets_file in args.secrets_file:
        with open(secrets_file, encoding='utf-8') as handle:
            secrets.update(secrets_in(yaml.load(handle, Loader=_AnsibleYamlLoader)))
    options = {'verify': args.ca} if args.ca else {}
    if args.emulator:
        emulator = EmulatorAdmin(args.emulator, **options)
    else:
        emulator = EmulatorAdmin.from_integration_config(args.integration_config, **options) if args.integration_config else None
    tokens = {token['access_token'] for token in emulator.tokens()} if emulator else set()
    values = [('secret', secret.encode('utf-8')) for secret in sorted(secrets)] + [('token', token.encode('utf-8')) for token in sorted(tokens)]

    leaks = []
    files = list(files_under(args.paths))
    scanned_bytes = 0
    for path in files:
        with open(path, 'rb') as handle:
            content = handle.read()
        scanned_bytes += len(content)
        name = os.path.basename(path).encode('utf-8')
        leaks += [f'{path} (file name): {kind}' for _line, kind in leaks_in(path, name, values, allow_tokens=False)]
        cache_file = in_any(path, args.token_cache)
        leaks += [f'{path} line {line}: {kind}' for line, kind in leaks_in(path, content, values, allow_tokens=cache_file)]

    summary = {'label': args.label, 'files': len(files), 'bytes': scanned_bytes, 'secrets': len(secrets), 'tokens': len(tokens), 'leaks': len(leaks)}
    print(
        'secret scan of {label}: {files} files ({bytes} bytes) searched for {secrets} secrets, {tokens} issued tokens and '
        'token-shaped values: {leaks} leaks'.format(**summary)
    )
    for leak in leaks:
        print('LEAK: ' + leak)
    if args.summary:
        with open(args.summary, 'w', encoding='utf-8') as handle:
            json.dump(summary, handle)
    if not files or not values:
        print('nothing to scan for: no files, or no secret and no issued token')
        return 1
    return 1 if leaks else 0


if __name__ == '__main__':
    sys.exit(main())
