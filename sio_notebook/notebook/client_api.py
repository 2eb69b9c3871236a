"""NotebookClient: the part of the public client API the notebook layer relies on.

The views, captures and magics take "a client" and use only these members, so they are
typed against this Protocol rather than against ``AsyncClient`` itself: anything with
the same shape (a test double, a wrapper) works, and a change of the client's internals
cannot reach the notebook layer. ``AsyncClient`` satisfies it (tests/notebook/test_client_api.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from ..aio import ClientStatus

__all__ = ["NotebookClient"]

AnyListener = Callable[[str, Any, tuple[Any, ...]], None]


@runtime_checkable
class NotebookClient(Protocol):
    """What the notebook layer calls on a client (all of it public AsyncClient API)."""

    @property
    def state(self) -> str: ...

    @property
    def namespaces(self) -> dict[str, str]: ...

    def status(self) -> ClientStatus: ...

    def add_status_listener(self, listener: Callable[[], None]) -> None: ...

    def remove_status_listener(self, listener: Callable[[], None]) -> None: ...

    def on_any(self, listener: AnyListener) -> None: ...

    def off_any(self, listener: Callable[..., None] | None = None) -> None: ...

    def on_any_outgoing(self, listener: AnyListener) -> None: ...

    def off_any_outgoing(self, listener: Callable[..., None] | None = None) -> None: ...

    def on_lifecycle(self, name: str, handler: Callable[..., Any] | None = None) -> Any: ...

    async def emit(
        self,
        event: Any,
        data: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        *,
        timeout: float | None = None,
        volatile: bool = False,
    ) -> None: ...

    async def call(
        self, event: Any, data: Any = None, namespace: str | None = None, timeout: float | None = 60
    ) -> Any: ...

    async def disconnect(self) -> None: ...
