# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The access token option of the modules."""

    DOCUMENTATION = r"""
options:
  access_token:
    description:
      - A DingTalk access token, sent in the C(x-acs-dingtalk-access-token) header.
      - If not set, the value of the E(DINGTALK_ACCESS_TOKEN) environment variable is used.
      - The token is never shown in the task's output.
    type: str
"""
