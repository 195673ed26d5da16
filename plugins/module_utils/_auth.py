# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Token sources: a token given as an option, or tokens requested with app credentials through the shared cache.

A token source hands DingTalkClient its token (``get``), forgets one DingTalk rejected
(``invalidate``), and says whether it can get another (``refreshable``) and, when not, what the
reader can do (``rejection_advice``). Credential tokens are requested through a Connection, below
the client. Options are read through a ``get_option(name)`` callable, so the same code serves
``module.params.get`` and a plugin's ``get_option``. This is a private module: its interface may
change without notice.
"""

from __future__ import annotations

import os
import threading

from ansible_collections.community.dingtalk.plugins.module_utils._answers import token_from_answer
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DEFAULT_API_URL, DingTalkError, InvalidOptionError
from ansible_collections.community.dingtalk.plugins.module_utils._token_cache import TokenCache, cache_key

# DingTalk's answers to credentials it does not know: a wrong key or secret, or those of the other region's host.
UNKNOWN_CREDENTIALS_CODES = frozenset(('invalidClientIdOrSecret', 'invalidSuiteKey', 'invalid.client'))
# The two DingTalk hosts; an app exists on one of them only, so the credentials of one fail on the other.
INTERNATIONAL_API_URL = DEFAULT_API_URL
MAINLAND_CHINA_API_URL = 'https://api.dingtalk.com'

APP_OPTIONS = ('app_key', 'app_secret')
SUITE_OPTIONS = ('suite_key', 'suite_secret', 'auth_corp_id', 'suite_ticket')
# Where a module or the event source finds its credentials when it is given none (what the AWX credential types inject).
AUTH_ENVIRONMENT = {
    'access_token': 'DINGTALK_ACCESS_TOKEN',
    'app_key': 'DINGTALK_APP_KEY',
    'app_secret': 'DINGTALK_APP_SECRET',
    'suite_key': 'DINGTALK_SUITE_KEY',
    'suite_secret': 'DINGTALK_SUITE_SECRET',
    'auth_corp_id': 'DINGTALK_AUTH_CORP_ID',
    'suite_ticket': 'DINGTALK_SUITE_TICKET',
}
# The options whose values no output may show (no_log in the modules).
SECRET_OPTIONS = ('access_token', 'app_secret', 'suite_secret', 'suite_ticket')


def secret_values(auth):
    """The values of the secret options among ``auth`` (option name to value): what a door that is not a module masks in its messages."""
    return set(value for name, value in auth.items() if name in SECRET_OPTIONS and isinstance(value, str) and value)


class AppCredentials:
    """An internal app's appKey and appSecret."""

    options = APP_OPTIONS
    description = 'internal app'

    def __init__(self, app_key, app_secret):
        self.app_key = app_key
        self.app_secret = app_secret

    def cache_key(self, api_url):
        return cache_key(api_url, 'app', self.app_key, self.app_secret)

    def request_token(self, connection):
        """Exchange the credentials for ``(access_token, expires_in_seconds)``; no token goes with this call."""
        answer = connection.call('POST', '/v1.0/oauth2/accessToken', body={'appKey': self.app_key, 'appSecret': self.app_secret})
        return token_from_answer(answer)


class SuiteCredentials:
    """A third-party enterprise app's suite credentials for one authorised organisation."""

    options = SUITE_OPTIONS
    description = 'third-party enterprise app'

    def __init__(self, suite_key, suite_secret, auth_corp_id, suite_ticket):
        self.suite_key = suite_key
        self.suite_secret = suite_secret
        self.auth_corp_id = auth_corp_id
        self.suite_ticket = suite_ticket

    def cache_key(self, api_url):
        # The ticket is left out: DingTalk pushes a new one every few hours, and a
        # token fetched with the previous ticket stays valid until it expires.
        return cache_key(api_url, 'suite', self.suite_key, self.suite_secret, self.auth_corp_id)

    def request_token(self, connection):
        """Exchange the credentials for ``(access_token, expires_in_seconds)``; no token goes with this call."""
        body = {'suiteKey': self.suite_key, 'suiteSecret': self.suite_secret, 'authCorpId': self.auth_corp_id, 'suiteTicket': self.suite_ticket}
        return token_from_answer(connection.call('POST', '/v1.0/oauth2/corpAccessToken', body=body))


def credentials_from_options(get_option):
    """Return AppCredentials, SuiteCredentials or None from the options, or raise InvalidOptionError.

    Values are cast to plain ``str``: AWX injects extra vars marked unsafe.
    """
    given = {}
    for name in APP_OPTIONS + SUITE_OPTIONS:
        value = get_option(name)
        if value is None:
            continue
        value = str(value)
        if not value.strip():
            raise InvalidOptionError(f'{name} must not be empty or only white space')
        given[name] = value
    app_given = [name for name in APP_OPTIONS if name in given]
    suite_given = [name for name in SUITE_OPTIONS if name in given]
    if app_given and suite_given:
        raise InvalidOptionError(
            'internal app credentials ({0}) and third-party app credentials ({1}) cannot be mixed; got {2}'.format(
                ', '.join(APP_OPTIONS), ', '.join(SUITE_OPTIONS), ', '.join(app_given + suite_given)
            )
        )
    for kind, names in ((AppCredentials, app_given), (SuiteCredentials, suite_given)):
        if names:
            missing = [name for name in kind.options if name not in given]
            if missing:
                raise InvalidOptionError('{0} credentials need {1}; missing {2}'.format(kind.description, ', '.join(kind.options), ', '.join(missing)))
            return kind(*(given[name] for name in kind.options))
    return None


def token_cache_from_options(get_option):
    """The shared token cache, or None when the ``cache`` option is off."""
    if not get_option('cache'):
        return None
    directory = get_option('cache_dir')
    return TokenCache(os.path.expanduser(str(directory)) if directory else None)


STATIC_TOKEN_REJECTED_ADVICE = (
    'The module cannot renew a token given as access_token. The token was removed from the token cache, so the next '
    'dingtalk_token lookup fetches a new one; or give the module app credentials, and it renews tokens itself.'
)


class StaticToken:
    """A token handed to us by the user: used as is, never renewed.

    When DingTalk rejects it, it is discarded from ``token_cache`` (if given),
    where the lookup that produced it may have left it: the next lookup then
    fetches a new token instead of handing out the rejected one again.
    """

    refreshable = False
    rejection_advice = STATIC_TOKEN_REJECTED_ADVICE

    def __init__(self, access_token, token_cache=None):
        self._access_token = access_token
        self._token_cache = token_cache

    def get(self):
        return self._access_token

    def invalidate(self, rejected_token):
        if self._token_cache is not None:
            self._token_cache.discard(rejected_token)


class CredentialToken:
    """A token source that fetches tokens with app credentials, through the shared cache when there is one.

    ``on_new_token`` is called with every token this process obtains, so that a
    module can add it to ``no_log_values`` before anything could print it.
    Safe to share between the threads of a batch: they get one token between them.
    """

    refreshable = True
    rejection_advice = None

    def __init__(self, connection, credentials, cache=None, on_new_token=None):
        self._connection = connection
        self.credentials = credentials
        self._cache = cache
        self._on_new_token = on_new_token
        self._token = None
        self._lock = threading.Lock()

    def get(self):
        with self._lock:
            if self._token is None:
                if self._cache is None:
                    token = self._request()[0]
                else:
                    token = self._cache.get_or_fetch(self.credentials.cache_key(self._connection.api_url), self._request)
                if self._on_new_token is not None:
                    self._on_new_token(token)
                self._token = token
            return self._token

    def invalidate(self, rejected_token):
        """Forget a token DingTalk rejected, here and in the shared cache.

        Only while it is still the current one: threads rejected together must
        not throw away the new token the first of them fetched.
        """
        with self._lock:
            if self._token != rejected_token:
                return
            if self._cache is not None:
                self._cache.invalidate(self.credentials.cache_key(self._connection.api_url), rejected_token)
            self._token = None

    def _request(self):
        try:
            return self.credentials.request_token(self._connection)
        except DingTalkError as error:
            if error.code in UNKNOWN_CREDENTIALS_CODES:
                error.advice = unknown_credentials_advice(self._connection.api_url)
            raise


def unknown_credentials_advice(api_url):
    """What to check when DingTalk does not know the credentials at ``api_url``: them, and the other region's host."""
    hosts = {INTERNATIONAL_API_URL: MAINLAND_CHINA_API_URL, MAINLAND_CHINA_API_URL: INTERNATIONAL_API_URL}
    if api_url in hosts:
        return (
            'Check the credentials; if they are right, the app may belong to the other region: credentials of one DingTalk '
            f'host do not work on the other, so try api_url {hosts[api_url]} (this call went to {api_url}).'
        )
    return (
        f'Check the credentials, and that api_url ({api_url}) is the host of your tenant\'s region: credentials of one DingTalk host '
        f'do not work on the other ({INTERNATIONAL_API_URL} for international tenants, {MAINLAND_CHINA_API_URL} for mainland China).'
    )
