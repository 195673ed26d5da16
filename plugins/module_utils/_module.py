# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every module of the collection shares: common options, their checks, the client and error reporting.

This is a private module: its interface may change without notice.
"""

from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.community.dingtalk.plugins.module_utils._auth import (
    CredentialToken,
    credentials_from_options,
    token_cache_from_options,
)
from ansible_collections.community.dingtalk.plugins.module_utils._client import (
    DEFAULT_API_URL,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    INVALID_TOKEN_CODE,
    DingTalkClient,
    InvalidOptionError,
    StaticToken,
    validate_access_token,
    validate_api_url,
)
from ansible_collections.community.dingtalk.plugins.module_utils._http import HAS_REQUESTS, REQUESTS_IMPORT_ERROR


# The upper bound keeps a misconfigured job from retrying for many minutes.
MAX_RETRIES = 10

TLS_UNVERIFIED_WARNING = (
    'TLS certificate verification is disabled (validate_certs=false): anyone on the way to {0} could read the access '
    'token and change the answers. Use it only for a test host, or give ca_path the CA certificate that signs the host\'s '
    'certificate instead.'
)

# Where a module finds its credentials when the task gives none (what the AWX credential types inject).
AUTH_ENVIRONMENT = {
    'access_token': 'DINGTALK_ACCESS_TOKEN',
    'app_key': 'DINGTALK_APP_KEY',
    'app_secret': 'DINGTALK_APP_SECRET',
    'suite_key': 'DINGTALK_SUITE_KEY',
    'suite_secret': 'DINGTALK_SUITE_SECRET',
    'auth_corp_id': 'DINGTALK_AUTH_CORP_ID',
    'suite_ticket': 'DINGTALK_SUITE_TICKET',
}
SECRET_AUTH_OPTIONS = ('access_token', 'app_secret', 'suite_secret', 'suite_ticket')

STATIC_TOKEN_REJECTED_HINT = (
    'The module cannot renew a token given as access_token. The token was removed from the token cache, so the next '
    'dingtalk_token lookup fetches a new one; or give the module app credentials, and it renews tokens itself.'
)


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
        # No env_fallback for these: DingTalkModule.auth_options() reads AUTH_ENVIRONMENT itself.
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


def check_connection_options(get_option):
    """Return the checked api_url, or raise InvalidOptionError; shared by modules and the lookup."""
    api_url = validate_api_url(get_option('api_url'))
    ca_path = get_option('ca_path')
    if ca_path is not None and not (os.path.exists(ca_path) and os.access(ca_path, os.R_OK)):
        raise InvalidOptionError('ca_path {0} does not exist or cannot be read'.format(ca_path))
    if get_option('timeout') <= 0:
        raise InvalidOptionError('timeout must be greater than 0 seconds, got {0}'.format(get_option('timeout')))
    if not 0 <= get_option('retries') <= MAX_RETRIES:
        raise InvalidOptionError('retries must be between 0 and {0}, got {1}'.format(MAX_RETRIES, get_option('retries')))
    return api_url


def connection_warnings(get_option, api_url):
    """The warnings a plugin gives about its connection options, before any call."""
    if not get_option('validate_certs') and api_url.startswith('https://'):
        return [TLS_UNVERIFIED_WARNING.format(api_url)]
    return []


class DingTalkModule(AnsibleModule):
    """An AnsibleModule that also knows how to reach DingTalk."""

    def __init__(self, argument_spec, **kwargs):
        spec = common_argument_spec()
        spec.update(argument_spec)
        super().__init__(argument_spec=spec, **kwargs)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        self._token_cache = None
        self._token_source = None

    def require_text(self, *names):
        """Fail unless each named option (or each element of a list option), when given, holds more than white space."""
        for name in names:
            value = self.params.get(name)
            if isinstance(value, list):
                labelled = [('{0}[{1}]'.format(name, index), element) for index, element in enumerate(value)]
            else:
                labelled = [(name, value)]
            for label, text in labelled:
                if text is not None and not text.strip():
                    self.fail_json(msg='{0} must not be empty or only white space'.format(label))

    def client(self, rate_limiter=None, pool_size=1):
        """Check the connection and auth options and return a DingTalkClient.

        Bad input fails the task here, before any call is made. ``pool_size``
        is how many connections the client keeps open: one per concurrent caller.
        """
        auth = self.auth_options()
        try:
            api_url = check_connection_options(self.params.get)
            credentials = credentials_from_options(auth.get)
            access_token = auth.get('access_token')
            if access_token is not None and credentials is not None:
                raise InvalidOptionError('access_token cannot be combined with app credentials; give one or the other')
            if access_token is None and credentials is None:
                raise InvalidOptionError('access_token, or app_key and app_secret, or suite_key, suite_secret, auth_corp_id and suite_ticket '
                                         'are required (directly or through their DINGTALK_* environment variables)')
            if access_token is not None:
                validate_access_token(access_token)
            client = DingTalkClient(
                api_url=api_url,
                validate_certs=self.params['validate_certs'],
                ca_path=self.params['ca_path'],
                timeout=self.params['timeout'],
                retries=self.params['retries'],
                rate_limiter=rate_limiter,
                pool_size=pool_size,
            )
        except InvalidOptionError as error:
            self.fail_json(msg=str(error))
        for warning in connection_warnings(self.params.get, api_url):
            self.warn(warning)
        self._token_cache = token_cache_from_options(self.params.get)
        if access_token is not None:
            self._token_source = StaticToken(access_token, self._token_cache)
        else:
            # A token this module fetched itself is as secret as the app secret.
            self._token_source = CredentialToken(client, credentials, self._token_cache, on_new_token=self.no_log_values.add)
        client.token_source = self._token_source
        return client

    def auth_options(self):
        """The access token or credentials the task gives; only when it gives none, those in the environment.

        Taken as a whole, not option by option: in AWX a credential type injects
        DINGTALK_APP_KEY and DINGTALK_APP_SECRET into every task, and a task that
        passes its own access_token (say, from the lookup) must still be able to.
        """
        given = dict((name, self.params[name]) for name in AUTH_ENVIRONMENT if self.params[name] is not None)
        if given:
            return given
        from_environment = dict((name, os.environ[variable]) for name, variable in AUTH_ENVIRONMENT.items() if os.environ.get(variable))
        for name in SECRET_AUTH_OPTIONS:
            if name in from_environment:
                self.no_log_values.add(from_environment[name])
        return from_environment

    def exit_with_result(self, result):
        """Exit with a result built by the collection's action helpers: fail if it says so, warn what it warns."""
        result = dict(result)
        warnings = result.pop('warnings', [])
        if self._token_cache is not None:
            warnings.extend(self._token_cache.warnings)
        for warning in warnings:
            self.warn(warning)
        if not self._diff:
            result.pop('diff', None)
        if result.get('error_code') == INVALID_TOKEN_CODE and isinstance(self._token_source, StaticToken):
            result['msg'] = '{0} {1}'.format(result['msg'], STATIC_TOKEN_REJECTED_HINT)
        if result.pop('failed', False):
            self.fail_json(**result)
        self.exit_json(**result)
