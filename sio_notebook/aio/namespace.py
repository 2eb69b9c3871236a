"""AsyncClientNamespace: class-based handlers (python-socketio's API).

``on_<event>`` methods handle events (coroutines allowed); ``trigger_event`` dispatches
and may be overridden for a catch-all. ``emit``/``send``/``call``/``disconnect`` are
bound to the namespace. A decorator handler registered on the client for the same event
wins over the method (resolution order in :meth:`HandlerRegistry.find <.handlers.HandlerRegistry.find>`).
"""

from __future__ import annotations

from typing import Any

from .callables import takes_argument

__all__ = ["AsyncClientNamespace"]


class AsyncClientNamespace:
    """Base class for class-based namespaces of an :class:`AsyncClient`."""

    def __init__(self, namespace: str | None = None) -> None:
        self.namespace = namespace or "/"
        self.client: Any = None

    def attach(self, client: Any) -> None:
        """Called by the client this namespace is registered with."""
        self.client = client

    _set_client = attach  # python-socketio's name

    def is_asyncio_based(self) -> bool:
        return True

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Call ``on_<event>`` if it exists; its return value answers an ack request."""
        handler = getattr(self, "on_" + str(event), None)
        if handler is None:
            return None
        if event == "disconnect" and args and not takes_argument(handler):
            args = ()
        result = handler(*args)
        if hasattr(result, "__await__"):
            result = await result
        return result

    async def emit(self, event: str, data: Any = None, namespace: str | None = None, callback: Any = None) -> None:
        await self.client.emit(event, data=data, namespace=namespace or self.namespace, callback=callback)

    async def send(self, data: Any, namespace: str | None = None, callback: Any = None) -> None:
        await self.client.send(data, namespace=namespace or self.namespace, callback=callback)

    async def call(self, event: str, data: Any = None, namespace: str | None = None, timeout: float | None = None) -> Any:
        return await self.client.call(event, data=data, namespace=namespace or self.namespace, timeout=timeout)

    async def disconnect(self) -> None:
        await self.client.disconnect()
