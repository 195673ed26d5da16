# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The boundary between the engine and Ansible: outcome records and failures become a task's result here, and only here.

The engine (_cloud_record, _conference, _recordings, _archive, _batch) returns small immutable records and
raises Refusal or DingTalkError; both doors (the module and the in-worker action plugin) hand what it
gives to this file, for one conference and for many. A record's fields are the result's keys; a
failure adds ``failed``, ``msg`` and, for one about a call, the DingTalk error fields. This is a
private module: its interface may change without notice.
"""

from __future__ import annotations

from collections import Counter

from ansible_collections.community.dingtalk.plugins.module_utils._batch import failed, settle
from ansible_collections.community.dingtalk.plugins.module_utils._errors import Refusal

# A record's fields that are left out of the result when they are None: a diff there is none of,
# a transcript nobody asked for.
OPTIONAL_FIELDS = ('diff', 'transcript')
NO_CALL_FAILED = {'error_code': None, 'http_status': None, 'request_id': None}

# A batch of hundreds must not drown the task output in identical advice.
MAX_FAILURES_NAMED = 5
MAX_WARNINGS_SHOWN = 3


def plain(value):
    """``value`` as Ansible returns data: records as dicts, tuples as lists, all the way down."""
    if hasattr(value, '_asdict'):
        return dict((key, plain(item)) for key, item in value._asdict().items())
    if isinstance(value, dict):
        return dict((key, plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def outcome_result(outcome):
    """The result of a run that reached what was asked: the record's fields."""
    result = plain(outcome)
    for key in OPTIONAL_FIELDS:
        if key in result and result[key] is None:
            del result[key]
    return result


def failure_result(failure):
    """The result of a run that failed: a Refusal (with what it had observed) or a bare DingTalkError."""
    if isinstance(failure, Refusal):
        result = {'changed': False} if failure.outcome is None else outcome_result(failure.outcome)
        error, message = failure.error, failure.message
        if error is None and failure.error_fields:
            result.update(NO_CALL_FAILED)
    else:
        result, error, message = {'changed': False}, failure, failure.describe()
    if error is not None:
        result.update(error.as_result())
    result.update(failed=True, msg=message)
    return result


def conference_result(settled):
    """The result of one run, whichever way it ended: an outcome record, a Refusal or a DingTalkError."""
    if failed(settled):
        return failure_result(settled)
    return outcome_result(settled)


def result_of(action, *args, **kwargs):
    """The result of one engine call, ``action(*args, **kwargs)``."""
    return conference_result(settle(action, *args, **kwargs))


def invalid_option_result(error):
    """The result of a task whose options are unusable (InvalidOptionError): nothing was called."""
    return {'failed': True, 'msg': str(error)}


def batch_result(settled, fail_on_error=True):
    """Combine the runs of many conferences (outcome records or failures, see settle) into one result.

    The combined result is changed if any conference changed, lists every conference in ``results``
    with its own ``changed``, ``outcome`` and error fields, counts ``outcomes``, and merges the diffs.
    It fails if any conference failed, unless ``fail_on_error`` is false; then the failures are a warning.
    """
    items = []
    warnings = []
    diff = {'before': {}, 'after': {}}
    for one in settled:
        item = conference_result(one)
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
    """The result of a batch interrupted part way (BatchInterrupted): what was done, and a failure that says the rest was not."""
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
    return '{0} of {1} conferences failed (see results). {2}{3}'.format(len(failures), total, named, f'; and {more} more' if more > 0 else '')


def _summarised(warnings):
    if len(warnings) <= MAX_WARNINGS_SHOWN:
        return warnings
    return warnings[:MAX_WARNINGS_SHOWN] + [f'... and {len(warnings) - MAX_WARNINGS_SHOWN} more warnings like these, for other conferences.']
