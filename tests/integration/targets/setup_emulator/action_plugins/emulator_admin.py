# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The integration targets' task for the emulator's admin API: one call, made in the worker through the one admin
client (tests/emulator/admin.py), instead of an ansible.builtin.uri task. A uri task starts a module process, about
0.4 s each; the targets make hundreds of admin calls to seed, read and reset the emulator, and this takes a tenth of
that. It is set-up, not the collection under test, so it behaves as the uri tasks it replaced did: skipped in check
mode, never changed, failed when the emulator refuses the call.

    - name: Seed the app
      emulator_admin:
        method: POST                          # GET (the default), POST, PUT, PATCH or DELETE
        path: seed                            # under /_emulator/ (under /_files/ with file_host)
        body: {apps: [...]}                   # JSON; POST, PUT and PATCH without one send {}
        params: {api: cloudRecord.stop}       # the query string
        url: https://127.0.0.1:8443           # the emulator (default: the dingtalk_emulator_url variable, else
                                              # $DINGTALK_EMULATOR_URL), or with file_host the file host
        file_host: true                       # the admin API of the recordings' file host (FileHostAdmin)
        ca_path: /path/to/ca.pem              # the CA to trust for an HTTPS emulator
      register: seeded                        # seeded.json: the emulator's answer; seeded.status: its HTTP status

scanned_runs.sh (setup_secret_scan) puts this directory on ANSIBLE_ACTION_PLUGINS for every playbook the targets run.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.community.dingtalk.tests.emulator.admin import EmulatorAdmin, EmulatorAdminError, FileHostAdmin

METHODS = ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('method', 'path', 'body', 'params', 'url', 'file_host', 'ca_path'))
    _supports_check_mode = False  # as ansible.builtin.uri: an admin task in a check-mode block is skipped
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        method = str(args.get('method', 'GET')).upper()
        if method not in METHODS:
            raise AnsibleActionFail(f"emulator_admin: method must be one of {', '.join(METHODS)}, not {method!r}")
        if 'path' not in args:
            raise AnsibleActionFail('emulator_admin: path is required (the admin call under /_emulator/, such as "seed")')
        verify = str(args['ca_path']) if args.get('ca_path') else True
        url = args.get('url')
        if boolean(args.get('file_host', False)):
            admin = FileHostAdmin(str(url), verify=verify) if url else self._file_host(task_vars, verify)
        else:
            admin = self._emulator(task_vars, verify, url)
        body = args.get('body')
        if body is None and method in ('POST', 'PUT', 'PATCH'):
            body = {}
        try:
            response = admin.request(method, str(args['path']), json=body, params=args.get('params'))
        finally:
            admin.close()
        result.update(changed=False, status=response.status_code, json=response.json() if response.content else None)
        if response.status_code >= 400:
            # The admin client's own words for a refused call; the answer stays in json, as uri kept it.
            result.update(failed=True, msg=str(EmulatorAdminError(method, admin.admin_path + str(args['path']), response)))
        return result

    def _file_host(self, task_vars, verify):
        emulator = self._emulator(task_vars, verify)
        try:
            return emulator.file_host()  # its address is in the emulator's recordings config
        finally:
            emulator.close()

    def _emulator(self, task_vars, verify, url=None):
        url = url or self._templar.template((task_vars or {}).get('dingtalk_emulator_url')) or os.environ.get('DINGTALK_EMULATOR_URL')
        if not url:
            raise AnsibleActionFail('emulator_admin: no emulator address: give url, or run with the integration config')
        return EmulatorAdmin(str(url), verify=verify)
