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

# Runs the module as Ansible would, in a fresh interpreter where importing requests fails.
RUN_WITHOUT_REQUESTS = (
    "import sys; sys.modules['requests'] = None; "
    "from ansible_collections.community.dingtalk.plugins.modules import dingtalk_cloud_record; "
    "dingtalk_cloud_record.main()"
)


def test_missing_requests_is_explained():
    module_args = {'ANSIBLE_MODULE_ARGS': {'conference_id': 'conf-1', 'union_id': 'host-union', 'access_token': 'token-value-1234'}}
    run = subprocess.run([sys.executable, '-c', RUN_WITHOUT_REQUESTS], input=json.dumps(module_args).encode('utf-8'),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=COLLECTIONS_ROOT),
                         check=False, timeout=60)
    assert run.stdout, run.stderr.decode("utf-8")
    result = json.loads(run.stdout.decode("utf-8"))
    assert run.returncode == 1
    assert result['failed'] is True
    assert 'requests' in result['msg']
    assert 'token-value-1234' not in run.stdout.decode('utf-8')
