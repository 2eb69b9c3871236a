"""Issue 10 §2, items 1, 2, 3, 8 and 10: defects a demanding user found, against the real peers.

Each test failed before its fix; the docstrings say how.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sio_notebook import exceptions
from sio_notebook.sansio.socketio import JsonSerializer

from .helpers import Events
from .test_client import assert_released, connect_upgraded

pytestmark = pytest.mark.timeout(90)

CUT_EMOJI = "\ud83d"  # what Python decodes from a JS string cut in the middle of "😀"


# --- 1. lone surrogates ----------------------------------------------------------------------


async def test_lone_surrogate_is_sent_like_json_stringify(server, transports, make_client):
    """Before: the UTF-8 encode of the frame raised inside the writer task, which died with
    nothing logged; the call below then timed out and so did every later emit."""
    sio = make_client()
    await connect_upgraded(sio, server.url, transports)
    assert await sio.call("echo", CUT_EMOJI, timeout=5) == CUT_EMOJI
    assert await sio.call("echo", {"text": "a" + CUT_EMOJI + "b"}, timeout=5) == {"text": "a" + CUT_EMOJI + "b"}
    assert await sio.call("echo", "still alive", timeout=5) == "still alive"


async def test_lone_surrogate_as_an_ack_value(server, transports, make_client):
    """The server's ``ask`` gets our handler's return value as its ack (the other writer path)."""
    sio = make_client()
    ev = Events()
    sio.on("ask", lambda *args: CUT_EMOJI)
    sio.on("answer", ev.handler("answer"))
    await connect_upgraded(sio, server.url, transports)
    await sio.emit("ask", "question")
    assert await ev.first("answer") == ([CUT_EMOJI],)
    assert await sio.call("echo", "after", timeout=5) == "after"


class RawSurrogateSerializer(JsonSerializer):
    """A user's serializer that writes raw surrogates (``json.dumps(ensure_ascii=False)``):
    the frame can never be encoded, which is how the writer task used to die."""

    def encode_event(self, namespace: str, args: list[Any], ack_id: int | None) -> list[Any]:
        if args[0] == "raw":
            return [("2" if ack_id is None else f"2{ack_id}") + json.dumps(args, ensure_ascii=False)]
        return super().encode_event(namespace, args, ack_id)


async def test_an_unexpected_writer_error_closes_the_connection_with_a_reason(server, transports, make_client, caplog):
    """Before: nothing logged, state still "connected", the next calls timed out (emits and
    pongs dropped until the server's ping timeout); the call with the bad data left its ack
    registered ("Future exception was never retrieved"). After: the error is logged, the
    connection closes with "transport error", the pending call fails at once, and the
    client reconnects by itself."""
    caplog.set_level(logging.ERROR, logger="sio_notebook")
    sio = make_client(serializer=RawSurrogateSerializer())
    ev = Events()
    sio.on("connect", ev.handler("connect"))
    sio.on("disconnect", ev.handler("disconnect"))
    await connect_upgraded(sio, server.url, transports)
    with pytest.raises(exceptions.DisconnectedError, match="transport error"):
        await sio.call("raw", CUT_EMOJI, timeout=10)
    assert await ev.first("disconnect") == ("transport error",)
    assert any("unexpected error" in r.getMessage() and r.exc_info for r in caplog.records), caplog.records
    assert "UnicodeEncodeError" in (sio.status().last_error or "") or "surrogates" in (sio.status().last_error or "")
    await ev.until(lambda: ev.count("connect") == 2, what="the reconnection")
    assert await sio.call("echo", "back", timeout=5) == "back"


async def test_a_call_whose_write_fails_leaves_no_ack_behind(server, make_client):
    """Before (websocket): the UnicodeEncodeError came straight out of call() and its ack stayed
    registered; disconnect() then failed that future, which nobody awaited any more:
    "Future exception was never retrieved" at garbage collection."""
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        sio = make_client(serializer=RawSurrogateSerializer(), reconnection=False)
        await sio.connect(server.url, transports=["websocket"])
        with pytest.raises(exceptions.DisconnectedError):
            await sio.call("raw", CUT_EMOJI, timeout=10)
        await sio.disconnect()
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    assert [c.get("message") for c in reported] == []


# --- 2. disconnect() while connecting ----------------------------------------------------------


async def test_disconnect_during_the_handshake_aborts_connect(peer_kind, transports, server_factory, make_client):
    """Before: connect_error ran with aiohttp's "Connector is closed" / "Server disconnected"
    and connect() raised that. The JS client fires nothing there."""
    server = server_factory(peer_kind)
    before = set(asyncio.all_tasks())
    sio = make_client()
    ev = Events()
    sio.on("connect_error", ev.handler("connect_error"))

    def headers() -> dict[str, str]:  # evaluated right before the handshake request
        ev.add("opening")
        return {}

    server.pause()  # the handshake request gets no answer
    try:
        connecting = asyncio.ensure_future(sio.connect(server.url, headers=headers, transports=transports))
        await ev.first("opening")
        await asyncio.wait_for(sio.disconnect(), 5)
        with pytest.raises(exceptions.ConnectionError, match=r"^connect aborted by disconnect\(\)$"):
            await asyncio.wait_for(connecting, 5)
    finally:
        server.resume()
    assert ev.count("connect_error") == 0
    assert_released(sio, before)


async def test_disconnect_while_namespaces_connect_aborts_connect(peer_kind, transports, server_factory, make_client):
    """Landing a little later (the session is open, the CONNECT not answered): before, connect()
    raised "One or more namespaces failed to connect: / (timed out)"."""
    server = server_factory(peer_kind)
    before = set(asyncio.all_tasks())
    sio = make_client()
    ev = Events()
    sio.on("connect_error", ev.handler("connect_error"))
    stopper: list[asyncio.Future[Any]] = []

    def on_status() -> None:
        if sio.state == "connecting" and sio.transport() is not None and not stopper:
            server.pause()  # the session is open; the CONNECT will get no answer
            stopper.append(asyncio.ensure_future(sio.disconnect()))

    sio.add_status_listener(on_status)
    try:
        with pytest.raises(exceptions.ConnectionError, match=r"^connect aborted by disconnect\(\)$"):
            await asyncio.wait_for(sio.connect(server.url, transports=transports, wait_timeout=5), 10)
        await asyncio.wait_for(stopper[0], 10)
    finally:
        server.resume()
    assert ev.count("connect_error") == 0
    assert_released(sio, before)


# --- 3. volatile emits shed load ---------------------------------------------------------------


async def test_volatile_emits_are_dropped_while_the_transport_is_busy(server, transports, make_client):
    """JS drops a volatile packet whenever the transport is not writable: a tight loop of 2,000
    sends about one. Before: all 2,000 arrived."""
    sio = make_client()
    await connect_upgraded(sio, server.url, transports)
    await sio.call("reset-count", timeout=5)
    for _ in range(2000):
        await sio.emit("inc", volatile=True)
    count = await sio.call("get-count", timeout=10)
    assert 1 <= count <= 20, count
    # Once the writer is idle again a volatile emit goes out.
    await sio.call("reset-count", timeout=5)
    await sio.emit("inc", volatile=True)
    assert await sio.call("get-count", timeout=5) == 1


# --- 8. errors that say what happened -----------------------------------------------------------


async def test_connection_closed_before_the_namespaces_settled_says_so(peer_kind, transports, server_factory, make_client):
    """Before: "One or more namespaces failed to connect: / (timed out)", after 1 s."""
    server = server_factory(peer_kind)
    sio = make_client()

    def on_status() -> None:
        if sio.state == "connecting" and sio.transport() is not None:
            server.kill()  # the session is open, the CONNECT not yet answered

    sio.add_status_listener(on_status)
    with pytest.raises(exceptions.ConnectionError) as info:
        await asyncio.wait_for(sio.connect(server.url, transports=transports, wait_timeout=30), 20)
    message = str(info.value)
    assert "timed out" not in message, message
    assert "the connection closed (transport " in message and "before it connected" in message, message


@pytest.fixture
async def open_packet_server():
    """``await open_packet_server(text)``: an HTTP server whose every polling GET answers ``text``
    (a hand-written Engine.IO open packet: the real peers never send a broken one)."""
    from aiohttp import web

    runners: list[web.AppRunner] = []

    async def start(text: str) -> str:
        async def answer(request: web.Request) -> web.Response:
            return web.Response(text=text, content_type="text/plain")

        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", answer)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.mark.parametrize("field, value", [("pingInterval", "Infinity"), ("pingTimeout", "NaN"), ("pingInterval", "-5")])
async def test_non_finite_heartbeat_in_the_open_packet_is_a_clear_connection_error(
    open_packet_server, make_client, field, value
):
    """Before: ``pingInterval: Infinity`` was accepted and failed later with an OverflowError traceback."""
    numbers = {"pingInterval": "25000", "pingTimeout": "20000", field: value}
    interval, timeout = numbers["pingInterval"], numbers["pingTimeout"]
    url = await open_packet_server(
        f'0{{"sid":"x","upgrades":[],"pingInterval":{interval},"pingTimeout":{timeout},"maxPayload":1000000}}'
    )
    sio = make_client(reconnection=False)
    with pytest.raises(exceptions.ConnectionError, match=f"'{field}' must be a finite number >= 0"):
        await asyncio.wait_for(sio.connect(url, transports=["polling"]), 10)
    assert sio.state == "disconnected"


async def test_payload_too_large_reaches_the_pending_call(peer_kind, transports, server_factory, make_client):
    """Before: the call failed with DisconnectedError("... (transport error) before the ack arrived")."""
    if peer_kind == "python" and transports != ["websocket"]:
        pytest.skip("python-engineio answers an oversized POST with 400, not 413 (tests/peers/python_server.py)")
    server = server_factory(peer_kind, max_http_buffer_size=1000)
    sio = make_client()
    await connect_upgraded(sio, server.url, transports)
    with pytest.raises(exceptions.PayloadTooLargeError, match="1009|413"):
        await sio.call("echo", "x" * 5000, timeout=10)


async def test_handler_error_log_names_the_event_and_namespace(server, make_client, caplog):
    """Before: "error in the handler for an event on /custom"."""
    caplog.set_level(logging.ERROR, logger="sio_notebook")
    sio = make_client()
    ev = Events()

    def broken(*args: Any) -> None:
        ev.add("called")
        raise RuntimeError("boom")

    sio.on("message-back", broken, namespace="/custom")
    await sio.connect(server.url, namespaces=["/custom"], transports=["websocket"])
    await sio.emit("message", 1, namespace="/custom")
    await ev.first("called")
    assert await sio.call("echo", 1, namespace="/custom", timeout=5) == 1  # the handler ran before this ack
    lines = [r.getMessage() for r in caplog.records if r.exc_info]
    assert "error in the handler for event 'message-back' on namespace /custom" in lines, lines


CTRL_C_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    import sio_notebook as socketio

    async def main():
        sio = socketio.AsyncClient()
        await sio.connect(sys.argv[1], transports=sys.argv[2].split(","))
        print("connected", flush=True)
        await sio.wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    """
)


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_ctrl_c_under_asyncio_run_leaves_no_unclosed_session(node_server, transport, tmp_path: Path):
    """Before: "Unclosed client session" / "Unclosed connector" on stderr at exit."""
    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C_SCRIPT)
    env = {**os.environ, "PYTHONDEVMODE": "1"}  # ResourceWarnings and asyncio debug on
    proc = subprocess.Popen(
        [sys.executable, str(script), node_server.url, transport],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "connected"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert "interrupted" in out, (out, err)
    assert "Unclosed" not in err, err


# --- 10. naive datetimes ---------------------------------------------------------------------


async def test_naive_datetime_is_refused_and_aware_ones_arrive_in_utc(server, make_client):
    """Before: a naive datetime went out as if it were UTC (local 09:00 arrived as 09:00Z)."""
    sio = make_client()
    await sio.connect(server.url, transports=["websocket"])
    with pytest.raises(TypeError, match="naive datetime"):
        await sio.emit("echo", dt.datetime(2024, 5, 6, 9, 0))
    paris_summer = dt.timezone(dt.timedelta(hours=2))
    answer = await sio.call("echo", dt.datetime(2024, 5, 6, 9, 0, tzinfo=paris_summer), timeout=5)
    assert answer == "2024-05-06T07:00:00.000Z"
    assert sio.connected
