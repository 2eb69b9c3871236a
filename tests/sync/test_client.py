"""Behaviour tests of the thread ``Client`` against real servers.

The thread Client is a facade over ``AsyncClient`` on a private loop thread, with one
handler thread per client. This suite mirrors tests/aio/test_client.py test for test (same
names, same parametrization over both peers and the three transport modes) through the
blocking API, then adds what only threads can get wrong: handler order under a flood,
handlers that block in ``call()``, emits from many threads at once, background tasks and
``sleep``, and ``wait()``. ``test_names_mirror_the_asyncio_suite`` keeps the two in step.

Where the asyncio test awaits a future, this one waits on a thread (``in_thread``/``bounded``)
with a deadline; handlers record into a thread-safe ``Events`` and the test thread waits on
it. No sleeps as synchronisation, no mocks; process-exit behaviour is in test_process.py.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import concurrent.futures
import gc
import os
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aio.helpers import SHORT_HEARTBEAT, expected_transport, pattern  # tests/ is on sys.path (conftest)

from sio_notebook import Client, ClientNamespace, exceptions
from sio_notebook.sync.portal import LoopThread

from .helpers import Events, bounded, eventually, in_thread

pytestmark = pytest.mark.timeout(90)

LOST = ("transport close", "transport error")
HANDLER_THREAD = "sio-notebook-handlers"


def record_per_namespace(sio: Client, ev: Events, namespaces: list[str], *events: str) -> None:
    """Register handlers recording ``(namespace, *args)`` under each event name."""
    for ns in namespaces:
        for name in events:

            def handler(*args: Any, _ns: str = ns, _name: str = name) -> None:
                ev.add(_name, _ns, *args)

            sio.on(name, handler, namespace=ns)


def connect_upgraded(sio: Client, url: str, transports: list[str], **options: Any) -> None:
    """Connect, and in the upgrade mode wait until the connection runs on websocket."""
    sio.connect(url, transports=transports, **options)
    want = expected_transport(transports)
    eventually(lambda: sio.transport() == want, what=f"transport {want}")


def loop_tasks() -> set[asyncio.Task[Any]]:
    """The unfinished tasks on the loop thread that serves every Client."""
    portal = LoopThread.shared()
    return portal.call(lambda: {t for t in asyncio.all_tasks(portal.loop) if not t.done()})


def handler_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == HANDLER_THREAD and t.is_alive()}


def snapshot() -> tuple[set[asyncio.Task[Any]], set[threading.Thread]]:
    """What runs before a test's client exists (compare with :func:`assert_released`)."""
    return loop_tasks(), handler_threads()


def assert_released(sio: Client, before: tuple[set[asyncio.Task[Any]], set[threading.Thread]]) -> None:
    """Nothing of a disconnected client is left running or open: tasks, sessions, handler thread."""
    tasks_before, threads_before = before
    assert loop_tasks() - tasks_before == set()
    assert handler_threads() - threads_before == set()
    gc.collect()
    open_sessions = [o for o in gc.get_objects() if isinstance(o, aiohttp.ClientSession) and not o.closed]
    assert open_sessions == []
    status = sio.status()
    assert status.state == "disconnected"
    assert status.transport is None and status.sid is None and status.namespaces == ()
    assert status.queued == 0
    assert not sio.connected
    assert sio.sid is None and sio.namespaces == {} and sio.transport() is None


# --- connecting --------------------------------------------------------------------------------


def test_connect_with_auth_and_headers(server, transports, make_client):
    sio = make_client()
    ev = Events()
    for name in ("auth", "handshake", "connect"):
        sio.on(name, ev.handler(name))
    auth = {"token": "abc", "n": 1, "nested": {"ok": True}}
    sio.connect(server.url + "?room=blue&lang=fr", headers={"X-Sio-Test": "yes"}, auth=auth, transports=transports)
    assert sio.connected
    assert sio.status().state == "connected"
    assert ev.count("connect") == 1  # python-socketio: connect() returns after the connect handler
    assert ev.first("auth") == (auth,)
    (handshake,) = ev.first("handshake")
    assert handshake["auth"] == auth
    assert handshake["headers"].get("x-sio-test") == "yes"
    assert handshake["query"] == {"room": "blue", "lang": "fr"}
    assert isinstance(sio.sid, str) and sio.sid
    assert list(sio.namespaces) == ["/"]
    assert sio.get_sid() == sio.get_sid("/") == sio.namespaces["/"]
    assert sio.get_sid() != sio.sid  # Socket.IO 5: the namespace id is not the Engine.IO id
    want = expected_transport(transports)
    eventually(lambda: sio.transport() == want, what=f"transport {want}")
    assert sio.status().transport == want
    assert sio.call("get-id") == sio.get_sid()
    assert ev.count("connect") == 1  # the upgrade is not a reconnection
    assert set(ev.threads("connect") + ev.threads("auth")) == {HANDLER_THREAD}


def test_sid_matches_server_and_is_cleared_on_disconnect(server, transports, make_client):
    sio = make_client()
    sio.connect(server.url, namespaces=["/", "/custom"], transports=transports)
    ids = {ns: sio.call("get-id", namespace=ns) for ns in ("/", "/custom")}
    assert ids == sio.namespaces == {"/": sio.get_sid(), "/custom": sio.get_sid("/custom")}
    assert ids["/"] != ids["/custom"]
    sio.disconnect()
    assert sio.sid is None and sio.get_sid() is None and sio.get_sid("/custom") is None
    assert sio.namespaces == {}
    assert not sio.connected and sio.transport() is None


def test_auth_and_headers_callables_reevaluated_on_reconnect(server, transports, make_client):
    sio = make_client()
    ev = Events()
    sio.on("handshake", ev.handler("handshake"))
    sio.on("disconnect", ev.handler("disconnect"))
    calls = {"auth": 0, "headers": 0}

    def auth() -> dict[str, int]:
        calls["auth"] += 1
        return {"attempt": calls["auth"]}

    def headers() -> dict[str, str]:
        calls["headers"] += 1
        return {"X-Attempt": str(calls["headers"])}

    sio.connect(server.url, headers=headers, auth=auth, transports=transports)
    (first,) = ev.first("handshake")
    assert first["auth"] == {"attempt": 1}
    assert first["headers"]["x-attempt"] == "1"
    first_sid = sio.get_sid()
    sio.emit("kill-transport")
    (second,) = ev.nth("handshake", 2)
    assert second["auth"] == {"attempt": 2}
    assert second["headers"]["x-attempt"] == "2"
    assert sio.connected
    assert sio.get_sid() != first_sid  # socket.ts: the id changes on reconnect
    assert ev.of("disconnect")[0][0] in LOST


def test_reconnect_manually_after_disconnect(server, transports, make_client):
    sio = make_client()
    ev = Events()
    sio.on("connect", ev.handler("connect"))
    sio.on("disconnect", ev.handler("disconnect"))
    sio.connect(server.url, transports=transports)
    first_sid = sio.get_sid()
    sio.disconnect()
    assert ev.of("disconnect") == [("client disconnect",)]  # disconnect() returns after the handler
    assert sio.status().state == "disconnected"
    sio.connect(server.url, transports=transports)
    assert sio.connected
    assert ev.count("connect") == 2
    assert sio.get_sid() not in (None, first_sid)
    assert sio.call("echo", "again") == "again"


# --- emitting, calling, acks -------------------------------------------------------------------


def test_emit_and_send(server, transports, make_client):
    sio = make_client()
    ev = Events()
    sio.on("message-back", ev.handler("message-back"))
    sio.connect(server.url, transports=transports)
    sio.emit("message", "hello")
    sio.emit("message", ("a", 1, {"k": [1, 2]}))
    sio.send("via send")
    sio.emit("message")
    ev.until(lambda: ev.count("message-back") == 4, what="4 message-back")
    assert ev.of("message-back") == [("hello",), ("a", 1, {"k": [1, 2]}), ("via send",), ()]


def test_call_with_several_args_returns_tuple(server, transports, make_client):
    sio = make_client()
    sio.connect(server.url, transports=transports)
    assert sio.call("echo", (1, "two", [3], {"four": 4})) == (1, "two", [3], {"four": 4})
    assert sio.call("echo", "one") == "one"
    assert sio.call("echo", ([1, 2],)) == [1, 2]  # a list is one argument
    assert sio.call("echo") is None
    assert sio.call("message-with-ack", ("x", "y")) == ("x", "y")
    with concurrent.futures.ThreadPoolExecutor(20) as pool:  # 20 calls pending at once
        results = list(pool.map(lambda i: sio.call("echo", i, timeout=10), range(20), timeout=20))
    assert results == list(range(20))


def test_emit_with_callback(server, transports, make_client):
    sio = make_client()
    ev = Events()

    async def coroutine_callback(*args: Any) -> None:  # the thread Client awaits it on its loop
        await asyncio.sleep(0)
        ev.add("coroutine", *args)

    sio.connect(server.url, transports=transports)
    sio.emit("echo", (1, "b"), callback=ev.handler("plain"))
    sio.emit("echo", {"x": b"\x01"}, callback=coroutine_callback)
    sio.emit("echo", callback=ev.handler("empty"))
    sio.send("with ack", callback=ev.handler("send"))
    ev.until(lambda: len(ev.log) == 4, what="4 callbacks")
    assert ev.of("plain") == [(1, "b")]
    assert ev.of("coroutine") == [({"x": b"\x01"},)]
    assert ev.of("empty") == [()]
    assert ev.of("send") == [()]
    assert set(ev.threads("plain") + ev.threads("send")) == {HANDLER_THREAD}


ASK_CASES: list[tuple[Any, list[Any]]] = [
    ("value", ["plain"]),
    ("tuple", ["several", 2, None]),
    ("none", []),
    ("binary", [b"\x00\x01\xff"]),
    ("nested-binary", [{"blob": b"\x02", "list": [b"\x03", "text"]}]),
    (("args", 1, True), [1, True]),
]


def _ask_answer(mode: str, *rest: Any) -> Any:
    return {
        "value": "plain",
        "tuple": ("several", 2, None),
        "none": None,
        "binary": b"\x00\x01\xff",
        "nested-binary": {"blob": b"\x02", "list": [b"\x03", "text"]},
        "args": rest,
    }[mode]


@pytest.mark.parametrize("handler_kind", ["plain", "coroutine"])
def test_server_ack_answered_with_handler_return_value(server, transports, handler_kind, make_client):
    sio = make_client()
    ev = Events()
    sio.on("answer", ev.handler("answer"))
    sio.on("answer-error", ev.handler("answer-error"))
    if handler_kind == "plain":
        sio.on("ask", _ask_answer)
    else:

        async def ask(mode: str, *rest: Any) -> Any:
            await asyncio.sleep(0)
            return _ask_answer(mode, *rest)

        sio.on("ask", ask)
    sio.connect(server.url, transports=transports)
    for n, (data, expected) in enumerate(ASK_CASES, 1):
        sio.emit("ask", data)
        assert ev.nth("answer", n) == (expected,), data
    assert ev.count("answer-error") == 0


def test_events_are_emitted_in_order(server, transports, make_client):
    sio = make_client()
    ev = Events()
    sio.on("message-back", ev.handler("message-back"))
    sio.connect(server.url, transports=transports)
    for i in range(300):
        sio.emit("message", i)
        sio.emit("inc")
    ev.until(lambda: ev.count("message-back") == 300, what="300 message-back")
    assert [args[0] for args in ev.of("message-back")] == list(range(300))
    assert sio.call("get-count") == 300


# --- data -------------------------------------------------------------------------------------


def test_binary_both_ways_and_nested(server, transports, make_client):
    sio = make_client()
    ev = Events()
    sio.on("message-back", ev.handler("message-back"))
    sio.connect(server.url, transports=transports)
    data = {"a": b"\x00\x01\x02", "nested": {"list": [b"\xff" * 10, "text", 1, {"deep": b"deep"}]}, "json": "x"}
    assert sio.call("echo", data) == data
    assert sio.call("echo", (b"first", "mid", b"second")) == (b"first", "mid", b"second")
    assert sio.call("echo", bytearray(b"mutable")) == b"mutable"
    assert sio.call("bin-big", {"size": 1000}) == pattern(1000)
    # Binary and JSON messages interleaved keep their order (connection.ts).
    sent = [bytes([i]) * (i + 1) if i % 2 else {"i": i} for i in range(40)]
    for item in sent:
        sio.emit("message", item)
    ev.until(lambda: ev.count("message-back") == len(sent), what="40 message-back")
    assert [args[0] for args in ev.of("message-back")] == sent


def test_utf8_beyond_ascii(server, transports, make_client):
    sio = make_client()
    sio.connect(server.url, transports=transports)
    assert sio.call("utf8") == "てすと€😀"
    text = "héllo wörld – ünïcödé 日本語 😀👍🏽 \u2028 \u0000 \\ \" '"
    assert sio.call("echo", text) == text
    assert sio.call("echo", {"clé": "valeur", "ключ": ["значение", "😀"]}) == {
        "clé": "valeur",
        "ключ": ["значение", "😀"],
    }
    assert sio.call("echo", "😀" * 10_000) == "😀" * 10_000


def test_numbers_none_and_bools(server, transports, make_client):
    sio = make_client()
    sio.connect(server.url, transports=transports)
    values = (0, -1, 1.5, -0.25, 2**53, 1e300, None, True, False, "", [], {}, [None, False, 0])
    assert sio.call("echo", values) == values
    assert sio.call("echo", False) is False  # connection.ts: ack with false
    assert sio.call("echo", 0) == 0
    assert sio.call("echo", (None,)) is None
    assert sio.call("echo", {"n": None, "t": True, "f": False}) == {"n": None, "t": True, "f": False}


# --- namespaces and handlers -------------------------------------------------------------------


def test_several_namespaces_on_one_connection(server, transports, make_client):
    sio = make_client()
    ev = Events()
    record_per_namespace(sio, ev, ["/", "/custom"], "connect", "disconnect", "message-back")
    sio.connect(server.url, transports=transports)  # the namespaces that have handlers
    assert set(sio.namespaces) == {"/", "/custom"}
    assert sorted(ev.of("connect")) == [("/",), ("/custom",)]
    sio.emit("message", "root")
    sio.emit("message", "custom", namespace="/custom")
    ev.until(lambda: ev.count("message-back") == 2, what="2 message-back")
    assert sorted(ev.of("message-back")) == [("/", "root"), ("/custom", "custom")]
    assert sio.call("echo", 1, namespace="/custom") == 1
    assert sio.call("get-id", namespace="/custom") == sio.get_sid("/custom")
    sio.disconnect()
    assert sorted(ev.of("disconnect")) == [("/", "client disconnect"), ("/custom", "client disconnect")]


def test_catch_all_event_handler(server, transports, make_client):
    sio = make_client()
    ev = Events()
    sio.on("*", ev.handler("any"))
    sio.on("handshake", ev.handler("handshake"))  # a specific handler wins over the catch-all
    sio.on("connect", ev.handler("connect"))
    sio.connect(server.url, transports=transports)
    sio.emit("message", ("hi", 2))
    ev.until(lambda: ("message-back", "hi", 2) in ev.of("any"), what="message-back via '*'")
    names = [args[0] for args in ev.of("any")]
    assert "auth" in names
    assert "handshake" not in names and ev.count("handshake") == 1
    assert "connect" not in names and ev.count("connect") == 1  # reserved events never go to '*'


def test_catch_all_namespace_handlers(server, transports, make_client):
    sio = make_client()
    ev = Events()
    sio.on("connect", lambda ns: ev.add("connect", ns), namespace="*")
    sio.on("disconnect", lambda ns, reason: ev.add("disconnect", ns, reason), namespace="*")
    sio.on("message-back", lambda ns, *args: ev.add("message-back", ns, *args), namespace="*")
    sio.on("*", lambda event, ns, *args: ev.add("any", event, ns), namespace="*")
    sio.connect(server.url, namespaces=["/", "/custom"], transports=transports)
    assert sorted(ev.of("connect")) == [("/",), ("/custom",)]
    sio.emit("message", "a")
    sio.emit("message", "b", namespace="/custom")
    ev.until(lambda: ev.count("message-back") == 2, what="2 message-back")
    assert sorted(ev.of("message-back")) == [("/", "a"), ("/custom", "b")]
    ev.until(lambda: {("handshake", "/"), ("handshake", "/custom")} <= set(ev.of("any")), what="handshakes")
    sio.disconnect()
    assert sorted(ev.of("disconnect")) == [("/", "client disconnect"), ("/custom", "client disconnect")]


class _CustomNamespace(ClientNamespace):
    def __init__(self, ev: Events) -> None:
        super().__init__("/custom")
        self.ev = ev

    def on_connect(self) -> None:
        self.ev.add("connect")

    def on_auth(self, data: Any) -> None:
        self.ev.add("auth", data)

    def on_ask(self, *args: Any) -> Any:
        return ("class", *args)

    def on_answer(self, values: Any) -> None:
        self.ev.add("answer", values)

    def on_disconnect(self, reason: str) -> None:
        self.ev.add("disconnect", reason)


def test_class_based_namespace(server, transports, make_client):
    sio = make_client()
    ev = Events()
    handler = _CustomNamespace(ev)
    sio.register_namespace(handler)
    sio.connect(server.url, transports=transports)
    assert list(sio.namespaces) == ["/custom"]
    ev.first("connect")
    assert ev.first("auth") == ({},)
    sio.emit("ask", 7, namespace="/custom")
    assert ev.first("answer") == (["class", 7],)
    assert bounded(handler.call, "echo", "from the class") == "from the class"
    sio.disconnect()
    assert ev.of("disconnect") == [("client disconnect",)]
    assert set(ev.threads("connect") + ev.threads("answer") + ev.threads("disconnect")) == {HANDLER_THREAD}


# --- refusals ------------------------------------------------------------------------------------


def test_connect_error_from_middleware(server, transports, make_client):
    sio = make_client()
    ev = Events()
    record_per_namespace(sio, ev, ["/private"], "connect", "connect_error", "disconnect")
    with pytest.raises(exceptions.ConnectionError) as info:
        sio.connect(server.url, namespaces=["/private"], auth={"token": "bad"}, transports=transports)
    assert "/private" in str(info.value) and "not authorized" in str(info.value)
    # python-socketio: connect() raises after the connect_error handler ran.
    assert ev.of("connect_error") == [("/private", {"message": "not authorized", "data": {"reason": "bad token"}})]
    assert ev.count("connect") == 0
    assert sio.failed_namespaces == ["/private"]
    assert not sio.connected and sio.status().state == "disconnected"
    bounded(sio.wait, timeout=1)
    assert sio.status().reconnect_attempts == 0


def test_connect_error_without_wait_does_not_reconnect(server, transports, make_client):
    sio = make_client()
    ev = Events()
    record_per_namespace(sio, ev, ["/", "/private"], "connect", "connect_error")
    sio.connect(server.url, namespaces=["/", "/private"], auth={"token": "bad"}, transports=transports, wait=False)
    assert ev.first("connect_error") == (
        "/private",
        {"message": "not authorized", "data": {"reason": "bad token"}},
    )
    ev.until(lambda: ev.count("connect") == 1, what="connect of /")
    assert sio.connected and list(sio.namespaces) == ["/"]
    assert sio.failed_namespaces == ["/private"]
    with pytest.raises(exceptions.BadNamespaceError):
        sio.emit("echo", 1, namespace="/private")
    assert sio.call("echo", 1) == 1
    assert sio.status().reconnect_attempts == 0

    # When the refused namespace was the only one, the client ends: wait() returns.
    alone = make_client()
    record_per_namespace(alone, ev, ["/private"], "connect_error")
    alone.connect(server.url, namespaces=["/private"], auth={"token": "bad"}, transports=transports, wait=False)
    ev.until(lambda: ev.count("connect_error") == 2, what="second connect_error")
    bounded(alone.wait, timeout=5)
    assert alone.status().state == "disconnected"
    assert alone.status().reconnect_attempts == 0


def test_middleware_accepts_good_auth(server, transports, make_client):
    sio = make_client()
    ev = Events()
    record_per_namespace(sio, ev, ["/private"], "auth", "connect_error")
    sio.connect(server.url, namespaces=["/private"], auth={"token": "good"}, transports=transports)
    assert list(sio.namespaces) == ["/private"]
    assert ev.first("auth") == ("/private", {"token": "good"})
    assert sio.call("echo", "secret", namespace="/private") == "secret"
    assert ev.count("connect_error") == 0


def test_unknown_namespace_refused(server, transports, make_client):
    sio = make_client()
    ev = Events()
    record_per_namespace(sio, ev, ["/nope"], "connect_error")
    with pytest.raises(exceptions.ConnectionError) as info:
        sio.connect(server.url, namespaces=["/nope"], transports=transports)
    assert "/nope" in str(info.value)
    ((ns, data),) = ev.of("connect_error")
    assert ns == "/nope"
    # Node: {"message": "Invalid namespace"}; python-socketio: the legacy string "Unable to connect".
    assert data["message"] in ("Invalid namespace", "Unable to connect")
    assert sio.status().state == "disconnected"


# --- disconnections and reconnection -------------------------------------------------------------


def test_server_initiated_disconnect(server, transports, make_client):
    sio = make_client()
    ev = Events()
    sio.on("connect", ev.handler("connect"))
    sio.on("disconnect", ev.handler("disconnect"))
    sio.connect(server.url, transports=transports)
    sio.emit("server-disconnect")
    assert ev.first("disconnect") == ("server disconnect",)
    bounded(sio.wait, timeout=5)
    assert sio.status().state == "disconnected"
    assert sio.status().disconnect_reason == "server disconnect"
    assert sio.status().reconnect_attempts == 0
    assert ev.count("connect") == 1 and ev.count("disconnect") == 1


def test_server_disconnect_of_one_namespace_keeps_the_others(server, transports, make_client):
    sio = make_client()
    ev = Events()
    record_per_namespace(sio, ev, ["/", "/custom"], "connect", "disconnect")
    sio.connect(server.url, transports=transports)
    sio.emit("server-disconnect", namespace="/custom")
    assert ev.first("disconnect") == ("/custom", "server disconnect")
    assert sio.connected and list(sio.namespaces) == ["/"]
    assert sio.call("echo", "still here") == "still here"
    # python-engineio may answer the polling GET carrying the 41s with 'Invalid session'
    # when the session closes at once (server-disconnect-all): per namespace there.
    sio.emit("server-disconnect-all" if server.kind == "node" else "server-disconnect")
    bounded(sio.wait, timeout=5)
    assert ev.of("disconnect") == [("/custom", "server disconnect"), ("/", "server disconnect")]
    assert sio.status().reconnect_attempts == 0 and ev.count("connect") == 2


def test_transport_killed_by_server_reconnects(server, transports, make_client):
    sio = make_client()
    ev = Events()
    record_per_namespace(sio, ev, ["/", "/custom"], "connect", "disconnect")
    sio.connect(server.url, transports=transports)
    before = dict(sio.namespaces)
    sio.emit("kill-transport")
    ev.until(lambda: ev.count("disconnect") == 2, what="2 disconnects")
    reasons = {ns: reason for ns, reason in ev.of("disconnect")}
    assert set(reasons) == {"/", "/custom"}
    assert set(reasons.values()) <= set(LOST)
    ev.until(lambda: ev.count("connect") == 4, what="connect again on both namespaces")
    assert sio.connected
    assert set(sio.namespaces) == {"/", "/custom"}
    assert sio.namespaces["/"] != before["/"]
    assert sio.call("echo", "after") == "after"
    assert sio.call("echo", "custom after", namespace="/custom") == "custom after"
    assert sio.status().reconnect_attempts >= 1
    assert sio.status().disconnect_reason in LOST


def test_ping_timeout_of_stopped_server(peer_kind, transports, server_factory, make_client):
    heartbeat = SHORT_HEARTBEAT[peer_kind]
    limit = (heartbeat["ping_interval"] + heartbeat["ping_timeout"]) / 1000
    handle = server_factory(peer_kind, **heartbeat)
    sio = make_client()
    ev = Events()
    sio.on("connect", ev.handler("connect"))
    sio.on("disconnect", ev.handler("disconnect"))
    connect_upgraded(sio, handle.url, transports)
    handle.pause()
    paused_at = time.monotonic()
    try:
        (reason,) = ev.first("disconnect", timeout=limit + 5)
    finally:
        handle.resume()
    detected_after = ev.times("disconnect")[0] - paused_at  # recorded on the handler thread
    assert reason == "ping timeout"
    assert detected_after <= limit + 0.5, f"detected after {detected_after:.3f} s (limit {limit} s)"
    ev.nth("connect", 2, timeout=20)
    # On a heavily loaded machine the 500 ms heartbeat can lapse again after the reconnect
    # (the client then rightly reconnects once more): retry the call on the next connection.
    for attempt in range(3, 6):
        try:
            assert sio.call("echo", "back", timeout=10) == "back"
            break
        except exceptions.DisconnectedError:
            assert ev.nth("disconnect", attempt - 1) == ("ping timeout",)  # recorded on the handler thread
            ev.nth("connect", attempt, timeout=20)
    else:
        raise AssertionError("no call succeeded after the server resumed")


def test_disconnect_during_reconnection_stops_loop(peer_kind, transports, server_factory, make_client):
    handle = server_factory(peer_kind)
    before = snapshot()
    sio = make_client()
    ev = Events()
    sio.on("disconnect", ev.handler("disconnect"))
    sio.add_status_listener(lambda: ev.add("status"))
    sio.connect(handle.url, transports=transports)
    handle.kill()
    (reason,) = ev.first("disconnect")
    assert reason in LOST
    ev.until(lambda: sio.status().reconnect_attempts >= 2, what="2 reconnection attempts")
    assert sio.status().state == "reconnecting"
    bounded(sio.disconnect, timeout=5)
    bounded(sio.wait, timeout=1)
    assert ev.count("disconnect") == 1  # no second disconnect event: nothing was connected
    assert_released(sio, before)


def test_reconnection_attempts_honoured(peer_kind, transports, server_factory, make_client):
    handle = server_factory(peer_kind)
    sio = make_client(reconnection_attempts=3)
    ev = Events()
    sio.on("connect", ev.handler("connect"))
    sio.on("disconnect", ev.handler("disconnect"))
    sio.connect(handle.url, transports=transports)
    handle.kill()
    bounded(sio.wait, timeout=15)
    status = sio.status()
    assert status.state == "disconnected"
    assert status.reconnect_attempts == 3
    assert ev.count("connect") == 1 and ev.count("disconnect") == 1  # wait() returns after the handlers
    assert ev.of("disconnect")[0][0] in LOST


def test_retry_connects_once_server_comes_up(peer_kind, transports, server_factory, make_client):
    handle = server_factory(peer_kind)
    url = handle.url
    handle.stop()
    sio = make_client()
    ev = Events()
    sio.on("connect", ev.handler("connect"))
    sio.add_status_listener(lambda: ev.add("status"))
    connecting = in_thread(sio.connect, url, transports=transports, retry=True)
    try:
        ev.until(lambda: sio.status().reconnect_attempts >= 1, what="a retry")
        assert not connecting.done()
        handle.restart()
        connecting.result(20)
    finally:
        if not connecting.done():
            bounded(sio.disconnect)
    assert sio.connected and ev.count("connect") == 1
    assert sio.call("echo", "late") == "late"


def test_legacy_zero_argument_disconnect_handler(server, transports, make_client):
    sio = make_client()
    ev = Events()

    @sio.on("disconnect")
    def on_disconnect() -> None:
        ev.add("plain")

    async def on_custom_disconnect() -> None:
        ev.add("coroutine")

    sio.on("disconnect", on_custom_disconnect, namespace="/custom")

    class Legacy(ClientNamespace):
        def on_disconnect(self) -> None:
            ev.add("class")

    sio.register_namespace(Legacy("/dyn-legacy"))
    sio.connect(server.url, transports=transports)
    assert set(sio.namespaces) == {"/", "/custom", "/dyn-legacy"}
    sio.disconnect()
    assert sorted(ev.names()) == ["class", "coroutine", "plain"]  # disconnect() waited for them


# --- handlers under load -------------------------------------------------------------------------


def test_flood_arrives_complete_and_in_order(server, transports, make_client):
    sio = make_client()
    ticks: list[int] = []
    done = concurrent.futures.Future()
    sio.on("tick", lambda data: ticks.append(data["i"]))
    sio.on("flood-done", lambda data: done.done() or done.set_result(data))
    sio.connect(server.url, transports=transports)
    assert sio.call("flood", {"count": 10_000}, timeout=60) == 10_000
    assert done.result(60) == {"count": 10_000}
    assert ticks == list(range(10_000))


def test_binary_flood(server, transports, make_client):
    sio = make_client()
    ticks: list[dict[str, Any]] = []
    done = concurrent.futures.Future()
    sio.on("tick", ticks.append)
    sio.on("flood-done", lambda data: done.done() or done.set_result(data))
    sio.connect(server.url, transports=transports)
    assert sio.call("flood", {"count": 2_000, "binary": True, "size": 100}, timeout=60) == 2_000
    done.result(60)
    blob = pattern(100)
    assert [t["i"] for t in ticks] == list(range(2_000))
    assert all(t["blob"] == blob for t in ticks)


def test_coroutine_handlers_start_in_arrival_order(server, transports, make_client):
    sio = make_client()
    ev = Events()

    async def tick(data: dict[str, int]) -> None:  # a coroutine handler given to the thread Client
        ev.add("tick", data["i"])
        await asyncio.sleep(0)

    sio.on("tick", tick)
    sio.connect(server.url, transports=transports)
    sio.call("flood", {"count": 1_000}, timeout=30)
    ev.until(lambda: ev.count("tick") == 1_000, what="1000 ticks")
    assert [args[0] for args in ev.of("tick")] == list(range(1_000))


def test_coroutine_handler_can_await_call(server, transports, make_client):
    """The thread Client's twin: a handler blocks in ``call()`` and gets its answer.

    A plain handler calls ``call()`` on the handler thread; a coroutine handler (awaited on the
    loop thread, where the blocking API refuses to run) awaits ``call()`` through a worker thread.
    """
    sio = make_client()
    ev = Events()

    def on_handshake(_: Any) -> None:
        ev.add("my-id", sio.call("get-id", timeout=10))

    async def on_ask(*args: Any) -> Any:
        return await asyncio.to_thread(sio.call, "echo", ("inner", *args), timeout=10)

    sio.on("handshake", on_handshake)
    sio.on("ask", on_ask)
    sio.on("answer", ev.handler("answer"))
    sio.connect(server.url, transports=transports)
    assert ev.first("my-id") == (sio.get_sid(),)
    sio.emit("ask", 5)
    assert ev.first("answer") == (["inner", 5],)


def test_handler_that_raises_does_not_kill_connection(server, transports, make_client, caplog):
    sio = make_client()
    ev = Events()

    def bad_plain(*args: Any) -> None:
        ev.add("plain-raised")
        raise RuntimeError("boom")

    async def bad_coroutine(*args: Any) -> None:
        ev.add("coroutine-raised")
        raise RuntimeError("boom in a coroutine")

    sio.on("message-back", bad_plain)
    sio.on("ask", bad_coroutine)
    sio.on("answer", ev.handler("answer"))
    sio.connect(server.url, transports=transports)
    sio.emit("message", 1)
    ev.first("plain-raised")
    sio.emit("ask", 1)
    assert ev.first("answer") == ([],)  # the ack is still answered, with no value
    assert ev.count("coroutine-raised") == 1
    assert sio.connected
    assert sio.call("echo", "still alive") == "still alive"
    sio.on("ask", bad_plain)
    sio.emit("ask", 2)
    assert ev.nth("answer", 2) == ([],)
    assert sio.connected
    assert "boom in a coroutine" in caplog.text and "RuntimeError: boom" in caplog.text  # logged, not lost


def test_emit_in_connect_handler_sent_once(server, transports, make_client):
    sio = make_client()
    ev = Events()

    def on_connect() -> None:
        sio.emit("inc")
        ev.add("connected")

    sio.on("connect", on_connect)
    sio.connect(server.url, transports=transports)
    ev.first("connected")
    assert sio.call("get-count") == 1


# --- large payloads ------------------------------------------------------------------------------


def test_large_payloads_from_server(big_server, transports, make_client):
    sio = make_client()
    sio.connect(big_server.url, transports=transports)
    received = sio.call("big", {"size": 3_000_000}, timeout=30)
    assert len(received) == 3_000_000 and received == "x" * 3_000_000
    assert sio.call("bin-big", {"size": 2_000_000}, timeout=30) == pattern(2_000_000)


def test_large_payloads_to_server(big_server, transports, make_client):
    if big_server.kind == "python" and transports == ["polling"]:
        # python-engineio's aiohttp driver reads a POST body with request.content.read(length),
        # which returns only what has arrived so far (aiohttp#3926): large bodies are truncated.
        pytest.skip("python-socketio on aiohttp truncates large polling POST bodies (server bug)")
    sio = make_client()
    connect_upgraded(sio, big_server.url, transports)
    text = "é" * 1_500_000  # 3 MB of UTF-8
    assert sio.call("echo", text, timeout=30) == text
    blob = os.urandom(2_000_000)
    assert sio.call("echo", {"blob": blob, "n": 1}, timeout=30) == {"blob": blob, "n": 1}


# --- bad input and failures ----------------------------------------------------------------------


def test_unserialisable_data_raises_type_error(server, transports, make_client):
    sio = make_client()
    sio.connect(server.url, transports=transports)
    for bad in (object(), {1, 2}, {"nan": float("nan")}, [lambda: 0], ("ok", object())):
        with pytest.raises(TypeError):
            sio.emit("echo", bad)
        with pytest.raises(TypeError):
            sio.call("echo", bad, timeout=5)
    assert sio.connected
    assert sio.call("echo", "fine") == "fine"


def test_reserved_event_names_raise_value_error(server, make_client):
    sio = make_client()
    names = ("connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener")
    for name in names:
        with pytest.raises(ValueError):
            sio.emit(name)
    sio.connect(server.url)
    for name in names:
        with pytest.raises(ValueError):
            sio.emit(name, "data")
        with pytest.raises(ValueError):
            sio.call(name, timeout=5)
    assert sio.call("echo", "usable") == "usable"


@pytest.mark.parametrize(
    "url", ["", "not a url", "ftp://example.com", "http://", "http://127.0.0.1:99999", "localhost:3000", None]
)
def test_bad_urls_raise_value_error(url, make_client):
    threads_before = handler_threads()
    sio = make_client()
    with pytest.raises(ValueError):
        sio.connect(url)
    assert sio.status().state == "disconnected"
    assert handler_threads() - threads_before == set()  # no idle handler thread left behind


def test_unknown_transports_raise_value_error(server, make_client):
    sio = make_client()
    for transports in (["carrier-pigeon"], [], "smoke-signals", ["websocket", "bogus"]):
        with pytest.raises(ValueError):
            sio.connect(server.url, transports=transports)
        assert sio.status().state == "disconnected"
    sio.connect(server.url, transports="websocket")
    assert sio.transport() == "websocket"


def test_emit_when_not_connected_raises_bad_namespace(server, make_client):
    sio = make_client()
    with pytest.raises(exceptions.BadNamespaceError):
        sio.emit("echo", 1)
    with pytest.raises(exceptions.BadNamespaceError):
        sio.call("echo", 1, timeout=5)
    sio.connect(server.url)
    with pytest.raises(exceptions.BadNamespaceError):
        sio.emit("echo", 1, namespace="/custom")
    sio.disconnect()
    with pytest.raises(exceptions.BadNamespaceError):
        sio.emit("echo", 1)


def test_closed_port_gives_connection_error(closed_port, transports, make_client):
    sio = make_client()
    ev = Events()
    sio.on("connect_error", ev.handler("connect_error"))
    with pytest.raises(exceptions.ConnectionError) as info:
        bounded(sio.connect, f"http://127.0.0.1:{closed_port}", transports=transports, timeout=10)
    assert isinstance(info.value, builtins.ConnectionError)
    assert "cannot connect" in str(info.value)
    assert ev.count("connect_error") == 1  # connect() raised after the connect_error handler ran
    assert sio.status().state == "disconnected" and sio.status().reconnect_attempts == 0


@pytest.mark.parametrize("status", [200, 404])
def test_http_server_that_is_not_socketio(plain_http_server, status, transports, make_client):
    url = plain_http_server(status)
    sio = make_client()
    with pytest.raises(exceptions.ConnectionError) as info:
        bounded(sio.connect, url, transports=transports, timeout=10)
    assert "not a Socket.IO server" in str(info.value)
    assert sio.status().state == "disconnected"


def test_pending_call_fails_when_connection_drops(server, transports, make_client):
    sio = make_client()
    ev = Events()
    release = threading.Event()

    def on_ask(*args: Any) -> None:
        ev.add("asked")
        release.wait(30)  # holds the handler thread: the server's ack of "ask" waits

    sio.on("ask", on_ask)
    sio.on("connect", ev.handler("connect"))
    sio.connect(server.url, transports=transports)
    pending = in_thread(sio.call, "ask", timeout=60)
    try:
        ev.first("asked")
        dropped_at = time.monotonic()
        sio.emit("kill-transport")
        with pytest.raises(exceptions.DisconnectedError):
            pending.result(10)
        assert time.monotonic() - dropped_at < 5  # without the (still busy) handler thread
        release.set()  # later handlers (the second connect) queue behind this one
        ev.nth("connect", 2)
        assert sio.call("echo", "after") == "after"
    finally:
        release.set()
        bounded(sio.disconnect)


def test_pending_call_fails_when_client_disconnects(server, transports, make_client):
    sio = make_client()
    ev = Events()
    release = threading.Event()

    def on_ask(*args: Any) -> None:
        ev.add("asked")
        release.wait(30)

    def ask() -> Any:
        try:
            return sio.call("ask", timeout=60)
        finally:
            release.set()  # the handler thread is free once the call has failed

    sio.on("ask", on_ask)
    sio.connect(server.url, transports=transports)
    pending = in_thread(ask)
    try:
        ev.first("asked")
        started = time.monotonic()
        bounded(sio.disconnect, timeout=5)
        assert time.monotonic() - started < 2  # the call failed during disconnect(), freeing the handler
        with pytest.raises(exceptions.DisconnectedError):
            pending.result(2)
    finally:
        release.set()


def test_call_without_ack_times_out(server, transports, make_client):
    sio = make_client()
    sio.connect(server.url, transports=transports)
    started = time.monotonic()
    with pytest.raises(exceptions.TimeoutError) as info:
        sio.call("no-such-event", timeout=0.3)
    elapsed = time.monotonic() - started
    assert isinstance(info.value, builtins.TimeoutError)
    assert 0.25 <= elapsed < 3
    assert sio.connected
    assert sio.call("echo", 1) == 1


# --- buffering while not connected ---------------------------------------------------------------


def test_emits_while_connecting_are_delivered_in_order(server, transports, make_client):
    """Emits right after ``connect(wait=False)`` never raise and arrive in order.

    Unlike the asyncio test, how many are still buffered when the namespace connects depends on
    thread timing (each emit is a hop to the loop thread), so only the sum is asserted.
    """
    sio = make_client()
    ev = Events()
    sio.on("message-back", ev.handler("message-back"))
    sio.connect(server.url, transports=transports, wait=False)
    assert sio.state in ("connecting", "connected")
    for i in range(50):
        sio.emit("message", i)  # python-socketio would raise BadNamespaceError until connected
    status = sio.status()
    assert 0 <= status.queued <= 50 and status.queued + status.events_out == 50
    answer = in_thread(sio.call, "echo", "buffered call", timeout=10)
    ev.until(lambda: ev.count("message-back") == 50, what="50 message-back")
    assert [args[0] for args in ev.of("message-back")] == list(range(50))
    assert answer.result(10) == "buffered call"
    assert sio.connected and sio.status().queued == 0


def test_emits_while_reconnecting_are_delivered_in_order(server, transports, make_client):
    sio = make_client(reconnection_delay=0.5, reconnection_delay_max=0.5)
    ev = Events()
    sio.on("connect", ev.handler("connect"))
    sio.on("disconnect", ev.handler("disconnect"))
    sio.on("message-back", ev.handler("message-back"))
    sio.connect(server.url, transports=transports)
    sio.emit("kill-transport")
    ev.first("disconnect")
    assert sio.status().state == "reconnecting"
    for i in range(30):
        sio.emit("message", i)
    assert sio.status().queued == 30
    ev.until(lambda: ev.count("message-back") == 30, what="30 message-back")
    assert [args[0] for args in ev.of("message-back")] == list(range(30))
    assert ev.count("connect") == 2 and sio.connected


# --- resources -----------------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["client", "server"])
def test_nothing_leaks_after_disconnect(server, transports, ending, make_client):
    before = snapshot()
    sio = make_client()
    ev = Events()
    sio.on("message-back", ev.handler("message-back"))
    connect_upgraded(sio, server.url, transports, namespaces=["/", "/custom"])
    assert len(handler_threads() - before[1]) == 1  # one handler thread per client
    sio.emit("message", b"some binary")
    ev.first("message-back")
    assert sio.call("echo", "x", namespace="/custom") == "x"
    if ending == "client":
        sio.disconnect()
    elif server.kind == "node":
        sio.emit("server-disconnect-all")
        bounded(sio.wait, timeout=5)
    else:  # python-engineio may drop the 41s of server-disconnect-all over polling
        sio.emit("server-disconnect", namespace="/custom")
        sio.emit("server-disconnect")
        bounded(sio.wait, timeout=5)
    assert_released(sio, before)


def test_external_http_session_is_left_open(server, transports, make_client):
    portal = LoopThread.shared()  # a ClientSession belongs to the loop that uses it

    async def open_session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    http = portal.run(open_session())
    try:
        sio = make_client(http_session=http)
        connect_upgraded(sio, server.url, transports)
        assert sio.call("echo", 1) == 1
        sio.disconnect()
        assert not http.closed
        sio.connect(server.url, transports=transports)  # the session is reused
        assert sio.call("echo", 2) == 2
        sio.disconnect()
        assert not http.closed
    finally:
        portal.run(http.close())


def test_disconnect_stops_a_retrying_connect(closed_port, transports, make_client):
    before = snapshot()
    sio = make_client()
    ev = Events()
    sio.add_status_listener(lambda: ev.add("status"))
    connecting = in_thread(sio.connect, f"http://127.0.0.1:{closed_port}", transports=transports, retry=True)
    try:
        ev.until(lambda: sio.status().reconnect_attempts >= 2, what="2 retries")
        bounded(sio.disconnect, timeout=5)
        with pytest.raises(exceptions.ConnectionError):
            connecting.result(5)
    finally:
        if not connecting.done():
            bounded(sio.disconnect)
    assert_released(sio, before)


# --- threads: beyond the asyncio suite -----------------------------------------------------------


def test_handler_order_under_flood(server, transports, make_client):
    """One handler thread, in arrival order, across events and ``on_any``; a busy handler delays
    later handlers but never the connection (acks keep arriving while it is blocked)."""
    sio = make_client()
    order: list[tuple[str, Any]] = []
    running = {"now": 0, "max": 0}
    threads: set[str] = set()
    lock = threading.Lock()
    blocked = threading.Event()
    release = threading.Event()
    done = concurrent.futures.Future()

    def enter(kind: str, value: Any) -> None:
        with lock:
            running["now"] += 1
            running["max"] = max(running["max"], running["now"])
            threads.add(threading.current_thread().name)
        order.append((kind, value))

    def leave() -> None:
        with lock:
            running["now"] -= 1

    def on_tick(data: dict[str, int]) -> None:
        enter("tick", data["i"])
        if data["i"] == 0:
            blocked.set()
            release.wait(30)
        leave()

    def on_message_back(value: int) -> None:
        enter("message-back", value)
        if value == 19:
            backs_done.set()
        leave()

    def on_any(ns: str, event: str, args: tuple[Any, ...]) -> None:
        if event == "tick":
            enter("any", event)
            leave()

    backs_done = threading.Event()
    sio.on("tick", on_tick)
    sio.on("message-back", on_message_back)
    sio.on_any(on_any)
    sio.on("flood-done", lambda data: done.set_result(data))
    sio.connect(server.url, transports=transports)
    flood = in_thread(sio.call, "flood", {"count": 3_000}, timeout=30)
    assert blocked.wait(10)
    # The handler thread is stuck in tick 0, yet the flood's ack and new acks still arrive.
    assert flood.result(30) == 3_000
    assert sio.call("echo", "while blocked", timeout=10) == "while blocked"
    for i in range(20):
        sio.emit("message", i)  # their message-backs queue up behind the whole flood
    assert not done.done() and not backs_done.is_set()
    release.set()
    assert done.result(30) == {"count": 3_000}
    assert backs_done.wait(10)
    assert [v for k, v in order if k == "tick"] == list(range(3_000))
    assert [v for k, v in order if k == "message-back"] == list(range(20))
    # on_any runs just before each tick's handler, on the same thread; the message-backs come last.
    assert [k for k, _ in order] == ["any", "tick"] * 3_000 + ["message-back"] * 20
    assert running["max"] == 1 and threads == {HANDLER_THREAD}


def test_handler_can_call_without_deadlock(server, transports, make_client):
    """``call()`` from a connect handler, an event handler during a flood, a callback, a class
    namespace and an ack-answering handler; a coroutine handler using the blocking API gets a
    RuntimeError instead of a deadlock."""
    sio = make_client()
    ev = Events()

    def on_connect() -> None:
        ev.add("connect-call", sio.call("get-id", timeout=10), threading.current_thread().name)

    def on_tick(data: dict[str, int]) -> None:
        ev.add("tick-call", sio.call("echo", data["i"], timeout=10))

    def on_ask(*args: Any) -> Any:
        return sio.call("echo", ("asked", *args), timeout=10)

    def callback(*args: Any) -> None:
        ev.add("callback-call", args, sio.call("echo", "from a callback", timeout=10))

    async def coroutine_handler(*args: Any) -> None:
        try:
            sio.call("echo", "from the loop", timeout=5)
        except RuntimeError as exc:
            ev.add("refused", str(exc))

    class Custom(ClientNamespace):
        def on_handshake(self, _: Any) -> None:
            ev.add("class-call", self.call("get-id", timeout=10))

    sio.on("connect", on_connect)
    sio.on("tick", on_tick)
    sio.on("ask", on_ask)
    sio.on("answer", ev.handler("answer"))
    sio.on("message-back", coroutine_handler)
    sio.register_namespace(Custom("/custom"))
    sio.connect(server.url, namespaces=["/", "/custom"], transports=transports)
    assert ev.of("connect-call") == [(sio.get_sid(), HANDLER_THREAD)]  # ran before connect() returned
    assert ev.first("class-call") == (sio.get_sid("/custom"),)
    assert sio.call("flood", {"count": 50}, timeout=30) == 50
    ev.until(lambda: ev.count("tick-call") == 50, timeout=30, what="50 calls from tick handlers")
    assert [args[0] for args in ev.of("tick-call")] == list(range(50))
    sio.emit("echo", "cb", callback=callback)
    assert ev.first("callback-call") == (("cb",), "from a callback")
    sio.emit("ask", 3)
    assert ev.first("answer") == (["asked", 3],)  # the tuple from call() acked as two values
    sio.emit("message", "x")
    (message,) = ev.first("refused")
    assert "loop thread" in message
    assert sio.connected and sio.call("echo", "done") == "done"


def test_emits_from_ten_threads_arrive_complete(server, transports, make_client):
    """Ten threads emit at once: every ``inc`` is counted, every binary echo (several
    attachments each) comes back to its own callback intact, and concurrent calls get their own
    answers."""
    sio = make_client()
    ev = Events()
    sio.connect(server.url, transports=transports)
    threads, per_thread = 10, 100
    start = threading.Barrier(threads)

    def blob(t: int, i: int, n: int) -> bytes:
        return bytes([t, i % 256, n]) * (50 + 37 * t + i)

    def worker(t: int) -> list[Any]:
        start.wait(10)
        answers = []
        for i in range(per_thread):
            sio.emit("inc")
            if i % 5 == 0:
                payload = {"t": t, "i": i, "a": blob(t, i, 0), "b": [blob(t, i, 1), {"c": blob(t, i, 2)}]}

                def check(*args: Any, _payload: dict[str, Any] = payload) -> None:
                    ev.add("echoed", _payload["t"], _payload["i"], args == (_payload,))

                sio.emit("echo", payload, callback=check)
            if i % 25 == 0:
                answers.append(sio.call("echo", (t, blob(t, i, 3)), timeout=20) == (t, blob(t, i, 3)))
        return answers

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(worker, range(threads), timeout=60))
    assert results == [[True] * 4] * threads
    ev.until(lambda: ev.count("echoed") == threads * per_thread // 5, timeout=30, what="200 echo callbacks")
    echoed = ev.of("echoed")
    assert all(ok for _, _, ok in echoed), [e for e in echoed if not e[2]][:5]
    assert sorted((t, i) for t, i, _ in echoed) == [(t, i) for t in range(threads) for i in range(0, per_thread, 5)]
    for t in range(threads):  # each thread's callbacks in its own emit order
        assert [i for tt, i, _ in echoed if tt == t] == list(range(0, per_thread, 5))
    assert sio.call("get-count", timeout=20) == threads * per_thread
    assert sio.connected


def test_background_tasks_and_sleep(server, transports, make_client):
    sio = make_client()
    ev = Events()
    sio.on("message-back", ev.handler("message-back"))
    sio.connect(server.url, transports=transports)

    def task(n: int, *, word: str) -> None:
        ev.add("task", n, word, threading.current_thread().name)
        ev.add("task-call", sio.call("echo", (n, word), timeout=10))
        for i in range(5):
            sio.emit("message", (n, i))
            sio.sleep(0.01)

    tasks = [sio.start_background_task(task, n, word=f"w{n}") for n in range(4)]
    for t in tasks:
        t.join(20)
        assert not t.is_alive()
    assert sorted(args[0] for args in ev.of("task-call")) == [(n, f"w{n}") for n in range(4)]
    workers = {name for _, _, name in ev.of("task")}
    assert len(workers) == 4 and threading.current_thread().name not in workers and HANDLER_THREAD not in workers
    ev.until(lambda: ev.count("message-back") == 20, what="20 message-back")
    for n in range(4):  # each task's emits in its own order
        assert [i for nn, i in ev.of("message-back") if nn == n] == list(range(5))

    started = time.monotonic()
    sio.sleep(0.2)
    assert 0.2 <= time.monotonic() - started < 2
    started = time.monotonic()
    sio.sleep()
    assert time.monotonic() - started < 0.5
    # sleep() holds nothing: a task sleeping in it does not delay calls or handlers.
    sleeper = sio.start_background_task(sio.sleep, 1.5)
    sio.emit("message", "while a task sleeps")
    assert sio.call("echo", "while a task sleeps", timeout=10) == "while a task sleeps"
    ev.until(lambda: ev.count("message-back") == 21, what="the 21st message-back")
    assert sleeper.is_alive()  # all of the above happened within its sleep
    sleeper.join(10)
    assert not sleeper.is_alive() and sio.connected


def test_wait_returns_after_server_disconnect(server, transports, make_client):
    """``wait()`` outlives a reconnection and returns once the server ends the session, after
    the disconnect handlers; a later ``wait()`` returns at once."""
    sio = make_client()
    ev = Events()
    record_per_namespace(sio, ev, ["/", "/custom"], "connect", "disconnect")
    sio.connect(server.url, transports=transports)
    waiting = in_thread(sio.wait)
    sio.emit("kill-transport")  # a lost transport is reconnected: wait() goes on
    ev.until(lambda: ev.count("connect") == 4, what="reconnected on both namespaces")
    # Past the upgrade window: python-engineio refuses polling GETs as soon as it closes a
    # session, so a server disconnect in mid-upgrade reaches the client as a transport error.
    want = expected_transport(transports)
    eventually(lambda: sio.transport() == want, what=f"transport {want}")
    assert not waiting.done() and sio.connected
    # One namespace at a time: the server sends 41 and keeps the engine open; the client
    # closes it once no namespace is left. (With server-disconnect-all, python-engineio
    # closes a polling session right after queueing the 41s and may answer the GET that
    # should carry them with "Invalid session": a transport error, correctly reconnected.)
    sio.emit("server-disconnect", namespace="/custom")
    ev.until(lambda: ("/custom", "server disconnect") in ev.of("disconnect"), what="/custom disconnected")
    assert not waiting.done()  # "/" is still connected
    sio.emit("server-disconnect")
    waiting.result(10)
    assert sorted(ev.of("disconnect")[2:]) == [("/", "server disconnect"), ("/custom", "server disconnect")]
    assert sio.state == "disconnected" and sio.status().disconnect_reason == "server disconnect"
    started = time.monotonic()
    bounded(sio.wait, timeout=2)
    assert time.monotonic() - started < 1


def test_connect_returns_after_handlers_and_sessions_never_overlap(server, make_client):
    """python-socketio's order: ``connect()`` returns after the connect handler ran; a new session's
    handlers start only after the last session's (a slow disconnect handler) have finished."""
    sio = make_client()
    log: list[tuple[str, int]] = []

    def on_connect() -> None:
        time.sleep(0.2)  # a slow handler (work, not synchronisation)
        log.append(("connect", threading.get_ident()))

    def on_disconnect(reason: str) -> None:
        log.append(("disconnect starts", threading.get_ident()))
        time.sleep(0.3)
        log.append(("disconnect ends", threading.get_ident()))

    sio.on("connect", on_connect)
    sio.on("disconnect", on_disconnect)
    sio.connect(server.url)
    assert [name for name, _ in log] == ["connect"]
    sio.emit("server-disconnect")
    eventually(lambda: sio.state == "disconnected", what="disconnected")
    sio.connect(server.url)  # by hand, at once: no wait() for the old handler thread
    assert [name for name, _ in log] == ["connect", "disconnect starts", "disconnect ends", "connect"]
    assert sio.call("echo", "second session") == "second session"


def test_answer_to_a_request_from_a_lost_connection_is_not_sent_on_the_next(python_server, make_client):
    sio = make_client()
    ev = Events()
    release = threading.Event()

    def on_ask(label: str) -> str:
        if label == "first":
            ev.add("asked")
            release.wait(30)  # busy until the connection is replaced
        return f"answer to {label}"

    sio.on("ask", on_ask)
    sio.on("answer", ev.handler("answer"))
    sio.connect(python_server.url, transports=["websocket"])
    try:
        sio.emit("ask", "first")  # the server asks back with ack id 1 on this connection
        ev.first("asked")
        sio.emit("kill-transport")
        eventually(lambda: sio.connected and sio.status().reconnect_attempts >= 1, what="reconnected")
        events_in = sio.status().events_in
        sio.emit("ask", "second")  # asked back with ack id 1 again, on the new connection
        eventually(lambda: sio.status().events_in > events_in, what="the second ask")  # queued behind the first
    finally:
        release.set()
    assert ev.first("answer") == (["answer to second"],)
    assert ev.count("answer") == 1


# --- the two suites stay in step ------------------------------------------------------------------


def _test_functions(path: Path) -> dict[str, ast.AST]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_")
    }


def test_names_mirror_the_asyncio_suite():
    here = Path(__file__).resolve()
    aio = _test_functions(here.parent.parent / "aio" / "test_client.py")
    sync = _test_functions(here)
    assert len(aio) >= 40  # the asyncio suite was found and parsed
    missing = sorted(set(aio) - set(sync))
    assert missing == [], f"tests/aio/test_client.py tests with no thread Client twin: {missing}"
    assert [name for name, node in sync.items() if isinstance(node, ast.AsyncFunctionDef)] == []
