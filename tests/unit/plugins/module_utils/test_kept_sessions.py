# Copyright (c) 2026, community.dingtalk contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The requests sessions the in-worker door keeps across the items of a loop: shared only between the same settings."""

from __future__ import annotations

from ansible_collections.community.dingtalk.plugins.module_utils import _http
from ansible_collections.community.dingtalk.plugins.module_utils._auth import StaticToken
from ansible_collections.community.dingtalk.plugins.module_utils._client import Connection, DingTalkClient


def test_connections_make_their_own_session_unless_kept(emulator):
    assert Connection(emulator.url)._transport is not Connection(emulator.url)._transport


def test_kept_sessions_are_shared_by_the_same_settings_only(emulator, monkeypatch):
    monkeypatch.delenv('HTTP_PROXY', raising=False)
    monkeypatch.delenv('http_proxy', raising=False)
    store = {}
    with _http.transports_kept_in(store):
        first = Connection(emulator.url)
        same = Connection(emulator.url)
        other_trust = Connection(emulator.url, trust=False)
        other_pool = Connection(emulator.url, pool_size=4)
        monkeypatch.setenv('http_proxy', 'http://proxy.example:3128')
        other_proxy = Connection(emulator.url)
    assert first._transport is same._transport
    assert len({id(connection._transport) for connection in (first, other_trust, other_pool, other_proxy)}) == 4
    assert len(store) == 4
    assert Connection(emulator.url)._transport is not first._transport  # kept only while asked to


def test_calls_over_a_kept_session_reuse_its_connection(emulator):
    emulator.add_conference('conf-1')
    token = StaticToken(emulator.mint_token())
    with _http.transports_kept_in({}):
        clients = [DingTalkClient(Connection(emulator.url), token) for _item in range(3)]
        for client in clients:
            client.get_conference('conf-1')
    pool = clients[0].connection._transport._adapter.poolmanager
    assert len(pool.pools) == 1
    # urllib3's RecentlyUsedContainer refuses iteration; its keys() view is the way in.
    (pool_key,) = pool.pools.keys()
    connection_pool = pool.pools[pool_key]
    assert connection_pool.num_connections == 1  # one TCP connection for the three "items"
