# -*- coding: utf-8 -*-

# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Keep-alive HTTP(S) connections to one host: the transport under _client.py.

Built on the standard library's http.client, not on requests: a module pays for its
imports on every run, and requests (with urllib3, charset_normalizer and idna) took
about 0.1 s of a half-second module run, more than its two API calls. The standard
library also leaves nothing to install where the modules run. Only _client.py uses
this module; it is private and its interface may change without notice.
"""

from __future__ import annotations

import base64
import http.client
import os
import select
import socket
import ssl
import threading
import time

from urllib.parse import unquote, urlsplit


class TransportError(Exception):
    """No complete HTTP answer arrived. Subclasses say why; none carries header values or bodies."""


class ConnectFailed(TransportError):
    """The connection could not be opened, or was dropped before the answer."""


class TimedOut(TransportError):
    """The server did not answer within the timeout."""


class AnswerTooSlow(TimedOut):
    """The answer began but did not end within the timeout: a server trickling bytes."""


class CutOff(TransportError):
    """The answer ended before the length it announced."""


class NotHttp(TransportError):
    """What came back is not an HTTP answer."""


class TlsFailed(TransportError):
    """The TLS handshake failed for another reason than an untrusted certificate (a plain-HTTP server, say)."""


class CertificateUntrusted(TlsFailed):
    """The server's certificate is not signed by a trusted CA, or not for its host name."""


class AnswerTooLarge(Exception):
    """The answer's body is larger than the caller accepts; it was not read."""

    def __init__(self, status, headers):
        super().__init__(status)
        self.status = status
        self.headers = headers


class UnsupportedProxy(ValueError):
    """The proxy the environment names cannot be used; the text names the variable, never its value."""


class HttpAnswer:
    """A complete answer: ``status``, case-insensitive ``headers`` and the ``body`` bytes."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body


def tls_context(validate_certs=True, ca_path=None):
    """The TLS settings of a pool: the system's trusted CAs, or only those of ``ca_path``, or no checks at all.

    ``ca_path`` is a PEM file, or a directory of certificates prepared with c_rehash. Raises
    ssl.SSLError or OSError when a file holds no usable certificate.
    """
    if not validate_certs:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_path is not None and os.path.isdir(ca_path):
        return ssl.create_default_context(capath=ca_path)
    return ssl.create_default_context(cafile=ca_path)


class Proxy:
    """A proxy from the environment, with the ``Proxy-Authorization`` its URL's credentials ask for."""

    def __init__(self, url, variable):
        parts = urlsplit(url if '://' in url else 'http://' + url)
        try:
            port = parts.port
        except ValueError:
            port = None
            parts = None
        if parts is None or parts.scheme != 'http' or not parts.hostname or port == 0:
            # Only the variable is named: a proxy URL may carry a password.
            raise UnsupportedProxy('the proxy in {0} cannot be used: only http://host[:port] proxies are supported'.format(variable))
        self.host = parts.hostname
        self.port = port or 80
        self.headers = {}
        if parts.username is not None:
            credentials = '{0}:{1}'.format(unquote(parts.username), unquote(parts.password or ''))
            self.headers['Proxy-Authorization'] = 'Basic ' + base64.b64encode(credentials.encode('utf-8')).decode('ascii')


def proxy_from_environment(url):
    """The proxy that the environment (``https_proxy``, ``http_proxy``, ``all_proxy``, ``no_proxy``) sets for ``url``, or None."""
    if not any(name.lower().endswith('_proxy') for name in os.environ):
        return None  # the common case, without importing urllib.request
    import urllib.request  # pylint: disable=import-outside-toplevel  # only needed when a proxy is set

    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    scheme = parts.scheme if parts.scheme in proxies else 'all'
    if scheme not in proxies or urllib.request.proxy_bypass_environment(parts.netloc, proxies):
        return None
    return Proxy(proxies[scheme], '{0}_proxy'.format(scheme))


class ConnectionPool:
    """Connections to the host of ``base_url``, kept open between calls and shared by threads.

    A call takes an idle connection, or opens one when none is idle, so there are never
    more connections than concurrent callers; at most ``max_idle`` of them are kept
    for the next calls. The last one used is handed out first: it is the likeliest
    to still be open. Redirects are answers like any other: nothing is followed.
    """

    def __init__(self, base_url, context=None, timeout=10, max_idle=10, headers=None):
        parts = urlsplit(base_url)
        self.https = parts.scheme == 'https'
        self.host = parts.hostname
        self.port = parts.port if parts.port is not None else (443 if self.https else 80)
        self.context = context
        self.timeout = timeout
        self.max_idle = max_idle
        self.headers = dict(headers or {})
        self.proxy = proxy_from_environment(base_url)
        self._target_prefix = ''
        if self.proxy is not None and not self.https:
            # A plain-HTTP proxy gets the whole URL, and the credentials for itself.
            self._target_prefix = base_url
            self.headers.update(self.proxy.headers)
        self._idle = []
        self._lock = threading.Lock()

    def request(self, method, path, body=None, headers=None, max_body_bytes=None):
        """Send one request and return its HttpAnswer, its body read within ``timeout`` seconds.

        Raises a TransportError, or AnswerTooLarge for a body over ``max_body_bytes``.
        """
        all_headers = dict(self.headers)
        all_headers.update(headers or {})
        connection = self._take()
        reusable = False
        try:
            try:
                connection.request(method, self._target_prefix + path, body=body, headers=all_headers)
                response = connection.getresponse()
                answer = HttpAnswer(response.status, response.headers, _read_body(response, max_body_bytes, self.timeout))
                reusable = not response.will_close
                return answer
            except ssl.SSLCertVerificationError:
                raise CertificateUntrusted() from None
            except ssl.SSLError:
                raise TlsFailed() from None
            except socket.timeout:
                raise TimedOut() from None
            except http.client.IncompleteRead:
                raise CutOff() from None
            except (http.client.RemoteDisconnected, OSError):
                # RemoteDisconnected is both an OSError and an HTTPException: a dropped connection.
                raise ConnectFailed() from None
            except http.client.HTTPException:
                raise NotHttp() from None
        finally:
            if reusable:
                self._give_back(connection)
            else:
                connection.close()

    def close(self):
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _take(self):
        with self._lock:
            while self._idle:
                connection = self._idle.pop()
                if not _was_dropped(connection):
                    return connection
                connection.close()
        return self._open()

    def _give_back(self, connection):
        with self._lock:
            if len(self._idle) < self.max_idle:
                self._idle.append(connection)
                return
        connection.close()

    def _open(self):
        """A new connection; http.client connects it when the first request is sent."""
        host, port = (self.proxy.host, self.proxy.port) if self.proxy is not None else (self.host, self.port)
        if not self.https:
            return http.client.HTTPConnection(host, port, timeout=self.timeout)
        connection = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=self.context)
        if self.proxy is not None:
            # A tunnel through the proxy: TLS, and the certificate check, are end to end with the API host.
            connection.set_tunnel(self.host, self.port, headers=self.proxy.headers)
        return connection


# Read in small chunks: a body is refused past its limit, never held in memory whole.
_READ_CHUNK_BYTES = 16 * 1024


def _read_body(response, max_body_bytes, timeout):
    declared = response.getheader('Content-Length', '')
    if max_body_bytes is not None and declared.isdigit() and int(declared) > max_body_bytes:
        raise AnswerTooLarge(response.status, response.headers)
    # The socket timeout applies to each read: a server that trickles bytes could hold us much longer.
    deadline = time.monotonic() + timeout
    chunks = []
    size = 0
    while True:
        chunk = response.read(_READ_CHUNK_BYTES)
        if not chunk:
            if response.length:
                # http.client leaves it to the caller to see that a read in pieces ended short of Content-Length.
                raise CutOff()
            return b''.join(chunks)
        size += len(chunk)
        if max_body_bytes is not None and size > max_body_bytes:
            raise AnswerTooLarge(response.status, response.headers)
        if time.monotonic() > deadline:
            raise AnswerTooSlow()
        chunks.append(chunk)


def _was_dropped(connection):
    """Whether the server closed an idle connection: between answers it has nothing else to say."""
    sock = connection.sock
    if sock is None:
        return True
    try:
        if hasattr(select, 'poll'):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True
