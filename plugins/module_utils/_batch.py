# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One module run for many conferences: run a per-conference action concurrently and report on all of them.

An Ansible loop through the module door pays a whole module execution per item; here the items share
one process, one connection pool, one token and one rate limiter (see _rate_limit.py). Each item's run
is settled into a value (its outcome record or its failure); _results.py combines them into one result.
This is a private module: its interface may change without notice.
"""

from __future__ import annotations

import contextlib
import signal
import threading

from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, InvalidOptionError, Refusal
from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import DEFAULT_CALLS_PER_SECOND

DEFAULT_CONCURRENCY = 16
MAX_CONCURRENCY = 64


def concurrency_argument_spec():
    """The options of the community.dingtalk.concurrency doc fragment."""
    return dict(
        rate_limit=dict(type='float', default=DEFAULT_CALLS_PER_SECOND),
        concurrency=dict(type='int', default=DEFAULT_CONCURRENCY),
    )


def validate_concurrency_options(rate_limit, concurrency):
    """Raise InvalidOptionError for an unusable rate_limit or concurrency; called before any API call."""
    if rate_limit <= 0:
        raise InvalidOptionError(f'rate_limit must be greater than 0 calls a second, got {rate_limit}')
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise InvalidOptionError(f'concurrency must be between 1 and {MAX_CONCURRENCY}, got {concurrency}')


def unique_in_order(values):
    """``values`` without repeats, first occurrence kept: a conference listed twice is handled, and reported, once."""
    seen = set()
    return [value for value in values if not (value in seen or seen.add(value))]


class BatchInterrupted(KeyboardInterrupt):
    """The batch was interrupted (SIGINT) part way: ``results`` of the items finished, of ``total``.

    A KeyboardInterrupt still, for a caller that has no partial report to give.
    """

    def __init__(self, results, total):
        super().__init__(f'interrupted after {len(results)} of {total} items')
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

    workers = [threading.Thread(target=work, name=f'dingtalk-batch-{number}') for number in range(min(concurrency, len(items)))]
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


def settle(action, *args, **kwargs):
    """``action(*args, **kwargs)``: its outcome record, or the Refusal or DingTalkError it raised, as a value."""
    try:
        return action(*args, **kwargs)
    except (Refusal, DingTalkError) as failure:
        return failure


def failed(settled):
    """Whether a settled run (see settle) failed."""
    return isinstance(settled, (Refusal, DingTalkError))


def run_batch(action, items, concurrency=DEFAULT_CONCURRENCY, progress=None):
    """What ``action`` gives for each item (settled: an outcome record, or its failure), ``concurrency`` at a time, in item order.

    ``progress`` (None: silent) is told of each item as it ends: ``progress.item_done(changed, failed)``, from the
    thread that ran it. Interrupted, it raises BatchInterrupted with the settled items (see run_concurrently).
    """

    def one(item):
        settled = settle(action, item)
        if progress is not None:
            progress.item_done(changed=not failed(settled) and bool(settled.changed), failed=failed(settled))
        return settled

    return tuple(run_concurrently(one, items, concurrency))


def _ignore_further_interrupts():
    # A second SIGINT would only lose the report of what was done.
    with contextlib.suppress(ValueError):  # not the main thread: it cannot have received the first one either
        signal.signal(signal.SIGINT, signal.SIG_IGN)
