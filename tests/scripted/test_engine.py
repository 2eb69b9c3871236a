"""EngineConnection against scripted transports: reader, writer, heartbeat, upgrade.

No server and no socket: the test plays the server frame by frame (tests/scripted/
transports.py), so each case is fast and its order of events is fixed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sio_notebook.aio.engine import EngineConnection
from sio_notebook.sansio.engineio import Frame
from sio_notebook.sansio.url import parse_url

from .transports import Script, ScriptedOpener, open_packet

URL = parse_url("http://scripted.invalid")


class Recorder:
    """The engine's owner: collects messages, pings and the one close."""

    def __init__(self) -> None:
        self.messages: list[Frame] = []
        self.pings = 0
        self.closed: asyncio.Future[tuple[str, BaseException | None]] = asyncio.get_running_loop().create_future()
        self._message = asyncio.Event()

    def on_message(self, message: Frame) -> None:
        self.messages.append(message)
        self._message.set()

    def on_close(self, reason: str, error: BaseException | None) -> None:
        assert not self.closed.done(), "on_close must be called exactly once"
        self.closed.set_result((reason, error))

    def on_ping(self) -> None:
        self.pings += 1

    async def wait_messages(self, count: int) -> list[Frame]:
        while len(self.messages) < count:
            self._message.clear()
            await self._message.wait()
        return self.messages


async def open_engine(script: Script, transports: list[str] | None = None, **options: Any) -> tuple[EngineConnection, Recorder]:
    import logging

    recorder = Recorder()
    engine = EngineConnection(
        on_message=recorder.on_message, on_close=recorder.on_close, on_ping=recorder.on_ping,
        logger=logging.getLogger("test.scripted"), opener=ScriptedOpener(script),
    )
    await engine.open(
        None,  # type: ignore[arg-type]  # the scripted opener needs no aiohttp session
        URL, transports=transports or ["polling"], headers={}, ssl=True, request_timeout=5,
        websocket_options=None, **options,
    )
    return engine, recorder


async def test_the_reader_hands_messages_over_in_order_and_answers_pings() -> None:
    script = Script()
    script.respond(open_packet(), '40{"sid":"a"}')  # the open packet may carry the first messages
    engine, recorder = await open_engine(script)
    assert await recorder.wait_messages(1) == ['0{"sid":"a"}']
    script.respond("2", '42["one"]', '42["two"]')
    assert await recorder.wait_messages(3) == ['0{"sid":"a"}', '2["one"]', '2["two"]']
    assert await script.next_post() == ["3"]  # the pong, queued by the core
    assert recorder.pings == 1
    await engine.close()
    assert script.closed == ["polling"]


async def test_the_writer_posts_in_order_with_one_post_in_flight() -> None:
    script = Script()
    script.respond(open_packet())
    engine, _ = await open_engine(script)
    script.post_gate = gate = asyncio.Event()  # the first POST hangs until the gate opens
    engine.send(['2["a"]'])
    await asyncio.sleep(0)  # let the writer start that POST
    engine.send(['2["b"]', '2["c"]'])
    assert not engine.writable  # a write is in flight: volatile emits are dropped now
    gate.set()
    assert await script.next_post() == ['42["a"]']
    assert await script.next_post() == ['42["b"]', '42["c"]']  # queued meanwhile: the next POST
    await engine.flush()
    assert engine.writable
    await engine.close()


async def test_a_server_close_packet_ends_with_transport_close() -> None:
    script = Script()
    script.respond(open_packet())
    _, recorder = await open_engine(script)
    script.respond("1")
    assert await recorder.closed == ("transport close", None)


async def test_malformed_data_ends_with_parse_error() -> None:
    script = Script()
    script.respond(open_packet())
    _, recorder = await open_engine(script)
    script.gets.put_nowait("9nonsense")
    reason, error = await recorder.closed
    assert reason == "parse error" and "unknown Engine.IO packet type" in str(error)


async def test_no_ping_within_interval_plus_timeout_is_a_ping_timeout() -> None:
    script = Script()
    script.respond(open_packet(ping_interval=20, ping_timeout=20))
    _, recorder = await open_engine(script)
    reason, _ = await asyncio.wait_for(recorder.closed, 5)  # the watchdog fires after ~40 ms
    assert reason == "ping timeout"


async def test_a_get_that_fails_is_a_transport_error() -> None:
    from sio_notebook.exceptions import TransportError

    script = Script()
    script.respond(open_packet())
    _, recorder = await open_engine(script)
    script.fail_next_get(TransportError("GET failed: connection reset"))
    reason, error = await recorder.closed
    assert reason == "transport error" and "connection reset" in str(error)


# --- the upgrade (§1.6) ----------------------------------------------------------------


async def test_upgrade_probes_pauses_polling_then_switches() -> None:
    script = Script()
    script.respond(open_packet(upgrades=("websocket",)))
    engine, recorder = await open_engine(script, transports=["polling", "websocket"])
    assert await script.next_ws_frame() == "2probe"  # step 2, on the new WebSocket
    engine.send(['2["sent while probing"]'])  # polling still carries everything
    assert await script.next_post() == ['42["sent while probing"]']
    script.ws_send("3probe")
    while engine.writable:  # step 3: the probe was answered, polling pauses
        await asyncio.sleep(0.001)
    engine.send(['2["queued during the pause"]'])
    await asyncio.sleep(0.01)
    assert script.posts == []  # no new POST while paused
    script.respond("6")  # the server ends the pending GET with a noop
    assert await script.next_ws_frame() == "5"  # step 4
    assert engine.transport_name == "websocket"
    assert await script.next_ws_frame() == '42["queued during the pause"]'  # buffered packets first
    assert script.posts == []
    script.ws_send('42["over the websocket"]')
    assert (await recorder.wait_messages(1))[-1] == '2["over the websocket"]'
    await engine.close()


async def test_a_wrong_probe_answer_keeps_polling() -> None:
    script = Script()
    script.respond(open_packet(upgrades=("websocket",)))
    engine, recorder = await open_engine(script, transports=["polling", "websocket"])
    assert await script.next_ws_frame() == "2probe"
    script.ws_send("3nope")
    while "websocket" not in script.closed:  # the failed socket is closed ...
        await asyncio.sleep(0.005)
    assert engine.transport_name == "polling"  # ... and polling carries on
    engine.send(['2["still polling"]'])
    assert await script.next_post() == ['42["still polling"]']
    script.respond('42["and reading"]')
    assert (await recorder.wait_messages(1))[-1] == '2["and reading"]'
    await engine.close()


@pytest.mark.parametrize("upgrade", [False, True])
async def test_upgrade_false_or_no_websocket_offered_never_probes(upgrade: bool) -> None:
    script = Script()
    script.respond(open_packet(upgrades=() if upgrade else ("websocket",)))
    engine, _ = await open_engine(script, transports=["polling", "websocket"], upgrade=upgrade)
    await asyncio.sleep(0.01)
    assert script.opened == ["polling"] and engine.transport_name == "polling"
    await engine.close()
