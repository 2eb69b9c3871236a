"""Fault 1: the Node server is killed with SIGKILL in the middle of a flood and restarted on the same port.

The client must notice (one ``disconnect``), keep the emits made while the server is gone
(they are buffered), reconnect by itself (one more ``connect``) and deliver the buffered
emits to the new server process: its per-connection counter (``inc``/``get-count``) must
equal the number of emits made while the server was down.
"""

from __future__ import annotations

import asyncio

import pytest

from sio_notebook import Client
from sio_notebook.aio import AsyncClient

from .helpers import Recorder

FLOOD = 20_000  # ticks asked for; the kill comes long before the last one
BUFFERED = 25  # emits made while the server is down

pytestmark = pytest.mark.timeout(90)


def _client_options() -> dict:
    return {"reconnection_delay": 0.05, "reconnection_delay_max": 0.2, "request_timeout": 2}


@pytest.mark.parametrize("transports", [["websocket"], ["polling"]], ids=["websocket", "polling"])
async def test_async_client_survives_kill_and_restart(server_factory, transports):
    server = server_factory("node", ping_interval=2000, ping_timeout=2000)
    rec = Recorder()
    client = AsyncClient(**_client_options())
    for name in ("connect", "disconnect", "tick", "flood-done"):
        client.on(name, rec.handler(name))
    try:
        await client.connect(server.url, transports=transports)
        await rec.until(lambda: rec.count("connect") == 1, what="the first connect")
        if transports == ["websocket"]:
            await client.emit("flood", {"count": FLOOD, "binary": True, "size": 64})
            await rec.until(lambda: rec.count("tick") >= 300, what="the flood to be under way")
        else:
            # Over polling the Node server writes a synchronous flood as ONE response body,
            # which the client decodes in one go: "mid-flood" can only mean "while that
            # request/response is in flight", so kill straight after asking (~13 MB body).
            await client.emit("flood", {"count": 5000, "binary": True, "size": 2048})
        await asyncio.to_thread(server.kill)
        await rec.until(lambda: rec.count("disconnect") == 1, what="the disconnect after SIGKILL")
        (reason,) = rec.of("disconnect")[0]
        assert reason in ("transport close", "transport error"), reason
        assert rec.count("flood-done") == 0, "the kill came too late: the flood was over"
        ticks = [args[0]["i"] for args in rec.of("tick")]
        assert ticks == list(range(len(ticks))), "ticks lost or reordered before the kill"
        assert all(len(args[0]["blob"]) in (64, 2048) for args in rec.of("tick"))
        assert client.state == "reconnecting"

        for _ in range(BUFFERED):
            await client.emit("inc")
        assert client.status().queued == BUFFERED

        await asyncio.to_thread(server.restart)
        await rec.until(lambda: rec.count("connect") == 2, timeout=20, what="the reconnect")
        assert await client.call("get-count", timeout=10) == BUFFERED
        assert client.status().queued == 0
        assert rec.count("connect") == 2 and rec.count("disconnect") == 1
        assert client.transport() == transports[0]
    finally:
        await client.disconnect()
    assert rec.count("disconnect") == 2  # the final, client-side one
    assert rec.of("disconnect")[-1] == ("client disconnect",)


def test_thread_client_survives_kill_and_restart(server_factory):
    server = server_factory("node", ping_interval=2000, ping_timeout=2000)
    rec = Recorder()
    client = Client(**_client_options())
    for name in ("connect", "disconnect", "tick", "flood-done"):
        client.on(name, rec.handler(name))
    try:
        client.connect(server.url, transports=["websocket"])
        rec.wait_sync(lambda: rec.count("connect") == 1, what="the first connect")
        client.emit("flood", {"count": FLOOD, "size": 64})
        rec.wait_sync(lambda: rec.count("tick") >= 300, what="the flood to be under way")

        server.kill()
        rec.wait_sync(lambda: rec.count("disconnect") == 1, what="the disconnect after SIGKILL")
        (reason,) = rec.of("disconnect")[0]
        assert reason in ("transport close", "transport error"), reason
        assert rec.count("flood-done") == 0, "the kill came too late: the flood was over"
        ticks = [args[0]["i"] for args in rec.of("tick")]
        assert ticks == list(range(len(ticks)))

        for _ in range(BUFFERED):
            client.emit("inc")
        assert client.status().queued == BUFFERED

        server.restart()
        rec.wait_sync(lambda: rec.count("connect") == 2, timeout=20, what="the reconnect")
        assert client.call("get-count", timeout=10) == BUFFERED
        assert rec.count("connect") == 2 and rec.count("disconnect") == 1
    finally:
        client.disconnect()
    assert rec.count("disconnect") == 2
