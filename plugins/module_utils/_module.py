# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every module of the collection shares: common options, their checks, the client and error reporting.

This is a private module: its interface may change without notice.
"""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.community.dingtalk.plugins.module_utils._client import (
    DEFAULT_API_URL,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    REQUESTS_IMPORT_ERROR,
    DingTalkClient,
    InvalidOptionError,
    StaticToken,
    validate_access_token,
    validate_api_url,
)

# The upper bound keeps a misconfigured job from retrying for many minutes.
MAX_RETRIES = 10


def connection_argument_spec():
    """The options documented by the community.dingtalk.connection and access_token doc fragments."""
    return dict(
        api_url=dict(type='str', default=DEFAULT_API_URL, fallback=(env_fallback, ['DINGTALK_API_URL'])),
        access_token=dict(type='str', no_log=True, fallback=(env_fallback, ['DINGTALK_ACCESS_TOKEN'])),
        validate_certs=dict(type='bool', default=True),
        timeout=dict(type='int', default=DEFAULT_TIMEOUT),
        retries=dict(type='int', default=DEFAULT_RETRIES),
    )


class DingTalkModule(AnsibleModule):
    """An AnsibleModule that also knows how to reach DingTalk."""

    def __init__(self, argument_spec, **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec)
        super().__init__(argument_spec=spec, **kwargs)
        if REQUESTS_IMPORT_ERROR is not None:
            self.fail_json(msg=missing_required_lib('requests'),
                           exception=''.join(traceback.format_exception(None, REQUESTS_IMPORT_ERROR, REQUESTS_IMPORT_ERROR.__traceback__)))

    def require_text(self, *names):
        """Fail unless each named option, when given, holds more than white space."""
        for name in names:
            value = self.params.get(name)
            if value is not None and not value.strip():
                self.fail_json(msg='{0} must not be empty or only white space'.format(name))

    def client(self):
        """Check the connection options and return a DingTalkClient; fail the task on bad input, before any call."""
        params = self.params
        try:
            api_url = validate_api_url(params['api_url'])
            if params['timeout'] <= 0:
                raise InvalidOptionError('timeout must be greater than 0 seconds, got {0}'.format(params['timeout']))
            if not 0 <= params['retries'] <= MAX_RETRIES:
                raise InvalidOptionError('retries must be between 0 and {0}, got {1}'.format(MAX_RETRIES, params['retries']))
            if params['access_token'] is None:
                raise InvalidOptionError('access_token is required (or set DINGTALK_ACCESS_TOKEN)')
            validate_access_token(params['access_token'])
        except InvalidOptionError as error:
            self.fail_json(msg=str(error))
        return DingTalkClient(
            api_url=api_url,
            token_source=StaticToken(params['access_token']),
            validate_certs=params['validate_certs'],
            timeout=params['timeout'],
            retries=params['retries'],
        )

    def exit_with_result(self, result):
        """Exit with a result built by the collection's action helpers: fail if it says so, warn what it warns."""
        result = dict(result)
        for warning in result.pop('warnings', []):
            self.warn(warning)
        if not self._diff:
            result.pop('diff', None)
        if result.pop('failed', False):
            self.fail_json(**result)
        self.exit_json(**result)
