# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The AWX credential types in extensions/awx: valid by AWX's own rules, and injecting exactly what the collection reads.

A credential type is data that AWX applies without knowing the collection: a typo in an
injected name silently leaves a job without credentials, and a secret in an extra var
reaches every task unmasked. So the shipped types are checked with the rules AWX applies
when it saves a type, launches a job and injects a credential (awx_credential_rules.py,
which cites the AWX source of each), and every injected environment variable against the
env fallbacks of the modules' argument spec and the env sources of the dingtalk_token
lookup, as Ansible itself resolves them (documentation fragments included).
"""

from __future__ import annotations

import copy
import os

import pytest
import yaml
from ansible import constants as C
from ansible.module_utils.basic import env_fallback
from ansible.plugins.loader import lookup_loader
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.community.dingtalk.plugins.module_utils._errors import DEFAULT_API_URL
from ansible_collections.community.dingtalk.plugins.module_utils._specs import AUTH_ENVIRONMENT, common_argument_spec
from ansible_collections.community.dingtalk.tests.unit.extensions.awx_credential_rules import (
    INVENTORY_UPDATE_ENV,
    MASK,
    credential_problems,
    credential_type_problems,
    inject,
    launch_problems,
)

CREDENTIAL_TYPES_FILE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'extensions', 'awx', 'dingtalk_credential_types.yml')

# The one option that may be left empty: its injector falls back to the default host.
OPTIONAL_INPUTS = ('api_url',)


class _VarsFileLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """Reads the vars file as AWX gets it: ``!unsafe`` marks a plain string."""


_VarsFileLoader.add_constructor('!unsafe', lambda loader, node: loader.construct_scalar(node))


def load_credential_types():
    with open(CREDENTIAL_TYPES_FILE, encoding='utf-8') as credential_types_file:
        return yaml.load(credential_types_file, Loader=_VarsFileLoader)['dingtalk_credential_types']


CREDENTIAL_TYPES = load_credential_types()
by_name = pytest.mark.parametrize('credential_type', CREDENTIAL_TYPES, ids=lambda credential_type: credential_type['name'])


def module_env_fallbacks():
    """Option name -> the environment variables the modules fall back to.

    The credential options are read from AUTH_ENVIRONMENT as a whole (see
    DingTalkModule.auth_options); the others through env_fallback.
    """
    names = dict((option, [variable]) for option, variable in AUTH_ENVIRONMENT.items())
    for option, spec in common_argument_spec().items():
        fallback = spec.get('fallback')
        if fallback and fallback[0] is env_fallback:
            names[option] = list(fallback[1])
    return names


def lookup_option_sources():
    """Option name -> (env names, vars names) of the dingtalk_token lookup, as Ansible resolves its documentation."""
    lookup = lookup_loader.get('community.dingtalk.dingtalk_token')
    assert lookup is not None, 'the dingtalk_token lookup could not be loaded'
    definitions = C.config.get_configuration_definitions('lookup', lookup._load_name)
    return dict(
        (option, ([source['name'] for source in definition.get('env') or []], [source['name'] for source in definition.get('vars') or []]))
        for option, definition in definitions.items()
    )


def template_inputs(template):
    """The input names an injector template refers to."""
    return meta.find_undeclared_variables(ImmutableSandboxedEnvironment().parse(template))


def full_inputs(credential_type):
    return dict((field['id'], 'value-of-' + field['id']) for field in credential_type['inputs']['fields'])


@pytest.fixture(scope='module')
def lookup_sources():
    return lookup_option_sources()


# AWX's rules, applied to the shipped types -----------------------------------


def test_two_credential_types_awx_can_tell_apart():
    assert [credential_type['name'] for credential_type in CREDENTIAL_TYPES] == ['DingTalk internal app', 'DingTalk third-party app']
    # AWX keeps one type per (name, kind): awx/main/models/credential.py, CredentialType.Meta.unique_together.
    assert len(set((credential_type['name'], credential_type['kind']) for credential_type in CREDENTIAL_TYPES)) == len(CREDENTIAL_TYPES)


@by_name
def test_awx_accepts_the_credential_type(credential_type):
    assert credential_type_problems(credential_type) == []


@by_name
def test_secrets_are_injected_as_environment_variables_only(credential_type):
    """AWX masks a secret in the job details' copy of the environment; extra vars are plain variables any task can print."""
    assert set(credential_type['injectors']) == {'env'}
    inputs = full_inputs(credential_type)
    injection = inject(credential_type, inputs)
    assert injection.extra_vars == {}
    secrets = [field['id'] for field in credential_type['inputs']['fields'] if field.get('secret')]
    assert secrets, 'a DingTalk credential has a secret input'
    for name in secrets:
        carriers = [variable for variable, value in injection.env.items() if inputs[name] in value]
        assert carriers, f'{name} is not injected'
        for variable in carriers:
            assert injection.safe_env[variable] == MASK, f'{variable} is not masked in the job details'
    shown = ' '.join(injection.safe_env.values())
    assert not any(inputs[name] in shown for name in secrets)


@by_name
def test_inventory_updates_get_everything_too(credential_type):
    """An inventory update gets the environment injectors only: with no extra vars, it gets the whole credential."""
    inputs = full_inputs(credential_type)
    assert inject(credential_type, inputs, job_env={INVENTORY_UPDATE_ENV: '7'}).env == inject(credential_type, inputs).env


@by_name
def test_required_inputs_are_enforced_at_launch_not_when_saved(credential_type):
    required = credential_type['inputs']['required']
    for name in required:
        inputs = full_inputs(credential_type)
        del inputs[name]
        assert credential_problems(credential_type, inputs) == []
        assert launch_problems(credential_type, inputs) != []
        assert launch_problems(credential_type, dict(inputs, **{name: ''})) != []
    assert launch_problems(credential_type, full_inputs(credential_type)) == []


def test_the_rules_refuse_what_awx_refuses():
    """The rules are not vacuous: each mistake below is one AWX refuses."""
    base = CREDENTIAL_TYPES[0]

    def broken(change):
        credential_type = copy.deepcopy(base)
        change(credential_type)
        return credential_type_problems(credential_type)

    assert broken(lambda ct: ct.update(kind='ssh'))
    assert broken(lambda ct: ct['injectors']['env'].update(ANSIBLE_DINGTALK='{{ app_key }}'))
    assert broken(lambda ct: ct['injectors']['env'].update(PATH='{{ app_key }}'))
    assert broken(lambda ct: ct['injectors']['env'].update(DINGTALK_ORG='{{ org_id }}'))  # not an input
    assert broken(lambda ct: ct['injectors']['env'].update(DINGTALK_X="{{ ''.__class__.__mro__ }}"))  # sandboxed
    assert broken(lambda ct: ct['injectors']['env'].update(DINGTALK_X='{{ app_key'))
    assert broken(lambda ct: ct['injectors']['env'].update(DINGTALK_X='钉钉 {{ app_key }}'))
    assert broken(lambda ct: ct['injectors']['env'].update({'DINGTALK-X': '{{ app_key }}'}))
    assert broken(lambda ct: ct['injectors'].update(vars={'dingtalk_app_key': '{{ app_key }}'}))
    assert broken(lambda ct: ct['inputs']['fields'][0].update(ask_at_runtime=True))
    assert broken(lambda ct: ct['inputs']['fields'][0].update(type='integer'))
    assert broken(lambda ct: ct['inputs']['fields'][0].update(id='app-key'))
    assert broken(lambda ct: ct['inputs']['fields'][0].pop('label'))
    assert broken(lambda ct: ct['inputs']['fields'].append(dict(ct['inputs']['fields'][0])))
    assert broken(lambda ct: ct['inputs'].update(dependencies={'app_secret': ['app_key']}))


# The names the collection reads ----------------------------------------------


@by_name
def test_inputs_are_collection_options(credential_type):
    spec = common_argument_spec()
    fields = credential_type['inputs']['fields']
    for field in fields:
        assert field['id'] in spec, field['id']
        assert field['type'] == 'string'
        assert field['label'] and field['help_text']
        # An input is secret exactly when the modules keep the option out of their output.
        assert bool(field.get('secret', False)) == bool(spec[field['id']].get('no_log', False)), field['id']
    ids = [field['id'] for field in fields]
    # Every credential input is required, so AWX never starts a job with an empty one (the collection refuses those).
    assert sorted(credential_type['inputs']['required']) == sorted(name for name in ids if name not in OPTIONAL_INPUTS)


@by_name
def test_env_injectors_match_module_and_lookup(credential_type, lookup_sources):
    fallbacks = module_env_fallbacks()
    injected = set()
    for env_name, template in credential_type['injectors']['env'].items():
        assert env_name.startswith('DINGTALK_'), env_name
        referenced = template_inputs(template)
        assert len(referenced) == 1, (env_name, referenced)
        option = referenced.pop()
        assert fallbacks.get(option) == [env_name], f'the modules do not read {option} from {env_name}'
        assert env_name in lookup_sources[option][0], f'the lookup does not read {option} from {env_name}'
        injected.add(option)
    assert injected == set(field['id'] for field in credential_type['inputs']['fields'])


@by_name
def test_injection_as_awx_renders_it_at_job_time(credential_type):
    inputs = full_inputs(credential_type)
    injection = inject(credential_type, inputs)
    for env_name, template in credential_type['injectors']['env'].items():
        assert injection.env[env_name] == inputs[template_inputs(template).pop()], env_name
    # An optional input left out, or left empty (AWX then leaves it undefined), injects the default host.
    for without in (
        dict((name, value) for name, value in inputs.items() if name not in OPTIONAL_INPUTS),
        dict(inputs, **dict((name, '') for name in OPTIONAL_INPUTS)),
    ):
        assert launch_problems(credential_type, without) == []
        assert inject(credential_type, without).env['DINGTALK_API_URL'] == DEFAULT_API_URL
