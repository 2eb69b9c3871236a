"""AsyncClient's connect sequence and reconnection loop over scripted transports.

The opener hands out one scripted server per connection attempt (or an error for a
refused attempt), so a loss, the backoff, the failed and the successful attempt and the
handlers' order are checked without a server or a socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from sio_notebook.aio import AsyncClient
from sio_notebook.exceptions import ConnectionError, TransportError

from .transports import Script, ScriptedOpener, open_packet

URL = "http://scripted.invalid"
FAST = {"reconnection_delay": 0.01, "reconnection_delay_max": 0.01, "randomization_factor": 0}


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., AsyncClient]]:
    clients: list[AsyncClient] = []

    def make(opener: ScriptedOpener, **options: Any) -> AsyncClient:
        client = AsyncClient(transport_opener=opener, **{**FAST, **options})
        clients.append(client)
        return client

    yield make
    for client in clients:
        await asyncio.wait_for(client.disconnect(), 5)


def record(client: AsyncClient) -> list[Any]:
    events: list[Any] = []
    client.on("connect", lambda: events.append("connect"))
    client.on("disconnect", lambda reason: events.append(("disconnect", reason)))
    for name in ("reconnect_attempt", "reconnect", "reconnect_error"):
        client.on_lifecycle(name, lambda arg, _name=name: events.append((_name, str(arg))))
    client.on_lifecycle("reconnect_failed", lambda: events.append("reconnect_failed"))
    return events


async def until_state(client: AsyncClient, state: str, timeout: float = 5) -> None:
    """Wait for ``client.state`` through its status listener (an event, not a polling sleep)."""
    changed = asyncio.Event()
    client.add_status_listener(changed.set)
    try:
        while client.state != state:
            changed.clear()
            await asyncio.wait_for(changed.wait(), timeout)
    finally:
        client.remove_status_listener(changed.set)


async def connect(client: AsyncClient, script: Script, sid: str) -> None:
    task = asyncio.ensure_future(client.connect(URL, transports=["polling"]))
    assert await script.next_post() == ["40{}"]  # §2.4: the CONNECT for "/"
    script.respond(f'40{{"sid":"{sid}"}}')
    await task


async def test_a_lost_connection_is_reconnected_after_a_refused_attempt(make_client: Any) -> None:
    first, second = Script(), Script()
    first.respond(open_packet("e1"))
    second.respond(open_packet("e2"))
    client = make_client(ScriptedOpener(first, ConnectionError("refused"), second))
    events = record(client)
    await connect(client, first, "a")
    assert client.state == "connected" and client.get_sid() == "a"
    first.fail_next_get(TransportError("GET failed: connection reset"))
    assert await second.next_post() == ["40{}"]  # attempt 2 reached the second server
    assert client.state == "reconnecting"
    reconnected = asyncio.Event()
    client.on_lifecycle("reconnect", lambda attempt: reconnected.set())
    second.respond('40{"sid":"b"}')
    await asyncio.wait_for(reconnected.wait(), 5)
    assert client.state == "connected" and client.get_sid() == "b" and client.sid == "e2"
    assert events == [
        "connect",
        ("disconnect", "transport error"),
        ("reconnect_attempt", "1"),
        ("reconnect_error", "refused"),
        ("reconnect_attempt", "2"),
        "connect",
        ("reconnect", "2"),
    ]
    assert first.closed == ["polling"]


async def test_the_loop_gives_up_after_reconnection_attempts(make_client: Any) -> None:
    first = Script()
    first.respond(open_packet())
    client = make_client(ScriptedOpener(first, ConnectionError("down"), ConnectionError("still down")),
                         reconnection_attempts=2)
    events = record(client)
    await connect(client, first, "a")
    first.respond("1")  # the server closes the session
    await asyncio.wait_for(client.wait(), 5)
    assert client.state == "disconnected"
    assert events[-1] == "reconnect_failed"
    assert [e for e in events if isinstance(e, tuple) and e[0] == "reconnect_attempt"] == [
        ("reconnect_attempt", "1"), ("reconnect_attempt", "2"),
    ]
    assert client.status().last_error.startswith("gave up after 2 reconnection attempts")  # type: ignore[union-attr]


async def test_no_namespace_left_closes_without_reconnection(make_client: Any) -> None:
    first = Script()
    first.respond(open_packet())
    opener = ScriptedOpener(first)  # a reconnection attempt would find no server and fail loudly
    client = make_client(opener)
    events = record(client)
    await connect(client, first, "a")
    first.respond("41")  # §2.7: the server disconnects "/", the only namespace
    await asyncio.wait_for(client.wait(), 5)
    assert events == ["connect", ("disconnect", "server disconnect")]
    assert client.status().disconnect_reason == "server disconnect"


async def test_an_ack_request_is_not_answered_on_the_next_connection(make_client: Any) -> None:
    first, second = Script(), Script()
    first.respond(open_packet("e1"))
    second.respond(open_packet("e2"))
    client = make_client(ScriptedOpener(first, second))
    release = asyncio.Event()

    @client.on("question")
    async def question() -> str:
        await release.wait()  # outlives the connection it was asked on
        client.emit_nowait("after")  # queued just before the answer would be
        return "late answer"

    await connect(client, first, "a")
    first.respond('425["question"]')  # ack id 5 on the first connection
    first.fail_next_get(TransportError("GET failed: reset"))
    assert await second.next_post() == ["40{}"]
    second.respond('40{"sid":"b"}')
    await until_state(client, "connected")
    release.set()
    # The answer would be queued right behind "after", in the same POST.
    assert await second.next_post() == ['42["after"]']
