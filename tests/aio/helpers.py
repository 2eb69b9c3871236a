"""Helpers for the client behaviour tests: record what handlers see, await conditions.

Tests never sleep to synchronise: handlers record into an :class:`Events`, and the test
awaits a condition on it, bounded by a timeout. :func:`eventually` polls a condition for
the few facts no handler reports (the background websocket upgrade).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

TIMEOUT = 10.0

#: Heartbeats short enough for the ping-timeout test. The python peer advertises
#: pingInterval in whole seconds only (tests/peers/python_server.py), so it gets 1 s.
SHORT_HEARTBEAT: dict[str, dict[str, int]] = {
    "node": {"ping_interval": 300, "ping_timeout": 200},
    "python": {"ping_interval": 1000, "ping_timeout": 500},
}


def pattern(n: int) -> bytes:
    """N bytes where byte i is i % 256 (the peers' ``bin-big`` and binary ``flood``)."""
    return bytes(range(256)) * (n // 256) + bytes(range(n % 256))


class Events:
    """What the handlers saw, in order: ``(name, args, monotonic time)`` entries."""

    def __init__(self) -> None:
        self.log: list[tuple[str, tuple[Any, ...], float]] = []
        self._changed = asyncio.Event()

    def add(self, name: str, *args: Any) -> None:
        self.log.append((name, args, time.monotonic()))
        self._changed.set()

    def handler(self, name: str) -> Callable[..., None]:
        """A plain handler recording its arguments under ``name``."""

        def record(*args: Any) -> None:
            self.add(name, *args)

        record.__name__ = f"record_{name}"
        return record

    def of(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args, _ in self.log if n == name]

    def count(self, name: str) -> int:
        return sum(1 for n, _, _ in self.log if n == name)

    def times(self, name: str) -> list[float]:
        return [t for n, _, t in self.log if n == name]

    def names(self) -> list[str]:
        return [n for n, _, _ in self.log]

    async def until(self, predicate: Callable[[], bool], timeout: float = TIMEOUT, what: str = "") -> None:
        """Wait until ``predicate()`` is true; it is re-checked each time something is recorded."""

        async def waiter() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(waiter(), timeout)
        except asyncio.TimeoutError:
            tail = [(n, repr(a)[:80]) for n, a, _ in self.log[-15:]]
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}; last events: {tail}") from None

    async def first(self, name: str, timeout: float = TIMEOUT) -> tuple[Any, ...]:
        """The arguments of the first ``name`` event (waiting for it if needed)."""
        await self.until(lambda: self.count(name) >= 1, timeout, what=repr(name))
        return self.of(name)[0]

    async def nth(self, name: str, n: int, timeout: float = TIMEOUT) -> tuple[Any, ...]:
        """The arguments of the ``n``-th (1-based) ``name`` event."""
        await self.until(lambda: self.count(name) >= n, timeout, what=f"{n} x {name!r}")
        return self.of(name)[n - 1]


async def eventually(predicate: Callable[[], bool], timeout: float = TIMEOUT, what: str = "") -> None:
    """Poll ``predicate`` (every 10 ms) for facts that no event reports, such as the upgrade."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        await asyncio.sleep(0.01)


def expected_transport(transports: list[str]) -> str:
    """Where a connection ends up: the upgrade mode ends on websocket."""
    return "websocket" if "websocket" in transports else "polling"
