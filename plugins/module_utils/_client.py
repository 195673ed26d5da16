# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one way this collection talks to DingTalk.

Every plugin goes through :class:`DingTalkClient`: it owns the HTTP session, the
token header, timeouts, bounded retries and the mapping of DingTalk's answers to
:class:`DingTalkError`. This is a private module: its interface may change
without notice.
"""

from __future__ import annotations

import json
import random
import re
import ssl
import time

from urllib.parse import quote, urlencode, urlsplit

from ansible_collections.community.dingtalk.plugins.module_utils import _http


DEFAULT_API_URL = 'https://api.dingtalk.io'
DEFAULT_TIMEOUT = 10
DEFAULT_RETRIES = 3

TOKEN_HEADER = 'x-acs-dingtalk-access-token'
REQUEST_ID_HEADER = 'x-acs-request-id'

# DingTalk codes whose documented meaning is "busy or throttled, try again".
# recordStopError is listed because its documented text is
# "record stop error, please try again". recordStartError is deliberately not:
# its documentation does not ask to try again, and DingTalk also gives it for a
# start while a recording runs or is paused, which no retry can change.
RETRYABLE_CODES = frozenset((
    'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
    'Forbidden.AccessDenied.QpsLimitForApi',
    'system.busy',
    'systemBusy',
    'systemError',
    'innerSystemError',
    'internalError',
    'unknownError',
    'serviceBusy',
    'recordStopError',
))

# Throttling answers ask for a back-off of at least one second: DingTalk counts
# calls per app and API in one-second windows.
THROTTLING_CODES = frozenset((
    'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
    'Forbidden.AccessDenied.QpsLimitForApi',
    'system.busy',
    'systemBusy',
))

INVALID_TOKEN_CODE = 'InvalidAuthentication'
PERMISSION_DENIED_CODE = 'Forbidden.AccessDenied.AccessTokenPermissionDenied'

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 8.0
THROTTLE_MIN_BACKOFF_SECONDS = 1.0
# The most one back-off can last: a throttled call waits up to half a second past its minimum.
MAX_BACKOFF_SECONDS = max(BACKOFF_MAX_SECONDS, THROTTLE_MIN_BACKOFF_SECONDS + 0.5)

# DingTalk's answers are a few hundred bytes. A larger one is an error page or an attack:
# it is read in small chunks and refused past this size, never held in memory whole.
MAX_ANSWER_BYTES = 4 * 1024 * 1024
# What a task message quotes of texts the server chose (error messages, codes, content types).
MAX_QUOTED_CHARACTERS = 300

# A token travels in an HTTP header: anything but visible ASCII would either be
# refused by the HTTP library (with the value in its message) or split the header.
_TOKEN_PATTERN = re.compile(r'^[\x21-\x7e]+$')


class DingTalkError(Exception):
    """A call to DingTalk failed.

    ``code``, ``message`` and ``request_id`` come from DingTalk's answer when it
    gave one; ``http_status`` is None when no complete HTTP answer arrived.
    ``answer_lost`` is true when this attempt of the call, or an earlier one,
    got no answer that says what happened (none at all, a cut-off one, or a
    2xx or 5xx one that is not DingTalk's JSON): DingTalk may have carried the
    call out. ``final`` is true for a failure no retry can mend, such as a
    certificate that is not trusted.
    """

    def __init__(self, message, code=None, http_status=None, request_id=None, required_scopes=None, answer_lost=None, final=False):
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.request_id = request_id
        self.required_scopes = list(required_scopes or [])
        self.answer_lost = http_status is None if answer_lost is None else answer_lost
        self.final = final

    @property
    def retryable(self):
        """Whether trying the same call again may succeed."""
        if self.final:
            return False
        if self.http_status is None:
            return True  # no answer: connection reset or timed out
        if self.code in RETRYABLE_CODES:
            return True
        return self.http_status == 429 or self.http_status >= 500

    def describe(self):
        """One line for a task's ``msg``: the DingTalk code, message and request id."""
        if self.code:
            text = 'DingTalk error {0}: {1}'.format(self.code, self.message)
        else:
            text = self.message
        details = []
        if self.http_status is not None:
            details.append('HTTP {0}'.format(self.http_status))
        if self.request_id:
            details.append('request id {0}'.format(self.request_id))
        if self.required_scopes:
            details.append('required permission {0}'.format(', '.join(self.required_scopes)))
        if details:
            text = '{0} ({1})'.format(text, '; '.join(details))
        return text

    def as_result(self):
        """The return keys every plugin adds to a failed result."""
        return {
            'error_code': self.code,
            'http_status': self.http_status,
            'request_id': self.request_id,
        }


class InvalidOptionError(ValueError):
    """An option's value is unusable; raised before any call is made."""


def validate_api_url(api_url):
    """Return ``api_url`` without a trailing slash, or raise InvalidOptionError.

    Only ``scheme://host[:port]`` is accepted: credentials in the URL would end
    up in logs, and a path or query would change which endpoint is called.
    """
    api_url = (api_url or '').strip()
    try:
        parts = urlsplit(api_url)
    except ValueError:  # an unclosed IPv6 bracket, for example
        raise InvalidOptionError('api_url is not a valid URL; use scheme://host[:port], for example {0}'.format(DEFAULT_API_URL)) from None
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise InvalidOptionError('api_url must be an http:// or https:// URL with a host name, for example {0}'.format(DEFAULT_API_URL))
    # urlsplit silently drops tabs and line breaks; such a URL is a mistake, not a host to call.
    if re.search(r'[\s\x00-\x1f\x7f]', api_url):
        raise InvalidOptionError('api_url must not contain white space or control characters')
    if parts.username is not None or parts.password is not None:
        raise InvalidOptionError('api_url must not contain credentials; pass them as their own options')
    if parts.path not in ('', '/') or parts.query or parts.fragment:
        raise InvalidOptionError('api_url must be scheme://host[:port] only, without a path, query or fragment')
    try:
        port = parts.port  # raises ValueError on a port out of range
    except ValueError:
        port = 0
    if port == 0:
        raise InvalidOptionError('api_url has an invalid port') from None
    try:  # how a host name goes into DNS and the Host header; one that cannot fails here, once
        parts.hostname.encode('idna')
    except UnicodeError:
        raise InvalidOptionError('api_url has an invalid host name; use scheme://host[:port], for example {0}'.format(DEFAULT_API_URL)) from None
    return '{0}://{1}'.format(parts.scheme, parts.netloc)


def is_sendable_token(value):
    """Whether ``value`` can travel in the token header as it is."""
    return isinstance(value, str) and _TOKEN_PATTERN.match(value) is not None


def validate_access_token(access_token, option='access_token'):
    """Raise InvalidOptionError for a token that cannot travel in a header. Never echoes the value."""
    if not is_sendable_token(access_token):
        raise InvalidOptionError('{0} must be a non-empty string of visible ASCII characters'.format(option))


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


class StaticToken:
    """A token handed to us by the user: used as is, never renewed.

    When DingTalk rejects it, it is discarded from ``token_cache`` (if given),
    where the lookup that produced it may have left it: the next lookup then
    fetches a new token instead of handing out the rejected one again.
    """

    refreshable = False

    def __init__(self, access_token, token_cache=None):
        self._access_token = access_token
        self._token_cache = token_cache

    def get(self):
        return self._access_token

    def invalidate(self, rejected_token):
        if self._token_cache is not None:
            self._token_cache.discard(rejected_token)


class DingTalkClient:
    """HTTP access to one DingTalk API host.

    ``token_source`` provides the access token for API calls (anything with
    ``get()``, ``invalidate(rejected_token)`` and ``refreshable``); token calls
    themselves do not need one. Retries cover transient failures only (see
    :attr:`DingTalkError.retryable`) and are bounded by ``retries``. A
    ``rate_limiter`` (see _rate_limit.py) spaces the calls of each API; the
    client is safe to share between threads.
    """

    def __init__(self, api_url=DEFAULT_API_URL, token_source=None, validate_certs=True, ca_path=None,
                 timeout=DEFAULT_TIMEOUT, retries=DEFAULT_RETRIES, pool_size=10, rate_limiter=None, sleep=time.sleep):
        self.api_url = validate_api_url(api_url)
        self.token_source = token_source
        self.timeout = timeout
        self.retries = retries
        self.rate_limiter = rate_limiter
        self._sleep = sleep
        self._random = random.Random()
        if ca_path is not None and validate_certs:
            try:
                _http.check_ca_path(ca_path)
            except (ssl.SSLError, OSError):
                raise InvalidOptionError('ca_path {0} holds no PEM CA certificate'.format(ca_path)) from None
        try:
            # Connection reuse is most of the speed of a run: kept-open connections, as many
            # as batch mode has concurrent callers.
            self._transport = _http.Transport(self.api_url, validate_certs=validate_certs, ca_path=ca_path, timeout=timeout,
                                              pool_size=pool_size, headers={'Accept': 'application/json', 'User-Agent': 'community.dingtalk'})
        except _http.UnsupportedProxy as error:
            raise InvalidOptionError(str(error)) from None

    def close(self):
        self._transport.close()

    # DingTalk API calls -------------------------------------------------

    def get_conference(self, conference_id):
        """Return the ``confInfo`` of a conference."""
        answer = self.call('GET', '/v1.0/conference/videoConferences/{0}', (conference_id,))
        conf_info = answer.get('confInfo')
        if not isinstance(conf_info, dict):
            raise DingTalkError('DingTalk answered the conference query without a confInfo object', http_status=200)
        return conf_info

    def stop_cloud_record(self, conference_id, union_id):
        self.call('POST', '/v1.0/conference/videoConferences/{0}/cloudRecords/stop', (conference_id,),
                  body={'unionId': union_id})

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
        answer = self.call('GET', '/v1.0/conference/videoConferences/{0}/cloudRecords/getVideos', (conference_id,),
                           query={'unionId': union_id})
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
        return self.call('GET', '/v1.0/conference/videoConferences/{0}/cloudRecords/videos/getPlayInfos', (conference_id,),
                         query={'mediaId': media_id, 'regionId': region_id, 'unionId': union_id})

    def get_cloud_record_texts(self, conference_id, union_id, next_token=None, max_results=None, direction=None):
        """Return one page of a conference's transcript (getTexts): ``hasMore`` and ``paragraphList``.

        The SDK's model carries the cursor on each paragraph, spelled ``nextTtoken``; it goes back as ``nextToken``.
        """
        query = {'unionId': union_id, 'direction': direction, 'maxResults': max_results, 'nextToken': next_token}
        return self.call('GET', '/v1.0/conference/videoConferences/{0}/cloudRecords/getTexts', (conference_id,), query=query)

    def request_app_token(self, app_key, app_secret):
        """Exchange an internal app's credentials for ``(access_token, expires_in_seconds)``."""
        answer = self.call('POST', '/v1.0/oauth2/accessToken', body={'appKey': app_key, 'appSecret': app_secret},
                           authenticated=False)
        return _token_from_answer(answer)

    def request_suite_token(self, suite_key, suite_secret, auth_corp_id, suite_ticket):
        """Exchange a third-party enterprise app's credentials for ``(access_token, expires_in_seconds)``."""
        body = {'suiteKey': suite_key, 'suiteSecret': suite_secret, 'authCorpId': auth_corp_id, 'suiteTicket': suite_ticket}
        answer = self.call('POST', '/v1.0/oauth2/corpAccessToken', body=body, authenticated=False)
        return _token_from_answer(answer)

    # Transport ----------------------------------------------------------

    def call(self, method, path_template, path_params=(), body=None, authenticated=True, query=None):
        """Make one API call with retries; return the JSON answer as a dict.

        ``query`` parameters whose value is None are left out. A rejected token is
        replaced once when the token source can do so.
        """
        path = path_template.format(*[path_segment(value) for value in path_params])
        if query:
            path = '{0}?{1}'.format(path, urlencode([(name, value) for name, value in query.items() if value is not None], quote_via=quote))
        # The rate limit and its throttling are per API: the method and the path before its parameters are filled in.
        api = '{0} {1}'.format(method, path_template)
        token = self._token() if authenticated else None
        try:
            return self._call_with_retries(api, method, path, body, token)
        except DingTalkError as error:
            if error.code != INVALID_TOKEN_CODE or token is None:
                raise
            self.token_source.invalidate(token)
            if not self.token_source.refreshable:
                raise
        return self._call_with_retries(api, method, path, body, self._token())

    def _token(self):
        if self.token_source is None:
            raise InvalidOptionError('an access token or app credentials are required')
        token = self.token_source.get()
        # Checked here too, whatever its source: a line break in a header would let it add headers of its own.
        if not is_sendable_token(token):
            raise DingTalkError('The access token is not a string of visible ASCII characters, so it was not sent')
        return token

    def _call_with_retries(self, api, method, path, body, token):
        attempt = 0
        answer_lost = False
        while True:
            if self.rate_limiter is not None:
                self.rate_limiter.wait(api)
            try:
                return self._send(method, path, body, token)
            except DingTalkError as error:
                answer_lost = error.answer_lost = answer_lost or error.answer_lost
                throttled = error.code in THROTTLING_CODES or error.http_status == 429
                if throttled and self.rate_limiter is not None:
                    self.rate_limiter.throttled(api)
                if not error.retryable or attempt >= self.retries:
                    raise
                attempt += 1
                self._sleep(self._backoff_seconds(attempt, throttled))

    def wait_before_retry(self, attempt):
        """Sleep the back-off before try ``attempt`` + 1 of something else this client's retries cover (a download)."""
        self._sleep(self._backoff_seconds(attempt, throttled=False))

    def _backoff_seconds(self, attempt, throttled):
        """Exponential back-off with jitter, so parallel callers do not retry in step."""
        ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * (2 ** (attempt - 1)))
        delay = ceiling / 2 + self._random.uniform(0, ceiling / 2)
        if throttled:
            delay = max(delay, THROTTLE_MIN_BACKOFF_SECONDS + self._random.uniform(0, 0.5))
        return delay

    def _send(self, method, path, body, token):
        headers = {}
        if token is not None:
            headers[TOKEN_HEADER] = token
        data = None
        if body is not None:
            headers['Content-Type'] = 'application/json'
            data = json.dumps(body).encode('utf-8')
        try:
            answer = self._transport.request(method, path, body=data, headers=headers, max_body_bytes=MAX_ANSWER_BYTES)
        except _http.AnswerTooLarge as too_large:
            raise DingTalkError('DingTalk answered HTTP {0} with a body larger than {1} MiB, which was not read'.format(
                too_large.status, MAX_ANSWER_BYTES // (1024 * 1024)), http_status=too_large.status,
                request_id=_quoted(too_large.headers.get(REQUEST_ID_HEADER)), answer_lost=_unknown_outcome(too_large.status)) from None
        except _http.TransportError as failure:
            raise DingTalkError(self._transport_failure_message(failure), answer_lost=failure.sent, final=failure.final) from None
        return _parse_answer(answer.status, answer.headers, answer.body)

    def _transport_failure_message(self, failure):
        """What a task says when no complete answer came; never the exception's own text, which may quote headers."""
        # An https:// proxy has a TLS handshake and a certificate of its own.
        tls_peer = self.api_url
        if self._transport.proxy_is_tls:
            tls_peer = '{0} or of the proxy {1}'.format(self.api_url, self._transport.proxy_address)
        if isinstance(failure, _http.TlsFailed):
            return 'The TLS handshake with {0} failed{1}; is it an https:// server?'.format(tls_peer.replace(' of the', ' with the'), _reason(failure))
        if isinstance(failure, _http.CertificateUntrusted):
            return ('TLS certificate verification of {0} failed{1}; set ca_path to the CA certificate that signs it '
                    '(or add that CA to the system trust store), or validate_certs to false for a test host'.format(tls_peer, _reason(failure)))
        if isinstance(failure, _http.ProxyFailed):
            return 'The proxy {0} (from {1}) could not be reached, or refused to connect to {2}'.format(
                self._transport.proxy_address, self._transport.proxy_variable, self.api_url)
        if isinstance(failure, _http.HostUnknown):
            return 'The host name of {0} could not be resolved; check api_url'.format(self.api_url)
        if isinstance(failure, _http.ConnectionRefused):
            return 'Could not connect to {0}: the connection was refused or the host is unreachable; check api_url'.format(self.api_url)
        if isinstance(failure, _http.ConnectTimedOut):
            return 'Could not connect to {0} within {1} seconds'.format(self.api_url, self.timeout)
        if isinstance(failure, _http.AnswerTooSlow):
            return 'No complete answer from {0} within {1} seconds'.format(self.api_url, self.timeout)
        if isinstance(failure, _http.TimedOut):
            return 'No answer from {0} within {1} seconds'.format(self.api_url, self.timeout)
        if isinstance(failure, _http.CutOff):
            return 'The answer from {0} was cut off before its end'.format(self.api_url)
        if isinstance(failure, _http.NotHttp):
            return 'The answer from {0} was not HTTP'.format(self.api_url)
        through_proxy = ' through the proxy {0}'.format(self._transport.proxy_address) if self._transport.proxy else ''
        return 'The connection to {0}{1} was dropped before the answer'.format(self.api_url, through_proxy)


def _reason(failure):
    return ' ({0})'.format(failure.reason) if failure.reason else ''


def _unknown_outcome(status):
    """Whether an answer with ``status`` that we cannot read leaves open if the call was carried out.

    A 2xx says it was; a 5xx page from a gateway (not DingTalk's JSON) says nothing; a 3xx or 4xx one
    was refused before it reached DingTalk.
    """
    return 200 <= status < 300 or status >= 500


def _parse_answer(status, headers, body):
    """Return the JSON object of a successful (2xx) answer, or raise DingTalkError."""
    request_id = _quoted(headers.get(REQUEST_ID_HEADER))
    if 300 <= status < 400:
        raise DingTalkError('DingTalk answered HTTP {0}, a redirect, which is not followed; check api_url'.format(status),
                            http_status=status, request_id=request_id)
    try:
        payload = json.loads(body.decode('utf-8'))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested too deep to parse
        payload = None
    if not isinstance(payload, dict):
        content_type = _quoted(headers.get('Content-Type')) or 'no content type'
        raise DingTalkError('DingTalk answered HTTP {0} with a body that is not a JSON object ({1})'.format(status, content_type),
                            http_status=status, request_id=request_id, answer_lost=_unknown_outcome(status))
    if not 200 <= status < 300:
        detail = payload.get('accessdenieddetail')
        scopes = detail.get('requiredScopes') if isinstance(detail, dict) else None
        raise DingTalkError(
            _quoted(payload.get('message')) or 'no message',
            code=_quoted(payload.get('code')) or 'HTTP{0}'.format(status),
            http_status=status,
            request_id=_quoted(payload.get('requestid')) or _quoted(payload.get('requestId')) or request_id,
            required_scopes=[_quoted(scope) for scope in scopes if _quoted(scope)] if isinstance(scopes, list) else None,
        )
    return payload


def _quoted(value):
    """A text (or number) DingTalk sent, shortened for a message; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = str(value)
    return text if len(text) <= MAX_QUOTED_CHARACTERS else text[:MAX_QUOTED_CHARACTERS] + '...'


def _token_from_answer(answer):
    token = answer.get('accessToken') or answer.get('access_token')
    expires_in = answer.get('expireIn', answer.get('expires_in'))
    if not isinstance(token, str) or not token or isinstance(expires_in, bool) or not isinstance(expires_in, int):
        raise DingTalkError('DingTalk answered the token request without an accessToken and expireIn', http_status=200)
    if not is_sendable_token(token):
        # It could not be sent in a header, and a playbook could put it into one of its own.
        raise DingTalkError('DingTalk answered the token request with an accessToken that is not visible ASCII text', http_status=200)
    return token, expires_in
