# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The action plugin of community.dingtalk.dingtalk_cloud_record: it runs the module inside Ansible's worker when the task runs on the controller.

See plugins/plugin_utils/_in_worker.py for when, and how.
"""

from __future__ import annotations

from ansible_collections.community.dingtalk.plugins.plugin_utils._in_worker import InWorkerAction


class ActionModule(InWorkerAction):
    MODULE = 'dingtalk_cloud_record'
