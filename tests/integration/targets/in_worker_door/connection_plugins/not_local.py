# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A connection that is not ``local`` to Ansible, though it runs commands on this machine: the modules must take the module door."""

from __future__ import annotations

from ansible.plugins.connection.local import Connection as LocalConnection

DOCUMENTATION = r"""
name: not_local
short_description: Run commands on this machine under a name other than local (test only)
description:
  - The local connection under another name, so that a test sees the collection's modules run through the module
    door, as on a remote host.
author:
  - community.dingtalk maintainers (@community-dingtalk)
"""


class Connection(LocalConnection):
    transport = 'not_local'
