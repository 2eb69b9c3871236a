"""Scripted transports: the server's side of the wire, played by the test.

A :class:`Script` is one server: each polling GET takes the next body the test queued
with ``respond()`` (or raises the error queued with ``fail_next_get()``), every POST
is recorded in ``posts`` (and wakes whoever waits with ``next_post()``), WebSocket
frames the client writes land in ``ws_sent`` and the test pushes server frames with
``ws_send()``. :class:`ScriptedOpener` plugs it into ``EngineConnection(opener=...)`` or
``AsyncClient(transport_opener=...)``, so the real engine (reader, writer, watchdog,
upgrade) and the real client (reconnection) run with no server and no sockets.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, NoReturn

import aiohttp

from sio_notebook.exceptions import ConnectionError, TransportError
from sio_notebook.sansio import engineio
from sio_notebook.sansio.engineio import Frame


def open_packet(sid: str = "s1", upgrades: tuple[str, ...] = (), ping_interval: int = 25000,
                ping_timeout: int = 20000) -> str:
    return "0" + json.dumps({"sid": sid, "upgrades": list(upgrades), "pingInterval": ping_interval,
                             "pingTimeout": ping_timeout, "maxPayload": 1_000_000})


class Script:
    """One scripted server (see the module docstring)."""

    def __init__(self) -> None:
        self.gets: asyncio.Queue[str | BaseException] = asyncio.Queue()
        self.posts: list[list[Frame]] = []
        self._posted = asyncio.Event()
        self.post_gate: asyncio.Event | None = None  # when set to an Event, POSTs wait for it
        self.ws_sent: list[Frame] = []
        self._ws_wrote = asyncio.Event()
        self.ws_inbox: asyncio.Queue[aiohttp.WSMessage] = asyncio.Queue()
        self.closed: list[str] = []
        self.opened: list[str] = []

    # --- the test's side --------------------------------------------------------------

    def respond(self, *frames: Frame) -> None:
        """The body of the next GET: these frames, as a polling payload."""
        self.gets.put_nowait(engineio.encode_payload(list(frames)))

    def fail_next_get(self, error: BaseException) -> None:
        self.gets.put_nowait(error)

    async def next_post(self, timeout: float = 5) -> list[Frame]:
        """The frames of the next POST not yet taken."""
        while not self.posts:
            self._posted.clear()
            await asyncio.wait_for(self._posted.wait(), timeout)
        return self.posts.pop(0)

    def ws_send(self, frame: Frame) -> None:
        kind = aiohttp.WSMsgType.TEXT if isinstance(frame, str) else aiohttp.WSMsgType.BINARY
        self.ws_inbox.put_nowait(aiohttp.WSMessage(kind, frame, None))

    def ws_close(self) -> None:
        self.ws_inbox.put_nowait(aiohttp.WSMessage(aiohttp.WSMsgType.CLOSE, 1000, None))

    async def next_ws_frame(self, timeout: float = 5) -> Frame:
        """The next frame the client wrote on the WebSocket."""
        while not self.ws_sent:
            self._ws_wrote.clear()
            await asyncio.wait_for(self._ws_wrote.wait(), timeout)
        return self.ws_sent.pop(0)

    # --- the transports' side ---------------------------------------------------------

    async def get(self) -> str:
        item = await self.gets.get()
        if isinstance(item, BaseException):
            raise item
        return item

    async def post(self, frames: list[Frame]) -> None:
        if self.post_gate is not None:
            await self.post_gate.wait()
        self.posts.append(list(frames))
        self._posted.set()

    def ws_write(self, frames: list[Frame]) -> None:
        self.ws_sent.extend(frames)
        self._ws_wrote.set()


class ScriptedPolling:
    name = "polling"

    def __init__(self, script: Script) -> None:
        self.script = script
        self._early: list[Frame] = []

    async def handshake(self, timeout: float | None = None) -> engineio.OpenInfo:
        frames = engineio.decode_payload(await self.script.get())
        info = engineio.parse_open(frames[0])
        self._early = frames[1:]
        return info

    async def read(self) -> list[Frame]:
        if self._early:
            early, self._early = self._early, []
            return early
        return engineio.decode_payload(await self.script.get())

    async def write(self, frames: list[Frame]) -> None:
        await self.script.post(frames)

    async def close(self) -> None:
        self.script.closed.append("polling")

    def release_connections(self) -> int:
        return 0


class _ScriptedSocket:
    def __init__(self, script: Script) -> None:
        self.script = script

    async def receive(self) -> aiohttp.WSMessage:
        return await self.script.ws_inbox.get()


class ScriptedWebSocket:
    name = "websocket"
    frame_kinds = (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY)

    def __init__(self, script: Script) -> None:
        self.script = script
        self.ws = _ScriptedSocket(script)

    async def read(self) -> list[Frame]:
        msg = await self.ws.receive()
        if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
            return [msg.data]
        self.raise_closed(msg)

    async def read_one(self, timeout: float) -> Frame:
        async with asyncio.timeout(timeout) if hasattr(asyncio, "timeout") else _no_timeout():
            return (await self.read())[0]

    def raise_closed(self, msg: aiohttp.WSMessage) -> NoReturn:
        raise EOFError(f"scripted WebSocket closed ({msg.type.name})")

    async def write(self, frames: list[Frame]) -> None:
        self.script.ws_write(frames)

    async def close(self) -> None:
        self.script.closed.append("websocket")

    def release_connections(self) -> int:
        return 0


class _no_timeout:  # noqa: N801 - Python 3.10 has no asyncio.timeout; the tests' own timeout bounds it
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: Any) -> None:
        return None


class ScriptedOpener:
    """A TransportOpener over a sequence of scripts: each new connection takes the next.

    An item may be an exception instead: that connection attempt fails with it.
    """

    def __init__(self, *scripts: Script | BaseException) -> None:
        self.scripts = list(scripts)
        self.current: Script | None = None

    def _next(self) -> Script:
        if not self.scripts:
            raise ConnectionError("the scripted server has no more connections")
        item = self.scripts.pop(0)
        if isinstance(item, BaseException):
            raise item
        self.current = item
        return item

    def polling(self, http: Any, url: Any, headers: Any, **options: Any) -> ScriptedPolling:
        script = self._next()
        script.opened.append("polling")
        return ScriptedPolling(script)

    async def open_websocket(self, http: Any, url: str, headers: Any, **options: Any) -> ScriptedWebSocket:
        if "sid=" in url:  # an upgrade: the same server as the polling session
            assert self.current is not None
            self.current.opened.append("websocket")
            return ScriptedWebSocket(self.current)
        script = self._next()
        script.opened.append("websocket")
        return ScriptedWebSocket(script)


__all__ = ["Script", "ScriptedOpener", "ScriptedPolling", "ScriptedWebSocket", "TransportError", "open_packet"]
