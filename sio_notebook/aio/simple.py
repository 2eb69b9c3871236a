"""AsyncSimpleClient: python-socketio's simple client (5.10+), for scripts and tests.

One namespace, no handlers: incoming events queue up and ``receive()`` returns them as
``[event, *args]``. Emits and calls made while reconnecting are buffered by the client
and go out after the reconnect; once the client has given up they raise
DisconnectedError.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..exceptions import DisconnectedError, TimeoutError
from .client import AsyncClient

__all__ = ["AsyncSimpleClient"]


class AsyncSimpleClient:
    client_class: type[AsyncClient] = AsyncClient

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.client_args = args
        self.client_kwargs = kwargs
        self.client: AsyncClient | None = None
        self.namespace = "/"
        self._events: asyncio.Queue[list[Any]] | None = None

    async def connect(
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
        self._events = asyncio.Queue()
        self.client = client = self.client_class(*self.client_args, **self.client_kwargs)
        events = self._events

        def on_event(event: Any, *args: Any) -> None:
            events.put_nowait([event, *args])

        client.on("*", on_event, namespace=namespace)
        await client.connect(
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

    def _check(self) -> AsyncClient:
        """The client, if it has not disconnected for good; else DisconnectedError."""
        if self.client is None or self.client.state == "disconnected":
            raise DisconnectedError("the client is not connected")
        return self.client

    async def emit(self, event: str, data: Any = None) -> None:
        await self._check().emit(event, data, namespace=self.namespace)

    async def call(self, event: str, data: Any = None, timeout: float = 60) -> Any:
        return await self._check().call(event, data, namespace=self.namespace, timeout=timeout)

    async def receive(self, timeout: float | None = None) -> list[Any]:
        """The next event as ``[event, *args]``; TimeoutError, or DisconnectedError once gone."""
        if self._events is None or self.client is None:
            raise DisconnectedError("the client is not connected")
        if self._events.empty():
            self._check()
        getter = asyncio.ensure_future(self._events.get())
        gone = asyncio.ensure_future(self.client.wait())
        try:
            done, _ = await asyncio.wait({getter, gone}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            if not getter.done():
                getter.cancel()
        if getter in done:
            return getter.result()
        if gone in done:
            raise DisconnectedError("the client disconnected")
        raise TimeoutError(f"no event received within {timeout} s")

    async def disconnect(self) -> None:
        if self.client is not None:
            await self.client.disconnect()

    async def __aenter__(self) -> AsyncSimpleClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()
