"""Delivery features beyond python-socketio, against the real Node server (issue: nothing lost).

Connection state recovery with missed events, the offline buffer and its limits,
error-first callbacks with timeouts, retries, volatile emits, incoming and outgoing
catch-all listeners, lifecycle events, transport fallback and the msgpack parser.
Ported from the JS client's socket.ts / retry.ts / connection-state-recovery.ts
scenarios where they apply (docs/protocol.md §4).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sio_notebook.exceptions import BadNamespaceError, BufferFullError, ConnectionError, DisconnectedError

from .helpers import Events, pattern

FAST = {"reconnection_delay": 0.05, "reconnection_delay_max": 0.2}


async def test_recovery_replays_missed_events_and_strips_offsets(node_recovery_server, make_client):
    """connection-state-recovery.ts: same id, recovered, missed events delivered once, in order."""
    sio = make_client()
    ev = Events()
    sio.on("connect", lambda: ev.add("connect"))
    sio.on("later", ev.handler("later"))
    sio.on("tick", ev.handler("tick"))
    await sio.connect(node_recovery_server.url, transports=["websocket"])
    await sio.emit("flood", {"count": 3})  # events carrying offsets: the recovery needs one
    await ev.until(lambda: ev.count("tick") == 3)
    assert ev.of("tick") == [({"i": 0},), ({"i": 1},), ({"i": 2},)]  # the offset argument is stripped
    first_id = await sio.call("get-id")
    # The server broadcasts while we are away; recovery must replay it.
    await sio.emit("broadcast-later", {"delay": 150, "event": "later", "count": 5})
    await sio.emit("kill-transport")
    await ev.until(lambda: ev.count("connect") == 2, what="the reconnection")
    await ev.until(lambda: ev.count("later") == 5, what="the missed events")
    assert ev.of("later") == [({"i": i},) for i in range(5)]
    assert sio.recovered()
    assert await sio.call("get-recovered") is True
    assert await sio.call("get-id") == first_id


async def test_emits_while_reconnecting_are_buffered_and_acked_after(server, make_client):
    """socket.ts 'should not discard an unsent ack': a callback whose emit was buffered fires after the reconnect."""
    sio = make_client(**FAST)
    ev = Events()
    sio.on("disconnect", ev.handler("disconnect"))
    sio.on("connect", lambda: ev.add("connect"))
    await sio.connect(server.url, transports=["websocket"])
    await sio.emit("kill-transport")
    await ev.first("disconnect")
    assert sio.state == "reconnecting"
    await sio.emit("echo", "while away", callback=ev.handler("ack"))
    assert sio.status().queued == 1
    await ev.first("ack")
    assert ev.of("ack") == [("while away",)]
    assert sio.status().queued == 0


async def test_buffer_limit_error_and_drop_policies(node_server, make_client):
    strict = make_client(max_buffered_emits=2, **FAST)
    ev = Events()
    strict.on("disconnect", ev.handler("disconnect"))
    await strict.connect(node_server.url, transports=["websocket"])
    await strict.emit("kill-transport")
    await ev.first("disconnect")
    await strict.emit("inc")
    await strict.emit("inc")
    with pytest.raises(BufferFullError, match="max_buffered_emits=2"):
        await strict.emit("inc")

    dropping = make_client(max_buffered_emits=1, buffer_overflow="drop_oldest", **FAST)
    ev2 = Events()
    dropping.on("disconnect", ev2.handler("disconnect"))
    dropping.on("connect", lambda: ev2.add("connect"))
    await dropping.connect(node_server.url, transports=["websocket"])
    await dropping.emit("kill-transport")
    await ev2.first("disconnect")
    first = asyncio.ensure_future(dropping.call("echo", "dropped"))
    await asyncio.sleep(0)  # let call() queue its emit
    await dropping.emit("echo", "kept", callback=ev2.handler("kept"))
    with pytest.raises(DisconnectedError, match="buffer is full"):
        await first  # never hangs: a dropped emit's ack fails at once
    await ev2.first("kept")
    assert ev2.of("kept") == [("kept",)]


async def test_buffering_can_be_turned_off(node_server, make_client):
    sio = make_client(buffer_emits=False, **FAST)
    ev = Events()
    sio.on("disconnect", ev.handler("disconnect"))
    await sio.connect(node_server.url, transports=["websocket"])
    await sio.emit("kill-transport")
    await ev.first("disconnect")
    with pytest.raises(BadNamespaceError):
        await sio.emit("inc")


async def test_error_first_callbacks_with_timeout(node_server, make_client):
    """socket.ts timeout(): timely ack -> (None, *args); no ack in time -> a TimeoutError."""
    sio = make_client()
    ev = Events()
    await sio.connect(node_server.url)
    await sio.emit("echo", (1, "two"), callback=lambda err, *args: ev.add("timely", err, *args), timeout=5)
    await ev.first("timely")
    assert ev.of("timely") == [(None, 1, "two")]
    # A one-microsecond timeout cannot be met by any round trip.
    await sio.emit("echo", "late", callback=lambda err, *args: ev.add("late", err, *args), timeout=0.000001)
    await ev.first("late")
    (err, *rest), = ev.of("late")
    assert isinstance(err, TimeoutError) and "timed out" in str(err) and rest == []


async def test_ack_timeout_default_makes_callbacks_error_first(node_server, make_client):
    sio = make_client(ack_timeout=5)
    ev = Events()
    await sio.connect(node_server.url)
    await sio.emit("echo", "x", callback=lambda *args: ev.add("cb", *args))
    assert await ev.first("cb") == (None, "x")


async def test_retries_keep_order(server, transports, make_client):
    """retry.ts: one packet in flight at a time, order kept, every callback gets (None, value)."""
    sio = make_client(ack_timeout=2, retries=3)
    ev = Events()
    sent: list[Any] = []
    sio.on_any_outgoing(lambda ns, event, args: sent.append((event, args)))
    await sio.connect(server.url, transports=transports)
    for i in range(20):
        await sio.emit("echo", i, callback=lambda err, *args: ev.add("ack", err, *args))
    await ev.until(lambda: ev.count("ack") == 20)
    assert ev.of("ack") == [(None, i) for i in range(20)]
    assert [args for event, args in sent if event == "echo"] == [(i,) for i in range(20)]


async def test_volatile_emits_are_dropped_while_disconnected(node_server, make_client):
    """socket.ts volatile: dropped when disconnected, sent when connected."""
    sio = make_client(**FAST)
    ev = Events()
    sio.on("disconnect", ev.handler("disconnect"))
    sio.on("connect", lambda: ev.add("connect"))
    await sio.connect(node_server.url, transports=["websocket"])
    await sio.call("reset-count")  # acked: the transport is writable again (an emit would
    await sio.emit("inc", volatile=True)  # still be queued, and JS drops volatile packets then)
    assert await sio.call("get-count") == 1
    await sio.emit("kill-transport")
    await ev.first("disconnect")
    await sio.emit("inc", volatile=True)  # dropped: not buffered
    await sio.emit("inc")  # buffered
    await ev.nth("connect", 2)
    assert await sio.call("get-count") == 1  # a new socket: only the buffered one counted
    assert sio.status().queued == 0


async def test_catch_all_listeners_incoming_and_outgoing(node_server, make_client):
    """socket.ts onAny / onAnyOutgoing, including binary and buffered packets."""
    sio = make_client(**FAST)
    incoming: list[Any] = []
    outgoing: list[Any] = []
    order: list[str] = []
    sio.on_any(lambda ns, event, args: (incoming.append((ns, event, args)), order.append("any")))
    sio.on_any_outgoing(lambda ns, event, args: outgoing.append((ns, event, args)))
    ev = Events()
    sio.on("message-back", lambda *args: (order.append("handler"), ev.add("back", *args)))
    await sio.connect(node_server.url, namespaces=["/", "/custom"])
    await sio.emit("message", (b"\x01\x02", {"k": [b"\x03"]}))
    await ev.first("back")
    assert ("/", "message-back", (b"\x01\x02", {"k": [b"\x03"]})) in incoming
    assert ("/custom", "auth", ({},)) in incoming  # every namespace, every event
    assert order[-2:] == ["any", "handler"]  # listeners run before the handler
    assert ("/", "message", (b"\x01\x02", {"k": [b"\x03"]})) in outgoing
    sio.off_any()
    sio.off_any_outgoing()
    await sio.emit("message", 2)
    await ev.nth("back", 2)
    assert not any(args == (2,) for _, _, args in incoming + outgoing)


async def test_lifecycle_events(peer_kind, server_factory, make_client):
    """Manager events: reconnect_attempt(n), reconnect(n); reconnect_error and reconnect_failed."""
    handle = server_factory(peer_kind, ping_interval=2000, ping_timeout=2000)
    sio = make_client(reconnection_attempts=2, **FAST)
    ev = Events()
    for name in ("reconnect_attempt", "reconnect", "reconnect_error", "reconnect_failed"):
        sio.on_lifecycle(name, ev.handler(name))
    with pytest.raises(ValueError, match="unknown lifecycle event"):
        sio.on_lifecycle("reconect")
    await sio.connect(handle.url, transports=["websocket"])
    await sio.emit("kill-transport")
    await ev.first("reconnect")
    assert ev.of("reconnect_attempt")[0] == (1,) and ev.of("reconnect")[0] == (1,)
    handle.stop()  # now every attempt fails
    await ev.first("reconnect_failed", timeout=30)
    assert ev.count("reconnect_error") == 2
    assert isinstance(ev.of("reconnect_error")[0][0], ConnectionError)
    await asyncio.wait_for(sio.wait(), 10)
    assert sio.state == "disconnected"


async def test_try_all_transports_falls_back_to_polling(server_factory, make_client):
    """tryAllTransports: a server that refuses websocket is reached over polling."""
    handle = server_factory("node", transports=["polling"])
    strict = make_client()
    with pytest.raises(ConnectionError, match="cannot open a WebSocket|not a Socket.IO server|HTTP 400"):
        await strict.connect(handle.url, transports=["websocket", "polling"])
    sio = make_client(try_all_transports=True)
    await sio.connect(handle.url, transports=["websocket", "polling"])
    assert sio.transport() == "polling"
    assert await sio.call("echo", "over polling") == "over polling"


@pytest.mark.parametrize("transports", [["websocket"], ["polling"]], ids=["websocket", "polling"])
async def test_msgpack_parser_against_node(server_factory, make_client, transports):
    """socket.io-msgpack-parser: every packet one binary message; bytes stay inline."""
    handle = server_factory("node", parser="msgpack")
    sio = make_client(serializer="msgpack")
    ev = Events()
    sio.on("auth", ev.handler("auth"))
    sio.on("tick", ev.handler("tick"))
    await sio.connect(handle.url, auth={"token": "m"}, transports=transports, namespaces=["/", "/custom"])
    assert await ev.first("auth") == ({"token": "m"},)
    blob = pattern(1000)
    assert await sio.call("echo", ("x", blob, {"n": [1.5, None, True]})) == ("x", blob, {"n": [1.5, None, True]})
    assert await sio.call("echo", "ünïcode €", namespace="/custom") == "ünïcode €"
    assert await sio.call("bin-big", {"size": 3000}) == pattern(3000)
    await sio.emit("flood", {"count": 500})
    await ev.until(lambda: ev.count("tick") == 500)
    assert [args[0]["i"] for args in ev.of("tick")] == list(range(500))
