# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import os
import subprocess
import sys

# <root>/ansible_collections/community/dingtalk/tests/unit/plugins/modules/this_file.py
COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *(['..'] * 7)))

# Runs the module as Ansible would, in a fresh interpreter where no Python package but
# ansible-core can be imported: the modules need nothing else on the host they run on.
RUN_WITH_ANSIBLE_ONLY = """
import importlib.abc, sys

class OnlyAnsibleAndTheStandardLibrary(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition('.')[0]
        if top in sys.stdlib_module_names or top in ('ansible', 'ansible_collections'):
            return None
        raise ImportError('not installed here: ' + name)

sys.meta_path.insert(0, OnlyAnsibleAndTheStandardLibrary())
from ansible_collections.community.dingtalk.plugins.modules import dingtalk_cloud_record
dingtalk_cloud_record.main()
"""


def test_the_module_needs_no_python_package_but_ansible_core(emulator):
    emulator.add_conference('conf-1', cloud_record_status=1)
    token = emulator.mint_token()
    module_args = {'ANSIBLE_MODULE_ARGS': {'api_url': emulator.url, 'conference_id': 'conf-1', 'union_id': 'host-union', 'access_token': token}}
    run = subprocess.run([sys.executable, '-c', RUN_WITH_ANSIBLE_ONLY], input=json.dumps(module_args).encode('utf-8'),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=COLLECTIONS_ROOT),
                         check=False, timeout=60)
    assert run.stdout, run.stderr.decode('utf-8')
    result = json.loads(run.stdout.decode('utf-8'))
    assert (run.returncode, result.get('outcome'), result.get('changed')) == (0, 'stopped', True), result
    assert emulator.conference('conf-1')['cloud_record_status'] == 3
