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

from ansible_collections.community.dingtalk.plugins.module_utils._auth import AUTH_ENVIRONMENT, SECRET_AUTH_OPTIONS
from ansible_collections.community.dingtalk.plugins.module_utils._client import DEFAULT_RETRIES, DEFAULT_TIMEOUT
from ansible_collections.community.dingtalk.plugins.module_utils._connect import connect
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DEFAULT_API_URL, InvalidOptionError
from ansible_collections.community.dingtalk.plugins.module_utils._http import HAS_REQUESTS, REQUESTS_IMPORT_ERROR


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


class DingTalkModule(AnsibleModule):
    """An AnsibleModule that also knows how to reach DingTalk."""

    def __init__(self, argument_spec, **kwargs):
        spec = common_argument_spec()
        spec.update(argument_spec)
        super().__init__(argument_spec=spec, **kwargs)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        self._token_cache = None

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
        try:
            # A token this module requests itself is as secret as the app secret.
            connected = connect(
                self.params.get,
                self.auth_options(),
                'directly or through their DINGTALK_* environment variables',
                rate_limiter=rate_limiter,
                pool_size=pool_size,
                on_new_token=self.no_log_values.add,
            )
        except InvalidOptionError as error:
            self.fail_json(msg=str(error))
        for warning in connected.warnings:
            self.warn(warning)
        self._token_cache = connected.token_cache
        return connected.client

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
        if result.pop('failed', False):
            self.fail_json(**result)
        self.exit_json(**result)
