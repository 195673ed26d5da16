# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The transport under the client: kept-open connections, proxies from the environment, and transport failures."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socket
import socketserver
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils._auth import StaticToken
from ansible_collections.community.dingtalk.plugins.module_utils._client import Connection, DingTalkClient
from ansible_collections.community.dingtalk.plugins.module_utils._errors import DingTalkError, InvalidOptionError
from ansible_collections.community.dingtalk.tests.integration.targets.dingtalk_tls.forward_proxy import LocalServer, Proxy
from ansible_collections.community.dingtalk.tests.integration.targets.dingtalk_tls.make_certificate import write_self_signed_certificate
from ansible_collections.community.dingtalk.tests.unit.fake_time import FakeTime

PROXY_USER = 'proxy-user'
PROXY_PASSWORD = 'proxy-pa:ss@word'


def client(admin, **options):
    options.setdefault('retries', 0)
    return DingTalkClient(Connection(api_url=admin.url, **options), StaticToken(admin.token if hasattr(admin, 'token') else admin.mint_token()))


@pytest.fixture(autouse=True)
def no_proxy_from_the_machine(monkeypatch):
    for name in ('http_proxy', 'https_proxy', 'all_proxy', 'no_proxy'):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


# Kept-open connections ------------------------------------------------------------


def test_calls_one_after_another_share_one_connection(emulator):
    emulator.add_conference('conf-1')
    dingtalk = client(emulator)
    for _call in range(5):
        dingtalk.get_conference('conf-1')
    dingtalk.stop_cloud_record('conf-1', 'host-union')
    assert len({call['connection'] for call in emulator.requests_log()}) == 1


def test_concurrent_callers_open_no_more_connections_than_there_are_callers(emulator):
    conference_ids = [f'conf-{number}' for number in range(16)]  # under the emulator's 20 calls a second
    for conference_id in conference_ids:
        emulator.add_conference(conference_id)
    dingtalk = client(emulator, pool_size=4)
    with ThreadPoolExecutor(max_workers=4) as executor:
        list(executor.map(dingtalk.get_conference, conference_ids))
    connections = {call['connection'] for call in emulator.requests_log()}
    assert 1 <= len(connections) <= 4


class OneAnswerPerConnectionServer(LocalServer):
    """Answers one request per connection, then hangs up without saying so: a server whose keep-alive timed out."""

    def __init__(self):
        self.connections = 0
        super().__init__(OneAnswerHandler)


class OneAnswerHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.server.connections += 1
        while self.rfile.readline() not in (b'\r\n', b'\n', b''):
            pass
        body = json.dumps({'confInfo': {'conferenceId': 'conf-1', 'status': 2, 'cloudRecordStatus': 1}}).encode('utf-8')
        self.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ' + str(len(body)).encode('ascii') + b'\r\n\r\n' + body)


def test_a_connection_the_server_closed_while_idle_is_replaced_without_a_failed_call():
    with OneAnswerPerConnectionServer() as server:
        dingtalk = DingTalkClient(Connection(api_url='http://' + server.address, retries=0), StaticToken('t0ken'))
        for _call in range(3):
            assert dingtalk.get_conference('conf-1')['conferenceId'] == 'conf-1'
            time.sleep(0.05)  # the hang-up reaches the idle connection
        assert server.connections == 3


# Proxies (the forward proxy is the TLS integration target's) ---------------------------


@pytest.fixture
def proxy():
    with Proxy() as serving:
        yield serving


@pytest.fixture
def tls_proxy(tls_certificate):
    """The same forward proxy, spoken to over TLS (an ``https://`` proxy URL); its certificate is the emulator's."""
    with Proxy(tls_certificate=tls_certificate) as serving:
        yield serving


def basic_credentials():
    return 'Basic ' + base64.b64encode(f'{PROXY_USER}:{PROXY_PASSWORD}'.encode()).decode('ascii')


def proxy_url(proxy, scheme='http'):
    return '{0}://{1}:{2}@{3}'.format(scheme, PROXY_USER, PROXY_PASSWORD.replace(':', '%3A').replace('@', '%40'), proxy.address)


def test_http_calls_go_through_http_proxy_with_its_credentials(emulator, proxy, monkeypatch):
    emulator.add_conference('conf-1')
    monkeypatch.setenv('HTTP_PROXY', proxy_url(proxy))
    dingtalk = client(emulator)
    dingtalk.get_conference('conf-1')
    dingtalk.stop_cloud_record('conf-1', 'host-union')
    assert proxy.seen == [
        (f'GET {emulator.url}/v1.0/conference/videoConferences/conf-1 HTTP/1.1', basic_credentials()),
        (f'POST {emulator.url}/v1.0/conference/videoConferences/conf-1/cloudRecords/stop HTTP/1.1', basic_credentials()),
    ]
    assert emulator.conference('conf-1')['cloud_record_status'] == 3


def test_https_calls_tunnel_through_https_proxy_and_still_check_the_certificate(https, proxy, tls_certificate, monkeypatch):
    monkeypatch.setenv('https_proxy', proxy_url(proxy))
    dingtalk = client(https, trust=tls_certificate[0])
    assert dingtalk.get_conference('conf-1')['conferenceId'] == 'conf-1'
    dingtalk.stop_cloud_record('conf-1', 'host-union')
    # One tunnel carries both calls: the kept-open connection is the tunnel.
    ((request_line, credentials),) = proxy.seen
    assert request_line.startswith(f'CONNECT {urlsplit(https.url).netloc} HTTP/1.') and credentials == basic_credentials()
    assert [call['api'] for call in https.requests_log()] == ['conference.get', 'cloudRecord.stop']
    with pytest.raises(DingTalkError, match='^TLS certificate verification of '):
        client(https).get_conference('conf-1')  # the system's CAs do not sign the emulator's certificate


def test_an_https_proxy_url_is_spoken_to_over_tls_and_its_certificate_checked(https, tls_proxy, tls_certificate, tmp_path, monkeypatch):
    monkeypatch.setenv('https_proxy', proxy_url(tls_proxy, scheme='https'))
    # The emulator and the proxy share a certificate: ca_path trusts both ends, TLS within TLS.
    assert client(https, trust=tls_certificate[0]).get_conference('conf-1')['conferenceId'] == 'conf-1'
    ((request_line, credentials),) = tls_proxy.seen
    assert request_line.startswith(f'CONNECT {urlsplit(https.url).netloc} HTTP/1.') and credentials == basic_credentials()
    with Proxy(tls_certificate=write_self_signed_certificate(str(tmp_path))) as untrusted_proxy:
        monkeypatch.setenv('https_proxy', proxy_url(untrusted_proxy, scheme='https'))
        with pytest.raises(DingTalkError) as caught:
            client(https, trust=tls_certificate[0]).get_conference('conf-1')
        assert untrusted_proxy.seen == []  # neither the credentials nor the request went to a proxy it could not trust
    assert caught.value.describe().startswith(
        f'TLS certificate verification of {https.url} or of the proxy {untrusted_proxy.address} failed (self-signed certificate)'
    )


def test_no_proxy_names_hosts_reached_directly(emulator, proxy, monkeypatch):
    emulator.add_conference('conf-1')
    monkeypatch.setenv('http_proxy', proxy_url(proxy))
    monkeypatch.setenv('no_proxy', 'example.com,127.0.0.1')
    client(emulator).get_conference('conf-1')
    assert proxy.seen == []
    assert len(emulator.requests_log('conference.get')) == 1


def test_a_refused_tunnel_is_final_and_names_the_proxy_but_not_its_credentials(https, monkeypatch):
    with Proxy(refuse_tunnels=True) as refusing:
        monkeypatch.setenv('HTTPS_PROXY', proxy_url(refusing))
        fake = FakeTime()
        with pytest.raises(DingTalkError) as caught:
            client(https, trust=False, retries=3, sleep=fake.sleep).get_conference('conf-1')
        assert len(refusing.seen) == 1 and fake.sleeps == []  # no retry can open a tunnel the proxy refuses
    message = caught.value.describe()
    assert message == f'The proxy {refusing.address} (from https_proxy) could not be reached, or refused to connect to {https.url}'
    assert PROXY_PASSWORD not in message and PROXY_USER not in message
    assert caught.value.answer_lost is False
    assert https.requests_log() == []


@pytest.mark.parametrize(
    'proxy_value',
    [
        'socks5://proxy-user:s3cret@proxy.example:1080',
        'ftp://proxy-user:s3cret@proxy.example:3128',
        'http://proxy-user:s3cret@:3128',
        'http://proxy-user:s3cret@proxy.example:99999',
    ],
)
def test_a_proxy_that_cannot_be_used_is_refused_before_any_call_without_its_password(emulator, monkeypatch, proxy_value):
    monkeypatch.setenv('HTTP_PROXY', proxy_value)
    with pytest.raises(InvalidOptionError) as caught:
        client(emulator)
    assert str(caught.value) == 'the proxy in http_proxy cannot be used: it must be an http:// or https:// URL with a host name'
    assert emulator.requests_log() == []


# Transport failures: final ones are tried once, and only those after the request was sent "may have" happened --


class CountingServer(LocalServer):
    """Counts connections; each is handled by ``answer(handler)``: a plain-HTTP answer, a TLS handshake, a hang-up."""

    def __init__(self, answer):
        self.connections = 0
        self.answer = answer
        super().__init__(CountingHandler)


class CountingHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.server.connections += 1
        self.server.answer(self)


def plain_http_answer(handler):
    handler.rfile.read(5)
    handler.wfile.write(b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')


def hang_up_after_the_request(handler):
    while handler.rfile.readline() not in (b'\r\n', b'\n', b''):
        pass


def tls_handshake_with(certificate):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)

    def answer(handler):
        with contextlib.suppress(ssl.SSLError, OSError):  # the client gave up on the certificate
            context.wrap_socket(handler.connection, server_side=True).close()

    return answer


# A handshake that cannot succeed is final: retrying it would fail the same way.
@pytest.mark.parametrize(
    'answer_with, message',
    [
        (lambda certificate: plain_http_answer, r'The TLS handshake with {url} failed \(.+\); is it an https:// server\?$'),
        (tls_handshake_with, r'TLS certificate verification of {url} failed \(self-signed certificate\); set ca_path'),
    ],
    ids=['plain-http-server-behind-https', 'untrusted-certificate'],
)
def test_a_failed_tls_handshake_is_tried_once_and_named(tls_certificate, answer_with, message):
    with CountingServer(answer_with(tls_certificate)) as server:
        fake = FakeTime()
        api_url = 'https://' + server.address
        with pytest.raises(DingTalkError) as caught:
            DingTalkClient(Connection(api_url=api_url, retries=3, sleep=fake.sleep), StaticToken('t0ken')).get_conference('conf-1')
        assert (server.connections, fake.sleeps) == (1, [])
    assert re.match(message.format(url=re.escape(api_url)), caught.value.describe()), caught.value.describe()
    assert caught.value.answer_lost is False


def test_a_connection_dropped_after_the_request_is_retried_and_may_have_been_carried_out():
    with CountingServer(hang_up_after_the_request) as server:
        fake = FakeTime()
        with pytest.raises(DingTalkError) as caught:
            DingTalkClient(Connection(api_url='http://' + server.address, retries=2, sleep=fake.sleep), StaticToken('t0ken')).stop_cloud_record('conf-1', 'u')
        assert (server.connections, len(fake.sleeps)) == (3, 2)
    assert caught.value.describe() == 'The connection to http://{0} was dropped before the answer. Tried 3 times over {1:.1f} seconds (retries=2); {2}'.format(
        server.address, sum(fake.sleeps), 'every attempt failed, so it is not a passing glitch.'
    )
    assert caught.value.answer_lost is True


def test_a_refused_connection_is_final_and_nothing_was_sent():
    with socket.socket() as reserved:
        reserved.bind(('127.0.0.1', 0))  # bound, never listening: connections are refused
        api_url = f'http://127.0.0.1:{reserved.getsockname()[1]}'
        fake = FakeTime()
        with pytest.raises(DingTalkError) as caught:
            DingTalkClient(Connection(api_url=api_url, retries=3, sleep=fake.sleep), StaticToken('t0ken')).stop_cloud_record('conf-1', 'u')
    assert caught.value.describe() == f'Could not connect to {api_url}: the connection was refused or the host is unreachable; check api_url'
    assert (fake.sleeps, caught.value.answer_lost, caught.value.http_status) == ([], False, None)


def test_a_host_name_that_does_not_resolve_is_final():
    fake = FakeTime()
    with pytest.raises(DingTalkError) as caught:
        DingTalkClient(Connection(api_url='http://no-such-host.invalid', retries=3, sleep=fake.sleep), StaticToken('t0ken')).get_conference('conf-1')
    assert caught.value.describe() == 'The host name of http://no-such-host.invalid could not be resolved; check api_url'
    assert (fake.sleeps, caught.value.answer_lost) == ([], False)
