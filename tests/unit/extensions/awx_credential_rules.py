# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What AWX does with a custom credential type, written out for the tests: no AWX installation needed.

Each rule names the AWX source file it comes from (ansible/awx, read at commit
e21dd0a0933fd544d1fe2513c54fe41203775eb5, October 2024; the rules have been stable for years):

- saving a credential type: ``awx/main/fields.py`` (CredentialTypeInputField,
  CredentialTypeInjectorField), ``awx/main/constants.py`` (ENV_BLOCKLIST) and
  ``awx/api/serializers.py`` (CredentialTypeSerializer.validate);
- saving a credential: ``awx/main/fields.py`` (CredentialInputField);
- launching a job: ``awx/main/models/unified_jobs.py`` (UnifiedJob.pre_start);
- running it: ``awx/main/models/credential.py`` (CredentialType.inject_credential).

Used by tests/unit/extensions/test_awx_credential_types.py and by the awx_job_run integration
target, which injects credentials into ansible-runner jobs with :func:`inject`.
"""

from __future__ import annotations

import re

from jinja2 import StrictUndefined
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

# awx/api/serializers.py, CredentialTypeSerializer.validate: the kinds a custom type may have.
CUSTOM_KINDS = ('cloud', 'net')

# awx/main/fields.py, CredentialTypeInputField.schema: the keys of ``inputs`` ('dependencies' is
# refused for custom types in CredentialTypeInputField.validate) and of each field, with their types.
INPUTS_KEYS = ('fields', 'required')
FIELD_KEY_TYPES = {
    'id': str,
    'label': str,
    'type': str,
    'format': str,
    'choices': list,
    'help_text': str,
    'multiline': bool,
    'secret': bool,
    'ask_at_runtime': bool,
    'default': object,
}
FIELD_REQUIRED_KEYS = ('id', 'label')
FIELD_TYPES = {'string': str, 'boolean': bool}
FIELD_FORMATS = ('ssh_private_key', 'url')
FIELD_ID = re.compile(r'^[a-zA-Z_]+[a-zA-Z0-9_]*$')
# CredentialTypeInputField.validate: only string fields may have these keys; this id is reserved.
STRING_ONLY_FIELD_KEYS = ('choices', 'multiline', 'format', 'secret')
RESERVED_FIELD_ID = 'tower'

# awx/main/fields.py, CredentialTypeInjectorField.schema.
INJECTOR_KINDS = ('file', 'env', 'extra_vars')
FILE_INJECTOR_NAME = re.compile(r'^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$')
ENV_NAME = re.compile(r'^[a-zA-Z_]+[a-zA-Z0-9_]*$')
ENV_VALUE = re.compile(r'^[\x00-\x7F]*$')  # pexpect, which runs the job, chokes on anything but ASCII
EXTRA_VAR_NAME = re.compile(r'^[a-zA-Z_\{\}]+[a-zA-Z0-9_\{\}]*$')
# CredentialTypeInjectorField.validate_env_var_allowed: the prefix and awx/main/constants.py ENV_BLOCKLIST.
REFUSED_ENV_PREFIX = 'ANSIBLE_'
ENV_BLOCKLIST = frozenset(
    (
        'VIRTUAL_ENV',
        'PATH',
        'PYTHONPATH',
        'JOB_ID',
        'INVENTORY_ID',
        'INVENTORY_SOURCE_ID',
        'INVENTORY_UPDATE_ID',
        'AD_HOC_COMMAND_ID',
        'REST_API_URL',
        'REST_API_TOKEN',
        'MAX_EVENT_RES',
        'CALLBACK_QUEUE',
        'CALLBACK_CONNECTION',
        'CACHE',
        'JOB_CALLBACK_DEBUG',
        'INVENTORY_HOSTVARS',
        'AWX_HOST',
        'PROJECT_REVISION',
        'SUPERVISOR_CONFIG_PATH',
    )
)
# CredentialTypeInjectorField.validate renders every template with each defined field set to this.
VALIDATION_VALUE = 'EXAMPLE'

# awx/main/models/credential.py, CredentialType.inject_credential: the job details (job_env) show a
# secret input's value as this; the extra vars file shows it in clear.
MASK = '**********'
# ... and extra vars are not injected when this variable is in the environment (an inventory update).
INVENTORY_UPDATE_ENV = 'INVENTORY_UPDATE_ID'


def credential_type_problems(credential_type):
    """Why AWX would refuse to save this credential type (a dict as the API takes it); empty if it would not."""
    problems = []
    if credential_type.get('kind') not in CUSTOM_KINDS:
        problems.append('kind must be one of {0}, not {1!r}'.format(', '.join(CUSTOM_KINDS), credential_type.get('kind')))
    inputs = credential_type.get('inputs', {})
    input_problems = _inputs_problems(inputs)
    problems.extend(input_problems)
    problems.extend(_injectors_problems(credential_type.get('injectors', {}), None if input_problems else inputs))
    return problems


def _inputs_problems(inputs):
    if not isinstance(inputs, dict):
        return ['inputs must be an object']
    problems = [f'inputs: unknown key {key!r}' for key in inputs if key not in INPUTS_KEYS]
    required = inputs.get('required', [])
    if not isinstance(required, list) or not all(isinstance(name, str) for name in required):
        problems.append('inputs.required must be a list of strings')
    fields = inputs.get('fields', [])
    if not isinstance(fields, list):
        return problems + ['inputs.fields must be a list']
    seen = set()
    for index, field in enumerate(fields):
        label = f'inputs.fields[{index}]'
        if not isinstance(field, dict):
            problems.append(f'{label} must be an object')
            continue
        problems.extend(_field_problems(label, field))
        if field.get('id') in seen:
            problems.append('{0}: field IDs must be unique ({1})'.format(label, field.get('id')))
        seen.add(field.get('id'))
    return problems


def _field_problems(label, field):
    problems = [f'{label}: unknown key {key!r}' for key in field if key not in FIELD_KEY_TYPES]
    problems.extend(f'{label}: {key} is required' for key in FIELD_REQUIRED_KEYS if key not in field)
    problems.extend(
        f'{label}: {key} must be a {FIELD_KEY_TYPES[key].__name__}'
        for key, value in field.items()
        if key in FIELD_KEY_TYPES and not isinstance(value, FIELD_KEY_TYPES[key])
    )
    field_id = field.get('id')
    if isinstance(field_id, str) and not FIELD_ID.search(field_id):
        problems.append(f'{label}: {field_id} is an invalid variable name')
    if field_id == RESERVED_FIELD_ID:
        problems.append(f'{label}: "tower" is a reserved field name')
    field_type = field.get('type', 'string')  # AWX's default
    if field_type not in FIELD_TYPES:
        return problems + ['{0}: type must be one of {1}'.format(label, ', '.join(FIELD_TYPES))]
    if 'format' in field and field['format'] not in FIELD_FORMATS:
        problems.append('{0}: format must be one of {1}'.format(label, ', '.join(FIELD_FORMATS)))
    choices = field.get('choices')
    if isinstance(choices, list) and (not choices or len(set(map(repr, choices))) != len(choices) or not all(isinstance(choice, str) for choice in choices)):
        problems.append(f'{label}: choices must be a non-empty list of distinct strings')
    if 'default' in field and not isinstance(field['default'], FIELD_TYPES[field_type]):
        problems.append(f'{label}: the default is not a {field_type}')
    problems.extend(f'{label}: {key} not allowed for {field_type} type' for key in STRING_ONLY_FIELD_KEYS if key in field and field_type != 'string')
    # awx/api/serializers.py, CredentialTypeSerializer.validate.
    if field.get('ask_at_runtime', False):
        problems.append(f"{label}: 'ask_at_runtime' is not supported for custom credentials")
    return problems


def _injectors_problems(injectors, inputs):
    """The injector rules; templates are checked only when ``inputs`` are valid (None otherwise), as AWX does."""
    if not isinstance(injectors, dict):
        return ['injectors must be an object']
    problems = [f'injectors: unknown key {key!r}' for key in injectors if key not in INJECTOR_KINDS]
    for kind, name_pattern in (('file', FILE_INJECTOR_NAME), ('env', ENV_NAME), ('extra_vars', EXTRA_VAR_NAME)):
        injector = injectors.get(kind, {})
        if not isinstance(injector, dict):
            problems.append(f'injectors.{kind} must be an object')
            continue
        problems.extend(f'injectors.{kind}: {name!r} is not an allowed name' for name in injector if not name_pattern.search(name))
    for name, template in injectors.get('file', {}).items():
        if not isinstance(template, str):
            problems.append(f'injectors.file.{name} must be a string')
    for name, template in injectors.get('env', {}).items():
        if not isinstance(template, str) or not ENV_VALUE.search(template):
            problems.append(f'injectors.env.{name} must be an ASCII string')
        problems.extend(env_name_problems(name))
    problems.extend(_extra_vars_value_problems('injectors.extra_vars', injectors.get('extra_vars', {})))
    if inputs is None or problems:
        return problems

    namespace = dict((field['id'], VALIDATION_VALUE) for field in inputs.get('fields', []))
    file_names = [name for name in injectors.get('file', {}) if name.startswith('template')]
    if 'template' in file_names and len(file_names) > 1:
        problems.append('injectors.file: must use multi-file syntax when injecting multiple files')
    for kind in ('file', 'env'):
        for name, template in injectors.get(kind, {}).items():
            problems.extend(_template_problems(f'injectors.{kind}.{name}', template, namespace))
    problems.extend(_extra_vars_template_problems('injectors.extra_vars', injectors.get('extra_vars', {}), namespace))
    return problems


def env_name_problems(name):
    """Why AWX refuses to inject this environment variable, at save and again at job time."""
    if name.startswith(REFUSED_ENV_PREFIX):
        return [f'Environment variable {name} may affect Ansible configuration so its use is not allowed in credentials.']
    if name in ENV_BLOCKLIST:
        return [f'Environment variable {name} is not allowed to be used in credentials.']
    return []


def _extra_vars_value_problems(label, node):
    if isinstance(node, dict):
        return [problem for key, value in node.items() for problem in _extra_vars_value_problems(f'{label}.{key}', value)]
    if isinstance(node, (list, str)):
        return []
    return [f'{label} must be a string, a list or an object']


def _extra_vars_template_problems(label, node, namespace):
    if isinstance(node, dict):
        problems = []
        for key, value in node.items():
            problems.extend(_template_problems(f'{label} (a key)', key, namespace))
            problems.extend(_extra_vars_template_problems(f'{label}.{key}', value, namespace))
        return problems
    if isinstance(node, list):
        return [problem for index, item in enumerate(node) for problem in _extra_vars_template_problems(f'{label}[{index}]', item, namespace)]
    return _template_problems(label, node, namespace)


def _template_problems(label, template, namespace):
    """AWX renders each template strictly, every defined input set: an unknown name, unsafe code or bad syntax is refused."""
    try:
        ImmutableSandboxedEnvironment(undefined=StrictUndefined).from_string(template).render(namespace)
    except UndefinedError as error:
        return [f'{label} uses an undefined field ({error})']
    except SecurityError as error:
        return [f'{label}: encountered unsafe code execution: {error}']
    except TemplateSyntaxError as error:
        return [f'{label}: syntax error rendering template ({error})']
    return []


def credential_problems(credential_type, inputs):
    """Why AWX would refuse to save a credential with these inputs; required inputs are not checked here (see launch_problems)."""
    fields = dict((field['id'], field) for field in credential_type['inputs'].get('fields', []))
    problems = ['{0} is not an input of {1}'.format(name, credential_type['name']) for name in inputs if name not in fields]
    for name, value in inputs.items():
        field = fields.get(name)
        if field is not None and not isinstance(value, FIELD_TYPES[field.get('type', 'string')]):
            problems.append('{0} must be a {1}'.format(name, field.get('type', 'string')))
        if field is not None and 'choices' in field and value not in field['choices']:
            problems.append('{0} must be one of {1}'.format(name, ', '.join(field['choices'])))
    return problems


def launch_problems(credential_type, inputs):
    """Why a job with this credential would not start: AWX checks required inputs at launch, not when the credential is saved."""
    defined = [field['id'] for field in credential_type['inputs'].get('fields', [])]
    missing = [name for name in credential_type['inputs'].get('required', []) if name in defined and inputs.get(name) in ('', None)]
    if missing:
        return ['the credential does not provide one or more required fields ({0})'.format(', '.join(sorted(missing)))]
    return []


class Injection:
    """What a credential puts into a job: ``env``, ``safe_env`` (the job details' copy) and ``extra_vars``."""

    def __init__(self, env, safe_env, extra_vars):
        self.env = env
        self.safe_env = safe_env
        self.extra_vars = extra_vars


def inject(credential_type, inputs, job_env=None):
    """Render the injectors as AWX does when a job runs; ``job_env`` is the environment AWX built so far.

    Inputs left empty are not defined for the templates (so ``default(..., true)``
    applies); templates render with Jinja's lenient Undefined here, unlike at save.
    Extra vars are not injected into an inventory update.
    """
    secret_fields = [field['id'] for field in credential_type['inputs'].get('fields', []) if field.get('secret', False) is True]
    namespace = {}
    safe_namespace = {}
    for name, value in inputs.items():
        if isinstance(value, bool):
            namespace[name] = safe_namespace[name] = value
            continue
        if value:
            namespace[name] = value
            safe_namespace[name] = MASK if name in secret_fields else value
        elif name in secret_fields:
            safe_namespace[name] = MASK
    for field in credential_type['inputs'].get('fields', []):
        if field.get('type') == 'boolean' and field['id'] not in inputs:
            namespace[field['id']] = safe_namespace[field['id']] = False

    sandbox = ImmutableSandboxedEnvironment()
    env = {}
    safe_env = {}
    injectors = credential_type.get('injectors', {})
    for name, template in injectors.get('env', {}).items():
        if env_name_problems(name):
            continue  # AWX logs and skips it
        env[name] = sandbox.from_string(template).render(**namespace)
        safe_env[name] = sandbox.from_string(template).render(**safe_namespace)
    extra_vars = {}
    if INVENTORY_UPDATE_ENV not in (job_env or {}):
        extra_vars = _render_extra_vars(sandbox, injectors.get('extra_vars', {}), namespace)
    return Injection(env, safe_env, extra_vars)


def _render_extra_vars(sandbox, node, namespace):
    if isinstance(node, dict):
        return dict((_render_extra_vars(sandbox, key, namespace), _render_extra_vars(sandbox, value, namespace)) for key, value in node.items())
    if isinstance(node, list):
        return [_render_extra_vars(sandbox, item, namespace) for item in node]
    return sandbox.from_string(node).render(**namespace)
