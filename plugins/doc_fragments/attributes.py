# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The attributes of the modules: what every module shares, and what a module that only reads says of check and diff mode.

    A module's own ``attributes:`` entry is merged over these attribute by attribute, so it states only what is its
    own: the ``support`` and ``details`` of check and diff mode, or other ``platforms``. The descriptions are
    ansible-core's (ansible.builtin.action_common_attributes), here so that a module needs one fragment for them all.
    """

    # Every module: in the action group that meta/runtime.yml declares, and running wherever Python does.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target, if not supported the action will be skipped.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: all
  action_group:
    description: Action is part of action_group(s), for convenient setting of module_defaults.
    support: full
    membership:
      - community.dingtalk.dingtalk
"""

    # A module that never changes anything; use it together with DOCUMENTATION.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - The module only reads, so it does the same in check mode.
  diff_mode:
    support: N/A
    details:
      - The module changes nothing.
"""
