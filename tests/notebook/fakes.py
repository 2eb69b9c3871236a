"""A stand-in for ``AsyncClient`` with just the surface the notebook layer uses.

It lets the capture, rendering and widget tests run without a server: ``feed()`` calls
the catch-all listeners exactly as the client does for an incoming event, and
``set_state()`` plays a state change to the status listeners.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class FakeStatus:
    state: str = "disconnected"
    url: str | None = None
    sid: str | None = None
    transport: str | None = None
    namespaces: tuple[str, ...] = ()
    events_in: int = 0
    events_out: int = 0
    queued: int = 0
    reconnect_attempts: int = 0
    last_ping_age: float | None = None
    last_error: str | None = None
    disconnect_reason: str | None = None


class FakeClient:
    def __init__(self, url: str = "http://127.0.0.1:1") -> None:
        self._any: list[Any] = []
        self._any_out: list[Any] = []
        self._lifecycle: dict[str, list[Any]] = {}
        self.buffering = False
        """Emits are buffered (queued) instead of written, as while (re)connecting."""
        self._status_listeners: list[Any] = []
        self._status = FakeStatus(url=url)
        self.namespaces: dict[str, str] = {}
        self.sent: list[tuple[str, Any, str | None]] = []
        self.ack: Any = None
        self.ack_delay = 0.0
        self.disconnected = False

    # catch-all hook
    def on_any(self, listener: Any) -> None:
        self._any.append(listener)

    def off_any(self, listener: Any) -> None:
        self._any.remove(listener)

    def feed(self, namespace: str, event: str, *args: Any) -> None:
        for listener in list(self._any):
            listener(namespace, event, args)

    def on_any_outgoing(self, listener: Any) -> None:
        self._any_out.append(listener)

    def off_any_outgoing(self, listener: Any) -> None:
        self._any_out.remove(listener)

    def feed_out(self, namespace: str, event: str, *args: Any) -> None:
        """Play an emit written to the connection (what on_any_outgoing listeners see)."""
        self._status = dataclasses.replace(self._status, events_out=self._status.events_out + 1)
        for listener in list(self._any_out):
            listener(namespace, event, args)

    def on_lifecycle(self, name: str, handler: Any) -> None:
        self._lifecycle.setdefault(name, []).append(handler)

    def fire_lifecycle(self, name: str, *args: Any) -> None:
        for handler in self._lifecycle.get(name, ()):
            handler(*args)

    # status
    def status(self) -> FakeStatus:
        return self._status

    def add_status_listener(self, fn: Any) -> None:
        self._status_listeners.append(fn)

    def remove_status_listener(self, fn: Any) -> None:
        self._status_listeners.remove(fn)

    def set_state(self, state: str, **changes: Any) -> None:
        self._status = dataclasses.replace(self._status, state=state, **changes)
        self.namespaces = {ns: "x" for ns in self._status.namespaces}
        for fn in list(self._status_listeners):
            fn()

    def bump(self, **changes: Any) -> None:
        """Change counters without a state change (no listener call, as in the client)."""
        self._status = dataclasses.replace(self._status, **changes)

    # sending
    async def emit(self, event: str, data: Any = None, namespace: str | None = None, callback: Any = None) -> None:
        self.sent.append((event, data, namespace))
        if self.buffering:
            self._status = dataclasses.replace(self._status, queued=self._status.queued + 1)
        else:
            self.feed_out(namespace or "/", event, *(() if data is None else (data,)))

    async def call(self, event: str, data: Any = None, namespace: str | None = None, timeout: float = 60) -> Any:
        self.sent.append((event, data, namespace))
        if self.ack_delay > timeout:
            await asyncio.sleep(timeout)
            raise TimeoutError("timed out")
        await asyncio.sleep(self.ack_delay)
        if isinstance(self.ack, Exception):
            raise self.ack
        return self.ack

    async def disconnect(self) -> None:
        self.disconnected = True
        self.set_state("disconnected", disconnect_reason="client disconnect")
