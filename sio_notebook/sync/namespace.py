"""ClientNamespace: class-based handlers for the thread Client (python-socketio's API)."""

from __future__ import annotations

from typing import Any

from ..aio.callables import takes_argument

__all__ = ["ClientNamespace"]


class ClientNamespace:
    """Base class for class-based namespaces of a :class:`Client`.

    ``on_<event>`` methods run on the client's handler thread, in arrival order.
    """

    def __init__(self, namespace: str | None = None) -> None:
        self.namespace = namespace or "/"
        self.client: Any = None

    def attach(self, client: Any) -> None:
        """Called by the client this namespace is registered with."""
        self.client = client

    _set_client = attach  # python-socketio's name

    def is_asyncio_based(self) -> bool:
        return False

    def trigger_event(self, event: str, *args: Any) -> Any:
        """Call ``on_<event>`` if it exists; its return value answers an ack request."""
        handler = getattr(self, "on_" + str(event), None)
        if handler is None:
            return None
        if event == "disconnect" and args and not takes_argument(handler):
            args = ()
        return handler(*args)

    def emit(self, event: str, data: Any = None, namespace: str | None = None, callback: Any = None) -> None:
        self.client.emit(event, data=data, namespace=namespace or self.namespace, callback=callback)

    def send(self, data: Any, namespace: str | None = None, callback: Any = None) -> None:
        self.client.send(data, namespace=namespace or self.namespace, callback=callback)

    def call(self, event: str, data: Any = None, namespace: str | None = None, timeout: float | None = None) -> Any:
        return self.client.call(event, data=data, namespace=namespace or self.namespace, timeout=timeout)

    def disconnect(self) -> None:
        self.client.disconnect()
