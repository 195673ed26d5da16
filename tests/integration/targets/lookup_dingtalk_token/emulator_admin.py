# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Small helpers for runme.sh: print a value it needs to export, without putting it on a command line.

  emulator_admin.py url                 the emulator's address from integration_config.yml
  emulator_admin.py credential NAME     a value of vars/credentials.yml
  emulator_admin.py mint-token APP_KEY  a fresh token for an app, minted by the emulator
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))


def load_yaml(path):
    with open(path, encoding='utf-8') as yaml_file:
        return yaml.safe_load(yaml_file)


def emulator_url():
    return load_yaml(os.path.join(HERE, '..', '..', 'integration_config.yml'))['dingtalk_emulator_url']


def mint_token(app_key):
    request = urllib.request.Request(emulator_url() + '/_emulator/tokens', data=json.dumps({'app_key': app_key}).encode('utf-8'),
                                     headers={'Content-Type': 'application/json'}, method='POST')
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)['access_token']


def main(command, *arguments):
    if command == 'url':
        print(emulator_url())
    elif command == 'credential':
        print(load_yaml(os.path.join(HERE, 'vars', 'credentials.yml'))[arguments[0]])
    elif command == 'mint-token':
        print(mint_token(arguments[0]))
    else:
        sys.exit('unknown command {0}'.format(command))


if __name__ == '__main__':
    main(*sys.argv[1:])
