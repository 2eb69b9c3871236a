"""AsyncClient behind a real cluster (issue 17): HAProxy, Node workers, the Redis adapter.

Mirrored for the thread Client in test_cluster_sync.py. The sticky front door is HAProxy's
``cookie SERVERID insert indirect nocache``; the plain one has no stickiness at all.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aio.helpers import Events, eventually, expected_transport

from cluster.launcher import Cluster
from sio_notebook import AsyncClient
from sio_notebook.exceptions import ConnectionError
from sio_notebook.sansio.polling import UNKNOWN_SESSION_ADVICE

pytestmark = pytest.mark.cluster

HOSTS = ["127.0.0.1", "localhost"]  # an IP address (aiohttp's default jar refuses its cookies) and a name
FAST: dict[str, Any] = {"reconnection_delay": 0.1, "reconnection_delay_max": 0.5}


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., AsyncClient]]:
    clients: list[AsyncClient] = []

    def make(**options: Any) -> AsyncClient:
        client = AsyncClient(**{**FAST, **options})
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.disconnect()


async def _on_other_workers(make_client: Callable[..., AsyncClient], url: str) -> tuple[AsyncClient, AsyncClient, Events]:
    """Two clients on different workers (round robin alternates handshakes); the second records."""
    first = make_client()
    await first.connect(url, transports=["polling", "websocket"])
    first_worker = await first.call("whoami")
    for _ in range(4):
        events = Events()
        second = make_client()
        second.on("shouted", events.handler("shouted"))
        await second.connect(url, transports=["polling", "websocket"])
        if await second.call("whoami") != first_worker:
            return first, second, events
    raise AssertionError("round robin never put a second client on another worker")


@pytest.mark.parametrize("host", HOSTS)
async def test_every_transport_stays_on_its_worker(
    cluster: Cluster, make_client: Callable[..., AsyncClient], host: str, transports: list[str]
) -> None:
    """Polling, WebSocket and the upgrade through a sticky balancer, by IP and by name."""
    client = make_client()
    await client.connect(cluster.sticky_url(host), transports=transports)
    want = expected_transport(transports)
    await eventually(lambda: client.transport() == want, what=f"transport {want}")
    workers = {await client.call("whoami") for _ in range(12)}
    assert len(workers) == 1 and workers <= set(cluster.workers)
    assert await client.call("echo", ({"n": 1}, [2])) == ({"n": 1}, [2])
    assert client.transport() == want


@pytest.mark.parametrize("host", HOSTS)
async def test_the_users_cookies_and_headers_still_reach_the_server(
    cluster: Cluster, make_client: Callable[..., AsyncClient], host: str
) -> None:
    """The user's Cookie header goes on every request; HAProxy strips its own SERVERID."""
    client = make_client()
    await client.connect(cluster.sticky_url(host), headers={"Cookie": "token=abc"}, transports=["polling", "websocket"])
    await eventually(lambda: client.transport() == "websocket", what="the upgrade")
    seen = await client.call("cookies-seen")
    assert seen["handshake"] == "token=abc"
    assert seen["later"] and set(seen["later"]) == {"token=abc"}, seen  # polls, POSTs and the upgrade


@pytest.mark.parametrize("host", HOSTS)
async def test_a_session_the_user_passes_works_by_ip_too(
    cluster: Cluster, make_client: Callable[..., AsyncClient], host: str
) -> None:
    """A user's aiohttp session has the default jar (unsafe=False: no IP-host cookies)."""
    async with aiohttp.ClientSession(cookies={"user": "u1"}) as http:
        client = make_client(http_session=http)
        await client.connect(cluster.sticky_url(host), transports=["polling"])
        assert len({await client.call("whoami") for _ in range(8)}) == 1
        seen = await client.call("cookies-seen")
        assert set(seen["later"]) == {"user=u1"}, seen
        await client.disconnect()
        assert not http.closed  # the user's session stays theirs


async def test_a_broadcast_from_one_worker_reaches_a_client_on_another(
    cluster: Cluster, make_client: Callable[..., AsyncClient]
) -> None:
    first, second, events = await _on_other_workers(make_client, cluster.sticky_url())
    sender = await first.call("shout", {"hello": "cluster"})
    (message,) = await events.first("shouted")
    assert message == {"from": sender, "data": {"hello": "cluster"}}
    assert await second.call("whoami") != sender


FAILOVER_CASES = {
    "polling-ip": (["polling"], "127.0.0.1", False),
    "upgrade-ip": (["polling", "websocket"], "127.0.0.1", False),
    # A user's session by name: its own jar kept the sticky cookie too (aio/cookies.py drops it).
    "upgrade-name-users-session": (["polling", "websocket"], "localhost", True),
}


@pytest.mark.parametrize("case", FAILOVER_CASES)
async def test_after_its_worker_is_killed_a_client_reconnects_through_the_balancer(
    cluster_factory: Callable[..., Cluster], make_client: Callable[..., AsyncClient], case: str
) -> None:
    """SIGKILL the worker a client is on: it reconnects to the other one and goes on receiving."""
    transports, host, users_session = FAILOVER_CASES[case]
    cluster = cluster_factory(workers=2)
    url = cluster.sticky_url(host)
    async with contextlib.AsyncExitStack() as stack:
        options: dict[str, Any] = {}
        if users_session:
            options["http_session"] = await stack.enter_async_context(aiohttp.ClientSession())
        await _fail_over(cluster, url, make_client, transports, options)


async def _fail_over(
    cluster: Cluster, url: str, make_client: Callable[..., AsyncClient], transports: list[str], options: dict[str, Any]
) -> None:
    observer = make_client()
    await observer.connect(url)
    survivor = await observer.call("whoami")
    for _ in range(4):  # round robin: the next handshake or the one after goes to the other worker
        events = Events()
        client = make_client(**options)
        client.on("connect", events.handler("connect"))
        client.on("disconnect", events.handler("disconnect"))
        client.on("shouted", events.handler("shouted"))
        await client.connect(url, transports=transports)
        victim = await client.call("whoami")
        if victim != survivor:
            break
        await client.disconnect()
    else:
        raise AssertionError(f"round robin kept every client on {survivor}")
    await eventually(lambda: client.transport() == expected_transport(transports), what="the transport")
    cluster.kill(victim)
    await events.nth("connect", 2, timeout=15)
    assert events.count("disconnect") == 1
    assert await client.call("whoami") == survivor
    await observer.call("shout", "after the failover")
    assert (await events.first("shouted"))[0] == {"from": survivor, "data": "after the failover"}
    await client.disconnect()


@pytest.mark.parametrize("host", HOSTS)
async def test_without_stickiness_polling_fails_with_the_reason_and_what_to_do(
    cluster: Cluster, make_client: Callable[..., AsyncClient], host: str
) -> None:
    client = make_client()
    with pytest.raises(ConnectionError) as failed:
        await client.connect(cluster.plain_url(host), transports=["polling"])
    text = str(failed.value)
    assert "Session ID unknown (Engine.IO error code 1)" in text and UNKNOWN_SESSION_ADVICE in text, text
    assert client.connected is False


async def test_without_stickiness_a_retrying_connect_treats_it_as_a_lost_session(
    cluster: Cluster, make_client: Callable[..., AsyncClient]
) -> None:
    """connect(retry=True): each attempt loses its session to the other worker, and the
    reconnection loop goes on as after any loss, until reconnection_attempts; then it says why."""
    client = make_client(reconnection_attempts=2)
    with pytest.raises(ConnectionError) as failed:
        await client.connect(cluster.plain_url(), transports=["polling"], retry=True)
    text = str(failed.value)
    # The last attempt's loss: usually the unknown session again, sometimes the keep-alive
    # connection HAProxy closed after the previous attempt's 400 (a transport error too).
    assert "gave up after 2 reconnection attempts: transport error" in text, text
    assert client.connected is False


async def test_without_stickiness_websocket_alone_works(cluster: Cluster, make_client: Callable[..., AsyncClient]) -> None:
    """What the advice says: one WebSocket is one request, so it needs no stickiness."""
    client = make_client()
    await client.connect(cluster.plain_url(), transports=["websocket"])
    assert len({await client.call("whoami") for _ in range(6)}) == 1
    assert await asyncio.wait_for(client.call("echo", "x"), 5) == "x"
