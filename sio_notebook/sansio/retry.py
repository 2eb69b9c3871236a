"""At-least-once delivery (docs/protocol.md §4.5, socket.io-client ``retries``), pure.

With ``retries=N`` every non-volatile emit of a namespace joins one queue that sends a
single packet at a time. Each packet always asks for an ack; when the ack does not come
within the ack timeout the same event is sent again (with a new ack id), up to N times;
then it is dropped and its callback gets the error. The queue does not advance while
disconnected, and its head is re-sent as soon as the namespace connects.

This module keeps the order and the counting; the I/O layer owns the timers.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

__all__ = ["RetryItem", "RetryQueue"]


@dataclass(slots=True)
class RetryItem:
    namespace: str
    args: list[Any]
    callback: Any  # error-first user callback, or None
    tries: int = 0  # sends so far
    in_flight: bool = False


class RetryQueue:
    """One namespace's queue: which item to send now, and what a timeout means."""

    def __init__(self, retries: int) -> None:
        self.retries = retries
        self._items: deque[RetryItem] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def push(self, item: RetryItem) -> RetryItem | None:
        """Add an item; return it if it should be sent now (the queue was idle)."""
        self._items.append(item)
        return item if len(self._items) == 1 else None

    def head_to_send(self) -> RetryItem | None:
        """On (re)connect: the head, to be (re)sent at once, unless one is in flight."""
        if self._items and not self._items[0].in_flight:
            return self._items[0]
        return None

    def sent(self, item: RetryItem) -> None:
        item.tries += 1
        item.in_flight = True

    def acked(self, item: RetryItem) -> RetryItem | None:
        """The head was acknowledged: drop it, return the next item to send."""
        if self._items and self._items[0] is item:
            self._items.popleft()
        return self._items[0] if self._items else None

    def timed_out(self, item: RetryItem) -> tuple[bool, RetryItem | None]:
        """The head's ack did not come: ``(gave_up, item_to_send_next)``.

        ``tries`` counts sends, so an item is sent at most ``retries + 1`` times.
        """
        item.in_flight = False
        if item.tries > self.retries:
            next_item = self.acked(item)
            return True, next_item
        return False, item

    def connection_lost(self) -> None:
        """An in-flight head will be re-sent on reconnect."""
        if self._items:
            self._items[0].in_flight = False

    def drain(self) -> list[RetryItem]:
        """Give up on everything (final disconnect)."""
        items = list(self._items)
        self._items.clear()
        return items
