# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The AWX credential types in extensions/awx inject exactly the names the collection reads.

A credential type is data that AWX applies without knowing the collection: a typo in an
injected name silently leaves a job without credentials. So every injected environment
variable is checked against the env fallbacks of the modules' argument spec and the env
sources of the dingtalk_token lookup, and every extra var against the lookup's vars
sources, as Ansible itself resolves them (documentation fragments included).
"""

from __future__ import annotations

import os
import re

import pytest
import yaml

from ansible import constants as C
from ansible.module_utils.basic import env_fallback
from ansible.plugins.loader import lookup_loader
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.community.dingtalk.plugins.module_utils._errors import DEFAULT_API_URL
from ansible_collections.community.dingtalk.plugins.module_utils._module import AUTH_ENVIRONMENT, common_argument_spec

CREDENTIAL_TYPES_FILE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'extensions', 'awx', 'dingtalk_credential_types.yml')

# The one option that may be left empty: its injectors fall back to the default host.
OPTIONAL_INPUTS = ('api_url',)

# What AWX accepts in a field definition of a custom credential type.
FIELD_KEYS = frozenset(('id', 'label', 'type', 'secret', 'help_text', 'multiline', 'choices', 'format', 'ask_at_runtime'))
VARIABLE_NAME = re.compile(r'^[a-z_][a-z0-9_]*$')


class _VarsFileLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """Reads the vars file as AWX gets it: ``!unsafe`` marks a plain string."""


_VarsFileLoader.add_constructor('!unsafe', lambda loader, node: loader.construct_scalar(node))

# AWX renders injector templates in a sandboxed Jinja environment with the credential's inputs.
_AWX_JINJA = ImmutableSandboxedEnvironment()


def load_credential_types():
    with open(CREDENTIAL_TYPES_FILE, encoding='utf-8') as credential_types_file:
        return yaml.load(credential_types_file, Loader=_VarsFileLoader)['dingtalk_credential_types']


CREDENTIAL_TYPES = load_credential_types()


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
    return dict((option, ([source['name'] for source in definition.get('env') or []],
                          [source['name'] for source in definition.get('vars') or []]))
                for option, definition in definitions.items())


def template_inputs(template):
    """The input names an injector template refers to."""
    return meta.find_undeclared_variables(_AWX_JINJA.parse(template))


def render(template, inputs):
    return _AWX_JINJA.from_string(template).render(**inputs)


@pytest.fixture(scope='module')
def lookup_sources():
    return lookup_option_sources()


def test_two_credential_types():
    assert [credential_type['name'] for credential_type in CREDENTIAL_TYPES] == ['DingTalk internal app', 'DingTalk third-party app']
    for credential_type in CREDENTIAL_TYPES:
        assert credential_type['kind'] == 'cloud'
        assert set(credential_type['injectors']) == {'env', 'extra_vars'}


@pytest.mark.parametrize('credential_type', CREDENTIAL_TYPES, ids=lambda credential_type: credential_type['name'])
def test_inputs_are_collection_options(credential_type):
    spec = common_argument_spec()
    fields = credential_type['inputs']['fields']
    for field in fields:
        assert set(field) <= FIELD_KEYS, field['id']
        assert field['id'] in spec, field['id']
        assert field['type'] == 'string'
        assert field['label'] and field['help_text']
        # An input is secret exactly when the modules keep the option out of their output.
        assert bool(field.get('secret', False)) == bool(spec[field['id']].get('no_log', False)), field['id']
    ids = [field['id'] for field in fields]
    assert len(ids) == len(set(ids))
    # Every credential input is required, so AWX never injects an empty one (the collection refuses those).
    assert sorted(credential_type['inputs']['required']) == sorted(name for name in ids if name not in OPTIONAL_INPUTS)


@pytest.mark.parametrize('credential_type', CREDENTIAL_TYPES, ids=lambda credential_type: credential_type['name'])
def test_env_injectors_match_module_and_lookup(credential_type, lookup_sources):
    fallbacks = module_env_fallbacks()
    injected = set()
    for env_name, template in credential_type['injectors']['env'].items():
        # AWX refuses injector variables starting with ANSIBLE_.
        assert not env_name.upper().startswith('ANSIBLE_'), env_name
        assert env_name.startswith('DINGTALK_'), env_name
        referenced = template_inputs(template)
        assert len(referenced) == 1, (env_name, referenced)
        option = referenced.pop()
        assert fallbacks.get(option) == [env_name], 'the modules do not read {0} from {1}'.format(option, env_name)
        assert env_name in lookup_sources[option][0], 'the lookup does not read {0} from {1}'.format(option, env_name)
        injected.add(option)
    assert injected == set(field['id'] for field in credential_type['inputs']['fields'])


@pytest.mark.parametrize('credential_type', CREDENTIAL_TYPES, ids=lambda credential_type: credential_type['name'])
def test_extra_var_injectors_match_lookup(credential_type, lookup_sources):
    injected = set()
    for var_name, template in credential_type['injectors']['extra_vars'].items():
        assert VARIABLE_NAME.match(var_name), var_name
        assert not var_name.lower().startswith('ansible_'), var_name
        referenced = template_inputs(template)
        assert len(referenced) == 1, (var_name, referenced)
        option = referenced.pop()
        assert var_name in lookup_sources[option][1], 'the lookup does not read {0} from the variable {1}'.format(option, var_name)
        injected.add(option)
    assert injected == set(field['id'] for field in credential_type['inputs']['fields'])


@pytest.mark.parametrize('credential_type', CREDENTIAL_TYPES, ids=lambda credential_type: credential_type['name'])
def test_injectors_render_as_awx_renders_them(credential_type):
    values = dict((field['id'], 'value-of-' + field['id']) for field in credential_type['inputs']['fields'])
    for injector in ('env', 'extra_vars'):
        for name, template in credential_type['injectors'][injector].items():
            option = template_inputs(template).pop()
            assert render(template, values) == values[option], name
            # AWX renders an input the credential does not have as undefined: only api_url may be missing.
            without = dict((key, value) for key, value in values.items() if key != option)
            if option in OPTIONAL_INPUTS:
                assert render(template, without) == DEFAULT_API_URL
                assert render(template, dict(without, **{option: ''})) == DEFAULT_API_URL
