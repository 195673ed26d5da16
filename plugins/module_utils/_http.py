# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The transport under _client.py: a requests session, and the few things requests leaves to its caller.

requests and urllib3 pool connections, speak to proxies and check certificates. What stays here:
which CAs to trust by default (the system's, as for ansible.builtin.uri, rather than certifi's), a
bound on an answer's size and on the time to read it whole, and a transport failure said in the
terms that decide a retry: could the request have reached the server, and can trying again help.
_client.py uses its Transport, and _archive.py its FileHost (downloads from signed URLs); it is private and its
interface may change without notice.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import time
import traceback
import warnings
from urllib.parse import urlsplit

from ansible_collections.community.dingtalk.plugins.module_utils._errors import plain_http_refused

try:
    import requests
    import urllib3
    from requests.adapters import HTTPAdapter
    from requests.utils import get_environ_proxies, select_proxy
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None


class TransportError(Exception):
    """No complete HTTP answer arrived. None of these carries header values, bodies or the exception's own text.

    ``sent`` says whether the request may have reached the server (then the call may have been carried
    out); ``final`` whether trying again cannot help.
    """

    sent = True
    final = False


class CertificateUntrusted(TransportError):
    """The server's certificate is not signed by a trusted CA, or not for its host name. ``reason`` is OpenSSL's."""

    sent = False
    final = True

    def __init__(self, reason=None):
        super().__init__(reason)
        self.reason = reason


class TlsFailed(CertificateUntrusted):
    """The TLS handshake failed for another reason than the certificate (a plain-HTTP server, say)."""


class ConnectionRefused(TransportError):
    """Nothing listens at the host and port, or the network cannot reach them."""

    sent = False
    final = True


class HostUnknown(TransportError):
    """The host name does not resolve."""

    sent = False
    final = True


class ProxyFailed(TransportError):
    """The proxy could not be reached, or refused to carry the request (a tunnel it would not open)."""

    sent = False
    final = True


class ConnectTimedOut(TransportError):
    """No connection within the timeout: nothing was sent, and the network may be better on the next try."""

    sent = False


class Dropped(TransportError):
    """The connection was closed or reset after the request was sent, before the answer."""


class TimedOut(TransportError):
    """The server did not answer within the timeout."""


class AnswerTooSlow(TimedOut):
    """The answer began but did not end within the timeout: a server trickling bytes."""


class CutOff(TransportError):
    """The answer ended before the length it announced."""


class NotHttp(TransportError):
    """What came back is not an HTTP answer."""


class AnswerTooLarge(TransportError):
    """The answer's body is larger than the caller accepts; it was not read. ``status`` and ``headers`` are its own."""

    def __init__(self, status, headers):
        super().__init__(status)
        self.status = status
        self.headers = headers


class UnsupportedProxy(ValueError):
    """The proxy the environment names cannot be used; the text names the variable, never its value."""


class PlainHttpRefused(ValueError):
    """A plain-HTTP URL to a host off this machine, without allow_plain_http; nothing was sent. The text names the host, never the URL."""


class HttpAnswer:
    """A complete answer: ``status``, case-insensitive ``headers`` and the ``body`` bytes."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body


def trusted_cas(trust=True):
    """What requests' ``verify`` gets for ``trust``: False, a CA path as it is, or for True the system's trust store.

    The system store is what ansible.builtin.uri trusts, so a corporate CA installed in an
    execution environment works for both; OpenSSL finds it where SSL_CERT_FILE and SSL_CERT_DIR
    say. It is given as a path, never as True: for True, requests would use certifi's bundle,
    and an environment's REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE could replace it.
    """
    if trust is not True:
        return trust
    system = ssl.get_default_verify_paths()
    return system.cafile or system.capath or requests.certs.where()


def check_ca_path(ca_path):
    """Raise ssl.SSLError or OSError unless ``ca_path`` is a directory or a file holding a PEM certificate.

    Checked when a client is made, so that a wrong file fails before any call. A directory's
    certificates are looked up by hash during the handshake; there is nothing to load before.
    """
    if not os.path.isdir(ca_path):
        ssl.create_default_context(cafile=ca_path)


def proxy_from_environment(url):
    """``(proxy URL, variable)`` that the environment sets for ``url`` by requests' own rules, or ``(None, None)``.

    Raises UnsupportedProxy for a URL requests could not use, naming the variable but never its value,
    which may hold a password.
    """
    proxies = get_environ_proxies(url)  # https_proxy, http_proxy, all_proxy; empty when no_proxy lists the host
    proxy = select_proxy(url, proxies)
    if not proxy:
        return None, None
    variable = '{0}_proxy'.format(next(key for key, value in proxies.items() if value == proxy).partition('://')[0])
    parts = urlsplit(proxy if '://' in proxy else 'http://' + proxy)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if parts.scheme not in ('http', 'https') or not parts.hostname or port == 0:
        raise UnsupportedProxy(f'the proxy in {variable} cannot be used: it must be an http:// or https:// URL with a host name')
    return proxy, variable


class Transport:
    """One requests session to the host of ``base_url``, its connections kept open between calls and shared by threads.

    ``trust`` is True for the system's trust store, a CA file or c_rehash directory, or False for no
    certificate checks. ``pool_size`` connections are kept for the next calls: one per concurrent
    caller. Redirects are answers like any other: nothing is followed. The environment's proxy
    settings are read once, here.
    """

    def __init__(self, base_url, trust=True, timeout=10, pool_size=10, headers=None):
        self.base_url = base_url
        self.timeout = timeout
        self.verify = _verify_setting(trust)
        self.proxy, self.proxy_variable = proxy_from_environment(base_url)
        self.proxy_address = None
        self.proxy_is_tls = False
        if self.proxy is not None:
            parts = urlsplit(self.proxy if '://' in self.proxy else 'http://' + self.proxy)
            self.proxy_address = '{0}:{1}'.format(parts.hostname, parts.port or (443 if parts.scheme == 'https' else 80))
            self.proxy_is_tls = parts.scheme == 'https'
        self._session, self._adapter = _plain_session(pool_size, headers)
        self._proxies = {urlsplit(base_url).scheme: self.proxy} if self.proxy else {}

    def request(self, method, path, body=None, headers=None, max_body_bytes=None):
        """Send one request and return its HttpAnswer, its body read whole within ``timeout`` seconds.

        Raises a TransportError: AnswerTooLarge for a body over ``max_body_bytes``.
        """
        request = self._session.prepare_request(requests.Request(method, self.base_url + path, data=body, headers=headers))
        # The path as _client.py encoded it: requests would decode %2E back into a dot, and '..' is a segment
        # that URL normalisation removes, reaching another endpoint.
        request.url = self.base_url + path
        try:
            # Sent by the adapter, not by Session.send: that would read a redirect's body whole, past the size
            # cap, to follow it, and keep cookies between calls. verify is given per request, so that nothing in
            # the environment can replace it.
            response = self._adapter.send(request, stream=True, timeout=self.timeout, verify=self.verify, proxies=self._proxies)
        except Exception as error:  # pylint: disable=broad-exception-caught  # classified, never re-raised with its text
            raise _classified(error) from None
        try:
            return HttpAnswer(response.status_code, response.headers, _read_body(response, max_body_bytes, self.timeout))
        except TransportError:
            raise
        except Exception as error:  # pylint: disable=broad-exception-caught
            # The answer began and broke off: it timed out, or it was cut off.
            raise (TimedOut() if isinstance(_classified(error), TimedOut) else CutOff()) from None
        finally:
            response.close()

    def close(self):
        self._session.close()


# Where transport_for keeps Transports while transports_kept_in is active (the in-worker door: one session per
# worker across the items of a loop); None: every Connection makes its own, as a module run always does.
_kept_transports = None


@contextlib.contextmanager
def transports_kept_in(store):
    """While active, transport_for keeps the Transports it makes in the dict ``store``, and hands them out again."""
    global _kept_transports  # pylint: disable=global-statement  # one worker runs one task at a time
    previous, _kept_transports = _kept_transports, store
    try:
        yield store
    finally:
        _kept_transports = previous


def transport_for(base_url, trust=True, timeout=10, pool_size=10, headers=None):
    """A Transport for these settings: a new one, or, while transports_kept_in is active, the one kept for the same settings.

    The same means the same URL, trust, timeout, pool size, headers and the proxy the environment sets for
    the URL now, so that a task with other TLS options or another proxy never gets another task's session.
    """
    if _kept_transports is None:
        return Transport(base_url, trust=trust, timeout=timeout, pool_size=pool_size, headers=headers)
    key = (base_url, trust, timeout, pool_size, tuple(sorted((headers or {}).items())), proxy_from_environment(base_url))
    transport = _kept_transports.get(key)
    if transport is None:
        transport = _kept_transports[key] = Transport(base_url, trust=trust, timeout=timeout, pool_size=pool_size, headers=headers)
    return transport


def _verify_setting(trust):
    """trusted_cas(), and no urllib3 warning per call when certificates are not checked."""
    verify = trusted_cas(trust)
    if verify is False:
        # The plugins warn once, in their own words (_module.connection_warnings); urllib3 would add a
        # warning to every call. Warning filters belong to the process, which a module run has to itself.
        warnings.filterwarnings('ignore', category=urllib3.exceptions.InsecureRequestWarning)
    return verify


def _plain_session(pool_size, headers=None):
    """``(session, adapter)``: a requests session that reads nothing from the environment and keeps ``pool_size`` connections."""
    session = requests.Session()
    # Settled by the caller, once: no per-call look at the environment, and no ~/.netrc credentials on any call.
    session.trust_env = False
    # urllib3 must not retry on its own: the callers decide, knowing which calls may be repeated.
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
    session.mount('https://', adapter)
    session.mount('http://', adapter)
    session.headers.update(headers or {})
    # The bytes as the server holds them: DingTalk's answers are small, and a compressed one could unpack to far more
    # than the size cap reads; a recording's size is checked against the fileSize DingTalk lists.
    session.headers['Accept-Encoding'] = 'identity'
    return session, adapter


class FileHost:
    """Downloads from the signed, short-lived URLs DingTalk hands out for recordings, which are on a storage host.

    A session of its own, with no DingTalk header in it: the access token never reaches a storage host. Certificates,
    proxies and timeouts are as for DingTalk calls (the proxy is looked up per URL, as the host may differ from one
    link to the next); ``timeout`` bounds the connection and each read, not the whole download. Redirects are not
    followed. Nothing here retries: the caller decides, knowing how much it has already written.
    """

    def __init__(self, trust=True, timeout=10, pool_size=10, headers=None, allow_plain_http=False):
        self.timeout = timeout
        self.verify = _verify_setting(trust)
        self.allow_plain_http = allow_plain_http
        self._session, self._adapter = _plain_session(pool_size, headers)

    def open(self, url, offset=0):
        """Send ``GET url`` for the bytes from ``offset`` on; return a StreamedAnswer whose body is not read yet.

        Raises a TransportError, UnsupportedProxy for a proxy the environment names for this URL, or
        PlainHttpRefused, before anything is sent, for plain HTTP to a host off this machine without ``allow_plain_http``.
        """
        if plain_http_refused(url, self.allow_plain_http):
            raise PlainHttpRefused(
                f'the storage host {urlsplit(url).hostname} is offered over plain HTTP, which would show the signed link and the recording to the '
                'network; it was not contacted (set allow_plain_http=true to accept plain HTTP)'
            )
        proxy, _variable = proxy_from_environment(url)
        headers = {'Range': f'bytes={offset}-'} if offset else {}
        request = self._session.prepare_request(requests.Request('GET', url, headers=headers))
        # The URL exactly as DingTalk signed it: requests would re-quote it, and a signature covers every character.
        request.url = url
        try:
            response = self._adapter.send(
                request, stream=True, timeout=self.timeout, verify=self.verify, proxies={urlsplit(url).scheme: proxy} if proxy else {}
            )
        except Exception as error:  # pylint: disable=broad-exception-caught  # classified, never re-raised with its text (the URL)
            raise _classified(error) from None
        return StreamedAnswer(response)

    def close(self):
        self._session.close()


class StreamedAnswer:
    """An answer whose body is read chunk by chunk: ``status``, ``headers``, ``chunks()``, ``close()``."""

    def __init__(self, response):
        self._response = response
        self.status = response.status_code
        self.headers = response.headers

    def chunks(self, chunk_bytes):
        """Yield the body in chunks of at most ``chunk_bytes``; raise TimedOut or CutOff when it breaks off."""
        while True:
            try:
                chunk = self._response.raw.read(chunk_bytes, decode_content=False)
            except Exception as error:  # pylint: disable=broad-exception-caught
                raise (TimedOut() if isinstance(_classified(error), TimedOut) else CutOff()) from None
            if not chunk:
                return
            yield chunk

    def close(self):
        self._response.close()


# Read in small chunks: a body is refused past its limit, never held in memory whole.
_READ_CHUNK_BYTES = 16 * 1024


def _read_body(response, max_body_bytes, timeout):
    declared = response.headers.get('Content-Length', '')
    declared = int(declared) if declared.isdigit() else None
    if max_body_bytes is not None and declared is not None and declared > max_body_bytes:
        raise AnswerTooLarge(response.status_code, response.headers)
    # The read timeout applies to each read: a server that trickles bytes could hold us much longer.
    deadline = time.monotonic() + timeout
    chunks = []
    size = 0
    while True:
        chunk = response.raw.read(_READ_CHUNK_BYTES, decode_content=False)
        if not chunk:
            if declared is not None and size < declared:
                raise CutOff()  # older urllib3 leaves it to the caller to see that the answer ended short
            return b''.join(chunks)
        size += len(chunk)
        if max_body_bytes is not None and size > max_body_bytes:
            raise AnswerTooLarge(response.status_code, response.headers)
        if time.monotonic() > deadline:
            raise AnswerTooSlow()
        chunks.append(chunk)


def _classified(error):
    """The TransportError that says what ``error``, raised by requests or urllib3, means for a retry."""
    causes = list(_causes(error))

    def caused_by(*kinds):
        return any(isinstance(cause, kinds) for cause in causes)

    if caused_by(ssl.SSLCertVerificationError):
        reason = next(cause for cause in causes if isinstance(cause, ssl.SSLCertVerificationError))
        return CertificateUntrusted(_short(reason.verify_message or reason.reason))
    if caused_by(requests.exceptions.ProxyError, urllib3.exceptions.ProxyError):
        return ProxyFailed()
    if caused_by(ssl.SSLError):
        reason = next(cause for cause in causes if isinstance(cause, ssl.SSLError))
        return TlsFailed(_short(reason.reason))
    if caused_by(socket.gaierror):
        return HostUnknown()
    # Before the connect timeout: urllib3's NewConnectionError is a ConnectTimeoutError too, for compatibility.
    if caused_by(ConnectionRefusedError, urllib3.exceptions.NewConnectionError):
        return ConnectionRefused()
    if caused_by(requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError):
        return ConnectTimedOut()
    if caused_by(requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError, socket.timeout):
        return TimedOut()
    if caused_by(ConnectionError):  # the built-in one: reset, or closed before the answer (RemoteDisconnected)
        return Dropped()
    if caused_by(urllib3.exceptions.ProtocolError):  # what came back broke HTTP's rules: a bad status line, say
        return NotHttp()
    return Dropped()


def _causes(error, depth=0):
    """``error`` and everything that led to it: requests wraps urllib3's exceptions, which wrap the socket's."""
    if not isinstance(error, BaseException) or depth > 8:
        return
    yield error
    linked = [error.__cause__, error.__context__, getattr(error, 'reason', None)]
    linked.extend(argument for argument in error.args if isinstance(argument, BaseException))
    for cause in linked:
        if cause is not None and cause is not error:
            yield from _causes(cause, depth + 1)


def _short(text):
    """OpenSSL's reason for a TLS failure, bounded for a message; it names no secret."""
    if not isinstance(text, str) or not text:
        return None
    return text if len(text) <= 120 else text[:120] + '...'
