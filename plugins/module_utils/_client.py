# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one way this collection talks to DingTalk.

:class:`Connection` is one API host: the transport, timeouts, bounded retries, the per-API rate
limit and the mapping of answers to :class:`DingTalkError`; it makes calls with or without a token.
:class:`DingTalkClient` is the DingTalk API on top of it, given its token source when it is built:
each call carries the token, and a rejected one is renewed once where the source can. Token sources
(_auth.py) request tokens through a Connection, never through the client, so nothing calls back.
This is a private module: its interface may change without notice.
"""

from __future__ import annotations

import json
import random
import time
from urllib.parse import quote, urlencode

from ansible_collections.community.dingtalk.plugins.module_utils import _http
from ansible_collections.community.dingtalk.plugins.module_utils._answers import REQUEST_ID_HEADER, parse_answer, quoted, unknown_outcome
from ansible_collections.community.dingtalk.plugins.module_utils._errors import (
    DEFAULT_API_URL,
    INVALID_TOKEN_CODE,
    PER_MINUTE,
    PER_SECOND,
    DingTalkError,
    InvalidOptionError,
    is_sendable_token,
    throttling_window,
    validate_api_url,
)

DEFAULT_TIMEOUT = 10
DEFAULT_RETRIES = 3

TOKEN_HEADER = 'x-acs-dingtalk-access-token'

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 8.0
THROTTLE_MIN_BACKOFF_SECONDS = 1.0
THROTTLE_JITTER_SECONDS = 0.5
# A per-minute window: a retry within the same minute is throttled again. Three back-offs of 20 to 30
# seconds (the default retries) reach the next window wherever in its minute the first call fell.
PER_MINUTE_THROTTLE_MIN_BACKOFF_SECONDS = 20.0
PER_MINUTE_THROTTLE_JITTER_SECONDS = 10.0
# The most one back-off can last, but after a per-minute throttling answer: a throttled call waits up to
# half a second past its minimum.
MAX_BACKOFF_SECONDS = max(BACKOFF_MAX_SECONDS, THROTTLE_MIN_BACKOFF_SECONDS + THROTTLE_JITTER_SECONDS)
MAX_PER_MINUTE_BACKOFF_SECONDS = PER_MINUTE_THROTTLE_MIN_BACKOFF_SECONDS + PER_MINUTE_THROTTLE_JITTER_SECONDS

# DingTalk's answers are a few hundred bytes. A larger one is an error page or an attack:
# it is read in small chunks and refused past this size, never held in memory whole.
MAX_ANSWER_BYTES = 4 * 1024 * 1024


def path_segment(value):
    """Percent-encode ``value`` as exactly one URL path segment.

    Every reserved character is encoded (``/``, ``?``, ``#``, ``%``, spaces,
    non-ASCII), so an identifier can never reach another endpoint. Dot segments
    are encoded too, because URL normalisation would otherwise remove them.
    """
    value = str(value)
    if not value:
        raise InvalidOptionError('a path parameter must not be empty')
    if value in ('.', '..'):
        return value.replace('.', '%2E')
    return quote(value, safe='')


class Connection:
    """One DingTalk API host: calls with retries, spaced by a per-API rate limit, answers mapped to DingTalkError.

    ``trust`` is what to check the host's certificate against: True for the system's trust store, a
    CA file or c_rehash directory, or False for nothing. Retries cover transient failures only (see
    :attr:`DingTalkError.retryable`) and are bounded by ``retries``. A ``rate_limiter`` (see
    _rate_limit.py) spaces the calls of each API. Safe to share between threads: ``pool_size``
    connections are kept open, one per concurrent caller.

    ``on_retry``, None (silent) unless the plugin that shows retries sets it, is called before each
    back-off with one line: what failed (the DingTalk error code, or the kind of transport failure),
    the API, the attempt and the wait; never a token, a secret, an id or a link.
    """

    def __init__(
        self, api_url=DEFAULT_API_URL, trust=True, timeout=DEFAULT_TIMEOUT, retries=DEFAULT_RETRIES, pool_size=10, rate_limiter=None, sleep=time.sleep
    ):
        # Whether plain HTTP may be used is the connect sequence's decision (_connect.check_connection_options),
        # which knows allow_plain_http; here only the URL's form is checked.
        self.api_url = validate_api_url(api_url, allow_plain_http=True)
        self.timeout = timeout
        self.retries = retries
        self.rate_limiter = rate_limiter
        self.on_retry = None
        self._sleep = sleep
        self._random = random.Random()
        try:
            self._transport = _http.transport_for(
                self.api_url, trust=trust, timeout=timeout, pool_size=pool_size, headers={'Accept': 'application/json', 'User-Agent': 'community.dingtalk'}
            )
        except _http.UnsupportedProxy as error:
            raise InvalidOptionError(str(error)) from None

    def close(self):
        self._transport.close()

    def call(self, method, path_template, path_params=(), body=None, token=None, query=None):
        """Make one API call with retries, with ``token`` in its header when given; return the JSON answer as a dict.

        ``query`` parameters whose value is None are left out.
        """
        path = path_template.format(*[path_segment(value) for value in path_params])
        if query:
            path = f'{path}?{urlencode([(name, value) for name, value in query.items() if value is not None], quote_via=quote)}'
        # The rate limit and its throttling are per API: the method and the path before its parameters are filled in.
        api = f'{method} {path_template}'
        return self._call_with_retries(api, method, path, body, token)

    def _call_with_retries(self, api, method, path, body, token):
        attempt = 0
        answer_lost = False
        started = time.monotonic()
        slept = 0.0
        while True:
            try:
                return self._send(api, method, path, body, token)
            except DingTalkError as error:
                answer_lost = error.answer_lost = answer_lost or error.answer_lost
                throttling = throttling_window(error)
                if throttling is not None and self.rate_limiter is not None:
                    self.rate_limiter.throttled(api, per_minute=throttling == PER_MINUTE)
                if not error.retryable or attempt >= self.retries:
                    if error.retryable and attempt > 0:
                        # The back-off slept counts even where sleep is not the clock's (tests).
                        seconds = max(time.monotonic() - started, slept)
                        error.advice = ' '.join(filter(None, (error.advice, retries_exhausted_advice(attempt + 1, seconds, self.retries))))
                    raise
                attempt += 1
                delay = self._backoff_seconds(attempt, throttling)
                slept += delay
                self._back_off(attempt, delay, api, _failure_kind(error))

    def wait_before_retry(self, attempt, what=None):
        """Sleep the back-off before try ``attempt`` + 1 of something else this connection's retries cover (a download).

        ``what`` names what failed for the retry notice (a kind of failure and a target, never a link), if there is one.
        """
        delay = self._backoff_seconds(attempt)
        if what is None:
            self._sleep(delay)
        else:
            self._back_off(attempt, delay, what, 'failed')

    def _back_off(self, attempt, delay, api, failure):
        if self.on_retry is not None:
            self.on_retry(f'{api}: attempt {attempt} of {self.retries + 1} {failure}; trying again in {delay:.1f} s')
        self._sleep(delay)

    def _backoff_seconds(self, attempt, throttling=None):
        """Exponential back-off with jitter, so parallel callers do not retry in step.

        A throttled call (``throttling`` is PER_SECOND or PER_MINUTE) waits at least until DingTalk's window has moved on.
        """
        ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * (2 ** (attempt - 1)))
        delay = ceiling / 2 + self._random.uniform(0, ceiling / 2)
        if throttling == PER_MINUTE:
            delay = max(delay, PER_MINUTE_THROTTLE_MIN_BACKOFF_SECONDS + self._random.uniform(0, PER_MINUTE_THROTTLE_JITTER_SECONDS))
        elif throttling == PER_SECOND:
            delay = max(delay, THROTTLE_MIN_BACKOFF_SECONDS + self._random.uniform(0, THROTTLE_JITTER_SECONDS))
        return delay

    def _send(self, api, method, path, body, token):
        headers = {}
        if token is not None:
            headers[TOKEN_HEADER] = token
        data = None
        if body is not None:
            headers['Content-Type'] = 'application/json'
            data = json.dumps(body).encode('utf-8')
        # Let go by the rate limit last, so that the send time it records is the one the call goes out at.
        if self.rate_limiter is not None:
            self.rate_limiter.wait(api)
        try:
            answer = self._transport.request(method, path, body=data, headers=headers, max_body_bytes=MAX_ANSWER_BYTES)
        except _http.AnswerTooLarge as too_large:
            raise DingTalkError(
                f'DingTalk answered HTTP {too_large.status} with a body larger than {MAX_ANSWER_BYTES // (1024 * 1024)} MiB, which was not read',
                http_status=too_large.status,
                request_id=quoted(too_large.headers.get(REQUEST_ID_HEADER)),
                answer_lost=unknown_outcome(too_large.status),
            ) from None
        except _http.TransportError as failure:
            error = DingTalkError(self._transport_failure_message(failure), answer_lost=failure.sent, final=failure.final)
            error.transport_failure = type(failure).__name__
            raise error from None
        return parse_answer(answer.status, answer.headers, answer.body)

    def _transport_failure_message(self, failure):
        """What a task says when no complete answer came; never the exception's own text, which may quote headers."""
        # An https:// proxy has a TLS handshake and a certificate of its own.
        tls_peer = self.api_url
        if self._transport.proxy_is_tls:
            tls_peer = f'{self.api_url} or of the proxy {self._transport.proxy_address}'
        if isinstance(failure, _http.TlsFailed):
            return 'The TLS handshake with {0} failed{1}; is it an https:// server?'.format(tls_peer.replace(' of the', ' with the'), _reason(failure))
        if isinstance(failure, _http.CertificateUntrusted):
            return (
                f'TLS certificate verification of {tls_peer} failed{_reason(failure)}; set ca_path to the CA certificate that signs it '
                '(or add that CA to the system trust store), or validate_certs to false for a test host'
            )
        if isinstance(failure, _http.ProxyFailed):
            return (
                f'The proxy {self._transport.proxy_address} (from {self._transport.proxy_variable}) could not be reached, '
                f'or refused to connect to {self.api_url}'
            )
        if isinstance(failure, _http.HostUnknown):
            return f'The host name of {self.api_url} could not be resolved; check api_url'
        if isinstance(failure, _http.ConnectionRefused):
            return f'Could not connect to {self.api_url}: the connection was refused or the host is unreachable; check api_url'
        if isinstance(failure, _http.ConnectTimedOut):
            return f'Could not connect to {self.api_url} within {self.timeout} seconds'
        if isinstance(failure, _http.AnswerTooSlow):
            return f'No complete answer from {self.api_url} within {self.timeout} seconds'
        if isinstance(failure, _http.TimedOut):
            return f'No answer from {self.api_url} within {self.timeout} seconds'
        if isinstance(failure, _http.CutOff):
            return f'The answer from {self.api_url} was cut off before its end'
        if isinstance(failure, _http.NotHttp):
            return f'The answer from {self.api_url} was not HTTP'
        through_proxy = f' through the proxy {self._transport.proxy_address}' if self._transport.proxy else ''
        return f'The connection to {self.api_url}{through_proxy} was dropped before the answer'


def retries_exhausted_advice(attempts, seconds, retries):
    """What a task adds to a transient failure that every attempt met: how many attempts, over how long."""
    return f'Tried {attempts} times over {seconds:.1f} seconds (retries={retries}); every attempt failed, so it is not a passing glitch.'


class DingTalkClient:
    """The DingTalk API calls this collection makes, over ``connection``, each with a token from ``token_source``.

    ``token_source`` is anything with ``get()``, ``invalidate(rejected_token)``, ``refreshable`` and
    ``rejection_advice`` (see _auth.py). A token DingTalk rejects is invalidated, and replaced once
    when the source can; when it cannot, the error carries the source's advice.
    """

    def __init__(self, connection, token_source):
        self.connection = connection
        self.token_source = token_source

    @property
    def api_url(self):
        return self.connection.api_url

    def close(self):
        self.connection.close()

    def get_conference(self, conference_id):
        """Return the ``confInfo`` of a conference."""
        answer = self.call('GET', '/v1.0/conference/videoConferences/{0}', (conference_id,))
        conf_info = answer.get('confInfo')
        if not isinstance(conf_info, dict):
            raise DingTalkError('DingTalk answered the conference query without a confInfo object', http_status=200)
        return conf_info

    def list_org_conferences(self, max_results, next_token=None):
        """One page of the organisation's ongoing conferences: DingTalk's answer, its ``onGoingConfList`` checked to be a list.

        ``next_token`` is the ``nextToken`` of the page before, passed back as DingTalk gave it; none for the first page.
        """
        answer = self.call('GET', '/v1.0/conference/orgConferences', query={'maxResults': max_results, 'nextToken': next_token})
        if not isinstance(answer.get('onGoingConfList', []), list):
            raise DingTalkError('DingTalk answered the list of ongoing conferences with an onGoingConfList that is not a list', http_status=200)
        return answer

    def stop_cloud_record(self, conference_id, union_id):
        self.call('POST', '/v1.0/conference/videoConferences/{0}/cloudRecords/stop', (conference_id,), body={'unionId': union_id})

    def start_cloud_record(self, conference_id, union_id, mode=None, small_window_position=None):
        body = {'unionId': union_id}
        if mode:
            body['mode'] = mode
        if small_window_position:
            body['smallWindowPosition'] = small_window_position
        self.call('POST', '/v1.0/conference/videoConferences/{0}/cloudRecords/start', (conference_id,), body=body)

    def get_cloud_record_videos(self, conference_id, union_id):
        """Return the ``videoList`` of a conference (getVideos): one dict per video file, [] when DingTalk lists none.

        Each holds ``recordId``, ``mediaId``, ``regionId``, ``recordType``, ``duration`` (ms), ``fileSize``,
        ``startTime``, ``endTime`` and ``unionId``; several videos of one recording share a ``recordId``.
        """
        answer = self.call('GET', '/v1.0/conference/videoConferences/{0}/cloudRecords/getVideos', (conference_id,), query={'unionId': union_id})
        videos = answer.get('videoList')
        if videos is None:  # an answer without the list: nothing listed
            return []
        if not isinstance(videos, list) or not all(isinstance(video, dict) for video in videos):
            raise DingTalkError('DingTalk answered the recording query with a videoList that is not a list of objects', http_status=200)
        return videos

    def get_cloud_record_play_info(self, conference_id, union_id, media_id, region_id):
        """Return the play info of one video (getPlayInfos): ``mp4FileUrl``, ``playUrl``, ``fileSize``, ``duration``, ``status``.

        The URLs are signed and short-lived, on a storage host: bearer links, never to be logged.
        """
        return self.call(
            'GET',
            '/v1.0/conference/videoConferences/{0}/cloudRecords/videos/getPlayInfos',
            (conference_id,),
            query={'mediaId': media_id, 'regionId': region_id, 'unionId': union_id},
        )

    def get_cloud_record_texts(self, conference_id, union_id, next_token=None, max_results=None, direction=None):
        """Return one page of a conference's transcript (getTexts): ``hasMore`` and ``paragraphList``.

        The SDK's model carries the cursor on each paragraph, spelled ``nextTtoken``; it goes back as ``nextToken``.
        """
        query = {'unionId': union_id, 'direction': direction, 'maxResults': max_results, 'nextToken': next_token}
        return self.call('GET', '/v1.0/conference/videoConferences/{0}/cloudRecords/getTexts', (conference_id,), query=query)

    def call(self, method, path_template, path_params=(), body=None, query=None):
        """Make one authenticated API call; return the JSON answer as a dict."""
        token = self._token()
        try:
            return self.connection.call(method, path_template, path_params, body, token, query)
        except DingTalkError as error:
            if error.code != INVALID_TOKEN_CODE:
                raise
            self.token_source.invalidate(token)
            if not self.token_source.refreshable:
                error.advice = self.token_source.rejection_advice
                raise
        return self.connection.call(method, path_template, path_params, body, self._token(), query)

    def _token(self):
        token = self.token_source.get()
        # Checked here too, whatever its source: a line break in a header would let it add headers of its own.
        if not is_sendable_token(token):
            raise DingTalkError('The access token is not a string of visible ASCII characters, so it was not sent')
        return token


def _failure_kind(error):
    """What failed, for a retry notice: DingTalk's error code and the HTTP status, or the kind of transport failure; never its text."""
    if error.code:
        return f'failed with DingTalk error {error.code} (HTTP {error.http_status})'
    if error.http_status is not None:
        return f'failed with HTTP {error.http_status}'
    return 'failed without an answer ({0})'.format(getattr(error, 'transport_failure', 'no complete answer'))


def _reason(failure):
    return f' ({failure.reason})' if failure.reason else ''
