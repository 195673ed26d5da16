# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A forward proxy on loopback that records what it is asked: plain-HTTP requests by their whole URL, HTTPS through CONNECT tunnels.

  forward_proxy.py PORT_FILE LOG_FILE

writes its port to PORT_FILE once listening, and each request line it is asked to LOG_FILE, until it is
killed. The TLS target runs the demo playbook through it; the unit tests of the transport start it in a thread.
"""

from __future__ import annotations

import http.client
import os
import select
import socket
import socketserver
import ssl
import sys
import threading
from urllib.parse import urlsplit


class LocalServer(socketserver.ThreadingTCPServer):
    """A TCP server on a free loopback port, serving in a thread for the length of a ``with`` block."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler):
        super().__init__(('127.0.0.1', 0), handler)

    @property
    def address(self):
        return f'127.0.0.1:{self.server_address[1]}'

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info):
        self.shutdown()
        self.server_close()


class Proxy(LocalServer):
    """A forward proxy: plain HTTP requests by their whole URL, HTTPS through CONNECT tunnels. Records what it was asked."""

    def __init__(self, refuse_tunnels=False, tls_certificate=None):
        self.seen = []  # (request line, Proxy-Authorization header or None)
        self.log_file = None  # where the command writes each request line too
        self.refuse_tunnels = refuse_tunnels
        self.tls = None
        if tls_certificate is not None:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(*tls_certificate)
        super().__init__(ProxyHandler)

    def get_request(self):
        connection, address = super().get_request()
        if self.tls is not None:
            connection = self.tls.wrap_socket(connection, server_side=True)
        return connection, address


class ProxyHandler(socketserver.StreamRequestHandler):
    def handle(self):
        request_line = self.rfile.readline().decode('latin-1').strip()
        headers = {}
        while True:
            line = self.rfile.readline().decode('latin-1')
            if line in ('\r\n', '\n', ''):
                break
            name, _colon, value = line.partition(':')
            headers[name.strip().lower()] = value.strip()
        self.server.seen.append((request_line, headers.get('proxy-authorization')))
        if self.server.log_file:
            with open(self.server.log_file, 'a', encoding='latin-1') as log:
                log.write(request_line + '\n')
        method, target, _version = request_line.split(' ')
        if method == 'CONNECT':
            self._tunnel(target)
        else:
            self._forward(method, target, headers)

    def _tunnel(self, target):
        if self.server.refuse_tunnels:
            self.wfile.write(b'HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n')
            return
        host, _colon, port = target.rpartition(':')
        upstream = socket.create_connection((host, int(port)))
        self.wfile.write(b'HTTP/1.1 200 Connection established\r\n\r\n')
        self.wfile.flush()
        sockets = [self.connection, upstream]
        with upstream:
            while True:
                readable = select.select(sockets, [], [], 5)[0]
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)

    def _forward(self, method, url, headers):
        parts = urlsplit(url)
        body = self.rfile.read(int(headers.get('content-length') or 0)) or None
        upstream = http.client.HTTPConnection(parts.hostname, parts.port)
        forwarded = {name: value for name, value in headers.items() if name not in ('proxy-authorization', 'connection')}
        upstream.request(method, parts.path, body=body, headers=forwarded)
        answer = upstream.getresponse()
        payload = answer.read()
        self.wfile.write(f'HTTP/1.1 {answer.status} {answer.reason}\r\n'.encode('latin-1'))
        for name, value in answer.getheaders():
            if name.lower() not in ('connection', 'content-length', 'transfer-encoding'):
                self.wfile.write(f'{name}: {value}\r\n'.encode('latin-1'))
        self.wfile.write(f'Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n'.encode('latin-1') + payload)
        upstream.close()


def main(port_file, log_file):
    with Proxy() as proxy:
        proxy.log_file = log_file
        with open(port_file + '.tmp', 'w', encoding='ascii') as port:
            port.write(str(proxy.server_address[1]))
        os.rename(port_file + '.tmp', port_file)
        threading.Event().wait()


if __name__ == '__main__':
    main(*sys.argv[1:3])
