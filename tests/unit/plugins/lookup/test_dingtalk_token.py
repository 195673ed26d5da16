# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The dingtalk_token lookup as a playbook drives it: loaded by Ansible's plugin loader, run against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core before 2.19 templates every string

    def trust_as_template(value):
        return value


# <root>/ansible_collections/community/dingtalk/tests/unit/plugins/lookup/this_file.py
COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *(['..'] * 7)))

# The developer's DINGTALK_* variables would reach the plugin as option values (tests/unit/plugins/conftest.py).
pytestmark = pytest.mark.usefixtures('no_dingtalk_environment')


def dingtalk_token(terms=(), variables=None, **options):
    """Run the lookup as ``lookup('community.dingtalk.dingtalk_token', **options)`` would, with these play variables."""
    loader = DataLoader()
    # As in a play, the lookup's templar knows the play's variables.
    lookup = lookup_loader.get('community.dingtalk.dingtalk_token', loader=loader, templar=Templar(loader=loader, variables=variables or {}))
    return lookup.run(list(terms), variables=variables or {}, **options)


def issued_tokens(emulator):
    return [entry for entry in emulator.requests_log('oauth2.accessToken') if entry['status'] == 200]


def test_app_credentials_give_the_token_dingtalk_issued_and_later_lookups_reuse_it(emulator):
    (token,) = dingtalk_token(api_url=emulator.url, app_key='ding-app', app_secret='app-secret')
    issued = emulator.tokens()
    assert [entry['access_token'] for entry in issued] == [token]
    assert dingtalk_token(api_url=emulator.url, app_key='ding-app', app_secret='app-secret') == [token]
    assert len(issued_tokens(emulator)) == 1  # the second lookup took it from the token cache


def test_play_variables_are_templated_and_used(emulator):
    # Templates, as a play's YAML gives them: an unrelated variable that would fail to template is not touched.
    variables = {
        'vault_secret': 'app-secret',
        'dingtalk_app_key': 'ding-app',
        'dingtalk_app_secret': trust_as_template('{{ vault_secret }}'),
        'dingtalk_api_url': emulator.url,
        'unrelated': trust_as_template('{{ undefined_variable }}'),
        # dingtalk_* variables no option names: the lookup itself, as the docs put it in vars, and one not defined yet.
        'dingtalk_access_token': trust_as_template("{{ lookup('community.dingtalk.dingtalk_token') }}"),
        'dingtalk_report': trust_as_template('{{ later_result }}'),
    }
    (token,) = dingtalk_token(variables=variables)
    assert token
    (request,) = issued_tokens(emulator)
    assert request['body'] == {'appKey': 'ding-app', 'appSecret': 'app-secret'}


def test_the_environment_awx_injects_is_read(emulator, monkeypatch):
    monkeypatch.setenv('DINGTALK_APP_KEY', 'ding-app')
    monkeypatch.setenv('DINGTALK_APP_SECRET', 'app-secret')
    monkeypatch.setenv('DINGTALK_API_URL', emulator.url)
    assert dingtalk_token()[0]
    assert len(issued_tokens(emulator)) == 1


def test_a_third_party_app_gets_a_token_for_the_authorising_organisation(emulator):
    emulator.post('/suites', {'suite_key': 'suite-1', 'suite_secret': 'suite-secret', 'suite_ticket': 'ticket-1', 'corp_ids': ['corp-1']})
    (token,) = dingtalk_token(api_url=emulator.url, suite_key='suite-1', suite_secret='suite-secret', auth_corp_id='corp-1', suite_ticket='ticket-1')
    assert token
    (request,) = emulator.requests_log('oauth2.corpAccessToken')
    assert request['body']['authCorpId'] == 'corp-1'


@pytest.mark.parametrize(
    'options, message',
    [
        ({}, 'dingtalk_token: app_key and app_secret, or suite_key, suite_secret, auth_corp_id and suite_ticket are required'),
        ({'app_key': 'ding-app'}, 'dingtalk_token: internal app credentials need app_key, app_secret; missing app_secret'),
        (
            {'app_key': 'ding-app', 'app_secret': 'app-secret', 'api_url': 'https://api.dingtalk.io/v1.0'},
            'dingtalk_token: api_url must be scheme://host[:port] only, without a path, query or fragment',
        ),
        ({'app_key': 'ding-app', 'app_secret': 'app-secret', 'retries': 11}, 'dingtalk_token: retries must be between 0 and 10, got 11'),
    ],
)
def test_bad_options_are_named_and_nothing_is_called(emulator, options, message):
    options.setdefault('api_url', emulator.url)
    with pytest.raises(AnsibleLookupError) as caught:
        dingtalk_token(**options)
    assert str(caught.value).startswith(message)
    assert emulator.requests_log() == []


def test_terms_are_refused(emulator):
    with pytest.raises(AnsibleLookupError, match='takes no terms'):
        dingtalk_token(['ding-app'], api_url=emulator.url, app_key='ding-app', app_secret='app-secret')
    assert emulator.requests_log() == []


def test_a_wrong_secret_names_dingtalks_code_and_request_id_but_not_the_secret(emulator):
    with pytest.raises(AnsibleLookupError) as caught:
        dingtalk_token(api_url=emulator.url, app_key='ding-app', app_secret='wrong-secret-42', retries=0)
    message = str(caught.value)
    (request,) = emulator.requests_log('oauth2.accessToken')
    assert message.startswith('dingtalk_token: could not get a token for the internal app: DingTalk error invalidClientIdOrSecret')
    assert 'request id {0}'.format(request['request_id']) in message
    assert 'wrong-secret-42' not in message


RUN_WITHOUT_REQUESTS = """
import ast, importlib.abc, json, sys

class NoRequests(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition('.')[0] in ('requests', 'urllib3'):
            raise ImportError('not installed here: ' + name)

sys.meta_path.insert(0, NoRequests())
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader, lookup_loader
from ansible.template import Templar
init_plugin_loader([sys.argv[2]])
loader = DataLoader()
lookup = lookup_loader.get('community.dingtalk.dingtalk_token', loader=loader, templar=Templar(loader=loader))
try:
    lookup.run([], variables={}, api_url=sys.argv[1], app_key='ding-app', app_secret='app-secret', cache=False)
except AnsibleLookupError as error:
    message = str(error)


def imports_basic(path):
    for node in ast.walk(ast.parse(open(path).read())):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ''] + ['{0}.{1}'.format(node.module, alias.name) for alias in node.names]
        if 'ansible.module_utils.basic' in names:
            return True
    return False


# ansible-core itself imports ansible.module_utils.basic; what counts is that none of ours does.
ours = [str(getattr(module, '__file__', None)) for name, module in list(sys.modules.items()) if name.startswith('ansible_collections.community.dingtalk.')]
ours = [path for path in ours if path.endswith('.py')]
print(json.dumps({'msg': message, 'python': sys.executable, 'ours': len(ours), 'importing_basic': [path for path in ours if imports_basic(path)]}))
"""


@pytest.mark.parametrize(
    'credentials',
    [
        {'app_key': 'ding-app', 'app_secret': 'app-secret'},
        {'suite_key': 'suite-key', 'suite_secret': 'suite-secret-77', 'auth_corp_id': 'ding-corp', 'suite_ticket': 'ticket-5a'},
    ],
)
def test_a_server_message_that_repeats_a_secret_is_masked(emulator, credentials):
    secrets = [value for name, value in credentials.items() if name in ('app_secret', 'suite_secret', 'suite_ticket')]
    emulator.add_faults(
        {'api': '*', 'kind': 'error', 'status': 400, 'code': 'invalidParameter', 'message': 'bad request: {0}'.format(' / '.join(secrets)), 'times': 1}
    )
    with pytest.raises(AnsibleLookupError) as caught:
        dingtalk_token(api_url=emulator.url, retries=0, cache=False, **credentials)
    message = str(caught.value)
    assert 'DingTalk error invalidParameter: bad request: ********' in message
    assert not any(secret in message for secret in secrets)


def test_without_requests_the_lookup_names_the_missing_library_and_calls_nothing(emulator):
    run = subprocess.run([sys.executable, '-c', RUN_WITHOUT_REQUESTS, emulator.url, COLLECTIONS_ROOT], capture_output=True, check=False, timeout=60)
    assert run.returncode == 0, run.stderr.decode('utf-8')
    printed = json.loads(run.stdout.decode('utf-8'))
    assert printed['msg'].startswith('dingtalk_token: the Python library requests is required on the controller')
    assert '"{0} -m pip install requests"'.format(printed['python']) in printed['msg']
    # The module side's AnsibleModule helpers are not the lookup's (not even for this message).
    assert printed['ours'] >= 5
    assert printed['importing_basic'] == []
    assert emulator.requests_log() == []
