# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module door: what every module's main() is, AnsibleModule around the task run both doors share (_tasks.py).

This is a private module: its interface may change without notice.
"""

from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.community.dingtalk.plugins.module_utils._errors import FileAttributeError
from ansible_collections.community.dingtalk.plugins.module_utils._http import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import RateLimiter
from ansible_collections.community.dingtalk.plugins.module_utils._specs import full_argument_spec
from ansible_collections.community.dingtalk.plugins.module_utils._tasks import TASKS, run_task


class DingTalkModule(AnsibleModule):
    """The module door: an AnsibleModule with the options of one of _tasks.TASKS, and what a task run needs of its door (see _tasks.py)."""

    # Whether a file attribute is being set (see set_file_attributes); a class attribute, as AnsibleModule may fail before __init__ ends.
    _setting_attributes = False

    def __init__(self, task):
        spec = task.spec
        super().__init__(argument_spec=full_argument_spec(spec), add_file_common_args=spec.file_attributes, supports_check_mode=True, **spec.rules)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        self.task = task
        self.environ = os.environ
        # Retries are not said as they happen: a module's output is read only when it ends.
        self.on_retry = None

    def progress(self, label, total):
        """Nothing reports progress through the module door: its output is read only when it ends."""
        return None

    def rate_limiter(self, calls_per_second, _app_window):
        """A rate limiter of this run's own: a module run is one task, one item of a loop, of one app."""
        return RateLimiter(calls_per_second)

    def set_file_attributes(self, path, changed):
        """Give ``path`` the task's file attributes (in check mode: say whether it would); ``changed`` or whether they changed.

        In the order of AnsibleModule.set_fs_attributes_if_different, but each attribute is tried even when one
        before it failed, so that the mode is not skipped because the group could not be set. The failures are
        raised together, as FileAttributeError, once every attribute was tried.
        """
        file_args = self.load_file_common_arguments(self.params, path=path)
        setters = (
            (self.set_context_if_different, 'secontext'),
            (self.set_owner_if_different, 'owner'),
            (self.set_group_if_different, 'group'),
            (self.set_mode_if_different, 'mode'),
            (self.set_attributes_if_different, 'attributes'),
        )
        failures = []
        for setter, key in setters:
            self._setting_attributes = True
            try:
                changed = setter(path, file_args[key], changed)
            except FileAttributeError as failure:
                failures.append(str(failure))
            finally:
                self._setting_attributes = False
        if failures:
            raise FileAttributeError('; '.join(failures), changed)
        return changed

    def fail_json(self, msg, **kwargs):
        """Fail the task; while a file attribute is being set, raise FileAttributeError instead, so that the result is not lost."""
        if self._setting_attributes:
            details = kwargs.get('details')
            raise FileAttributeError(f'{msg} ({details})' if details else msg)
        super().fail_json(msg, **kwargs)

    def exit_with_result(self, result):
        """Exit with a task's result (see _tasks.run_task): fail if it says so, warn what it warns."""
        result = dict(result)
        for warning in result.pop('warnings', []):
            self.warn(warning)
        if not self._diff:
            result.pop('diff', None)
        if result.pop('failed', False):
            self.fail_json(**result)
        self.exit_json(**result)


def run_module(name):
    """The whole of a module's main(): validate its options, run its task, exit with the result."""
    module = DingTalkModule(TASKS[name])
    module.exit_with_result(run_task(module.task, module.params, module))
