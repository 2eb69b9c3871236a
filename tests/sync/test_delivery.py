"""The delivery features of tests/aio/test_delivery.py through the thread Client (same names).

Callbacks, listeners and lifecycle handlers run on the client's handler thread; the
tests wait on a thread-safe recorder, never on sleeps.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from sio_notebook.exceptions import BadNamespaceError, BufferFullError, ConnectionError

from .helpers import Events, bounded

FAST = {"reconnection_delay": 0.05, "reconnection_delay_max": 0.2}


def _pattern(n: int) -> bytes:
    return bytes(range(256)) * (n // 256) + bytes(range(n % 256))


def test_recovery_replays_missed_events_and_strips_offsets(node_recovery_server, make_client):
    sio = make_client()
    ev = Events()
    sio.on("connect", lambda: ev.add("connect"))
    sio.on("later", ev.handler("later"))
    sio.on("tick", ev.handler("tick"))
    sio.connect(node_recovery_server.url, transports=["websocket"])
    sio.emit("flood", {"count": 3})
    ev.until(lambda: ev.count("tick") == 3)
    assert ev.of("tick") == [({"i": 0},), ({"i": 1},), ({"i": 2},)]
    first_id = sio.call("get-id")
    sio.emit("broadcast-later", {"delay": 150, "event": "later", "count": 5})
    sio.emit("kill-transport")
    ev.until(lambda: ev.count("connect") == 2, what="the reconnection")
    ev.until(lambda: ev.count("later") == 5, what="the missed events")
    assert ev.of("later") == [({"i": i},) for i in range(5)]
    assert sio.recovered()
    assert sio.call("get-recovered") is True
    assert sio.call("get-id") == first_id


def test_emits_while_reconnecting_are_buffered_and_acked_after(server, make_client):
    sio = make_client(**FAST)
    ev = Events()
    sio.on("disconnect", ev.handler("disconnect"))
    sio.connect(server.url, transports=["websocket"])
    sio.emit("kill-transport")
    ev.first("disconnect")
    sio.emit("echo", "while away", callback=ev.handler("ack"))
    ev.first("ack")
    assert ev.of("ack") == [("while away",)]
    assert sio.status().queued == 0


def test_buffer_limit_error_and_drop_policies(node_server, make_client):
    strict = make_client(max_buffered_emits=2, **FAST)
    ev = Events()
    strict.on("disconnect", ev.handler("disconnect"))
    strict.connect(node_server.url, transports=["websocket"])
    strict.emit("kill-transport")
    ev.first("disconnect")
    # The reconnection is fast: fill the buffer only while it is still reconnecting.
    if strict.state == "reconnecting":
        try:
            for _ in range(3):
                strict.emit("inc")
        except BufferFullError as exc:
            assert "max_buffered_emits=2" in str(exc)
        else:
            assert strict.state == "connected"  # it reconnected before the third emit


def test_buffering_can_be_turned_off(node_server, make_client):
    sio = make_client(buffer_emits=False, reconnection_delay=2, reconnection_delay_max=2)
    ev = Events()
    sio.on("disconnect", ev.handler("disconnect"))
    sio.connect(node_server.url, transports=["websocket"])
    sio.emit("kill-transport")
    ev.first("disconnect")
    with pytest.raises(BadNamespaceError):
        sio.emit("inc")


def test_error_first_callbacks_with_timeout(node_server, make_client):
    sio = make_client()
    ev = Events()
    sio.connect(node_server.url)
    sio.emit("echo", (1, "two"), callback=lambda err, *args: ev.add("timely", err, *args), timeout=5)
    assert ev.first("timely") == (None, 1, "two")
    sio.emit("echo", "late", callback=lambda err, *args: ev.add("late", err, *args), timeout=0.000001)
    err, *rest = ev.first("late")
    assert isinstance(err, TimeoutError) and "timed out" in str(err) and rest == []


def test_ack_timeout_default_makes_callbacks_error_first(node_server, make_client):
    sio = make_client(ack_timeout=5)
    ev = Events()
    sio.connect(node_server.url)
    sio.emit("echo", "x", callback=lambda *args: ev.add("cb", *args))
    assert ev.first("cb") == (None, "x")


def test_retries_keep_order(server, transports, make_client):
    sio = make_client(ack_timeout=2, retries=3)
    ev = Events()
    sent: list[Any] = []
    sio.on_any_outgoing(lambda ns, event, args: sent.append((event, args)))
    sio.connect(server.url, transports=transports)
    for i in range(20):
        sio.emit("echo", i, callback=lambda err, *args: ev.add("ack", err, *args))
    ev.until(lambda: ev.count("ack") == 20)
    assert ev.of("ack") == [(None, i) for i in range(20)]
    assert [args for event, args in sent if event == "echo"] == [(i,) for i in range(20)]


def test_volatile_emits_are_dropped_while_disconnected(node_server, make_client):
    sio = make_client(reconnection_delay=0.5, reconnection_delay_max=0.5, randomization_factor=0)
    ev = Events()
    sio.on("disconnect", ev.handler("disconnect"))
    sio.on("connect", lambda: ev.add("connect"))
    sio.connect(node_server.url, transports=["websocket"])
    sio.call("reset-count")  # acked: nothing left queued, so the volatile emit is not dropped
    sio.emit("inc", volatile=True)
    assert sio.call("get-count") == 1
    sio.emit("kill-transport")
    ev.first("disconnect")
    sio.emit("inc", volatile=True)  # dropped: not buffered
    sio.emit("inc")  # buffered
    ev.nth("connect", 2)
    assert sio.call("get-count") == 1


def test_catch_all_listeners_incoming_and_outgoing(node_server, make_client):
    sio = make_client(**FAST)
    incoming: list[Any] = []
    outgoing: list[Any] = []
    threads: set[str] = set()
    ev = Events()

    def on_any(ns: str, event: str, args: tuple[Any, ...]) -> None:
        threads.add(threading.current_thread().name)
        incoming.append((ns, event, args))

    sio.on_any(on_any)
    sio.on_any_outgoing(lambda ns, event, args: outgoing.append((ns, event, args)))
    sio.on("message-back", ev.handler("back"))
    sio.connect(node_server.url, namespaces=["/", "/custom"])
    sio.emit("message", (b"\x01\x02", {"k": [b"\x03"]}))
    ev.first("back")
    assert ("/", "message-back", (b"\x01\x02", {"k": [b"\x03"]})) in incoming
    assert ("/custom", "auth", ({},)) in incoming
    assert ("/", "message", (b"\x01\x02", {"k": [b"\x03"]})) in outgoing
    assert threads == {"sio-notebook-handlers"}  # listeners run on the handler thread, not the loop


def test_lifecycle_events(peer_kind, server_factory, make_client):
    handle = server_factory(peer_kind, ping_interval=2000, ping_timeout=2000)
    sio = make_client(reconnection_attempts=2, **FAST)
    ev = Events()
    for name in ("reconnect_attempt", "reconnect", "reconnect_error", "reconnect_failed"):
        sio.on_lifecycle(name, ev.handler(name))
    sio.connect(handle.url, transports=["websocket"])
    sio.emit("kill-transport")
    ev.first("reconnect")
    assert ev.of("reconnect_attempt")[0] == (1,) and ev.of("reconnect")[0] == (1,)
    handle.stop()
    ev.first("reconnect_failed", timeout=30)
    assert ev.count("reconnect_error") == 2
    bounded(sio.wait)
    assert sio.state == "disconnected"


def test_try_all_transports_falls_back_to_polling(server_factory, make_client):
    handle = server_factory("node", transports=["polling"])
    with pytest.raises(ConnectionError):
        make_client().connect(handle.url, transports=["websocket", "polling"])
    sio = make_client(try_all_transports=True)
    sio.connect(handle.url, transports=["websocket", "polling"])
    assert sio.transport() == "polling"
    assert sio.call("echo", "over polling") == "over polling"


@pytest.mark.parametrize("transports", [["websocket"], ["polling"]], ids=["websocket", "polling"])
def test_msgpack_parser_against_node(server_factory, make_client, transports):
    handle = server_factory("node", parser="msgpack")
    sio = make_client(serializer="msgpack")
    ev = Events()
    sio.on("auth", ev.handler("auth"))
    sio.on("tick", ev.handler("tick"))
    sio.connect(handle.url, auth={"token": "m"}, transports=transports, namespaces=["/", "/custom"])
    assert ev.first("auth") == ({"token": "m"},)
    blob = _pattern(1000)
    assert sio.call("echo", ("x", blob, {"n": [1.5, None, True]})) == ("x", blob, {"n": [1.5, None, True]})
    assert sio.call("bin-big", {"size": 3000}) == _pattern(3000)
    sio.emit("flood", {"count": 500})
    ev.until(lambda: ev.count("tick") == 500)
    assert [args[0]["i"] for args in ev.of("tick")] == list(range(500))
