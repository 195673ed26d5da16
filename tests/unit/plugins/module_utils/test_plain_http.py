# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Plain HTTP only to loopback hosts, or with allow_plain_http: refused before anything reaches the network."""

from __future__ import annotations

import select
import socket

import pytest

from ansible_collections.community.dingtalk.plugins.module_utils import _http
from ansible_collections.community.dingtalk.plugins.module_utils._connect import PLAIN_HTTP_ACCEPTED_WARNING, connect
from ansible_collections.community.dingtalk.plugins.module_utils._errors import InvalidOptionError, is_loopback_host, validate_api_url

OPTIONS = {'validate_certs': True, 'ca_path': None, 'timeout': 2, 'retries': 0, 'cache': False, 'cache_dir': None, 'allow_plain_http': False}
AUTH = {'app_key': 'ding-app', 'app_secret': 'app-secret'}


def options(**changes):
    chosen = dict(OPTIONS, **changes)
    return chosen.get


def own_address():
    """An address of this machine that is not a loopback one, or None."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(('192.0.2.1', 9))  # no packet is sent: this only picks the route's source address
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if is_loopback_host(address) else address


@pytest.fixture
def listener():
    """A listening socket on a non-loopback address of this machine: ``(url, saw_a_connection)``."""
    address = own_address()
    if address is None:
        pytest.skip('this machine has no address but loopback ones')
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind((address, 0))
    server.listen(5)

    def saw_a_connection(wait=0.5):
        return bool(select.select([server], [], [], wait)[0])

    try:
        yield f'http://{address}:{server.getsockname()[1]}', saw_a_connection
    finally:
        server.close()


@pytest.mark.parametrize('host', ['localhost', 'LOCALHOST.', '127.0.0.1', '127.3.4.5', '::1'])
def test_loopback_hosts(host):
    assert is_loopback_host(host)


@pytest.mark.parametrize('host', ['api.dingtalk.io', '128.0.0.1', '192.0.2.2', '::2', 'localhost.example', '', None])
def test_other_hosts(host):
    assert not is_loopback_host(host)


@pytest.mark.parametrize('url', ['http://127.0.0.1:8080', 'http://localhost', 'http://[::1]:9', 'https://api.dingtalk.io'])
def test_loopback_and_https_api_urls_need_no_opt_in(url):
    assert validate_api_url(url) == url


def test_plain_http_api_url_to_another_host_is_refused_with_no_request(listener):
    url, saw_a_connection = listener
    with pytest.raises(InvalidOptionError) as caught:
        connect(options(api_url=url), AUTH, 'in the test').client.token_source.get()
    assert url in str(caught.value) and 'allow_plain_http' in str(caught.value)
    assert not saw_a_connection()
    with pytest.raises(InvalidOptionError, match='http://api.dingtalk.io is plain HTTP'):
        connect(options(api_url='http://api.dingtalk.io'), AUTH, 'in the test')


def test_allow_plain_http_lets_the_call_through_and_warns(listener):
    url, saw_a_connection = listener
    connected = connect(options(api_url=url, allow_plain_http=True), AUTH, 'in the test')
    assert any('allow_plain_http is set' in warning and url in warning for warning in connected.warnings)
    try:
        with pytest.raises(Exception):  # noqa: B017  the listener never answers
            connected.client.token_source.get()
        assert saw_a_connection(0)
    finally:
        connected.client.close()


def test_allow_plain_http_with_an_https_api_url_warns_about_download_links():
    connected = connect(options(api_url='https://api.dingtalk.io', allow_plain_http=True), AUTH, 'in the test')
    assert connected.warnings == [PLAIN_HTTP_ACCEPTED_WARNING]
    connected.client.close()
    assert connect(options(api_url='https://api.dingtalk.io'), AUTH, 'in the test').warnings == []


def test_a_plain_http_download_link_to_another_host_is_refused_with_no_request(listener):
    url, saw_a_connection = listener
    host = _http.FileHost(timeout=2)
    with pytest.raises(_http.PlainHttpRefused) as caught:
        host.open(url + '/recording.mp4?Signature=secret')
    assert url.split('//')[1].split(':')[0] in str(caught.value) and 'Signature' not in str(caught.value)
    assert not saw_a_connection()
    opted_in = _http.FileHost(timeout=1, allow_plain_http=True)
    with pytest.raises(_http.TransportError):
        opted_in.open(url + '/recording.mp4')
    assert saw_a_connection(0)
