"""Fault 2: the server process is frozen (SIGSTOP) beyond pingInterval + pingTimeout.

Connections stay open but nothing is answered and no ping comes. The client must declare
"ping timeout" by itself, no later than pingInterval + pingTimeout after the last ping
(measured from the moment of the freeze, which is after that ping, so the bound holds),
then reconnect once the server is resumed (SIGCONT).
"""

from __future__ import annotations

import time

import pytest

from sio_notebook import Client
from sio_notebook.aio import AsyncClient

from .helpers import Recorder

PING_INTERVAL_MS = 300
PING_TIMEOUT_MS = 200
#: pingInterval + pingTimeout, plus scheduling slack on a loaded 2-core machine.
DEADLINE = (PING_INTERVAL_MS + PING_TIMEOUT_MS) / 1000
MARGIN = 0.25

pytestmark = pytest.mark.timeout(60)


def _client_options() -> dict:
    # request_timeout bounds a reconnection attempt that the frozen server accepted (the
    # kernel completes the TCP handshake) but never answers.
    return {"reconnection_delay": 0.05, "reconnection_delay_max": 0.3, "request_timeout": 1}


@pytest.mark.parametrize("transports", [["websocket"], ["polling"]], ids=["websocket", "polling"])
async def test_async_client_detects_frozen_server(server_factory, transports):
    server = server_factory("node", ping_interval=PING_INTERVAL_MS, ping_timeout=PING_TIMEOUT_MS)
    rec = Recorder()
    client = AsyncClient(**_client_options())
    client.on("connect", rec.handler("connect"))
    client.on("disconnect", rec.handler("disconnect"))
    client.on_lifecycle("ping", rec.handler("ping"))
    try:
        await client.connect(server.url, transports=transports)
        await rec.until(lambda: rec.count("connect") == 1)
        # Freeze right after a ping: the worst case for the detection delay.
        pings = rec.count("ping")
        await rec.until(lambda: rec.count("ping") > pings, what="a server ping")
        server.pause()
        frozen_at = time.monotonic()
        try:
            await rec.until(lambda: rec.count("disconnect") == 1, timeout=DEADLINE + 5, what="ping timeout")
            detected = rec.times("disconnect")[0] - frozen_at
            assert rec.of("disconnect")[0] == ("ping timeout",)
            assert client.status().disconnect_reason == "ping timeout"
            assert detected < DEADLINE + MARGIN, f"ping timeout declared after {detected:.3f} s"
            print(f"\n[freeze async {transports[0]}] ping timeout declared {detected * 1000:.0f} ms after SIGSTOP "
                  f"(bound {DEADLINE * 1000:.0f} ms + {MARGIN * 1000:.0f} ms margin)")
            # Still frozen: the client keeps trying and does not claim to be connected.
            assert client.state == "reconnecting"
        finally:
            server.resume()
        await rec.until(lambda: rec.count("connect") == 2, timeout=20, what="the reconnect after SIGCONT")
        assert await client.call("echo", "alive", timeout=5) == "alive"
        assert rec.count("disconnect") == 1
    finally:
        await client.disconnect()


def test_thread_client_detects_frozen_server(server_factory):
    server = server_factory("node", ping_interval=PING_INTERVAL_MS, ping_timeout=PING_TIMEOUT_MS)
    rec = Recorder()
    client = Client(**_client_options())
    client.on("connect", rec.handler("connect"))
    client.on("disconnect", rec.handler("disconnect"))
    client.on_lifecycle("ping", rec.handler("ping"))
    try:
        client.connect(server.url, transports=["websocket"])
        rec.wait_sync(lambda: rec.count("connect") == 1)
        pings = rec.count("ping")
        rec.wait_sync(lambda: rec.count("ping") > pings, what="a server ping")
        server.pause()
        frozen_at = time.monotonic()
        try:
            rec.wait_sync(lambda: rec.count("disconnect") == 1, timeout=DEADLINE + 5, what="ping timeout")
            # The handler thread records the time; the loop thread decided a little earlier.
            detected = rec.times("disconnect")[0] - frozen_at
            assert rec.of("disconnect")[0] == ("ping timeout",)
            assert detected < DEADLINE + MARGIN, f"ping timeout declared after {detected:.3f} s"
            print(f"\n[freeze thread websocket] ping timeout declared {detected * 1000:.0f} ms after SIGSTOP")
            assert client.state == "reconnecting"
        finally:
            server.resume()
        rec.wait_sync(lambda: rec.count("connect") == 2, timeout=20, what="the reconnect after SIGCONT")
        assert client.call("echo", "alive", timeout=5) == "alive"
        assert rec.count("disconnect") == 1
    finally:
        client.disconnect()


async def test_emit_while_frozen_is_buffered_not_lost(server_factory):
    """The throttled-timer check (§1.5): an emit after the deadline passed (the watchdog has
    not run yet because the loop was blocked) closes with "ping timeout" and is buffered."""
    server = server_factory("node", ping_interval=PING_INTERVAL_MS, ping_timeout=PING_TIMEOUT_MS)
    rec = Recorder()
    client = AsyncClient(**_client_options())
    client.on("connect", rec.handler("connect"))
    client.on("disconnect", rec.handler("disconnect"))
    try:
        await client.connect(server.url, transports=["websocket"])
        await rec.until(lambda: rec.count("connect") == 1)
        await client.call("reset-count")
        server.pause()
        try:
            time.sleep(DEADLINE + 0.1)  # block the loop on purpose: the watchdog cannot run
            await client.emit("inc")  # must notice the missed deadline before writing
            assert rec.count("disconnect") == 1 and rec.of("disconnect")[0] == ("ping timeout",)
            assert client.status().queued == 1
        finally:
            server.resume()
        await rec.until(lambda: rec.count("connect") == 2, timeout=20)
        # A new server-side socket (no recovery): its counter saw exactly the buffered emit.
        assert await client.call("get-count", timeout=5) == 1
    finally:
        await client.disconnect()


@pytest.mark.parametrize("transports", [["polling"], ["websocket"]], ids=["polling", "websocket"])
async def test_idle_connection_survives_heartbeats(server_factory, transports):
    """Nothing but pings for 8 intervals: no false "ping timeout".

    Regression: over polling the deadline was re-armed from the time the long-poll GET
    that carried the ping was *sent* (up to a whole pingInterval before the ping came),
    so an idle polling connection died every pingInterval + pingTimeout (45 s with the
    server defaults, 0.5 s here).
    """
    server = server_factory("node", ping_interval=PING_INTERVAL_MS, ping_timeout=PING_TIMEOUT_MS)
    rec = Recorder()
    client = AsyncClient(**_client_options())
    client.on("disconnect", rec.handler("disconnect"))
    client.on_lifecycle("ping", rec.handler("ping"))
    try:
        await client.connect(server.url, transports=transports)
        await rec.until(lambda: rec.count("ping") >= 8 or rec.count("disconnect") > 0, timeout=10, what="8 pings")
        assert rec.count("disconnect") == 0, rec.of("disconnect")
        assert client.connected
        gaps = [b - a for a, b in zip(rec.times("ping"), rec.times("ping")[1:], strict=False)]
        assert max(gaps) < DEADLINE, gaps  # the server kept its rhythm: we answered every ping
    finally:
        await client.disconnect()
