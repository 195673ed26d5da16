# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Each module's options, defined once for both doors: argument specs, their rules, and the checks ansible-core's validator cannot make.

The module door gives a TaskSpec to AnsibleModule (_module.py); the in-worker door gives the same one to
ansible-core's ArgumentSpecValidator (plugin_utils/_in_worker.py), so that types, defaults, aliases,
fallbacks, ``required_*`` and ``mutually_exclusive`` behave the same through either. The checks here
raise InvalidOptionError, before any call. This is a private module: its interface may change without notice.
"""

from __future__ import annotations

import grp
import pwd
from collections import namedtuple

from ansible.module_utils.basic import FILE_COMMON_ARGUMENTS
from ansible.module_utils.common.parameters import env_fallback

from ansible_collections.community.dingtalk.plugins.module_utils._archive import check_dest, conference_directory
from ansible_collections.community.dingtalk.plugins.module_utils._auth import AUTH_ENVIRONMENT, SECRET_OPTIONS
from ansible_collections.community.dingtalk.plugins.module_utils._batch import (
    DEFAULT_CONCURRENCY,
    MAX_CONCURRENCY,
    concurrency_argument_spec,
    validate_concurrency_options,
)
from ansible_collections.community.dingtalk.plugins.module_utils._client import DEFAULT_RETRIES, DEFAULT_TIMEOUT
from ansible_collections.community.dingtalk.plugins.module_utils._cloud_record import (
    RECORD_MODES,
    SMALL_WINDOW_POSITIONS,
    validate_recording_options,
    validate_union_id,
)
from ansible_collections.community.dingtalk.plugins.module_utils._conference import (
    DEFAULT_MAX_PAGES,
    DEFAULT_PAGE_SIZE,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_WAIT_TIMEOUT,
    WAIT_CONDITIONS,
    validate_listing_options,
    validate_wait_options,
)
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DEFAULT_API_URL, InvalidOptionError, trimmed_ids
from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import DEFAULT_CALLS_PER_SECOND

# The file attributes of add_file_common_args that a file can be given (unsafe_writes is about writing, which the archive does its own way).
FILE_ATTRIBUTE_OPTIONS = ('mode', 'owner', 'group', 'seuser', 'serole', 'selevel', 'setype', 'attributes')

# A module's options: its own ``argument_spec`` (the common one is added), the ``rules`` AnsibleModule and
# ArgumentSpecValidator take (mutually_exclusive, required_one_of, required_by, ...), whether it takes the
# file attributes (add_file_common_args), the options that must hold more than white space, and ``check``,
# the checks of its values that the rules cannot express (raising InvalidOptionError), or None.
TaskSpec = namedtuple('TaskSpec', ['argument_spec', 'rules', 'file_attributes', 'text_options', 'check'], defaults=({}, False, (), None))


def common_argument_spec():
    """The options of the community.dingtalk.connection, auth and access_token doc fragments.

    The environment variables are the ones the collection's AWX credential type injects.
    """
    return dict(
        api_url=dict(type='str', default=DEFAULT_API_URL, fallback=(env_fallback, ['DINGTALK_API_URL'])),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path', fallback=(env_fallback, ['DINGTALK_CA_PATH'])),
        timeout=dict(type='int', default=DEFAULT_TIMEOUT),
        retries=dict(type='int', default=DEFAULT_RETRIES),
        allow_plain_http=dict(type='bool', default=False),
        # No env_fallback for these: auth_options() reads AUTH_ENVIRONMENT itself.
        access_token=dict(type='str', no_log=True),
        app_key=dict(type='str', no_log=False),
        app_secret=dict(type='str', no_log=True),
        suite_key=dict(type='str', no_log=False),
        suite_secret=dict(type='str', no_log=True),
        auth_corp_id=dict(type='str'),
        suite_ticket=dict(type='str', no_log=True),
        cache=dict(type='bool', default=True),
        cache_dir=dict(type='path', fallback=(env_fallback, ['DINGTALK_TOKEN_CACHE_DIR'])),
    )


def full_argument_spec(spec):
    """Every option of a module: the common ones, its own, and the file attributes when it takes them."""
    argument_spec = common_argument_spec()
    argument_spec.update(spec.argument_spec)
    if spec.file_attributes:
        for name, option in FILE_COMMON_ARGUMENTS.items():
            argument_spec.setdefault(name, option)
    return argument_spec


def check_task_options(spec, params):
    """Trim the id options of a validated ``params`` in place; raise InvalidOptionError for the first unusable option; before any call."""
    params.update(trimmed_ids(params, spec.text_options))
    if spec.check is not None:
        spec.check(params)


def auth_options(params, environ, on_secret):
    """The access token or credentials the task gives; only when it gives none, those in ``environ``.

    Taken as a whole, not option by option: in AWX a credential type injects DINGTALK_APP_KEY and
    DINGTALK_APP_SECRET into every task, and a task that passes its own access_token (say, from the
    lookup) must still be able to. ``on_secret`` is given each secret read from the environment.
    """
    given = dict((name, params[name]) for name in AUTH_ENVIRONMENT if params[name] is not None)
    if given:
        return given
    from_environment = dict((name, environ[variable]) for name, variable in AUTH_ENVIRONMENT.items() if environ.get(variable))
    for name in SECRET_OPTIONS:
        if name in from_environment:
            on_secret(from_environment[name])
    return from_environment


# dingtalk_cloud_record -----------------------------------------------------------------


def check_cloud_record_options(params):
    validate_recording_options(params['state'], params['mode'], params['small_window_position'])
    validate_union_id(params['state'], params['union_id'])
    validate_concurrency_options(params['rate_limit'], params['concurrency'])


CLOUD_RECORD = TaskSpec(
    argument_spec=dict(
        conference_id=dict(type='str'),
        conference_ids=dict(type='list', elements='str'),
        union_id=dict(type='str'),
        state=dict(type='str', default='stopped', choices=['started', 'stopped']),
        mode=dict(type='str', choices=list(RECORD_MODES)),
        small_window_position=dict(type='str', choices=list(SMALL_WINDOW_POSITIONS)),
        fail_on_error=dict(type='bool', default=True),
        **concurrency_argument_spec(),
    ),
    rules=dict(mutually_exclusive=[('conference_id', 'conference_ids')], required_one_of=[('conference_id', 'conference_ids')]),
    text_options=('conference_id', 'conference_ids', 'union_id'),
    check=check_cloud_record_options,
)


# dingtalk_conference_info ----------------------------------------------------------------


def check_conference_info_options(params):
    """Raise InvalidOptionError for the first unusable option; before any call."""
    validate_wait_options(params['wait_for'], params['wait_timeout'], params['poll_interval'])
    if params['include_record_status'] and params['conference_id'] is not None:
        raise InvalidOptionError('include_record_status applies only without conference_id, which always returns the recording state')
    validate_listing_options(params['page_size'], params['max_pages'])
    validate_concurrency_options(params['rate_limit'], params['concurrency'])


CONFERENCE_INFO = TaskSpec(
    argument_spec=dict(
        conference_id=dict(type='str'),
        include_record_status=dict(type='bool', default=False),
        page_size=dict(type='int', default=DEFAULT_PAGE_SIZE),
        max_pages=dict(type='int', default=DEFAULT_MAX_PAGES),
        wait_for=dict(type='str', choices=sorted(WAIT_CONDITIONS)),
        wait_timeout=dict(type='int', default=DEFAULT_WAIT_TIMEOUT),
        poll_interval=dict(type='int', default=DEFAULT_POLL_INTERVAL),
        **concurrency_argument_spec(),
    ),
    rules=dict(required_by={'wait_for': 'conference_id'}),
    text_options=('conference_id',),
    check=check_conference_info_options,
)


# dingtalk_cloud_record_info --------------------------------------------------------------

CLOUD_RECORD_INFO = TaskSpec(
    argument_spec=dict(
        conference_id=dict(type='str', required=True),
        union_id=dict(type='str'),
        transcript=dict(type='bool', default=False),
    ),
    text_options=('conference_id', 'union_id'),
)


# dingtalk_cloud_record_archive -----------------------------------------------------------


def check_archive_options(params):
    """Raise InvalidOptionError for unusable options; before any call."""
    check_dest(params['dest'])
    if params['wait_timeout'] < 0:
        raise InvalidOptionError('wait_timeout must be 0 or more seconds, got {0}'.format(params['wait_timeout']))
    if params['poll_interval'] <= 0:
        raise InvalidOptionError('poll_interval must be greater than 0 seconds, got {0}'.format(params['poll_interval']))
    if params['rate_limit'] <= 0:
        raise InvalidOptionError('rate_limit must be greater than 0 calls a second, got {0}'.format(params['rate_limit']))
    if not 1 <= params['concurrency'] <= MAX_CONCURRENCY:
        raise InvalidOptionError('concurrency must be between 1 and {0}, got {1}'.format(MAX_CONCURRENCY, params['concurrency']))
    check_file_owners(params)
    option = 'conference_id' if params['conference_id'] is not None else 'conference_ids'
    for conference_id in [params['conference_id']] if params['conference_id'] is not None else params['conference_ids']:
        try:
            conference_directory(params['dest'], conference_id)
        except InvalidOptionError as error:
            raise InvalidOptionError(f'{option}: {error}') from None


def check_file_owners(params):
    """Raise InvalidOptionError for an owner or group this machine does not know: found out only after every download, otherwise."""
    for option, kind, known in (('owner', 'user', pwd.getpwnam), ('group', 'group', grp.getgrnam)):
        name = params.get(option)
        if name is None or name.isdigit():  # a numeric ID needs no entry, as with chown
            continue
        try:
            known(name)
        except KeyError:
            raise InvalidOptionError(
                f'{option} {name} is not a {kind} on this machine: create it, or set {option} to a {kind} that exists (or to a numeric ID)'
            ) from None


CLOUD_RECORD_ARCHIVE = TaskSpec(
    argument_spec=dict(
        conference_id=dict(type='str'),
        conference_ids=dict(type='list', elements='str'),
        union_id=dict(type='str'),
        dest=dict(type='path', required=True),
        transcript=dict(type='bool', default=False),
        wait_timeout=dict(type='int', default=0),
        poll_interval=dict(type='int', default=DEFAULT_POLL_INTERVAL),
        rate_limit=dict(type='float', default=DEFAULT_CALLS_PER_SECOND),
        concurrency=dict(type='int', default=DEFAULT_CONCURRENCY),
        fail_on_error=dict(type='bool', default=True),
    ),
    rules=dict(mutually_exclusive=[('conference_id', 'conference_ids')], required_one_of=[('conference_id', 'conference_ids')]),
    file_attributes=True,
    text_options=('conference_id', 'conference_ids', 'union_id'),
    check=check_archive_options,
)
