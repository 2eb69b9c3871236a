"""AsyncClient in Pyodide, over the browser's WebSocket and fetch, against the real Node server.

Run by scripts/test-pyodide (tests/pyodide/run.mjs starts tests/peers/node/server.js on the
Node side and exposes it as ``js.sioPeer``). Nothing here chooses the transports: the client
picks the browser's because ``sys.platform == "emscripten"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import warnings
from collections.abc import Callable
from typing import Any

import js
import pytest

import sio_notebook as socketio
from sio_notebook.aio.transports import default_opener
from sio_notebook.aio.transports.browser import BROWSER_TRANSPORTS
from sio_notebook.exceptions import DisconnectedError, IgnoredOptionWarning, UnsupportedPlatformError

MODES = {"websocket": ["websocket"], "polling": ["polling"], "upgrade": ["polling", "websocket"]}


class Changes:
    """Wakes a waiter whenever a handler or the client's status reports something."""

    def __init__(self, client: socketio.AsyncClient) -> None:
        self.event = asyncio.Event()
        client.add_status_listener(self.event.set)

    def poke(self, *_: Any) -> None:
        self.event.set()

    async def until(self, predicate: Callable[[], bool], what: str, timeout: float = 20) -> None:
        async def wait() -> None:
            while not predicate():
                self.event.clear()
                # The status listener does not report every change (an upgrade): re-check.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.event.wait(), 0.05)

        try:
            await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None


def url() -> str:
    return str(js.sioPeer.url)


async def connect(mode: str, **options: Any) -> tuple[socketio.AsyncClient, Changes]:
    client = socketio.AsyncClient(reconnection_delay=0.1, reconnection_delay_max=0.5, **options)
    changes = Changes(client)
    await client.connect(url(), transports=MODES[mode])
    want = "polling" if mode == "polling" else "websocket"
    await changes.until(lambda: client.transport() == want, f"transport {want}")
    return client, changes


def test_the_platform_is_the_browser() -> None:
    assert sys.platform == "emscripten"
    assert default_opener() is BROWSER_TRANSPORTS
    assert "aiohttp" not in sys.modules  # never imported: the browser has no sockets for it


@pytest.mark.parametrize("mode", MODES)
async def test_emit_ack_and_binary_both_ways(mode: str) -> None:
    client, _ = await connect(mode)
    try:
        assert await client.call("echo", {"text": "héllo 😀", "n": 1}) == {"text": "héllo 😀", "n": 1}
        blob = bytes(range(256)) * 8
        assert await client.call("echo", {"blob": blob, "list": [b"\x00", b"\xff"]}) == {
            "blob": blob, "list": [b"\x00", b"\xff"],
        }
        received = await client.call("bin-big", {"size": 1000})
        assert isinstance(received, bytes) and len(received) == 1000
        assert await client.call("utf8") == "てすと€😀"
    finally:
        await client.disconnect()


@pytest.mark.parametrize("mode", MODES)
async def test_ten_thousand_events_in_order(mode: str) -> None:
    client, changes = await connect(mode)
    seen: list[int] = []
    done = asyncio.Event()
    client.on("tick", lambda data: seen.append(data["i"]))
    client.on("flood-done", lambda *_: done.set())
    try:
        await client.emit("flood", {"count": 10_000})
        await asyncio.wait_for(done.wait(), 60)
        assert seen == list(range(10_000))
    finally:
        await client.disconnect()


@pytest.mark.parametrize("mode", MODES)
async def test_reconnects_after_the_server_restarts(mode: str) -> None:
    client, changes = await connect(mode)
    connects: list[str] = []
    client.on("connect", lambda: connects.append(client.sid or ""))
    client.on("disconnect", changes.poke)
    try:
        first = client.sid
        await js.sioPeer.restart()
        await changes.until(lambda: bool(connects) and client.connected, "the reconnection")
        assert client.sid != first
        assert await client.call("echo", "after") == "after"
    finally:
        await client.disconnect()
    assert not client.connected and client.status().state == "disconnected"


@pytest.mark.parametrize("mode", MODES)
async def test_disconnect_by_the_client_and_by_the_server(mode: str) -> None:
    client, changes = await connect(mode)
    reasons: list[Any] = []
    client.on("disconnect", lambda reason: (reasons.append(reason), changes.poke()))
    await client.disconnect()
    assert reasons == [socketio.AsyncClient.reason.CLIENT_DISCONNECT] and not client.connected
    client, changes = await connect(mode, reconnection=False)
    client.on("disconnect", lambda reason: (reasons.append(reason), changes.poke()))
    await client.emit("server-disconnect")
    await changes.until(lambda: len(reasons) == 2, "the server's disconnect")
    assert reasons[1] == socketio.AsyncClient.reason.SERVER_DISCONNECT
    await client.wait()


@pytest.mark.parametrize("mode", ["websocket", "polling"])
async def test_inbound_larger_than_max_inbound_size_is_refused(mode: str) -> None:
    client, changes = await connect(mode, max_inbound_size=10_000, reconnection=False)
    reasons: list[Any] = []
    client.on("disconnect", lambda reason: (reasons.append(reason), changes.poke()))
    assert await client.call("big", {"size": 5_000}) == "x" * 5_000
    with pytest.raises(DisconnectedError):  # its ack is the oversized message: never delivered
        await client.call("big", {"size": 50_000}, timeout=20)
    await changes.until(lambda: bool(reasons), "the disconnect")
    assert reasons == ["transport error"]
    what = "polling body" if mode == "polling" else "WebSocket message"
    error = client.status().last_error or ""
    assert f"the server sent a {what} of" in error and "more than max_inbound_size (10000 bytes)" in error, error
    await client.disconnect()


async def test_a_dead_server_is_a_clear_connection_error() -> None:
    client = socketio.AsyncClient(reconnection=False)
    for transports in (["websocket"], ["polling"]):
        with pytest.raises(socketio.exceptions.ConnectionError, match="127.0.0.1:9"):
            await client.connect("http://127.0.0.1:9", transports=transports, wait_timeout=5)


async def test_browser_options_warn_once_and_do_nothing() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            client = socketio.AsyncClient(ssl_verify=False, proxies={"http": "http://proxy:3128"})
            await client.connect(url(), headers={"X-Token": "t"}, transports=["polling", "websocket"])
            assert await client.call("echo", 1) == 1
            await client.disconnect()
    ignored = sorted(str(w.message).split(" ", 1)[0] for w in caught if issubclass(w.category, IgnoredOptionWarning))
    assert ignored == ["headers", "proxies", "ssl_verify"]


def test_the_thread_client_says_it_cannot_run_here() -> None:
    with pytest.raises(UnsupportedPlatformError, match="cannot run in a browser.*AsyncClient"):
        socketio.Client()
