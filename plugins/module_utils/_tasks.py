# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What each module does, the same through both doors: from validated options to the task's result.

A door (the module glue, _module.py, or the in-worker action plugin, plugin_utils/_in_worker.py) validates
the options with the module's TaskSpec (_specs.py) and calls ``run_task`` with them and itself. A door gives:

- ``check_mode``: whether to only read and predict;
- ``no_log_values``: a set the door masks in everything it returns; secrets and self-fetched tokens go in;
- ``environ``: the environment the task runs in (credentials and proxies are read there);
- ``progress(label, total)``: an object with ``item_done(changed, failed)``, ``tick()``, ``follow_wait(read_seconds)``
  and ``finish()`` that reports long work as it goes (a _progress.ProgressReporter), or None for silence;
- ``rate_limiter(calls_per_second, app_window)``: the RateLimiter for the task's calls to one app's window (a digest
  that names the app and API host; the in-worker door keeps one per rate and app across a loop's items, so that the
  items of one app share one window and those of another app have their own);
- ``on_retry``: called with a one-line notice before each retry's wait (see _client.Connection), or None for silence;
- ``set_file_attributes(path, changed)``: give a file the task's mode, owner, group and SELinux context
  (only for modules that take them), returning ``changed`` or whether it changed them; every attribute is
  tried, and those that failed are raised together as FileAttributeError (the result is kept).

The run connects, calls the engine and lets _results.py shape what it gives. The result's ``warnings``
are the door's to emit, and its ``diff`` the door's to drop outside diff mode. This is a private module:
its interface may change without notice.
"""

from __future__ import annotations

import os
from collections import namedtuple
from functools import partial

from ansible_collections.community.dingtalk.plugins.module_utils import _http
from ansible_collections.community.dingtalk.plugins.module_utils._archive import ArchiveOptions, archive_conference, with_file_attributes
from ansible_collections.community.dingtalk.plugins.module_utils._batch import BatchInterrupted, failed, run_batch, settle, unique_in_order
from ansible_collections.community.dingtalk.plugins.module_utils._cloud_record import apply_recording_state
from ansible_collections.community.dingtalk.plugins.module_utils._conference import WAIT_DESCRIPTIONS, conference_info, org_conferences_info
from ansible_collections.community.dingtalk.plugins.module_utils._connect import connect, trust_from_options
from ansible_collections.community.dingtalk.plugins.module_utils._errors import InvalidOptionError, Refusal
from ansible_collections.community.dingtalk.plugins.module_utils._progress import ticking_sleep
from ansible_collections.community.dingtalk.plugins.module_utils._recordings import recording_info
from ansible_collections.community.dingtalk.plugins.module_utils._results import (
    batch_result,
    conference_result,
    interrupted_batch_result,
    invalid_option_result,
    result_of,
)
from ansible_collections.community.dingtalk.plugins.module_utils._specs import (
    CLOUD_RECORD,
    CLOUD_RECORD_ARCHIVE,
    CLOUD_RECORD_INFO,
    CONFERENCE_INFO,
    auth_options,
    check_task_options,
)

CREDENTIAL_SOURCES = 'directly or through their DINGTALK_* environment variables'


class TaskRun:
    """One task's run through a door: its validated ``params``, the door, and the warnings gathered on the way."""

    def __init__(self, params, door):
        self.params = params
        self.door = door
        self.warnings = []
        self._token_cache = None
        self._rate_limiter = None

    def client(self, rate_limited=False, pool_size=1):
        """Check the connection and auth options and return a DingTalkClient; InvalidOptionError, before any call, for bad input.

        ``rate_limited``: the calls go under the task's rate_limit (a limiter the in-worker door keeps across a
        loop's items). ``pool_size`` is how many connections the client keeps open: one per concurrent caller.
        """
        secrets = self.door.no_log_values
        connected = connect(
            self.params.get,
            auth_options(self.params, self.door.environ, secrets.add),
            CREDENTIAL_SOURCES,
            rate_limiter_for=self._rate_limiter_for if rate_limited else None,
            pool_size=pool_size,
            # A token this task requests itself is as secret as the app secret.
            on_new_token=secrets.add,
        )
        self.warnings.extend(connected.warnings)
        self._token_cache = connected.token_cache
        connected.client.connection.on_retry = self.door.on_retry
        return connected.client

    def _rate_limiter_for(self, app_window):
        self._rate_limiter = self.door.rate_limiter(self.params['rate_limit'], app_window)
        return self._rate_limiter

    def progress(self, label, total):
        """The door's progress reporter for ``total`` items of work (None: unknown), or None; it counts the rate limit's hold-backs from now on."""
        progress = self.door.progress(label, total)
        if progress is not None and self._rate_limiter is not None:
            progress.follow_wait(self._rate_limiter.held_back_so_far)
        return progress

    def finish(self, result):
        """``result`` with every warning of the run in it, the token cache's last."""
        result = dict(result)
        warnings = self.warnings + list(result.pop('warnings', []))
        if self._token_cache is not None:
            warnings.extend(self._token_cache.warnings)
        result['warnings'] = warnings
        return result


def run_task(task, params, door):
    """The result of ``task`` (one of TASKS) with ``params`` that its spec validated, run through ``door``."""
    run = TaskRun(params, door)
    try:
        check_task_options(task.spec, params)
        result = task.run(run)
    except InvalidOptionError as error:
        result = invalid_option_result(error)
    return run.finish(result)


def _finished(progress, result):
    if progress is not None:
        progress.finish()
    return result


def _each_conference(run, action, label):
    """The combined result of ``action`` over the task's conference_ids, in one run (batch mode)."""
    params = run.params
    conference_ids = unique_in_order(params['conference_ids'])
    progress = run.progress(label, len(conference_ids))
    try:
        settled = run_batch(action, conference_ids, params['concurrency'], progress)
    except BatchInterrupted as interrupted:
        return _finished(progress, interrupted_batch_result(interrupted, params['fail_on_error']))
    return _finished(progress, batch_result(settled, params['fail_on_error']))


def cloud_record(run):
    """dingtalk_cloud_record: one conference's recording, or many (conference_ids), brought to ``state``."""
    params = run.params
    client = run.client(rate_limited=True, pool_size=params['concurrency'])
    apply_state = partial(
        apply_recording_state,
        client,
        union_id=params['union_id'],
        state=params['state'],
        mode=params['mode'],
        small_window_position=params['small_window_position'],
        check_mode=run.door.check_mode,
    )
    if params['conference_id'] is not None:
        return result_of(apply_state, params['conference_id'])
    label = 'Starting recordings' if params['state'] == 'started' else 'Stopping recordings'
    return _each_conference(run, apply_state, label)


def conference_info_task(run):
    """dingtalk_conference_info: one conference (waiting for it, if asked), or the organisation's ongoing ones."""
    params = run.params
    if params['conference_id'] is not None:
        client = run.client()
        # A wait says how long it has lasted, about every ten seconds, while it lasts; its result says the rest.
        waiting = run.progress('Waiting for the conference {0}'.format(WAIT_DESCRIPTIONS[params['wait_for']]), None) if params['wait_for'] else None
        return result_of(
            conference_info,
            client,
            params['conference_id'],
            wait_for=params['wait_for'],
            wait_timeout=params['wait_timeout'],
            poll_interval=params['poll_interval'],
            sleep=ticking_sleep(waiting),
        )
    client = run.client(rate_limited=True, pool_size=params['concurrency'])
    progress = run.progress('Reading recording states', None) if params['include_record_status'] else None
    result = result_of(
        org_conferences_info,
        client,
        include_record_status=params['include_record_status'],
        page_size=params['page_size'],
        max_pages=params['max_pages'],
        concurrency=params['concurrency'],
        progress=progress,
    )
    return _finished(progress, result)


def cloud_record_info(run):
    """dingtalk_cloud_record_info: a conference's recordings with their links and, if asked, its transcript."""
    params = run.params
    client = run.client()
    return result_of(recording_info, client, params['conference_id'], params['union_id'], transcript=params['transcript'])


def cloud_record_archive(run):
    """dingtalk_cloud_record_archive: every recording of one conference, or of many, written under dest, with the file attributes asked for."""
    params = run.params
    client = run.client(rate_limited=True, pool_size=params['concurrency'])
    single = params['conference_id'] is not None
    conference_ids = None if single else unique_in_order(params['conference_ids'])
    # Many conferences: one item each, and a last line. One conference: its files, while it lasts long (no last line).
    progress = run.progress('Archiving recordings', None if single else len(conference_ids))
    file_host = _http.FileHost(
        trust=trust_from_options(params.get),
        timeout=params['timeout'],
        pool_size=params['concurrency'],
        headers={'User-Agent': 'community.dingtalk'},
        allow_plain_http=params['allow_plain_http'],
    )
    options = ArchiveOptions(
        union_id=params['union_id'],
        dest=params['dest'],
        transcript=params['transcript'],
        wait_timeout=params['wait_timeout'],
        poll_interval=params['poll_interval'],
        check_mode=run.door.check_mode,
        new_file_mode=default_file_mode(),
        # A signed link is a bearer credential: should one reach any output, it is masked there.
        on_link=run.door.no_log_values.add,
        sleep=ticking_sleep(progress),
        progress=progress if single else None,
    )
    archive = partial(archive_conference, client, file_host, options=options)
    # File attributes are set here, in the door's own thread, once the downloads are done: a failure to set one
    # ends the task, which must not happen in a worker thread.
    attributes = partial(_with_file_attributes, set_attributes=run.door.set_file_attributes)
    if single:
        return conference_result(attributes(settle(archive, params['conference_id'])))
    try:
        settled = run_batch(archive, conference_ids, params['concurrency'], progress)
    except BatchInterrupted as interrupted:
        interrupted.results = [attributes(one) for one in interrupted.results]
        return _finished(progress, interrupted_batch_result(interrupted, params['fail_on_error']))
    return _finished(progress, batch_result([attributes(one) for one in settled], params['fail_on_error']))


def default_file_mode():
    """What a new file's permissions are by default: 0666 less the umask, read once before any thread runs."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _with_file_attributes(settled, set_attributes):
    """A settled archive (outcome or failure) once its files have their attributes.

    A file attribute that cannot be set fails the conference, but its result still holds every file archived.
    """
    if not failed(settled):
        return settle(with_file_attributes, settled, set_attributes)
    if isinstance(settled, Refusal) and settled.outcome is not None:
        try:
            outcome = with_file_attributes(settled.outcome, set_attributes)
        except Refusal as attributes_failed:
            message = f'{settled.message} {attributes_failed.message}'
            return Refusal(message, attributes_failed.outcome, settled.error, settled.error_fields)
        return Refusal(settled.message, outcome, settled.error, settled.error_fields)
    return settled


# A module's options and its run, by the module's name: what both doors look up.
Task = namedtuple('Task', ['spec', 'run'])
TASKS = {
    'dingtalk_cloud_record': Task(CLOUD_RECORD, cloud_record),
    'dingtalk_conference_info': Task(CONFERENCE_INFO, conference_info_task),
    'dingtalk_cloud_record_info': Task(CLOUD_RECORD_INFO, cloud_record_info),
    'dingtalk_cloud_record_archive': Task(CLOUD_RECORD_ARCHIVE, cloud_record_archive),
}
