# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What can go wrong, and the checks that catch it before any call: the leaf every layer may import.

DingTalk's error codes and what each means for a retry, the error a failed call raises, the error a
bad option raises, and the validators of the options that reach the wire. It imports nothing of the
collection. This is a private module: its interface may change without notice.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

DEFAULT_API_URL = 'https://api.dingtalk.io'

# DingTalk's throttling codes (its global error-code page). The limits count calls per app and API
# (an internal app: AppKey; a third-party app: SuiteKey and authorising organisation), or per API over
# every caller, in one-second windows, or in one-minute windows for the Qpm ones. Every one of them
# asks the caller to slow down and try again; system.busy and systemBusy (HTTP 429) say the same.
PER_SECOND_THROTTLING_CODES = frozenset(
    (
        'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
        'Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi',
        'Forbidden.AccessDenied.QpsLimitForApi',
        'system.busy',
        'systemBusy',
    )
)
PER_MINUTE_THROTTLING_CODES = frozenset(
    (
        'Forbidden.AccessDenied.QpmLimitForAppkeyAndApi',
        'Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi',
    )
)
THROTTLING_CODES = PER_SECOND_THROTTLING_CODES | PER_MINUTE_THROTTLING_CODES
# How long the window that throttled a call lasts (see throttling_window).
PER_SECOND = 'second'
PER_MINUTE = 'minute'

# DingTalk codes whose documented meaning is "busy or throttled, try again".
# recordStopError is listed because its documented text is
# "record stop error, please try again". recordStartError is deliberately not:
# its documentation does not ask to try again, and DingTalk also gives it for a
# start while a recording runs or is paused, which no retry can change.
RETRYABLE_CODES = THROTTLING_CODES | frozenset(
    (
        'systemError',
        'innerSystemError',
        'internalError',
        'unknownError',
        'serviceBusy',
        'recordStopError',
    )
)

INVALID_TOKEN_CODE = 'InvalidAuthentication'
PERMISSION_DENIED_CODE = 'Forbidden.AccessDenied.AccessTokenPermissionDenied'
ORG_QUOTA_USED_UP_CODE = 'Forbidden.AccessDenied.ApiCountLimitForOrg'

# What a code means for the person reading the task's message, beyond DingTalk's own words.
CODE_EXPLANATIONS = {
    ORG_QUOTA_USED_UP_CODE: (
        'The organisation has used up its monthly quota of DingTalk API calls: every call fails until '
        'the quota renews next month, or DingTalk raises it. Not retried.'
    ),
}

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
    call out. ``final`` is true for a failure no retry can mend, whatever its
    status: a certificate that is not trusted, or a blocked egress IP address.
    ``advice`` is what the layer that knows more adds for the reader, such as
    that a token given as an option cannot be renewed.
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
        self.advice = None

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
        text = f'DingTalk error {self.code}: {self.message}' if self.code else self.message
        if self.code in CODE_EXPLANATIONS:
            text = '{0}. {1}'.format(text.rstrip('.'), CODE_EXPLANATIONS[self.code])
        details = []
        if self.http_status is not None:
            details.append(f'HTTP {self.http_status}')
        if self.request_id:
            details.append(f'request id {self.request_id}')
        if self.required_scopes:
            details.append('required permission {0}'.format(', '.join(self.required_scopes)))
        if details:
            text = '{0} ({1})'.format(text, '; '.join(details))
        if self.advice:
            # The advice is a sentence of its own: a message without details ends the one before it.
            text = '{0}{1} {2}'.format(text, '' if text.endswith(('.', ')')) else '.', self.advice)
        return text

    def as_result(self):
        """The return keys every plugin adds to a failed result."""
        return {
            'error_code': self.code,
            'http_status': self.http_status,
            'request_id': self.request_id,
        }


class Refusal(Exception):
    """The engine did not reach what was asked, and says why.

    ``outcome`` is the record of what was observed and done until then (None when nothing was), ``error``
    the DingTalkError behind the refusal, if any. ``error_fields`` false: the failure is not about a
    call, and its result carries no error code, HTTP status or request id (not even as null).
    """

    def __init__(self, message, outcome=None, error=None, error_fields=True):
        super().__init__(message)
        self.message = message
        self.outcome = outcome
        self.error = error
        self.error_fields = error_fields


class FileAttributeError(Exception):
    """A door could not give a file one of the attributes asked for (mode, owner, group, ...), and set the others.

    ``changed``: whether it changed any of them.
    """

    def __init__(self, message, changed=False):
        super().__init__(message)
        self.changed = changed


class InvalidOptionError(ValueError):
    """An option's value is unusable; raised before any call is made."""


# What Ansible shows in place of a no_log value; the lookup masks with the same.
MASK = '********'

PLAIN_HTTP_REFUSED = (
    'api_url {0} is plain HTTP to a host that is not a loopback address: the app secret and every access token '
    'would cross the network unencrypted. Use https://, or set allow_plain_http=true for a test host on a network you trust'
)


def is_loopback_host(host):
    """Whether ``host`` (a URL's host name) is ``localhost`` or a loopback address (127.0.0.0/8, ::1): plain HTTP never leaves the machine."""
    host = (host or '').rstrip('.').lower()
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_refused(url, allow_plain_http):
    """Whether ``url`` is plain HTTP to a host off this machine and ``allow_plain_http`` does not accept that."""
    parts = urlsplit(url)
    return parts.scheme == 'http' and not allow_plain_http and not is_loopback_host(parts.hostname)


def masked(text, secrets):
    """``text`` with every one of ``secrets`` (the empty and None ones aside) replaced by MASK, longest first."""
    for secret in sorted((value for value in secrets if value), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def validate_api_url(api_url, allow_plain_http=False):
    """Return ``api_url`` without a trailing slash, or raise InvalidOptionError.

    Only ``scheme://host[:port]`` is accepted: credentials in the URL would end
    up in logs, and a path or query would change which endpoint is called.
    Plain HTTP only to a loopback host, or with ``allow_plain_http``.
    """
    api_url = (api_url or '').strip()
    try:
        parts = urlsplit(api_url)
    except ValueError:  # an unclosed IPv6 bracket, for example
        raise InvalidOptionError(f'api_url is not a valid URL; use scheme://host[:port], for example {DEFAULT_API_URL}') from None
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise InvalidOptionError(f'api_url must be an http:// or https:// URL with a host name, for example {DEFAULT_API_URL}')
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
        raise InvalidOptionError(f'api_url has an invalid host name; use scheme://host[:port], for example {DEFAULT_API_URL}') from None
    api_url = f'{parts.scheme}://{parts.netloc}'
    if plain_http_refused(api_url, allow_plain_http):
        raise InvalidOptionError(PLAIN_HTTP_REFUSED.format(api_url))
    return api_url


def trimmed_ids(options, names):
    """``{name: value}`` for the id options ``names`` of ``options`` (a single id or a list of them), each id without
    the white space around it; raise InvalidOptionError for one that is empty or only white space.

    DingTalk's ids carry no white space, while an AWX survey's ``a, b`` or a pasted id brings some. Every door
    calls this before any other check of its options.
    """
    trimmed = {}
    for name in names:
        value = options.get(name)
        if value is None:
            continue
        labelled = [(f'{name}[{index}]', element) for index, element in enumerate(value)] if isinstance(value, list) else [(name, value)]
        for label, text in labelled:
            if not str(text).strip():
                raise InvalidOptionError(f'{label} must not be empty or only white space')
        trimmed[name] = [str(element).strip() for element in value] if isinstance(value, list) else str(value).strip()
    return trimmed


def is_sendable_token(value):
    """Whether ``value`` can travel in the token header as it is."""
    return isinstance(value, str) and _TOKEN_PATTERN.match(value) is not None


def validate_access_token(access_token, option='access_token'):
    """Raise InvalidOptionError for a token that cannot travel in a header. Never echoes the value."""
    if not is_sendable_token(access_token):
        raise InvalidOptionError(f'{option} must be a non-empty string of visible ASCII characters')


def throttling_window(error):
    """PER_SECOND or PER_MINUTE when DingTalk throttled the call, else None."""
    if error.code in PER_MINUTE_THROTTLING_CODES:
        return PER_MINUTE
    if error.code in PER_SECOND_THROTTLING_CODES or error.http_status == 429 and not error.final:
        return PER_SECOND
    return None
