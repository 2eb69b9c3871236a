"""A small TCP proxy on loopback that can cut, stall and drop connections (fault injection).

It runs its own asyncio loop in a daemon thread, so it keeps forwarding whatever the
test's loop (or the thread Client's loop) is doing. Every accepted connection gets its own
upstream connection; bytes are forwarded as they come, with back-pressure.

* ``cut()``: close every current connection abruptly, on both sides: SO_LINGER 0 and
  abort, so each peer gets a TCP RST and whatever was still in flight is lost.
* ``stall(seconds)``: stop forwarding in both directions for a while (reads are paused;
  the data waits in the kernel buffers and is delivered, in order, afterwards).
* ``drop(seconds)``: for a while, refuse new connections (accepted, then reset at once)
  as a partitioned network would; existing connections are not touched.

The methods are thread-safe; the ``a``-prefixed variants (``await proxy.acut()``) are
for coroutines, so that the calling loop is not blocked while the proxy thread works.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Proxy", "ProxyStats"]


@dataclass
class ProxyStats:
    accepted: int = 0
    refused: int = 0  # reset at once while dropping
    cut: int = 0  # connections closed by cut()
    cuts: int = 0  # cut() calls
    stalls: int = 0
    bytes_up: int = 0  # client -> server
    bytes_down: int = 0  # server -> client
    upstream_failures: int = 0
    notes: list[str] = field(default_factory=list)


class _Side(asyncio.Protocol):
    """One TCP connection of a pair; forwards what it reads to its peer."""

    def __init__(self, proxy: Proxy, pair: _Pair, upstream: bool) -> None:
        self.proxy = proxy
        self.pair = pair
        self.upstream = upstream
        self.transport: asyncio.Transport | None = None
        self.peer: _Side | None = None
        self.backpressure = False  # our peer cannot take more: do not read

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self.upstream:
            self.proxy._link(self.pair)

    def data_received(self, data: bytes) -> None:
        peer = self.peer
        if peer is None or peer.transport is None or peer.transport.is_closing():
            return
        peer.transport.write(data)
        if self.upstream:
            self.proxy.stats.bytes_down += len(data)
        else:
            self.proxy.stats.bytes_up += len(data)

    def eof_received(self) -> bool:
        peer = self.peer
        if peer is not None and peer.transport is not None and not peer.transport.is_closing():
            if peer.transport.can_write_eof():
                peer.transport.write_eof()
            else:
                peer.transport.close()
        return True  # keep our side open until the peer closes too

    def connection_lost(self, exc: BaseException | None) -> None:
        peer = self.peer
        if peer is not None and peer.transport is not None and not peer.transport.is_closing():
            peer.transport.close()
        self.proxy._pairs.discard(self.pair)

    # Back-pressure: when our transport's write buffer is full, stop reading the peer.
    def pause_writing(self) -> None:
        if self.peer is not None:
            self.peer.backpressure = True
            self.peer._update_reading()

    def resume_writing(self) -> None:
        if self.peer is not None:
            self.peer.backpressure = False
            self.peer._update_reading()

    def _update_reading(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        should_read = not self.backpressure and not self.proxy._stalled and self.peer is not None
        if should_read and not transport.is_reading():
            transport.resume_reading()
        elif not should_read and transport.is_reading():
            transport.pause_reading()


class _Pair:
    __slots__ = ("down", "up")

    def __init__(self) -> None:
        self.down: _Side | None = None
        self.up: _Side | None = None

    def sides(self) -> list[_Side]:
        return [s for s in (self.down, self.up) if s is not None]


def _reset(transport: asyncio.BaseTransport | None) -> None:
    """Close with a TCP RST: linger 0, then abort (buffered data is discarded)."""
    if transport is None or transport.is_closing():
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class Proxy:
    """``Proxy(upstream_port)``: listens on 127.0.0.1:``port`` and forwards to the upstream port."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.stats = ProxyStats()
        self._pairs: set[_Pair] = set()
        self._stalled = False
        self._stall_until = 0.0
        self._drop_until = 0.0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._started = threading.Event()
        self.port = 0

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> Proxy:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the proxy did not start")
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self) -> Proxy:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- faults (thread-safe) ------------------------------------------------------------

    def cut(self) -> int:
        """Reset every connection, both sides; return how many client connections were cut."""
        return self._call(self._cut())

    def stall(self, seconds: float) -> None:
        """Stop forwarding (both ways) for ``seconds``; returns at once."""
        self._call(self._stall(seconds))

    def drop(self, seconds: float) -> None:
        """Refuse new connections for ``seconds``; returns at once."""
        self._call(self._drop(seconds))

    @property
    def connections(self) -> int:
        return self._call(self._count())

    def describe(self) -> str:
        """The proxy's state, for failure messages."""
        return self._call(self._describe())

    async def acut(self) -> int:
        return await self._acall(self._cut())

    async def astall(self, seconds: float) -> None:
        await self._acall(self._stall(seconds))

    async def adrop(self, seconds: float) -> None:
        await self._acall(self._drop(seconds))

    # --- internals (proxy thread) --------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._listen())
        self._started.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()

    async def _listen(self) -> None:
        self._server = await self._loop.create_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def _accept(self) -> _Side:
        pair = _Pair()
        side = _Side(self, pair, upstream=False)
        pair.down = side
        return side

    def _link(self, pair: _Pair) -> None:
        down = pair.down
        assert down is not None
        if down.transport is None or down.transport.is_closing():
            return
        if time.monotonic() < self._drop_until:
            self.stats.refused += 1
            _reset(down.transport)
            return
        self.stats.accepted += 1
        down.transport.pause_reading()  # nothing to forward to yet
        self._pairs.add(pair)
        self._loop.create_task(self._connect_upstream(pair))

    async def _connect_upstream(self, pair: _Pair) -> None:
        down = pair.down
        assert down is not None and down.transport is not None
        try:
            _, up = await self._loop.create_connection(
                lambda: _Side(self, pair, upstream=True), *self.upstream
            )
        except OSError as exc:
            self.stats.upstream_failures += 1
            self.stats.notes.append(f"upstream connect failed: {exc}")
            self._pairs.discard(pair)
            _reset(down.transport)
            return
        pair.up = up
        up.peer, down.peer = down, up
        if down.transport.is_closing() or pair not in self._pairs:  # cut while connecting
            _reset(up.transport)
            return
        down._update_reading()
        up._update_reading()

    async def _cut(self) -> int:
        self.stats.cuts += 1
        pairs = list(self._pairs)
        self._pairs.clear()
        for pair in pairs:
            for side in pair.sides():
                _reset(side.transport)
        self.stats.cut += len(pairs)
        return len(pairs)

    async def _stall(self, seconds: float) -> None:
        self.stats.stalls += 1
        self._stall_until = max(self._stall_until, time.monotonic() + seconds)
        if not self._stalled:
            self._stalled = True
            self._apply_reading()
            self._loop.create_task(self._unstall())

    async def _unstall(self) -> None:
        while (left := self._stall_until - time.monotonic()) > 0:
            await asyncio.sleep(left)
        self._stalled = False
        self._apply_reading()

    def _apply_reading(self) -> None:
        for pair in list(self._pairs):
            for side in pair.sides():
                side._update_reading()

    async def _drop(self, seconds: float) -> None:
        self._drop_until = max(self._drop_until, time.monotonic() + seconds)

    async def _count(self) -> int:
        return len(self._pairs)

    async def _describe(self) -> str:
        sides = []
        for pair in self._pairs:
            for side in pair.sides():
                t = side.transport
                state = "closed" if t is None or t.is_closing() else ("reading" if t.is_reading() else "paused")
                buffered = t.get_write_buffer_size() if t is not None and not t.is_closing() else 0
                sides.append(f"{'up' if side.upstream else 'down'}:{state}:bp={side.backpressure}:wbuf={buffered}")
        return f"stalled={self._stalled} pairs={len(self._pairs)} {sides} {self.stats}"

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._cut()

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    async def _acall(self, coro: Any) -> Any:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))
