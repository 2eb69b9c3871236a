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

#: What the queue holds: ``[event, *args]``, or None once the client has disconnected for good.
_Item = list[Any] | None


class SimpleClient:
    client_class: type[Client] = Client

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.client_args = args
        self.client_kwargs = kwargs
        self.client: Client | None = None
        self.namespace = "/"
        self._events: queue.SimpleQueue[_Item] = queue.SimpleQueue()

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
        self._events = events = queue.SimpleQueue[_Item]()
        self.client = client = self.client_class(*self.client_args, **self.client_kwargs)

        def on_event(event: Any, *args: Any) -> None:
            events.put([event, *args])

        def on_state() -> None:
            if client.state == "disconnected":
                events.put(None)

        client.on("*", on_event, namespace=namespace)

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

    def _check(self) -> Client:
        """The client, if it has not disconnected for good; else DisconnectedError."""
        if self.client is None or self.client.state == "disconnected":
            raise DisconnectedError("the client is not connected")
        return self.client

    def emit(self, event: str, data: Any = None) -> None:
        self._check().emit(event, data, namespace=self.namespace)

    def call(self, event: str, data: Any = None, timeout: float = 60) -> Any:
        return self._check().call(event, data, namespace=self.namespace, timeout=timeout)

    def receive(self, timeout: float | None = None) -> list[Any]:
        """The next event as ``[event, *args]``; TimeoutError, or DisconnectedError once gone."""
        if self.client is None:
            raise DisconnectedError("the client is not connected")
        try:
            item = self._events.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no event received within {timeout} s") from None
        if item is None:
            self._events.put(None)  # every later receive() reports it too
            raise DisconnectedError("the client disconnected")
        return item

    def disconnect(self) -> None:
        if self.client is not None:
            self.client.disconnect()

    def __enter__(self) -> SimpleClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()
