# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """How a module that works on many conferences in one run paces its calls to DingTalk."""

    DOCUMENTATION = r"""
options:
  rate_limit:
    description:
      - The most calls a second to each DingTalk API (the conference query, the stop, the start and the list of ongoing
        conferences are different APIs and are limited separately), counted over the times the calls are sent.
      - With the token cache on (O(cache)), every task of the same app that runs on this machine at the same time
        (other hosts, other forks) counts against one shared limit, kept beside the tokens in the cache's directory,
        because DingTalk counts the calls of the app; otherwise, or when that directory cannot be used safely, this
        module run alone.
      - DingTalk allows about 20 calls a second per app and API on standard organisations and answers
        V(Forbidden.AccessDenied.QpsLimitForAppkeyAndApi) beyond that (a third-party app,
        V(Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi), counted per authorising organisation); the
        default stays safely under. Raise it only for an organisation with a higher limit, and keep it under that limit.
      - After a throttling answer, every call to that API waits a second; after a per-minute one
        (V(Forbidden.AccessDenied.QpmLimitForAppkeyAndApi), V(Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi)),
        20 seconds.
      - Must be greater than zero.
    type: float
    default: 18
    version_added: 0.1.0
  concurrency:
    description:
      - How many conferences are worked on at the same time in one module run (and how many connections are kept
        open). Calls still respect O(rate_limit).
      - Between 1 and 64.
    type: int
    default: 16
    version_added: 0.1.0
"""
