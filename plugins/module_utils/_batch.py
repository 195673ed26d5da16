# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One module run for many conferences: run a per-conference action concurrently and report on all of them.

An Ansible loop pays a whole module execution per item; here the items share one
process, one connection pool, one token and one rate limiter (see _rate_limit.py).
This is a private module: its interface may change without notice.
"""

from __future__ import annotations

import signal
import threading

from collections import Counter

from ansible_collections.community.dingtalk.plugins.module_utils._errors import InvalidOptionError
from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import DEFAULT_CALLS_PER_SECOND

DEFAULT_CONCURRENCY = 16
MAX_CONCURRENCY = 64

# A batch of hundreds must not drown the task output in identical advice.
MAX_FAILURES_NAMED = 5
MAX_WARNINGS_SHOWN = 3


def concurrency_argument_spec():
    """The options of the community.dingtalk.concurrency doc fragment."""
    return dict(
        rate_limit=dict(type='float', default=DEFAULT_CALLS_PER_SECOND),
        concurrency=dict(type='int', default=DEFAULT_CONCURRENCY),
    )


def validate_concurrency_options(rate_limit, concurrency):
    """Raise InvalidOptionError for an unusable rate_limit or concurrency; called before any API call."""
    if rate_limit <= 0:
        raise InvalidOptionError('rate_limit must be greater than 0 calls a second, got {0}'.format(rate_limit))
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise InvalidOptionError('concurrency must be between 1 and {0}, got {1}'.format(MAX_CONCURRENCY, concurrency))


def unique_in_order(values):
    """``values`` without repeats, first occurrence kept: a conference listed twice is handled, and reported, once."""
    seen = set()
    return [value for value in values if not (value in seen or seen.add(value))]


class BatchInterrupted(KeyboardInterrupt):
    """The batch was interrupted (SIGINT) part way: ``results`` of the items finished, of ``total``.

    A KeyboardInterrupt still, for a caller that has no partial report to give.
    """

    def __init__(self, results, total):
        super().__init__('interrupted after {0} of {1} items'.format(len(results), total))
        self.results = results
        self.total = total


def run_concurrently(action, items, concurrency=DEFAULT_CONCURRENCY):
    """``[action(item) for item in items]``, with up to ``concurrency`` calls at once; results in the order of ``items``.

    On SIGINT (how AWX and Ctrl-C cancel a job) no further item is started, the
    ones under way finish, and BatchInterrupted reports the finished ones. If an
    action raises, no further item is started either, and the error is raised.
    """
    items = list(items)
    results = [None] * len(items)
    finished = [False] * len(items)
    errors = []
    stop = threading.Event()
    lock = threading.Lock()
    positions = iter(range(len(items)))

    def work():
        # Each worker takes the next item itself, so that stopping is only a matter of not taking one.
        while not stop.is_set():
            with lock:
                index = next(positions, None)
            if index is None:
                return
            try:
                results[index] = action(items[index])
            except BaseException as error:  # pylint: disable=broad-exception-caught  # raised again by the caller's thread
                errors.append(error)
                stop.set()
                return
            finished[index] = True

    workers = [threading.Thread(target=work, name='dingtalk-batch-{0}'.format(number)) for number in range(min(concurrency, len(items)))]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    except KeyboardInterrupt:
        stop.set()
        _ignore_further_interrupts()
        # A call under way is let finish: each one ends in a state DingTalk knows, and the result says which.
        for worker in workers:
            if worker.ident is not None:
                worker.join()
        raise BatchInterrupted([result for result, done in zip(results, finished) if done], len(items)) from None
    if errors:
        raise errors[0]
    return results


def _ignore_further_interrupts():
    # A second SIGINT would only lose the report of what was done.
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: it cannot have received the first one either
        pass


def batch_result(results, fail_on_error=True):
    """Combine per-conference results into one module result.

    ``results`` holds the dicts the per-conference actions return (see
    _cloud_record.py). The combined result is changed if any conference
    changed, lists every conference in ``results`` with its own ``changed``,
    ``outcome`` and error fields, counts ``outcomes``, and merges the diffs.
    It fails if any conference failed, unless ``fail_on_error`` is false; then
    the failures are a warning.
    """
    items = []
    warnings = []
    diff = {'before': {}, 'after': {}}
    for result in results:
        item = dict(result)
        for warning in item.pop('warnings', []):
            if warning not in warnings:
                warnings.append(warning)
        item_diff = item.pop('diff', None)
        if item_diff is not None:
            diff['before'][item['conference_id']] = item_diff['before']
            diff['after'][item['conference_id']] = item_diff['after']
        item['failed'] = bool(item.get('failed'))
        items.append(item)

    combined = {
        'changed': any(item['changed'] for item in items),
        'results': items,
        'outcomes': dict(Counter(item['outcome'] for item in items)),
        'diff': diff,
        'warnings': _summarised(warnings),
    }
    failures = [item for item in items if item['failed']]
    if failures:
        message = _failure_message(failures, len(items))
        if fail_on_error:
            combined.update(failed=True, msg=message)
        else:
            combined['warnings'].append(message)
    return combined


def interrupted_batch_result(interrupted, fail_on_error=True):
    """The module result of a batch interrupted part way: what was done, and a failure that says the rest was not."""
    combined = batch_result(interrupted.results, fail_on_error)
    done = len(interrupted.results)
    combined['failed'] = True
    combined['msg'] = (
        'Interrupted: {0} of {1} conferences were handled (see results), the other {2} were not touched. Run the task '
        'again: it acts only where something is left to do.{3}'.format(
            done, interrupted.total, interrupted.total - done, ' ' + combined['msg'] if 'msg' in combined else ''
        )
    )
    return combined


def _failure_message(failures, total):
    named = '; '.join('{0}: {1}'.format(item['conference_id'], item['msg']) for item in failures[:MAX_FAILURES_NAMED])
    more = len(failures) - MAX_FAILURES_NAMED
    return '{0} of {1} conferences failed (see results). {2}{3}'.format(len(failures), total, named, '; and {0} more'.format(more) if more > 0 else '')


def _summarised(warnings):
    if len(warnings) <= MAX_WARNINGS_SHOWN:
        return warnings
    return warnings[:MAX_WARNINGS_SHOWN] + ['... and {0} more warnings like these, for other conferences.'.format(len(warnings) - MAX_WARNINGS_SHOWN)]
