# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The conference_events event source's loop: its options, the connection, a poll every interval, the queue.

ansible-rulebook calls ``main(queue, args)`` of extensions/eda/plugins/event_source/conference_events.py,
which awaits ``run`` here. Options are checked before any call; the connection is the one the modules and
the lookup make (``_connect.connect``), its calls spaced by the collection's rate limiter. A poll runs in a
daemon thread, so that a cancelled source ends at once, whatever call is under way. This is a private
module: its interface may change without notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import threading
import time

from ansible_collections.community.dingtalk.plugins.module_utils._auth import APP_OPTIONS, AUTH_ENVIRONMENT, SUITE_OPTIONS
from ansible_collections.community.dingtalk.plugins.module_utils._client import DEFAULT_RETRIES, DEFAULT_TIMEOUT
from ansible_collections.community.dingtalk.plugins.module_utils._conference import ListingError
from ansible_collections.community.dingtalk.plugins.module_utils._connect import connect
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DEFAULT_API_URL, DingTalkError, InvalidOptionError
from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import RateLimiter
from ansible_collections.community.dingtalk.plugins.plugin_utils._conference_watch import EVENT_TYPES, QUERY_CONCURRENCY, ConferenceWatch, is_fatal

logger = logging.getLogger('community.dingtalk.conference_events')

DEFAULT_INTERVAL = 30
# Below the modules' 18 a second: the source runs for hours beside the modules its rules run, which call the same
# APIs (a stop queries the conference first) with the same app, within DingTalk's 20 a second per app and API; and
# calls leave a busy machine less evenly than they were spaced (measured: 21 in one second at 18).
DEFAULT_RATE_LIMIT = 15.0
# After failed polls the next waits interval * 2 ** (failures - 1), up to this long.
MAX_BACKOFF_SECONDS = 300

# Options and their defaults; the environment variables are the ones the modules read.
OPTION_DEFAULTS = {
    'api_url': DEFAULT_API_URL,
    'validate_certs': True,
    'ca_path': None,
    'timeout': DEFAULT_TIMEOUT,
    'retries': DEFAULT_RETRIES,
    'cache': True,
    'cache_dir': None,
    'interval': DEFAULT_INTERVAL,
    'events': list(EVENT_TYPES),
    'title': None,
    'emit_in_progress': False,
    'rate_limit': DEFAULT_RATE_LIMIT,
}
OPTION_ENVIRONMENT = {'api_url': 'DINGTALK_API_URL', 'ca_path': 'DINGTALK_CA_PATH', 'cache_dir': 'DINGTALK_TOKEN_CACHE_DIR'}
CREDENTIAL_OPTIONS = APP_OPTIONS + SUITE_OPTIONS
# What ansible-rulebook adds to a source's arguments itself.
RULEBOOK_ARGUMENTS = ('eda_feedback_queue',)
TRUE_WORDS = ('true', 'yes', 'on', '1')
FALSE_WORDS = ('false', 'no', 'off', '0')


class SourceStopped(Exception):
    """The source was cancelled while a poll waited for its turn to call DingTalk."""


class ConferenceEventsError(Exception):
    """The one message the source stops with: a bad option, rejected credentials, a missing permission."""


def _boolean(name, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise InvalidOptionError(f'{name} must be true or false, got {value!r}')


def _number(name, value, kind=float):
    try:
        if isinstance(value, bool):
            raise ValueError(value)
        number = kind(value)
    except (TypeError, ValueError):
        raise InvalidOptionError(f'{name} must be a number, got {value!r}') from None
    if number <= 0 and name != 'retries':
        raise InvalidOptionError(f'{name} must be greater than 0, got {value!r}')
    return number


def _event_types(value):
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
        raise InvalidOptionError('events must be a list of event types, some of {0}; got {1!r}'.format(', '.join(EVENT_TYPES), value))
    unknown = [name for name in names if name not in EVENT_TYPES]
    if unknown:
        raise InvalidOptionError('events has unknown event types {0}; known are {1}'.format(', '.join(unknown), ', '.join(EVENT_TYPES)))
    return names


def _title_pattern(value):
    if value is None:
        return None
    try:
        return re.compile(str(value))
    except re.error as error:
        raise InvalidOptionError(f'title must be a regular expression: {error}') from None


def read_options(args, environ=None):
    """The source's checked options, as a dict, and its credentials; raise InvalidOptionError before any call.

    Credentials come from the arguments, or, when the arguments give none, from the DINGTALK_* variables as
    a whole, as for the modules (what the AWX and EDA credential types inject).
    """
    environ = os.environ if environ is None else environ
    args = {name: value for name, value in args.items() if name not in RULEBOOK_ARGUMENTS}
    unknown = sorted(name for name in args if name not in OPTION_DEFAULTS and name not in CREDENTIAL_OPTIONS)
    if unknown:
        raise InvalidOptionError(
            'unknown option(s) {0}; the source takes {1}'.format(', '.join(unknown), ', '.join(sorted(list(OPTION_DEFAULTS) + list(CREDENTIAL_OPTIONS))))
        )
    options = dict(OPTION_DEFAULTS)
    options.update((name, environ[variable]) for name, variable in OPTION_ENVIRONMENT.items() if environ.get(variable))
    options.update((name, value) for name, value in args.items() if name in OPTION_DEFAULTS and value is not None)
    for name in ('validate_certs', 'cache', 'emit_in_progress'):
        options[name] = _boolean(name, options[name])
    for name in ('timeout', 'retries'):
        options[name] = _number(name, options[name], int)
    for name in ('interval', 'rate_limit'):
        options[name] = _number(name, options[name])
    options['events'] = _event_types(options['events'])
    options['title'] = _title_pattern(options['title'])
    auth = {name: args[name] for name in CREDENTIAL_OPTIONS if args.get(name) is not None}
    if not auth:
        auth = {name: environ[AUTH_ENVIRONMENT[name]] for name in CREDENTIAL_OPTIONS if environ.get(AUTH_ENVIRONMENT[name])}
    return options, auth


def stoppable_sleep(stop):
    """A sleep for the rate limiter that ends with SourceStopped as soon as ``stop`` is set."""

    def sleep(seconds):
        if stop.wait(seconds):
            raise SourceStopped()

    return sleep


async def in_daemon_thread(function):
    """``function()``'s result, computed in a daemon thread: a cancelled await returns at once and the process need not wait for it."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(result, error):
        if not future.done():
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

    def work():
        result = error = None
        try:
            result = function()
        except BaseException as failure:  # pylint: disable=broad-exception-caught  # handed to the awaiting task
            error = failure
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits for this poll any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name='dingtalk-conference-events', daemon=True).start()
    return await future


async def run(queue, args, environ=None):
    """Watch the organisation's conferences until cancelled: put each event on ``queue``.

    Stops with ConferenceEventsError (one message, no secret in it) for a bad option, rejected credentials or a
    missing permission; throttling and transient failures are waited out, with a longer wait after each.
    """
    try:
        options, auth = read_options(args, environ)
        stop = threading.Event()
        connected = connect(
            options.get,
            auth,
            'as source arguments or DINGTALK_* environment variables',
            accepts_access_token=False,
            rate_limiter_for=lambda _app_window: RateLimiter(options['rate_limit'], sleep=stoppable_sleep(stop)),  # one app per source
            pool_size=QUERY_CONCURRENCY,
        )
    except InvalidOptionError as error:
        raise ConferenceEventsError(f'community.dingtalk.conference_events: {error}') from None
    for warning in connected.warnings:
        logger.warning(warning)
    watch = ConferenceWatch(connected.client, options['events'], options['title'], options['emit_in_progress'], warn=logger.warning)
    try:
        await poll_forever(watch, queue, options['interval'])
    finally:
        stop.set()
        for warning in connected.token_cache.warnings if connected.token_cache is not None else ():
            logger.warning(warning)


async def poll_forever(watch, queue, interval, clock=time.monotonic):
    """A poll every ``interval`` seconds (start to start; a poll that takes longer is followed at once, said once)."""
    failures = 0
    said_late = False
    while True:
        started = clock()
        try:
            events = await in_daemon_thread(watch.poll)
        except (DingTalkError, ListingError) as error:
            described = error.describe() if isinstance(error, DingTalkError) else str(error)
            if isinstance(error, DingTalkError) and is_fatal(error, ever_polled=watch.polls > 0):
                raise ConferenceEventsError(f'community.dingtalk.conference_events stopped: {described}') from None
            failures += 1
            wait = min(MAX_BACKOFF_SECONDS, interval * 2 ** (failures - 1))
            logger.warning('Poll %d of the ongoing conferences failed (%d in a row); trying again in %.0f s: %s', watch.polls + 1, failures, wait, described)
            await asyncio.sleep(wait)
            continue
        if failures:
            logger.info('Polling again after %d failed poll(s)', failures)
            failures = 0
        for event in events:
            await queue.put(event)
        took = clock() - started
        if took > interval and not said_late:
            said_late = True
            logger.warning(
                'A poll of %d conferences took %.1f s, longer than interval (%s s): each poll now starts when the last one ends. '
                'Raise interval, or narrow the conferences with title.',
                watch.tracked,
                took,
                interval,
            )
        await asyncio.sleep(max(0.0, interval - took))
