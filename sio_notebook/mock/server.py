"""The mock server: python-socketio's ``AsyncServer`` on aiohttp, playing a :class:`Recording`.

::

    async with await mock_server("session.parquet") as server:   # or a Capture
        sio = AsyncClient(); await sio.connect(server.url)
        ...

The Socket.IO server is not ours to write: python-socketio's (the ``mock`` extra) speaks the
protocol, negotiates the transports, encodes binary attachments and rejects unknown
namespaces with a CONNECT error, exactly as it does for the demo server. This module only
decides what it says:

* a client that connects to a recorded namespace gets that namespace's recorded server
  events, in order, each to that client alone: at once (``speed=None``) or with the recorded
  gaps divided by ``speed``, counted from the recording's first row of any namespace (so a
  client of several namespaces gets them interleaved as they were);
* a call gets the recorded ack (:class:`~sio_notebook.mock.recording.AckBook`); an event with
  no recorded ack gets none;
* a namespace that was not recorded gets python-socketio's CONNECT_ERROR (protocol §2.5).

The CONNECT reply is sent before the stream starts (``always_connect=True``), so no event can
overtake it: a client has joined a namespace only once that reply arrived (protocol §2.4).
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Any

from .recording import AckBook, Recording, ServerEvent

__all__ = ["MockServer", "mock_server", "require_socketio"]

logger = logging.getLogger(__name__)

#: Seconds stop() waits for a client to take its last packets before closing its connection.
CLOSE_WAIT = 1.0
#: Events sent between two yields to the loop with ``speed=None``, so that other clients,
#: the acks and the transport's writer keep running during a long stream.
BATCH = 200


def require_socketio() -> Any:
    """``import socketio`` with a clear error when the ``mock`` extra is missing."""
    try:
        import socketio
    except ImportError:
        raise ImportError("the mock server needs python-socketio: pip install 'sio-notebook[mock]'") from None
    return socketio


class MockServer:
    """A Socket.IO server that plays a recorded session (see the module docstring).

    Args:
        source: a :class:`~sio_notebook.notebook.recording.capture.Capture`, the path of a Parquet
            dataset it wrote (``capture(..., path=...)``), or an iterable of capture rows.
        host, port: where to listen; ``port=0`` picks a free port (see :attr:`url`).
        speed: ``None`` sends each namespace's events as fast as possible; ``1.0`` with the
            recorded gaps, ``2.0`` twice as fast.

    :meth:`start` (or ``await mock_server(...)``) starts it; :meth:`stop` stops it and closes
    every client's connection. It is an async context manager doing both.
    """

    def __init__(self, source: Any, host: str = "127.0.0.1", port: int = 0, speed: float | None = None) -> None:
        if speed is not None and (isinstance(speed, bool) or not (isinstance(speed, (int, float)) and speed > 0)):
            raise ValueError(f"speed must be a positive number or None, not {speed!r}")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an integer from 0 to 65535, not {port!r}")
        self.recording = Recording.load(source)
        """What the server plays."""
        self.host = host
        self.port = port
        """The port asked for; the bound one is in :attr:`url` once started."""
        self.speed = speed
        self.url: str | None = None
        """``http://HOST:PORT`` once started (``None`` before and after)."""
        self.clients = 0
        """Namespace connections made to this server so far."""
        self._sio: Any = None
        self._runner: Any = None
        self._streams: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._books: dict[str, AckBook] = {}
        self._connections: dict[str, str] = {}  # Socket.IO sid -> its namespace

    # Starting and stopping

    async def start(self) -> MockServer:
        """Listen; returns once :attr:`url` is known. Starting a started server is an error."""
        if self._runner is not None:
            raise RuntimeError(f"the mock server is already running at {self.url}")
        socketio = require_socketio()
        from aiohttp import web

        sio = socketio.AsyncServer(
            async_mode="aiohttp",
            cors_allowed_origins="*",
            namespaces=self.recording.namespaces,
            always_connect=True,
        )
        for namespace in self.recording.namespaces:
            self._handle(sio, namespace)
        app = web.Application()
        sio.attach(app)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        host, port = runner.addresses[0][:2]
        self._sio, self._runner = sio, runner
        self.url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        return self

    async def stop(self) -> None:
        """Stop the streams, close every connection and stop listening (idempotent)."""
        runner, sio = self._runner, self._sio
        if runner is None:
            return
        self._runner = self._sio = None
        self.url = None
        streams = list(self._streams.values())
        for task in streams:
            task.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
        self._streams.clear()
        self._books.clear()
        # A Socket.IO DISCONNECT per namespace (protocol §2.7: the client does not reconnect),
        # then each Engine.IO connection closed, waiting at most CLOSE_WAIT for a client to
        # take its last packets (one that stopped polling never would).
        for sid, namespace in list(self._connections.items()):
            await sio.disconnect(sid, namespace=namespace)
        self._connections.clear()
        sockets = list(sio.eio.sockets.values())
        await asyncio.gather(*(_close(socket) for socket in sockets))
        await sio.shutdown()
        await runner.cleanup()

    async def __aenter__(self) -> MockServer:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def __repr__(self) -> str:
        where = self.url or "stopped"
        events = sum(len(s) for s in self.recording.streams.values())
        calls = sum(len(c) for c in self.recording.calls.values())
        return (
            f"<MockServer {where}: {', '.join(self.recording.namespaces)}; {events} server events, "
            f"{calls} recorded acks, speed {self.speed or 'max'}>"
        )

    # The handlers of one namespace

    def _handle(self, sio: Any, namespace: str) -> None:
        stream = self.recording.streams.get(namespace, [])

        async def connect(sid: str, environ: Any, auth: Any = None) -> None:
            self.clients += 1
            self._connections[sid] = namespace
            self._books.setdefault(sid, AckBook(self.recording))
            task = asyncio.create_task(self._play(sio, sid, namespace, stream), name=f"mock {namespace} {sid}")
            task.add_done_callback(self._stream_done)
            self._streams[(sid, namespace)] = task

        async def disconnect(sid: str, *reason: Any) -> None:
            # python-socketio gives each namespace connection its own sid (protocol §2.4)
            task = self._streams.pop((sid, namespace), None)
            if task is not None:
                task.cancel()
            self._books.pop(sid, None)
            self._connections.pop(sid, None)

        async def any_event(event: str, sid: str, *args: Any) -> Any:
            book = self._books.get(sid)
            ack = None if book is None else book.answer(namespace, event, args)
            # python-socketio acks a handler's None with an empty ack; its not_handled marker
            # sends no ack at all, which is what a server without such a handler does.
            # (protocol §2.6: the ack answers only a call, one that carries an ack id).
            return sio.not_handled if ack is None else tuple(ack)

        sio.on("connect", connect, namespace=namespace)
        sio.on("disconnect", disconnect, namespace=namespace)
        sio.on("*", any_event, namespace=namespace)

    async def _play(self, sio: Any, sid: str, namespace: str, stream: list[ServerEvent]) -> None:
        speed = self.speed
        loop = asyncio.get_running_loop()
        start = loop.time()
        t0 = self.recording.start
        for i, item in enumerate(stream, 1):
            if speed is not None:
                delay = start + (item.time - t0) / speed - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            elif i % BATCH == 0:
                await asyncio.sleep(0)
            # A tuple is sent as that many arguments (python-socketio's convention).
            await sio.emit(item.event, tuple(item.args), to=sid, namespace=namespace)

    @staticmethod
    def _stream_done(task: asyncio.Task[None]) -> None:
        # A stream that fails is logged, never lost silently (the client sees it stop).
        if not task.cancelled() and task.exception() is not None:
            logger.error("mock stream %s failed", task.get_name(), exc_info=task.exception())


async def _close(socket: Any) -> None:
    """Close one python-engineio socket: politely, then at once if the client is not reading."""
    try:
        await asyncio.wait_for(socket.close(), CLOSE_WAIT)
    except asyncio.TimeoutError:
        await socket.close(wait=False, abort=True)


async def mock_server(source: Any, host: str = "127.0.0.1", port: int = 0, speed: float | None = None) -> MockServer:
    """A started :class:`MockServer` playing ``source``; ``async with`` it to stop it at the end::

        server = await nb.mock_server("session.parquet")
        server.url                       # http://127.0.0.1:PORT
        await server.stop()
    """
    return await MockServer(source, host, port, speed).start()
