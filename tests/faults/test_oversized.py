"""Fault 4: an emit larger than the server's maxHttpBufferSize (1000 bytes here).

Over polling the Node server answers the POST with HTTP 413; over websocket it closes the
socket with code 1009 (§1.7). Either way the client must say so (``status().last_error``
names the 413 / 1009 and "too big/larger"), report a transport-level disconnect reason,
reconnect by itself, and work normally afterwards (small emits and calls). The server's
limit also applies to what it *receives* only, so a large reply from the server is fine.
"""

from __future__ import annotations

import pytest

from sio_notebook import Client
from sio_notebook.aio import AsyncClient

from .helpers import Recorder

LIMIT = 1000

pytestmark = pytest.mark.timeout(60)

EXPECTED = {
    "polling": ("413", "larger than its maxHttpBufferSize"),
    "websocket": ("1009", "too big"),
}


@pytest.fixture(scope="module")
def small_server():
    from peers.launcher import start_server

    handle = start_server("node", ping_interval=2000, ping_timeout=2000, max_http_buffer_size=LIMIT)
    yield handle
    handle.stop()


@pytest.mark.parametrize("transport", ["polling", "websocket"])
async def test_async_oversized_emit(small_server, transport):
    rec = Recorder()
    client = AsyncClient(reconnection_delay=0.05, reconnection_delay_max=0.2)
    client.on("connect", rec.handler("connect"))
    client.on("disconnect", rec.handler("disconnect"))
    try:
        await client.connect(small_server.url, transports=[transport])
        await rec.until(lambda: rec.count("connect") == 1)
        assert await client.call("echo", "small", timeout=5) == "small"

        await client.emit("echo", "x" * (LIMIT * 5))
        await rec.until(lambda: rec.count("disconnect") == 1, what="the server to refuse the payload")
        status = client.status()
        code, words = EXPECTED[transport]
        assert rec.of("disconnect")[0] == ("transport error",)
        assert status.disconnect_reason == "transport error"
        assert status.last_error is not None and code in status.last_error and words in status.last_error, status
        print(f"\n[oversized {transport}] disconnect reason 'transport error', last_error: {status.last_error}")

        await rec.until(lambda: rec.count("connect") == 2, what="the reconnect")
        assert client.connected and client.transport() == transport
        assert await client.call("echo", "small again", timeout=5) == "small again"
        # Small emits in a burst: over polling they must be split into POSTs under the limit.
        await client.call("reset-count", timeout=5)
        for _ in range(200):
            await client.emit("inc")
        assert await client.call("get-count", timeout=5) == 200
        # What the server sends is not limited: a reply bigger than the limit arrives whole.
        assert await client.call("big", {"size": LIMIT * 20}, timeout=5) == "x" * (LIMIT * 20)
        assert rec.count("disconnect") == 1
    finally:
        await client.disconnect()


def test_thread_client_oversized_emit(small_server):
    rec = Recorder()
    client = Client(reconnection_delay=0.05, reconnection_delay_max=0.2)
    client.on("connect", rec.handler("connect"))
    client.on("disconnect", rec.handler("disconnect"))
    try:
        client.connect(small_server.url, transports=["polling"])
        rec.wait_sync(lambda: rec.count("connect") == 1)
        client.emit("echo", b"\x00" * (LIMIT * 5))  # binary: base64 in the POST body
        rec.wait_sync(lambda: rec.count("disconnect") == 1)
        assert rec.of("disconnect")[0] == ("transport error",)
        assert "413" in (client.status().last_error or "")
        rec.wait_sync(lambda: rec.count("connect") == 2)
        assert client.call("echo", "ok", timeout=5) == "ok"
    finally:
        client.disconnect()
