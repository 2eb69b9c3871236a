"""A mock server on its own event loop in a thread, for code that is not async (and for fixtures).

::

    with BackgroundMockServer("session.parquet") as server:
        client = sio_notebook.Client(); client.connect(server.url)

The pytest fixture uses it so that one fixture serves every kind of test: a plain test with
the thread :class:`~sio_notebook.sync.client.Client` or ``requests``, and an async test on any
plugin's loop (pytest-asyncio, anyio). The server never waits for the test's loop, and a test
that blocks cannot stall the server.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from types import TracebackType
from typing import Any

from .recording import Recording
from .server import MockServer

__all__ = ["BackgroundMockServer"]


class BackgroundMockServer:
    """A :class:`~sio_notebook.mock.server.MockServer` running in a daemon thread.

    The arguments are :class:`MockServer`'s. :meth:`start` returns once :attr:`url` is known
    (or raises what starting raised); :meth:`stop` stops the server, then the thread.
    """

    def __init__(self, source: Any, host: str = "127.0.0.1", port: int = 0, speed: float | None = None) -> None:
        self.server = MockServer(source, host, port, speed)
        """The server itself; call its coroutines only on :attr:`loop`."""
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str | None:
        """``http://HOST:PORT`` while running."""
        return self.server.url

    @property
    def recording(self) -> Recording:
        """What the server plays."""
        return self.server.recording

    def start(self, timeout: float = 30.0) -> BackgroundMockServer:
        if self._thread is not None:
            raise RuntimeError(f"the mock server is already running at {self.url}")
        started: Future[None] = Future()
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)

            async def begin() -> None:
                await self.server.start()

            try:
                loop.run_until_complete(begin())
            except BaseException as exc:  # noqa: BLE001 - handed to start(), which raises it
                started.set_exception(exc)
                loop.close()
                return
            started.set_result(None)
            try:
                loop.run_forever()
            finally:
                loop.close()

        self.loop = loop
        self._thread = threading.Thread(target=run, name="sio-notebook mock server", daemon=True)
        self._thread.start()
        try:
            started.result(timeout)
        except BaseException:
            self._thread.join(timeout)
            self._thread = self.loop = None
            raise
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Close every connection, stop listening and end the thread (idempotent)."""
        thread, loop = self._thread, self.loop
        if thread is None or loop is None:
            return
        self._thread = self.loop = None
        if loop.is_running():
            asyncio.run_coroutine_threadsafe(self.server.stop(), loop).result(timeout)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)

    def __enter__(self) -> BackgroundMockServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return repr(self.server).replace("<MockServer", "<BackgroundMockServer", 1)
