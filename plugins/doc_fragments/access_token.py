# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The access token option of the modules, the alternative to app credentials."""

    DOCUMENTATION = r"""
options:
  access_token:
    description:
      - A DingTalk access token, sent in the C(x-acs-dingtalk-access-token) header.
      - Get one with the P(community.dingtalk.dingtalk_token#lookup) lookup, or let the module get its own by giving
        app credentials instead (O(app_key) and O(app_secret), or the third-party app options). Cannot be combined
        with app credentials given to the task.
      - The module cannot renew a token given here. If DingTalk rejects it (V(InvalidAuthentication)), the task fails,
        and the token is removed from the token cache of O(cache_dir), where the lookup may have left it, so that the
        next lookup fetches a new one. With app credentials instead, the module replaces a rejected token and retries once.
      - If no credential option is set, the value of the E(DINGTALK_ACCESS_TOKEN) environment variable is used.
    type: str
notes:
  - Credentials given to the task (O(access_token); O(app_key) and O(app_secret); or the third-party app options) take
    precedence, as a whole, over the E(DINGTALK_ACCESS_TOKEN), E(DINGTALK_APP_KEY), E(DINGTALK_APP_SECRET),
    E(DINGTALK_SUITE_KEY), E(DINGTALK_SUITE_SECRET), E(DINGTALK_AUTH_CORP_ID) and E(DINGTALK_SUITE_TICKET) environment
    variables, which are read only when the task gives none of them. So a task can pass its own O(access_token) while
    an AWX credential injects app credentials into its environment.
"""
