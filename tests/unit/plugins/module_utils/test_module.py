# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module glue every module shares: where credentials come from, what is kept out of the output, and bad input."""

from __future__ import annotations

import contextlib
import json

import pytest
from ansible.module_utils import basic

from ansible_collections.community.dingtalk.plugins.module_utils._errors import InvalidOptionError, trimmed_ids
from ansible_collections.community.dingtalk.plugins.modules import dingtalk_conference_info

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19: the arguments are read from basic._ANSIBLE_ARGS

    @contextlib.contextmanager
    def patch_module_args(args):
        basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode('utf-8')
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = None


# The developer's DINGTALK_* variables would reach the plugin as option values (tests/unit/plugins/conftest.py).
pytestmark = pytest.mark.usefixtures('no_dingtalk_environment')


def run_conference_info(capsys, **args):
    """Run dingtalk_conference_info in this process as Ansible would; return its result and what it printed, as text."""
    with patch_module_args(args), pytest.raises(SystemExit):
        dingtalk_conference_info.main()
    printed = capsys.readouterr().out
    return json.loads(printed), printed


def token_requests(emulator):
    return emulator.requests_log('oauth2.accessToken')


def test_credentials_from_the_environment_are_used_and_kept_out_of_the_result(emulator, capsys, monkeypatch):
    emulator.add_conference('conf-1')
    monkeypatch.setenv('DINGTALK_APP_KEY', 'ding-app')
    monkeypatch.setenv('DINGTALK_APP_SECRET', 'app-secret')
    result, printed = run_conference_info(capsys, api_url=emulator.url, conference_id='conf-1')
    assert result['conference']['conference_id'] == 'conf-1'
    ((token,),) = [[entry['access_token'] for entry in emulator.tokens()]]
    assert 'app-secret' not in printed and token not in printed
    assert len(token_requests(emulator)) == 1


def test_a_task_access_token_wins_over_app_credentials_in_the_environment(emulator, capsys, monkeypatch):
    # AWX injects the credential type's environment into every task; a task may still bring its own token.
    emulator.add_conference('conf-1')
    monkeypatch.setenv('DINGTALK_APP_KEY', 'ding-app')
    monkeypatch.setenv('DINGTALK_APP_SECRET', 'app-secret')
    result, _printed = run_conference_info(capsys, api_url=emulator.url, conference_id='conf-1', access_token=emulator.mint_token())
    assert result['conference']['conference_id'] == 'conf-1'
    assert token_requests(emulator) == []


@pytest.mark.parametrize(
    'auth, message',
    [
        ({}, 'access_token, or app_key and app_secret, or suite_key, suite_secret, auth_corp_id and suite_ticket are required'),
        (
            {'access_token': 'a-token', 'app_key': 'ding-app', 'app_secret': 'app-secret'},
            'access_token cannot be combined with app credentials; give one or the other',
        ),
        ({'app_key': 'ding-app', 'suite_key': 'suite-1'}, 'internal app credentials (app_key, app_secret) and third-party app credentials'),
        ({'access_token': 'two\nlines'}, 'access_token must be a non-empty string of visible ASCII characters'),
        ({'app_key': 'ding-app', 'app_secret': 'app-secret', 'timeout': 0}, 'timeout must be greater than 0 seconds, got 0'),
    ],
)
def test_bad_auth_or_connection_options_fail_naming_the_option_and_call_nothing(emulator, capsys, auth, message):
    result, printed = run_conference_info(capsys, api_url=emulator.url, conference_id='conf-1', **auth)
    assert result['failed'] is True
    assert result['msg'].startswith(message)
    assert 'app-secret' not in printed and 'two\nlines' not in printed
    assert emulator.requests_log() == []


def test_a_rejected_access_token_says_the_module_cannot_renew_it(emulator, capsys):
    emulator.add_conference('conf-1')
    token = emulator.mint_token()
    emulator.post('/tokens/expire')
    result, printed = run_conference_info(capsys, api_url=emulator.url, conference_id='conf-1', access_token=token, retries=0)
    assert result['failed'] is True and result['error_code'] == 'InvalidAuthentication'
    assert 'The module cannot renew a token given as access_token.' in result['msg']
    assert token not in printed


def test_disabled_certificate_checks_on_https_warn_once(emulator, capsys, https, tls_certificate):
    result, _printed = run_conference_info(capsys, api_url=https.url, conference_id='conf-1', access_token=https.token, validate_certs=False)
    assert result['conference']['conference_id'] == 'conf-1'
    # ansible-core 2.19 gives warnings as objects, earlier versions as text: count them in the result as printed.
    assert json.dumps(result['warnings']).count('TLS certificate verification is disabled (validate_certs=false)') == 1


def test_white_space_around_an_id_is_removed_before_any_call(emulator, capsys):
    emulator.add_conference('conf-1')
    result, _printed = run_conference_info(capsys, api_url=emulator.url, access_token=emulator.mint_token(), conference_id=' conf-1\n')
    assert result['conference']['conference_id'] == 'conf-1'
    assert [call['path'].rsplit('/', 1)[1] for call in emulator.requests_log('conference.get')] == ['conf-1']


@pytest.mark.parametrize(
    'options, expected',
    [
        ({'conference_ids': ['a', ' b', 'c\t'], 'union_id': ' u '}, {'conference_ids': ['a', 'b', 'c'], 'union_id': 'u'}),
        ({'conference_ids': [], 'union_id': None}, {'conference_ids': []}),
    ],
)
def test_trimmed_ids(options, expected):
    assert trimmed_ids(options, ('conference_ids', 'union_id')) == expected


@pytest.mark.parametrize('options, label', [({'conference_ids': ['a', '  ']}, r'conference_ids\[1\]'), ({'union_id': '\t'}, 'union_id')])
def test_an_id_of_white_space_only_is_refused_naming_the_option(options, label):
    with pytest.raises(InvalidOptionError, match=f'^{label} must not be empty or only white space$'):
        trimmed_ids(options, ('conference_ids', 'union_id'))
