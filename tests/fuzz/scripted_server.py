"""A scripted Engine.IO 4 server (aiohttp, loopback, websocket and polling) for hostile tests.

It runs in its own thread with its own event loop, so the test's loop holds nothing but
the client (task-leak checks stay exact) and a misbehaving client cannot stall it.

Every Engine.IO session the client opens gets a fresh :class:`Session` and runs
``script(session)`` (a coroutine function) on the server loop. The script decides what to
send, frame by frame, including things no real server sends. The server itself only does
the handshake (``0{...}``, long ping interval so no pings get in the way) and the
transport plumbing:

* websocket: one Engine.IO packet per frame, as the script sends them;
* polling: frames queued by ``send`` go out in the next GET (``send`` returns once a GET
  carried them); ``send_body(raw)`` makes the next GET return exactly ``raw`` (malformed
  payloads); ``lose_next_get()`` makes the next GET dequeue what is pending and then reset
  the connection without answering (a response lost on the way); ``lose_close_posts(n)``
  resets the first ``n`` close POSTs (``1``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSMsgType, web

from sio_notebook.sansio import engineio
from sio_notebook.sansio.engineio import Frame

__all__ = ["ScriptedServer", "Session"]

PING_INTERVAL_MS = 20000
PING_TIMEOUT_MS = 20000

Script = Callable[["Session"], Awaitable[None]]


def _reset(transport: Any) -> None:
    """Close a connection with a TCP RST (SO_LINGER 0), dropping whatever is unsent."""
    if transport is None or transport.is_closing():
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class Session:
    """One Engine.IO session, as the script sees it (all methods run on the server loop)."""

    def __init__(self, server: ScriptedServer, index: int, transport: str) -> None:
        self.server = server
        self.index = index
        self.transport = transport
        self.sid = f"eio-{index}"
        #: What the client sent: the Socket.IO packets (Engine.IO message payloads, so
        #: '0{}' for a CONNECT) and binary attachments, in order. ``send`` takes whole
        #: Engine.IO packets ('40{...}', '42[...]'): it can send anything.
        self.inbox: asyncio.Queue[Frame] = asyncio.Queue()
        self.received: list[Frame] = []
        self.closed = asyncio.Event()
        self.gets = 0  # polling GETs with this sid (handshake excluded)
        self._pong = asyncio.Event()
        self.close_posts = 0
        self._ws: web.WebSocketResponse | None = None
        self._ws_transport: Any = None
        self._outbox: list[Frame] = []
        self._raw_body: str | bytes | None = None
        self._flushed = asyncio.Event()
        self._ready = asyncio.Event()  # polling: something to send
        self._lose_next_get = False
        self._lose_close_posts = 0
        self.lost_frames: list[Frame] = []

    # --- for scripts ---------------------------------------------------------------------

    async def send(self, *frames: Frame) -> None:
        """Send Engine.IO packets (``'42["x"]'``; bytes = a binary message)."""
        if self.closed.is_set():
            return
        if self._ws is not None:
            for frame in frames:
                if isinstance(frame, bytes):
                    await self._ws.send_bytes(frame)
                else:
                    await self._ws.send_str(frame)
            return
        self._outbox.extend(frames)
        await self._wait_flushed()

    async def send_body(self, raw: str | bytes) -> None:
        """Polling only: the next GET answers exactly ``raw`` (bytes: not even UTF-8)."""
        self._raw_body = raw
        await self._wait_flushed()

    async def ping(self, timeout: float = 5) -> None:
        """Send a ping and wait for the pong: everything sent before it has been processed
        by the client (it handles packets in order)."""
        self._pong.clear()
        await self.send("2")
        await asyncio.wait_for(self._pong.wait(), timeout)

    def lose_next_get(self) -> None:
        self._lose_next_get = True

    def lose_close_posts(self, n: int) -> None:
        self._lose_close_posts = n

    async def recv(self, timeout: float = 5) -> Frame:
        return await asyncio.wait_for(self.inbox.get(), timeout)

    async def expect(self, prefix: str, timeout: float = 5) -> str:
        """The next frame from the client that starts with ``prefix`` (others are skipped)."""
        async def find() -> str:
            while True:
                frame = await self.inbox.get()
                if isinstance(frame, str) and frame.startswith(prefix):
                    return frame
        return await asyncio.wait_for(find(), timeout)

    async def accept(self, namespace: str = "/", sid: str | None = None, extra: dict | None = None) -> dict:
        """Wait for the client's CONNECT for ``namespace``; answer it. Returns its payload."""
        prefix = "0" if namespace == "/" else f"0{namespace},"
        frame = await self.expect(prefix)
        payload = frame[len(prefix):]
        reply = {"sid": sid or f"sio-{self.index}", **(extra or {})}
        await self.send("4" + prefix + json.dumps(reply))
        return json.loads(payload) if payload else {}

    async def abort(self) -> None:
        """Kill the session: reset the websocket, or forget the polling sid (400 from now)."""
        if self._ws is not None:
            _reset(self._ws_transport)
        self._end()

    # --- plumbing ------------------------------------------------------------------------

    async def _wait_flushed(self) -> None:
        self._flushed.clear()
        self._ready.set()
        closed = asyncio.ensure_future(self.closed.wait())
        flushed = asyncio.ensure_future(self._flushed.wait())
        try:
            await asyncio.wait({closed, flushed}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
            flushed.cancel()

    def _take_body(self) -> str | bytes | None:
        if self._raw_body is not None:
            body, self._raw_body = self._raw_body, None
            return body
        if self._outbox:
            frames, self._outbox = self._outbox, []
            return engineio.encode_payload(frames)
        return None

    def _deliver(self, frame: Frame) -> None:
        self.received.append(frame)
        self.inbox.put_nowait(frame)

    def _end(self) -> None:
        self.closed.set()
        self._ready.set()
        self.server.sessions_by_sid.pop(self.sid, None)


class ScriptedServer:
    """``ScriptedServer(script).start()``; ``url``; ``sessions``; ``stop()``."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.sessions: list[Session] = []
        self.sessions_by_sid: dict[str, Session] = {}
        self.errors: list[BaseException] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="scripted-eio-server", daemon=True)
        self._started = threading.Event()
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ScriptedServer:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the scripted server did not start")
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def call(self, coro: Awaitable[Any], timeout: float = 10) -> Any:
        """Run a coroutine on the server loop from another thread."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # --- loop thread ---------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._listen())
        self._started.set()
        self._loop.run_forever()
        self._loop.close()

    async def _listen(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/socket.io/", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        for session in list(self.sessions):
            session._end()
            if session._ws is not None and not session._ws.closed:
                await session._ws.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    def _new_session(self, transport: str) -> Session:
        session = Session(self, len(self.sessions), transport)
        self.sessions.append(session)
        self.sessions_by_sid[session.sid] = session
        task = self._loop.create_task(self._run_script(session))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return session

    async def _run_script(self, session: Session) -> None:
        try:
            await self.script(session)
        except (asyncio.CancelledError, asyncio.TimeoutError):
            pass
        except Exception as exc:  # noqa: BLE001 - surfaced by the tests through server.errors
            self.errors.append(exc)

    def _open_packet(self, session: Session, upgrades: list[str]) -> str:
        return "0" + json.dumps({
            "sid": session.sid, "upgrades": upgrades, "pingInterval": PING_INTERVAL_MS,
            "pingTimeout": PING_TIMEOUT_MS, "maxPayload": 1_000_000,
        })

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        if query.get("EIO") != "4":
            return web.json_response({"code": 5, "message": "Unsupported protocol version"}, status=400)
        if query.get("transport") == "websocket":
            return await self._websocket(request)
        sid = query.get("sid")
        if sid is None:
            if request.method != "GET":
                return web.json_response({"code": 2, "message": "Bad handshake method"}, status=400)
            session = self._new_session("polling")
            return web.Response(text=self._open_packet(session, []), content_type="text/plain")
        session = self.sessions_by_sid.get(sid)
        if session is None or session.closed.is_set():
            return web.json_response({"code": 1, "message": "Session ID unknown"}, status=400)
        if request.method == "POST":
            return await self._post(request, session)
        return await self._get(request, session)

    async def _get(self, request: web.Request, session: Session) -> web.StreamResponse:
        session.gets += 1
        deadline = self._loop.time() + PING_INTERVAL_MS / 1000
        while True:
            body = session._take_body()
            if body is not None or session.closed.is_set():
                break
            session._ready.clear()
            left = deadline - self._loop.time()
            if left <= 0:
                body = "6"  # noop, as an idle server would answer instead of a ping
                break
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(session._ready.wait(), left)
        if session.closed.is_set() and body is None:
            body = "1"
        if session._lose_next_get:
            session._lose_next_get = False
            session.lost_frames.append(body)
            session._flushed.set()  # from the server's point of view, it is sent
            _reset(request.transport)
            raise asyncio.CancelledError  # aiohttp drops the handler quietly
        session._flushed.set()
        if isinstance(body, bytes):
            return web.Response(body=body, content_type="text/plain")
        return web.Response(text=body, content_type="text/plain", charset="utf-8")

    async def _post(self, request: web.Request, session: Session) -> web.StreamResponse:
        body = await request.text()
        try:
            frames = engineio.decode_payload(body)
        except ValueError:
            return web.Response(status=400, text="bad payload")
        if frames == [engineio.CLOSE]:
            session.close_posts += 1
            if session._lose_close_posts:
                session._lose_close_posts -= 1
                _reset(request.transport)
                raise asyncio.CancelledError
            session._end()
            return web.Response(text="ok", content_type="text/html")
        for frame in frames:
            if frame == engineio.PONG:
                session._pong.set()
            elif isinstance(frame, str) and frame[:1] == "4":
                session._deliver(frame[1:])
            elif isinstance(frame, bytes):
                session._deliver(frame)
        return web.Response(text="ok", content_type="text/html")

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        session = self._new_session("websocket")
        session._ws = ws
        session._ws_transport = request.transport
        await ws.send_str(self._open_packet(session, []))
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    if msg.data == engineio.PONG:
                        session._pong.set()
                    elif msg.data[:1] == "4":
                        session._deliver(msg.data[1:])
                    elif msg.data == "1":
                        break
                elif msg.type is WSMsgType.BINARY:
                    session._deliver(msg.data)
        finally:
            session._end()
        return ws
