"""A hostile server sends more than the client will hold (issue 10 §2.9).

``max_inbound_size`` bounds one WebSocket message and one polling body. Past it the
connection closes with "transport error", ``status().last_error`` says what the server
sent and what the limit is, and the client reconnects (the scripted server behaves on its
next session). A polling body of very many small packets is dispatched in slices, so the
event loop keeps running other tasks meanwhile.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from sio_notebook import Client
from sio_notebook.aio import AsyncClient

from .scripted_server import ScriptedServer, Session
from .test_hostile_server import Seen

pytestmark = pytest.mark.timeout(90)

LIMIT = 1_000_000


def _options(**extra: object) -> dict:
    return {"reconnection_delay": 0.02, "reconnection_delay_max": 0.05, "request_timeout": 3, **extra}


def _oversized_script(size: int, transport: str):
    async def script(session: Session) -> None:
        await session.accept()
        if session.index == 0:
            await session.expect('2["ready"]')
            await session.send('42["small","' + "s" * 1000 + '"]')
            big = '42["big","' + "x" * size + '"]'
            if transport == "polling":
                await session.send_body(big)
            else:
                await session.send(big)
        else:
            await session.send('42["hello",2]')

    return script


@pytest.fixture
def scripted():
    servers: list[ScriptedServer] = []

    def start(script) -> ScriptedServer:
        server = ScriptedServer(script).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _client(seen: Seen, **options: object) -> AsyncClient:
    client = AsyncClient(**_options(**options))
    client.on("disconnect", lambda reason: seen.add("disconnect", reason))
    client.on_any(lambda ns, event, args: seen.add("event", event, len(args[0]) if args and isinstance(args[0], str) else None))
    return client


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_inbound_larger_than_max_inbound_size_is_refused(scripted, transport):
    server = scripted(_oversized_script(2 * LIMIT, transport))
    seen = Seen()
    client = _client(seen, max_inbound_size=LIMIT)
    try:
        await client.connect(server.url, transports=[transport])
        await client.emit("ready")
        await seen.until(lambda: ("event", "hello", None) in seen.log, what="the second session")
        assert seen.of("event")[0] == ("small", 1000)
        assert ("event", "big", 2 * LIMIT) not in seen.log
        assert seen.of("disconnect") == [("transport error",)]
        error = client.status().last_error or ""
        what = "polling body" if transport == "polling" else "WebSocket message"
        assert f"the server sent a {what} of" in error and f"more than max_inbound_size ({LIMIT} bytes)" in error, error
        print(f"\n[inbound {transport}] last_error: {error}")
    finally:
        await client.disconnect()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_default_inbound_limit_refuses_a_20_mb_message(scripted, transport):
    """Before: max_msg_size=0 and whole-body reads accepted anything (100 MB: 346 MB peak)."""
    server = scripted(_oversized_script(20_000_000, transport))
    seen = Seen()
    client = _client(seen)
    assert client.max_inbound_size == 16 * 1024 * 1024
    try:
        await client.connect(server.url, transports=[transport])
        await client.emit("ready")
        await seen.until(lambda: ("event", "hello", None) in seen.log, what="the second session")
        assert ("event", "big", 20_000_000) not in seen.log
        assert seen.of("disconnect") == [("transport error",)]
        assert "max_inbound_size" in (client.status().last_error or "")
    finally:
        await client.disconnect()


async def test_inbound_under_the_limit_is_delivered_whole(scripted):
    server = scripted(_oversized_script(LIMIT - 100, "websocket"))
    seen = Seen()
    client = _client(seen, max_inbound_size=LIMIT)
    try:
        await client.connect(server.url, transports=["websocket"])
        await client.emit("ready")
        await seen.until(lambda: ("event", "big", LIMIT - 100) in seen.log, what="the big event")
        assert seen.of("disconnect") == []
    finally:
        await client.disconnect()


def test_bad_max_inbound_size_is_refused_up_front():
    for bad in (0, -1, 1.5, "1MB"):
        with pytest.raises(ValueError, match="max_inbound_size"):
            AsyncClient(max_inbound_size=bad)  # type: ignore[arg-type]
    assert AsyncClient(max_inbound_size=None).max_inbound_size is None


PACKETS = 200_000


async def test_a_huge_polling_batch_does_not_freeze_the_loop(scripted):
    """10^5+ packets in one body are dispatched in slices: other tasks keep running."""

    async def script(session: Session) -> None:
        await session.accept()
        await session.expect('2["ready"]')
        await session.send_body("\x1e".join(['42["n",1]'] * PACKETS + ['42["last"]']))

    server = scripted(script)
    client = AsyncClient(**_options(max_inbound_size=None))
    counted = [0]
    last = asyncio.Event()
    client.on("n", lambda _: counted.__setitem__(0, counted[0] + 1))
    client.on("last", lambda: last.set())
    gaps: list[float] = []

    async def ticker() -> None:
        previous = time.monotonic()
        while not last.is_set():
            await asyncio.sleep(0.001)
            now = time.monotonic()
            gaps.append(now - previous)
            previous = now

    try:
        await client.connect(server.url, transports=["polling"])
        tick = asyncio.ensure_future(ticker())
        await client.emit("ready")
        await asyncio.wait_for(last.wait(), 60)
        await tick
        assert counted[0] == PACKETS
        worst = max(gaps)
        print(f"\n[huge batch] {PACKETS} packets, longest loop stall {worst * 1000:.0f} ms over {len(gaps)} ticks")
        assert worst < 0.25, f"the loop stalled for {worst:.2f} s"
    finally:
        await client.disconnect()


def test_thread_client_inbound_larger_than_max_inbound_size_is_refused(scripted):
    server = scripted(_oversized_script(2 * LIMIT, "websocket"))
    reasons: list[str] = []
    hello = threading.Event()
    client = Client(**_options(max_inbound_size=LIMIT))
    client.on("disconnect", reasons.append)
    client.on("hello", lambda _: hello.set())
    try:
        client.connect(server.url, transports=["websocket"])
        client.emit("ready")
        assert hello.wait(20), "no second session"
        assert reasons == ["transport error"]
        assert "more than max_inbound_size" in (client.status().last_error or "")
    finally:
        client.disconnect()
