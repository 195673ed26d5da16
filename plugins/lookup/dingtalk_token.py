# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: dingtalk_token
short_description: Get a DingTalk access token from app credentials
version_added: 0.1.0
description:
  - Returns a DingTalk access token for an internal app (O(app_key) and O(app_secret)) or for a third-party
    enterprise app (O(suite_key), O(suite_secret), O(auth_corp_id) and O(suite_ticket)).
  - Tokens are shared through a token cache (see O(cache)), so a lookup that Ansible evaluates on every host and
    every task causes one token request per credential set and API host, not one per evaluation.
  - Each option can be given as a keyword argument, as an Ansible variable, or as an environment variable, in that
    order of precedence. The environment variables are the ones the collection's AWX credential types inject, so a
    C(dingtalk_api_url) set in the inventory or the play takes precedence over the credential's API URL.
  - The lookup reads only the variables its options name below (C(dingtalk_app_key), C(dingtalk_api_url), and so on)
    and templates no other variable, so it can sit in group or play vars as C(dingtalk_access_token), the variable
    the modules' examples use, beside other C(dingtalk_*) variables of your own that are not defined yet.
author:
  - community.dingtalk maintainers (@community-dingtalk)
extends_documentation_fragment:
  - community.dingtalk.connection
  - community.dingtalk.connection.PLUGINS
  - community.dingtalk.auth
  - community.dingtalk.auth.PLUGINS
notes:
  - The lookup takes no terms.
  - The lookup cannot see whether DingTalk later rejects the token it returned. A module that gets
    V(InvalidAuthentication) for a token from this lookup fails, and removes the token from the token cache, so that
    the next evaluation of the lookup fetches a new token. Modules given app credentials instead of a token renew a
    rejected token themselves and retry once.
seealso:
  - module: community.dingtalk.dingtalk_cloud_record
"""

EXAMPLES = r"""
# Task vars here; the same line works in group_vars or play vars, for every host, with one token request per run.
- name: Stop a recording with a token from the lookup in vars
  community.dingtalk.dingtalk_cloud_record:
    access_token: "{{ dingtalk_access_token }}"
    conference_id: "{{ conference_id }}"
    union_id: "{{ host_union_id }}"
  vars:
    dingtalk_access_token: "{{ lookup('community.dingtalk.dingtalk_token') }}"

- name: Get a token once, from the credentials in DINGTALK_APP_KEY and DINGTALK_APP_SECRET
  ansible.builtin.set_fact:
    dingtalk_access_token: "{{ lookup('community.dingtalk.dingtalk_token') }}"
  no_log: true

# dingtalk_api_url set in the inventory to the tenant's host (https://api.dingtalk.com for mainland China):
# the lookup reads it itself, and the module is given the same.
- name: Use an internal app's credentials from variables of your own
  community.dingtalk.dingtalk_cloud_record:
    api_url: "{{ dingtalk_api_url }}"
    access_token: "{{ lookup('community.dingtalk.dingtalk_token', app_key=my_app_key, app_secret=my_app_secret) }}"
    conference_id: "{{ conference_id }}"
    union_id: "{{ host_union_id }}"

- name: A third-party enterprise app, with dingtalk_suite_key, dingtalk_suite_secret, dingtalk_auth_corp_id and
    dingtalk_suite_ticket set as variables (for example in a vault-encrypted vars file)
  ansible.builtin.debug:
    msg: "Token of {{ lookup('community.dingtalk.dingtalk_token') | length }} characters"
"""

RETURN = r"""
_raw:
  description: A list with one element, the access token.
  type: list
  elements: str
"""

import sys

from ansible import constants as C
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.community.dingtalk.plugins.module_utils._auth import APP_OPTIONS, SUITE_OPTIONS, secret_values
from ansible_collections.community.dingtalk.plugins.module_utils._connect import connect
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, InvalidOptionError, masked
from ansible_collections.community.dingtalk.plugins.module_utils._http import HAS_REQUESTS

display = Display()

# Said in the lookup itself: ansible.module_utils.basic, which has missing_required_lib, is the module side's.
MISSING_REQUESTS_MESSAGE = (
    'dingtalk_token: the Python library requests is required on the controller, for the Python that runs Ansible '
    '({0}); install it there, for example with "{0} -m pip install requests"'
)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError('the dingtalk_token lookup takes no terms; give the credentials as keyword arguments, variables or environment variables')
        if not HAS_REQUESTS:
            raise AnsibleLookupError(MISSING_REQUESTS_MESSAGE.format(sys.executable))
        self.set_options(var_options=self._dingtalk_variables(variables), direct=kwargs)

        auth = {name: self.get_option(name) for name in APP_OPTIONS + SUITE_OPTIONS}
        # What the modules' no_log hides, hidden here too: a server (or a proxy) may repeat a secret in its error text.
        secrets = secret_values(auth)
        try:
            connected = connect(
                self.get_option,
                auth,
                'as keyword arguments, dingtalk_* variables or DINGTALK_* environment variables',
                accepts_access_token=False,
                on_new_token=secrets.add,
            )
        except InvalidOptionError as error:
            raise AnsibleLookupError(masked(f'dingtalk_token: {error}', secrets)) from None
        for warning in connected.warnings:
            display.warning(masked(warning, secrets))

        token_source = connected.client.token_source
        try:
            token = token_source.get()
        except DingTalkError as error:
            raise AnsibleLookupError(
                masked(f'dingtalk_token: could not get a token for the {token_source.credentials.description}: {error.describe()}', secrets)
            ) from None
        finally:
            connected.client.close()
            for warning in connected.token_cache.warnings if connected.token_cache is not None else ():
                display.warning(masked(warning, secrets))
        return [token]

    def _dingtalk_variables(self, variables):
        """The variables the lookup's options name (``dingtalk_app_key``, ...), each templated; no other variable.

        A lookup receives variables as written, so ``dingtalk_app_key: "{{ vault_key }}"`` would otherwise
        arrive as the template text itself. Any other variable is left alone: ``dingtalk_access_token``
        is usually this very lookup (templating it would recurse), and a user's ``dingtalk_report:
        "{{ later_result }}"`` may not be defined yet.
        """
        own = C.config.get_plugin_vars('lookup', self._load_name)
        return {name: self._templar.template(variables[name]) for name in own if variables and name in variables}
