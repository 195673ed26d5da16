# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module run as Ansible runs it, in a fresh interpreter that can import only what a managed node is promised."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible.module_utils.basic import missing_required_lib

# <root>/ansible_collections/community/dingtalk/tests/unit/plugins/modules/this_file.py
COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *(['..'] * 7)))

# requests and the packages it declares: what requirements.txt asks a managed node for.
REQUESTS_AND_ITS_DEPENDENCIES = ('requests', 'urllib3', 'charset_normalizer', 'idna', 'certifi')

RUN_WITH_ONLY = """
import importlib.abc, os, pkgutil, sys, sysconfig

STDLIB = getattr(sys, 'stdlib_module_names', None)
if STDLIB is None:  # before Python 3.10: what the standard library directories hold
    STDLIB = set(sys.builtin_module_names) | set(module.name for module in pkgutil.iter_modules(
        [sysconfig.get_paths()['stdlib'], os.path.join(sysconfig.get_paths()['stdlib'], 'lib-dynload')]))

class OnlyTheseAndTheStandardLibrary(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition('.')[0]
        if top in STDLIB or top in {allowed!r}:
            return None
        raise ModuleNotFoundError('not installed here: ' + name)

sys.meta_path.insert(0, OnlyTheseAndTheStandardLibrary())
from ansible_collections.community.dingtalk.plugins.modules import dingtalk_cloud_record
dingtalk_cloud_record.main()
"""


def run_module(emulator, allowed):
    emulator.add_conference('conf-1', cloud_record_status=1)
    module_args = {'ANSIBLE_MODULE_ARGS': {'api_url': emulator.url, 'conference_id': 'conf-1', 'union_id': 'host-union', 'access_token': emulator.mint_token()}}
    script = RUN_WITH_ONLY.format(allowed=('ansible', 'ansible_collections') + allowed)
    # ansible-core may come from the PYTHONPATH ansible-test sets, as for another Python than its own.
    python_path = os.pathsep.join([COLLECTIONS_ROOT] + [path for path in os.environ.get('PYTHONPATH', '').split(os.pathsep) if path])
    run = subprocess.run(
        [sys.executable, '-c', script],
        input=json.dumps(module_args).encode('utf-8'),
        capture_output=True,
        env=dict(os.environ, PYTHONPATH=python_path),
        check=False,
        timeout=60,
    )
    assert run.stdout, run.stderr.decode('utf-8')
    return run, json.loads(run.stdout.decode('utf-8'))


def test_the_module_needs_nothing_but_ansible_core_and_requests(emulator):
    run, result = run_module(emulator, REQUESTS_AND_ITS_DEPENDENCIES)
    assert (run.returncode, result.get('outcome'), result.get('changed')) == (0, 'stopped', True), result
    assert emulator.conference('conf-1')['cloud_record_status'] == 3


def test_without_requests_the_module_fails_with_the_standard_message_and_calls_nothing(emulator):
    run, result = run_module(emulator, ())
    assert run.returncode == 1
    assert result['failed'] is True
    assert result['msg'] == missing_required_lib('requests')
    assert run.stderr == b''  # no traceback: the import error travels only in the result's exception key, for -vvv
    assert emulator.requests_log() == []
    assert emulator.conference('conf-1')['cloud_record_status'] == 1
