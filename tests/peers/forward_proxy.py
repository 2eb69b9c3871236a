"""A small HTTP forward proxy on 127.0.0.1 that counts what it relays (for the proxy tests).

Two kinds of request, as a browser or requests sends them to an ``HTTP(S)_PROXY``:

* ``CONNECT host:port`` (https://, wss://, and what aiohttp uses for ws:// too): answered
  ``200``, then bytes are piped both ways;
* absolute-URI requests (``GET http://host:port/path HTTP/1.1``): forwarded in origin
  form to that host, on a connection of their own; the response (a ``101`` WebSocket
  switch included) is piped back.

``requests`` lists ``(method, target)`` in arrival order. It runs its own loop in a
daemon thread, so it serves the thread Client's loop and the test's loop alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from urllib.parse import urlsplit

__all__ = ["ForwardProxy"]


class ForwardProxy:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="forward-proxy", daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ForwardProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(self._relay(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: asyncio.StreamWriter | None = None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, _, rest = head.partition(b"\r\n")
            method, target, version = request_line.decode("latin-1").split(" ", 2)
            self.requests.append((method, target))
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                up_reader, upstream = await asyncio.open_connection(host, int(port))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
            else:
                parts = urlsplit(target)
                up_reader, upstream = await asyncio.open_connection(parts.hostname, parts.port or 80)
                path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                # One request per upstream connection: later requests on this client
                # connection go to the same upstream, as bytes (keep-alive is fine).
                upstream.write(f"{method} {path} {version}\r\n".encode("latin-1") + _strip_proxy_headers(rest))
                await upstream.drain()
            await asyncio.gather(self._pipe(reader, upstream, count=method != "CONNECT"),
                                 self._pipe(up_reader, writer, count=False))
        except (asyncio.IncompleteReadError, ConnectionError, OSError, ValueError):
            pass
        finally:
            for w in (writer, upstream):
                if w is not None:
                    with contextlib.suppress(Exception):
                        w.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, count: bool) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                if count:  # later absolute-URI requests on a kept-alive connection
                    for line in data.split(b"\r\n"):
                        words = line.split(b" ")
                        if len(words) == 3 and words[2].startswith(b"HTTP/1.") and b"://" in words[1]:
                            self.requests.append((words[0].decode("latin-1"), words[1].decode("latin-1")))
                writer.write(data)
                await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.close()


def _strip_proxy_headers(head: bytes) -> bytes:
    lines = head.split(b"\r\n")
    return b"\r\n".join(line for line in lines if not line.lower().startswith(b"proxy-"))
