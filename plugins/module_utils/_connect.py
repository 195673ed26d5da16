# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""From a plugin's options to a DingTalkClient: the one connect sequence that modules and the lookup share.

Options are read through ``get_option(name)``, so the same code serves ``module.params.get``
and a lookup's ``get_option``; nothing here knows AnsibleModule. Bad input raises
InvalidOptionError before any call. This is a private module: its interface may change without
notice.
"""

from __future__ import annotations

import os
import ssl
from collections import namedtuple

from ansible_collections.community.dingtalk.plugins.module_utils._auth import (
    CredentialToken,
    StaticToken,
    credentials_from_options,
    token_cache_from_options,
)
from ansible_collections.community.dingtalk.plugins.module_utils._client import Connection, DingTalkClient
from ansible_collections.community.dingtalk.plugins.module_utils._errors import (
    InvalidOptionError,
    plain_http_refused,
    validate_access_token,
    validate_api_url,
)
from ansible_collections.community.dingtalk.plugins.module_utils._http import check_ca_path
from ansible_collections.community.dingtalk.plugins.module_utils._rate_limit import SharedWindows, window_file_name

# The upper bound keeps a misconfigured job from retrying for many minutes.
MAX_RETRIES = 10

TLS_UNVERIFIED_WARNING = (
    'TLS certificate verification is disabled (validate_certs=false): anyone on the way to {0} could read the access '
    'token and change the answers. Use it only for a test host, or give ca_path the CA certificate that signs the host\'s '
    'certificate instead.'
)

# What a plugin holds once connected: the client (its token source inside), the token cache the
# plugin reports the warnings of (None when caching is off), and the warnings about the options.
Connected = namedtuple('Connected', ['client', 'token_cache', 'warnings'])


PLAIN_HTTP_WARNING = (
    'allow_plain_http is set: {0} is called over plain HTTP, so anyone on the network can read the app secret and '
    'the access tokens, and change the answers. Use it only for a test host.'
)
PLAIN_HTTP_ACCEPTED_WARNING = (
    'allow_plain_http is set: plain-HTTP download links of recordings are followed to any host, so anyone on the '
    'network could read a signed link and its recording.'
)


def check_connection_options(get_option):
    """Return the checked api_url, or raise InvalidOptionError."""
    api_url = validate_api_url(get_option('api_url'), allow_plain_http=plain_http_allowed(get_option))
    ca_path = get_option('ca_path')
    if ca_path is not None and not (os.path.exists(ca_path) and os.access(ca_path, os.R_OK)):
        raise InvalidOptionError(f'ca_path {ca_path} does not exist or cannot be read')
    if ca_path is not None and get_option('validate_certs'):
        try:
            check_ca_path(ca_path)
        except (ssl.SSLError, OSError):
            raise InvalidOptionError(f'ca_path {ca_path} holds no PEM CA certificate') from None
    if get_option('timeout') <= 0:
        raise InvalidOptionError('timeout must be greater than 0 seconds, got {0}'.format(get_option('timeout')))
    if not 0 <= get_option('retries') <= MAX_RETRIES:
        raise InvalidOptionError('retries must be between 0 and {0}, got {1}'.format(MAX_RETRIES, get_option('retries')))
    return api_url


def plain_http_allowed(get_option):
    """Whether the user opted in to plain HTTP to hosts off this machine (allow_plain_http)."""
    return bool(get_option('allow_plain_http'))


def connection_warnings(get_option, api_url):
    """The warnings a plugin gives about its connection options, before any call."""
    warnings = []
    if not get_option('validate_certs') and api_url.startswith('https://'):
        warnings.append(TLS_UNVERIFIED_WARNING.format(api_url))
    if plain_http_allowed(get_option):
        if plain_http_refused(api_url, allow_plain_http=False):
            warnings.append(PLAIN_HTTP_WARNING.format(api_url))
        else:
            warnings.append(PLAIN_HTTP_ACCEPTED_WARNING)
    return warnings


def trust_from_options(get_option):
    """What to check certificates against: True for the system's trust store, the ca_path, or False for nothing."""
    return bool(get_option('validate_certs')) and (get_option('ca_path') or True)


def connect(get_option, auth, sources, accepts_access_token=True, rate_limiter_for=None, pool_size=1, on_new_token=None):
    """Check the options and return Connected; raise InvalidOptionError, before any call, for bad input.

    ``auth`` maps the credential options (and ``access_token``, for plugins that take one) to what
    the plugin was given; ``sources`` says where a missing one could come from, for the message.
    ``accepts_access_token`` is false for the lookup, whose job is to get a token.
    ``pool_size`` is how many connections stay open: one per concurrent caller. ``on_new_token`` is
    called with every token this process requests, before anything could print it. ``rate_limiter_for``,
    if given, is called with the name of the app's window (a digest of the API host and the app, or the
    token) and returns the RateLimiter for the calls; that limiter shares its window with every process of
    the same app through the token cache's directory, when there is a cache.
    """
    api_url = check_connection_options(get_option)
    credentials = credentials_from_options(auth.get)
    access_token = auth.get('access_token')
    if access_token is not None and credentials is not None:
        raise InvalidOptionError('access_token cannot be combined with app credentials; give one or the other')
    if access_token is None and credentials is None:
        required = 'app_key and app_secret, or suite_key, suite_secret, auth_corp_id and suite_ticket'
        if accepts_access_token:
            required = 'access_token, or ' + required
        raise InvalidOptionError(f'{required} are required ({sources})')
    if access_token is not None:
        validate_access_token(access_token)
    rate_limiter = window_name = None
    if rate_limiter_for is not None:
        # DingTalk counts calls per app (and API host): one window for each.
        scope = ('token', api_url, access_token) if access_token is not None else ('app', credentials.cache_key(api_url))
        window_name = window_file_name(*scope)
        rate_limiter = rate_limiter_for(window_name)
    connection = Connection(
        api_url,
        trust=trust_from_options(get_option),
        timeout=get_option('timeout'),
        retries=get_option('retries'),
        pool_size=pool_size,
        rate_limiter=rate_limiter,
    )
    token_cache = token_cache_from_options(get_option)
    if access_token is not None:
        token_source = StaticToken(access_token, token_cache)
    else:
        token_source = CredentialToken(connection, credentials, token_cache, on_new_token=on_new_token)
    if rate_limiter is not None and token_cache is not None:
        # Every process of this app shares its window, beside its tokens. The cache settles on its directory
        # with the first token it hands out, before the first call.
        windows = SharedWindows(lambda: token_cache.directory, window_name, warn=token_cache.warnings.append)
        rate_limiter.share(windows)
    return Connected(DingTalkClient(connection, token_source), token_cache, connection_warnings(get_option, api_url))
