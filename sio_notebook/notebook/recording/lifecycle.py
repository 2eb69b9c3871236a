"""The connection's own events as capture rows (``lifecycle=True`` captures, ``%sio log``).

Rows with direction ``"life"``: ``connect`` (sid, transport), ``disconnect`` (reason),
``connect_error``, ``reconnect_attempt`` / ``reconnect`` (attempt number),
``reconnect_error``, ``reconnect_failed`` and ``upgrade`` (the new transport). They come
from the client's status listener and lifecycle handlers (``client.on_lifecycle``, the JS
Manager events); an upgrade is noticed when the transport changed at the next ping or
batch of rows.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .capture import Capture

__all__ = ["LifecycleRows"]

_HANDLED = ("reconnect_attempt", "reconnect", "reconnect_error", "reconnect_failed", "ping")


class LifecycleRows:
    """Writes the lifecycle rows of one capture, for whichever client it follows."""

    def __init__(self, capture: Capture) -> None:
        self._capture = weakref.ref(capture)
        self._last_state: str | None = None
        self._last_transport: str | None = None
        self._hooked: weakref.WeakSet[Any] = weakref.WeakSet()

    def watch(self, client: Any) -> None:
        """Start writing rows for ``client`` (the capture's client from now on)."""
        status = client.status()
        self._last_state, self._last_transport = status.state, status.transport
        client.add_status_listener(self._on_status)
        if client in self._hooked or not hasattr(client, "on_lifecycle"):
            return
        self._hooked.add(client)
        # The client has no way to remove a lifecycle handler: each one checks that the
        # capture still follows that client and still wants lifecycle rows.
        ref = self._capture
        for name in _HANDLED:

            def handler(*args: Any, _name: str = name, _client: Any = client) -> None:
                cap = ref()
                if cap is None or cap.client is not _client or not cap.lifecycle:
                    return
                if _name == "ping":
                    self.check_upgrade()
                    return
                detail: dict[str, Any] = {}
                if _name in ("reconnect_attempt", "reconnect") and args:
                    detail["attempt"] = args[0]
                if _name == "reconnect_error" and args:
                    detail["error"] = f"{type(args[0]).__name__}: {args[0]}"
                cap.record("/", _name, (detail,) if detail else (), direction="life")

            client.on_lifecycle(name, handler)

    def unwatch(self, client: Any) -> None:
        client.remove_status_listener(self._on_status)

    def check_upgrade(self) -> None:
        """Write an ``upgrade`` row if the transport changed since the last look."""
        cap = self._capture()
        if cap is None:
            return
        transport = cap.client.status().transport
        if transport and self._last_transport and transport != self._last_transport:
            cap.record("/", "upgrade", ({"transport": transport},), direction="life")
        self._last_transport = transport or self._last_transport

    def _on_status(self) -> None:
        cap = self._capture()
        if cap is None:
            return
        status = cap.client.status()
        state, before = status.state, self._last_state
        self._last_state = state
        if state == before:
            return
        if state == "connected":
            self._last_transport = status.transport
            cap.record("/", "connect", ({"sid": status.sid, "transport": status.transport},), direction="life")
        elif before == "connected":
            cap.record("/", "disconnect", ({"reason": status.disconnect_reason},), direction="life")
        elif state == "disconnected" and status.last_error:
            cap.record("/", "connect_error", ({"error": status.last_error},), direction="life")
