"""Flag: an ``asyncio.Event`` that costs nothing until someone waits on it.

The engine keeps two signals per connection for its whole life (wake the writer; the
writer is idle). ``asyncio.Event`` allocates a deque for its waiters up front, about
700 bytes with its first block, so with thousands of connections the two events were the
biggest item of a connection's memory (bench row "memory per connection").
"""

from __future__ import annotations

import asyncio

__all__ = ["Flag"]


class Flag:
    """``asyncio.Event``'s semantics (``set()`` wakes every waiter; ``clear()`` does not
    un-wake them) at a tenth of its memory: the waiters are kept in a list made on the
    first wait. ``wait()`` returns None, not True."""

    __slots__ = ("_value", "_waiters")

    def __init__(self, value: bool = False) -> None:
        self._value = value
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        if not self._value:
            self._value = True
            waiters = self._waiters
            if waiters:
                for fut in waiters:
                    if not fut.done():
                        fut.set_result(None)
                waiters.clear()

    def clear(self) -> None:
        self._value = False

    async def wait(self) -> None:
        if self._value:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters = self._waiters
        if waiters is None:
            waiters = self._waiters = []
        waiters.append(fut)
        try:
            await fut
        finally:
            if fut in waiters:  # cancelled (or failed) before set() woke it
                waiters.remove(fut)
