"""SimpleClient: python-socketio's simple thread client (5.10+).

Incoming events queue up on the loop thread; ``receive()`` blocks for the next one as
``[event, *args]``.
"""

from __future__ import annotations

import queue
from typing import Any

from ..exceptions import DisconnectedError, TimeoutError
from .client import Client

__all__ = ["SimpleClient"]

_GONE = object()


class SimpleClient:
    client_class = Client

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.client_args = args
        self.client_kwargs = kwargs
        self.client: Any = None
        self.namespace = "/"
        self._events: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def connect(
        self,
        url: Any,
        headers: Any = {},  # noqa: B006
        auth: Any = None,
        transports: Any = None,
        namespace: str = "/",
        socketio_path: str = "socket.io",
        wait_timeout: float = 5,
    ) -> None:
        if self.client is not None and self.client.state != "disconnected":
            raise RuntimeError("Already connected")
        self.namespace = namespace
        self._events = events = queue.SimpleQueue()
        self.client = client = self.client_class(*self.client_args, **self.client_kwargs)

        @client.on("*", namespace=namespace)
        def on_event(event: Any, *args: Any) -> None:
            events.put([event, *args])

        def on_state() -> None:
            if client.state == "disconnected":
                events.put(_GONE)

        client.add_status_listener(on_state)
        client.connect(
            url,
            headers=headers,
            auth=auth,
            transports=transports,
            namespaces=[namespace],
            socketio_path=socketio_path,
            wait_timeout=wait_timeout,
        )

    @property
    def sid(self) -> str | None:
        return self.client.get_sid(self.namespace) if self.client else None

    @property
    def transport(self) -> str:
        return (self.client.transport() if self.client else None) or ""

    def _check(self) -> None:
        if self.client is None or self.client.state == "disconnected":
            raise DisconnectedError("the client is not connected")

    def emit(self, event: str, data: Any = None) -> None:
        self._check()
        self.client.emit(event, data, namespace=self.namespace)

    def call(self, event: str, data: Any = None, timeout: float = 60) -> Any:
        self._check()
        return self.client.call(event, data, namespace=self.namespace, timeout=timeout)

    def receive(self, timeout: float | None = None) -> list[Any]:
        """The next event as ``[event, *args]``; TimeoutError, or DisconnectedError once gone."""
        if self.client is None:
            raise DisconnectedError("the client is not connected")
        try:
            item = self._events.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no event received within {timeout} s") from None
        if item is _GONE:
            self._events.put(_GONE)  # every later receive() reports it too
            raise DisconnectedError("the client disconnected")
        return item

    def disconnect(self) -> None:
        if self.client is not None:
            self.client.disconnect()

    def __enter__(self) -> SimpleClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()
