# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The in-worker door: the action plugin every module of the collection has, which runs the module's task inside Ansible's worker.

A task that runs on the controller anyway (a local connection, no become, no async) needs no AnsiballZ
payload, no temporary directory and no new Python per item: the action plugin validates the options with
the module's own TaskSpec (ansible-core's ArgumentSpecValidator), applies the task's environment, and
calls the same run as the module (_tasks.run_task), in this process. Anywhere else, or when switched
off, it runs the module as any action would. Both doors give the same result; only this one can also say how
long work goes as it goes (progress lines at default verbosity, retries at -v). Kept here, in
plugin_utils, because only controller-side plugins use it; each plugins/action/<module>.py only names
its module. This is a private module: its interface may change without notice.
"""

from __future__ import annotations

import contextlib
import os
import traceback
from collections import namedtuple

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.community.dingtalk.plugins.module_utils import _http
from ansible_collections.community.dingtalk.plugins.module_utils._errors import FileAttributeError
from ansible_collections.community.dingtalk.plugins.module_utils._progress import ProgressReporter
from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import RateLimiter
from ansible_collections.community.dingtalk.plugins.module_utils._specs import FILE_ATTRIBUTE_OPTIONS, full_argument_spec
from ansible_collections.community.dingtalk.plugins.module_utils._tasks import TASKS, run_task

display = Display()

# The switches that send a task through the module door although the in-worker one could take it.
SWITCH_VARIABLE = 'dingtalk_in_worker'
SWITCH_ENVIRONMENT = 'DINGTALK_IN_WORKER'
LOCAL_CONNECTIONS = ('local', 'ansible.builtin.local', 'ansible.legacy.local')

# The order in which AnsibleModule.set_fs_attributes_if_different sets the file attributes.
FILE_ATTRIBUTE_ORDER = (('seuser', 'serole', 'selevel', 'setype'), ('owner',), ('group',), ('mode',), ('attributes',))

# The requests sessions this worker keeps across the items of a loop (see _http.transports_kept_in).
# A worker runs one task for one host, its loop's items one after the other, and then ends: this never
# outlives the task.
KEPT_TRANSPORTS = {}
# The rate limiters it keeps likewise, one per rate_limit value and app (DingTalk counts each app's calls apart): a loop's
# items of one app share one window, as a batch's threads do (across processes, the window file in the token cache's
# directory is shared besides, see _rate_limit.SharedWindows).
KEPT_RATE_LIMITERS = {}

# Which door a task takes, and why (for -vvv).
DoorChoice = namedtuple('DoorChoice', ['in_worker', 'reason'])


def choose_door(connection, become, async_seconds, has_requests, environment_switch=None, variable_switch=None):
    """Which door a task takes: DoorChoice(in_worker, reason).

    ``connection`` is the connection plugin's name (the delegated host's, when delegated), ``become`` and
    ``async_seconds`` the task's, ``has_requests`` whether the controller's Python can import requests,
    and the switches the values of ``dingtalk_in_worker`` and ``DINGTALK_IN_WORKER`` (None: not set).
    """
    if variable_switch is not None and not boolean(variable_switch, strict=False):
        return DoorChoice(False, f'the variable {SWITCH_VARIABLE} is false')
    if environment_switch is not None and not boolean(environment_switch, strict=False):
        return DoorChoice(False, f'the environment variable {SWITCH_ENVIRONMENT} is false')
    if connection not in LOCAL_CONNECTIONS:
        return DoorChoice(False, f'the connection is {connection}, not local')
    if become:
        return DoorChoice(False, 'the task uses become')
    if async_seconds:
        return DoorChoice(False, 'the task runs async')
    if not has_requests:
        return DoorChoice(False, "the controller's Python cannot import requests")
    return DoorChoice(True, 'the task runs on the controller with a local connection')


def plain_values(value):
    """``value`` with Ansible's string types (unsafe or tagged text) made plain str and bytes, in dicts and lists too.

    The module door's options come through JSON, as plain types; here they come from the templar. A library
    may check exact types (requests 2.28 refuses a header value whose type is not exactly str), so the
    engine gets what the module gets. The base types' own methods make the copy, whatever a subclass overrides.
    """
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bytes):
        return bytes(memoryview(value))
    if isinstance(value, dict):
        return {plain_values(key): plain_values(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_values(item) for item in value]
    return value


@contextlib.contextmanager
def applied_environment(environment):
    """The task's ``environment:`` in os.environ while the block runs, as a module run would have it."""
    saved = dict((name, os.environ.get(name)) for name in environment)
    os.environ.update((name, str(value)) for name, value in environment.items())
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class WorkerDoor:
    """What a task run needs of its door (see _tasks.py), in the worker."""

    # How often a progress line comes at the least while work goes on (and at every tenth of its items).
    PROGRESS_EVERY_SECONDS = 10.0

    def __init__(self, action, host=None, kept_rate_limiters=None):
        self._action = action
        self._kept_rate_limiters = KEPT_RATE_LIMITERS if kept_rate_limiters is None else kept_rate_limiters
        self._host = host
        self.check_mode = bool(action._task.check_mode)
        self.no_log_values = set()
        self.environ = os.environ

    def progress(self, label, total):
        """A reporter that prints to the job output as the work goes (at default verbosity)."""
        return ProgressReporter(label, total, emit=self._say, every_seconds=self.PROGRESS_EVERY_SECONDS)

    def rate_limiter(self, calls_per_second, app_window):
        """The rate limiter this worker keeps for ``calls_per_second`` and one app's window, made at its first task."""
        key = (calls_per_second, app_window)
        limiter = self._kept_rate_limiters.get(key)
        if limiter is None:
            limiter = self._kept_rate_limiters[key] = RateLimiter(calls_per_second)
        return limiter

    def on_retry(self, notice):
        """Say a retry at -v, as Ansible says a task's own retries: the notice names the API, the failure, the attempt and the wait."""
        display.v(remove_values(notice, self.no_log_values), host=self._host)

    def _say(self, line):
        # Many hosts' lines interleave in the job output: each names its host, as Ansible's own lines do.
        display.display(remove_values(f'[{self._host}] {line}' if self._host else line, self.no_log_values))

    def set_file_attributes(self, path, changed):
        """Give ``path`` the task's file attributes through ansible.builtin.file, the code the module door uses for them.

        As at the module door, a failure to set one attribute does not skip the others: when the file module
        fails (it stops at the first), each attribute is tried on its own, in AnsibleModule's order, and the
        failures are raised together as FileAttributeError once every one was tried.
        """
        params = self._action._task.args
        wanted = dict((name, params[name]) for name in FILE_ATTRIBUTE_OPTIONS if params.get(name) is not None)
        if not wanted:
            return changed
        result = self._file_module(path, wanted)
        if not result.get('failed'):
            return changed or bool(result.get('changed'))
        failures = []
        for names in FILE_ATTRIBUTE_ORDER:
            part = dict((name, wanted[name]) for name in names if name in wanted)
            if not part:
                continue
            result = self._file_module(path, part)
            if result.get('failed'):
                failures.append(result.get('msg', 'setting {0} of {1} failed'.format(' and '.join(part), path)))
            else:
                changed = changed or bool(result.get('changed'))
        raise FileAttributeError('; '.join(failures), changed)

    def _file_module(self, path, attributes):
        module_args = dict(attributes, path=path, state='file')
        return self._action._execute_module(module_name='ansible.legacy.file', module_args=module_args, task_vars=self._action.task_vars)


class InWorkerAction(ActionBase):
    """The action plugin of a module: ``MODULE`` names it (a key of _tasks.TASKS)."""

    MODULE = None
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        self.task_vars = task_vars or {}
        result = super().run(tmp, self.task_vars)
        environment = {}
        self._compute_environment_string(environment)
        choice = self.choose_door(environment)
        if not choice.in_worker:
            display.vvv(f'{self._task.action}: the module door (AnsiballZ): {choice.reason}', host=self._host_name())
            return self._run_module(result)
        display.vvv(f'{self._task.action}: the in-worker door: {choice.reason}', host=self._host_name())
        door = WorkerDoor(self, self._host_name())
        try:
            with applied_environment(environment):
                return merge_hash(result, self._run_in_worker(door))
        except AnsibleActionFail as failure:
            return {'failed': True, 'msg': remove_values(str(failure), door.no_log_values)}
        except Exception as error:  # pylint: disable=broad-exception-caught  # the task fails; the worker and the play go on
            # Said here at -vvv on every ansible-core line, masked: the result's own exception field is shown
            # differently from one line to the next, and an exception's text may quote a secret.
            display.vvv('The full traceback is:\n' + remove_values(traceback.format_exc(), door.no_log_values), host=self._host_name())
            return {'failed': True, 'msg': remove_values(f'Unexpected failure during module execution: {error}', door.no_log_values)}
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)

    def choose_door(self, environment):
        """The DoorChoice for this task; the task's ``environment:`` wins over the controller's."""
        variable = self.task_vars.get(SWITCH_VARIABLE)
        if variable is not None:
            variable = self._templar.template(variable)
        return choose_door(
            self._connection.transport,
            self._play_context.become,
            self._task.async_val,
            _http.HAS_REQUESTS,
            environment_switch=environment.get(SWITCH_ENVIRONMENT, os.environ.get(SWITCH_ENVIRONMENT)),
            variable_switch=variable,
        )

    def _host_name(self):
        return self.task_vars.get('inventory_hostname')

    def _run_module(self, result):
        """The module door, as ansible.builtin.normal runs a module."""
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(task_vars=self.task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _run_in_worker(self, door):
        """Validate as AnsibleModule does, run the task, and return what the module would have printed."""
        task = TASKS[self.MODULE]
        args = plain_values(dict(self._task.args))
        validation = ArgumentSpecValidator(full_argument_spec(task.spec), **task.spec.rules).validate(args)
        door.no_log_values.update(validation._no_log_values)
        params = dict(args)
        params.update(validation.validated_parameters)
        warnings = ['Both option {option} and its alias {alias} are set.'.format(**warning) for warning in validation._warnings]
        if validation.error_messages:
            message = validation.errors.msg
            if isinstance(validation.errors[0], UnsupportedError):
                message = f'Unsupported parameters for ({self._task.action}) module: {message}'
            outcome = {'failed': True, 'msg': message}
        else:
            with _http.transports_kept_in(KEPT_TRANSPORTS):
                outcome = run_task(task, params, door)
        return self._as_module_result(outcome, params, warnings, validation._deprecations, door)

    def _injects_invocation(self):
        """Whether a result carries ``invocation``, as the module's would: ansible-core 2.21's INJECT_INVOCATION (off by default), always before it."""
        if C.config.get_configuration_definition('INJECT_INVOCATION') is None:
            return True  # AnsibleModule added it to every result before the setting came
        return C.config.get_config_value('INJECT_INVOCATION', variables=self.task_vars, templar=self._templar)

    def _as_module_result(self, outcome, params, warnings, deprecations, door):
        """What AnsibleModule's exit_json or fail_json would print for ``outcome``: invocation (where the module would add it), warnings, secrets masked."""
        result = dict(outcome)
        warnings = warnings + list(result.pop('warnings', []))
        if not self._task.diff:
            result.pop('diff', None)
        if result.pop('failed', False):
            result['failed'] = True
        if self._injects_invocation():
            result['invocation'] = {'module_args': params}
        if warnings:
            result['warnings'] = warnings
        if deprecations:
            result['deprecations'] = [dict(deprecation) for deprecation in deprecations]
        return remove_values(result, door.no_log_values)
