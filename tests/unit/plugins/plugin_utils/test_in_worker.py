# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which door a task takes, and why, as a table; the options as the engine gets them; and the task environment the in-worker door applies."""

from __future__ import annotations

import os

import pytest

from ansible_collections.community.dingtalk.plugins.plugin_utils._in_worker import DoorChoice, applied_environment, choose_door, plain_values


class TemplarText(str):
    """A str subclass, as ansible-core's unsafe and tagged text are."""


class TemplarBytes(bytes):
    """A bytes subclass, as ansible-core's unsafe bytes are."""


IN_WORKER = DoorChoice(True, 'the task runs on the controller with a local connection')


@pytest.mark.parametrize(
    'connection, become, async_seconds, has_requests, environment_switch, variable_switch, expected',
    [
        ('local', False, 0, True, None, None, IN_WORKER),
        ('ansible.builtin.local', False, 0, True, None, None, IN_WORKER),
        ('local', False, 0, True, 'true', 'yes', IN_WORKER),
        ('local', False, 0, True, None, True, IN_WORKER),
        ('ssh', False, 0, True, None, None, DoorChoice(False, 'the connection is ssh, not local')),
        ('not_local', False, 0, True, None, None, DoorChoice(False, 'the connection is not_local, not local')),
        ('local', True, 0, True, None, None, DoorChoice(False, 'the task uses become')),
        ('local', False, 60, True, None, None, DoorChoice(False, 'the task runs async')),
        ('local', False, 0, False, None, None, DoorChoice(False, "the controller's Python cannot import requests")),
        ('local', False, 0, True, 'false', None, DoorChoice(False, 'the environment variable DINGTALK_IN_WORKER is false')),
        ('local', False, 0, True, '0', None, DoorChoice(False, 'the environment variable DINGTALK_IN_WORKER is false')),
        ('local', False, 0, True, None, False, DoorChoice(False, 'the variable dingtalk_in_worker is false')),
        ('local', False, 0, True, None, 'no', DoorChoice(False, 'the variable dingtalk_in_worker is false')),
        # Both switches off: the variable, the more specific one, is named.
        ('local', False, 0, True, 'false', 'false', DoorChoice(False, 'the variable dingtalk_in_worker is false')),
        # A switch turns the door off, never on: a remote host still takes the module door.
        ('ssh', False, 0, True, 'true', True, DoorChoice(False, 'the connection is ssh, not local')),
    ],
)
def test_which_door_and_why(connection, become, async_seconds, has_requests, environment_switch, variable_switch, expected):
    assert choose_door(connection, become, async_seconds, has_requests, environment_switch, variable_switch) == expected


def test_the_task_environment_holds_for_the_run_only(monkeypatch):
    monkeypatch.setenv('DINGTALK_API_URL', 'https://controller.example')
    monkeypatch.delenv('HTTPS_PROXY', raising=False)
    with applied_environment({'DINGTALK_API_URL': 'https://task.example', 'HTTPS_PROXY': 'http://proxy.example:3128', 'DINGTALK_TIMEOUT': 5}):
        assert os.environ['DINGTALK_API_URL'] == 'https://task.example'
        assert os.environ['HTTPS_PROXY'] == 'http://proxy.example:3128'
        assert os.environ['DINGTALK_TIMEOUT'] == '5'
    assert os.environ['DINGTALK_API_URL'] == 'https://controller.example'
    assert 'HTTPS_PROXY' not in os.environ and 'DINGTALK_TIMEOUT' not in os.environ


def test_options_from_the_templar_reach_the_engine_as_plain_types():
    # A lookup's token arrives as a str subclass (ansible-core 2.16's AnsibleUnsafeText, 2.19's tagged text);
    # requests 2.28 refuses a header value whose type is not exactly str.
    args = {
        'access_token': TemplarText('a-token'),
        'conference_ids': (TemplarText('conf-1'), 'conf-2'),
        'extra': {TemplarText('key'): TemplarBytes(b'raw')},
        'timeout': 5,
    }
    plain = plain_values(args)
    assert plain == {'access_token': 'a-token', 'conference_ids': ['conf-1', 'conf-2'], 'extra': {'key': b'raw'}, 'timeout': 5}
    # Exact types, not subclasses: what requests checks.
    kinds = [value.__class__ for value in (plain['access_token'], *plain['conference_ids'], *plain['extra'], plain['extra']['key'])]
    assert kinds == [str, str, str, str, bytes]
