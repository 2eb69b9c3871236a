"""The thread Client behind a real cluster (issue 17): mirrors test_cluster_async.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import pytest
import requests
from sync.helpers import Events, bounded, eventually

from cluster.launcher import Cluster
from sio_notebook import Client
from sio_notebook.exceptions import ConnectionError
from sio_notebook.sansio.polling import UNKNOWN_SESSION_ADVICE

pytestmark = pytest.mark.cluster

HOSTS = ["127.0.0.1", "localhost"]
FAST: dict[str, Any] = {"reconnection_delay": 0.1, "reconnection_delay_max": 0.5}


def _expected(transports: list[str]) -> str:
    return "websocket" if "websocket" in transports else "polling"


@pytest.fixture
def make_client() -> Iterator[Callable[..., Client]]:
    clients: list[Client] = []

    def make(**options: Any) -> Client:
        client = Client(**{**FAST, **options})
        clients.append(client)
        return client

    yield make
    for client in clients:
        bounded(client.disconnect, timeout=10)


def _on_other_workers(make_client: Callable[..., Client], url: str) -> tuple[Client, Client, Events]:
    """Two clients on different workers (round robin alternates handshakes); the second records."""
    first = make_client()
    first.connect(url, transports=["polling", "websocket"])
    first_worker = first.call("whoami")
    for _ in range(4):
        events = Events()
        second = make_client()
        second.on("shouted", events.handler("shouted"))
        second.connect(url, transports=["polling", "websocket"])
        if second.call("whoami") != first_worker:
            return first, second, events
    raise AssertionError("round robin never put a second client on another worker")


@pytest.mark.parametrize("host", HOSTS)
def test_every_transport_stays_on_its_worker(
    cluster: Cluster, make_client: Callable[..., Client], host: str, transports: list[str]
) -> None:
    client = make_client()
    client.connect(cluster.sticky_url(host), transports=transports)
    want = _expected(transports)
    eventually(lambda: client.transport() == want, what=f"transport {want}")
    workers = {client.call("whoami") for _ in range(12)}
    assert len(workers) == 1 and workers <= set(cluster.workers)
    assert client.call("echo", ({"n": 1}, [2])) == ({"n": 1}, [2])
    assert client.transport() == want


@pytest.mark.parametrize("host", HOSTS)
def test_the_users_cookies_and_headers_still_reach_the_server(
    cluster: Cluster, make_client: Callable[..., Client], host: str
) -> None:
    client = make_client()
    client.connect(cluster.sticky_url(host), headers={"Cookie": "token=abc"}, transports=["polling", "websocket"])
    eventually(lambda: client.transport() == "websocket", what="the upgrade")
    seen = client.call("cookies-seen")
    assert seen["handshake"] == "token=abc"
    assert seen["later"] and set(seen["later"]) == {"token=abc"}, seen


@pytest.mark.parametrize("host", HOSTS)
def test_a_requests_session_the_user_passes_works_by_ip_too(
    cluster: Cluster, make_client: Callable[..., Client], host: str
) -> None:
    """python-socketio's thread Client takes a requests.Session; its cookies still go along."""
    session = requests.Session()
    session.cookies.set("user", "u1")
    client = make_client(http_session=session)
    client.connect(cluster.sticky_url(host), transports=["polling"])
    assert len({client.call("whoami") for _ in range(8)}) == 1
    assert set(client.call("cookies-seen")["later"]) == {"user=u1"}


def test_a_session_factory_with_the_default_jar_works_by_ip(cluster: Cluster, make_client: Callable[..., Client]) -> None:
    """A callable returning an aiohttp session with the default jar (unsafe=False)."""
    client = make_client(http_session=lambda: aiohttp.ClientSession(cookies={"user": "u2"}))
    client.connect(cluster.sticky_url("127.0.0.1"), transports=["polling"])
    assert len({client.call("whoami") for _ in range(8)}) == 1
    assert set(client.call("cookies-seen")["later"]) == {"user=u2"}


def test_a_broadcast_from_one_worker_reaches_a_client_on_another(
    cluster: Cluster, make_client: Callable[..., Client]
) -> None:
    first, second, events = _on_other_workers(make_client, cluster.sticky_url())
    sender = first.call("shout", {"hello": "cluster"})
    (message,) = events.first("shouted")
    assert message == {"from": sender, "data": {"hello": "cluster"}}
    assert second.call("whoami") != sender


FAILOVER_CASES = {
    "polling-ip": (["polling"], "127.0.0.1", False),
    "upgrade-ip": (["polling", "websocket"], "127.0.0.1", False),
    # python-socketio's way: a requests.Session, by name.
    "upgrade-name-users-session": (["polling", "websocket"], "localhost", True),
}


@pytest.mark.parametrize("case", FAILOVER_CASES)
def test_after_its_worker_is_killed_a_client_reconnects_through_the_balancer(
    cluster_factory: Callable[..., Cluster], make_client: Callable[..., Client], case: str
) -> None:
    transports, host, users_session = FAILOVER_CASES[case]
    cluster = cluster_factory(workers=2)
    url = cluster.sticky_url(host)
    options: dict[str, Any] = {"http_session": requests.Session()} if users_session else {}
    observer = make_client()
    observer.connect(url)
    survivor = observer.call("whoami")
    for _ in range(4):  # round robin: the next handshake or the one after goes to the other worker
        events = Events()
        client = make_client(**options)
        client.on("connect", events.handler("connect"))
        client.on("disconnect", events.handler("disconnect"))
        client.on("shouted", events.handler("shouted"))
        client.connect(url, transports=transports)
        victim = client.call("whoami")
        if victim != survivor:
            break
        client.disconnect()
    else:
        raise AssertionError(f"round robin kept every client on {survivor}")
    eventually(lambda: client.transport() == _expected(transports), what="the transport")
    cluster.kill(victim)
    events.nth("connect", 2, timeout=15)
    assert events.count("disconnect") == 1
    assert client.call("whoami") == survivor
    observer.call("shout", "after the failover")
    assert events.first("shouted")[0] == {"from": survivor, "data": "after the failover"}


@pytest.mark.parametrize("host", HOSTS)
def test_without_stickiness_polling_fails_with_the_reason_and_what_to_do(
    cluster: Cluster, make_client: Callable[..., Client], host: str
) -> None:
    client = make_client()
    with pytest.raises(ConnectionError) as failed:
        client.connect(cluster.plain_url(host), transports=["polling"])
    text = str(failed.value)
    assert "Session ID unknown (Engine.IO error code 1)" in text and UNKNOWN_SESSION_ADVICE in text, text
    assert client.connected is False


def test_without_stickiness_a_retrying_connect_treats_it_as_a_lost_session(
    cluster: Cluster, make_client: Callable[..., Client]
) -> None:
    client = make_client(reconnection_attempts=2)
    with pytest.raises(ConnectionError) as failed:
        client.connect(cluster.plain_url(), transports=["polling"], retry=True)
    text = str(failed.value)
    # The last attempt's loss: usually the unknown session again, sometimes the keep-alive
    # connection HAProxy closed after the previous attempt's 400 (a transport error too).
    assert "gave up after 2 reconnection attempts: transport error" in text, text
    assert client.connected is False


def test_without_stickiness_websocket_alone_works(cluster: Cluster, make_client: Callable[..., Client]) -> None:
    client = make_client()
    client.connect(cluster.plain_url(), transports=["websocket"])
    assert len({client.call("whoami") for _ in range(6)}) == 1
    assert client.call("echo", "x", timeout=5) == "x"
