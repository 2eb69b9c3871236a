"""Named connections of the kernel: connect, replace, list, wait.

``%sio connect`` uses :func:`connect`, which can also be called from Python::

    from sio_notebook.notebook import connect, wait_connected
    sio = connect("http://127.0.0.1:5055", name="sio")   # returns at once; connects in a task
    await wait_connected(sio, timeout=10)                  # optional

The client is an ``AsyncClient`` whose tasks run on the kernel's own event loop: its
handlers run between cells (or while a cell awaits), never racing cell code, and nothing
patches asyncio. :func:`connect` does not wait: emits made while connecting are buffered
by the client and sent once connected, so a notebook can be run top to bottom.

Views follow the connection's *name*. Connecting again under the same name replaces the
old client cleanly: the old connect task is cancelled and the old client is disconnected
in the background, while the captures, status view and emit forms made for that name
(``%sio capture``, ``%sio status``, ``%sio form``) move to the new client: a capture keeps
its rows and goes on counting, a form sends on the new client. :func:`disconnect` closes
a connection for good: its captures stop and say so, its status view shows the last
state with "connection closed".
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..aio import AsyncClient
from ..sansio.url import redact_url

__all__ = ["Connection", "connect", "get_connection", "list_connections", "disconnect", "started", "wait_connected"]


@dataclass(eq=False)
class Connection:
    """A client created by :func:`connect`, with what the notebook layer attached to it."""

    name: str
    client: Any
    url: str
    """The server URL as shown to people: a password in it is replaced by ``***``."""
    task: asyncio.Task[None] | None = None
    """The connect task (done once connected, or failed)."""
    error: BaseException | None = None
    """Why the connect task failed, if it did."""
    status_widget: Any = None
    captures: list[Any] = field(default_factory=list)
    """Captures that follow this connection's name."""
    views: list[Any] = field(default_factory=list)
    """Other views that follow the name (emit forms): anything with ``attach(client)``."""
    closed: bool = False

    def status_view(self) -> Any:
        """The (shared) :class:`~sio_notebook.notebook.views.status.StatusWidget` of this connection."""
        from .views.status import StatusWidget

        if self.status_widget is None:
            self.status_widget = StatusWidget(self.client, url=self.url)
            if self.error is not None:
                self.status_widget.report_error(self.error)
        return self.status_widget

    def adopt(self, old: Connection) -> None:
        """Take over the views of ``old`` (same name, replaced): they follow this client."""
        self.captures, old.captures = old.captures, []
        self.views, old.views = old.views, []
        self.status_widget, old.status_widget = old.status_widget, None
        for cap in self.captures:
            cap.attach(self.client)
        if self.status_widget is not None:
            self.status_widget.url = self.url
            self.status_widget.attach(self.client)
        for view in self.views:
            view.attach(self.client)

    def close(self, timeout: float = 5.0) -> asyncio.Task[None] | None:
        """Stop everything attached at once and disconnect the client (in a task, returned)."""
        if self.closed:
            return None
        self.closed = True
        if self.task is not None and not self.task.done():
            self.task.cancel()
        for cap in self.captures:
            cap.mark_gone(f"connection {self.name!r} closed")
        for view in self.views:
            closed = getattr(view, "connection_closed", None)
            if closed is not None:
                closed()
        return _background(self._disconnect(timeout))

    async def _disconnect(self, timeout: float) -> None:
        if self.task is not None:
            with contextlib.suppress(BaseException):
                await self.task
        try:
            await asyncio.wait_for(self.client.disconnect(), timeout)
        except Exception as exc:  # noqa: BLE001 - shown on the old status widget
            if self.status_widget is not None:
                self.status_widget.report_error(exc)
        if self.status_widget is not None:
            self.status_widget.detach()


# One registry per event loop. A kernel runs its cells on one loop; `marimo run` serves every
# viewer of an app from a thread of one process, each session on its own loop. A connection
# named "sio" in one session must not replace (and disconnect, from the wrong loop) another's.
_registries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Connection]] = (
    weakref.WeakKeyDictionary()
)


def _registry() -> dict[str, Connection]:
    """The connections of the running loop (the one a new connection's tasks run on)."""
    return _registries.setdefault(asyncio.get_running_loop(), {})


def _visible() -> dict[str, Connection]:
    """The running loop's connections; outside a loop (a script's setup, a test), all."""
    try:
        return _registry()
    except RuntimeError:
        return {name: conn for registry in list(_registries.values()) for name, conn in registry.items()}

_tasks: set[asyncio.Task[Any]] = set()


def _background(coro: Any) -> asyncio.Task[Any]:
    task = asyncio.get_running_loop().create_task(coro)
    _tasks.add(task)  # the loop keeps only weak references to tasks
    task.add_done_callback(_tasks.discard)
    return task


def _start_task(loop: asyncio.AbstractEventLoop, coro: Any, name: str) -> asyncio.Task[Any]:
    # Python >= 3.12: run the first step now, so the client is already "connecting"
    # (and buffers emits) when the magic returns, even for code later in the same cell.
    if sys.version_info >= (3, 12):
        return asyncio.Task(coro, loop=loop, name=name, eager_start=True)
    return loop.create_task(coro, name=name)


def list_connections() -> Mapping[str, Connection]:
    """The live connections by name (a copy): those of the running event loop (each kernel,
    each marimo session has its own); called outside a loop, those of every loop."""
    return dict(_visible())


def get_connection(name_or_client: Any = "sio") -> Connection:
    """The :class:`Connection` for a name or a client; ``KeyError`` if unknown."""
    if isinstance(name_or_client, str):
        return _visible()[name_or_client]
    for conn in _visible().values():
        if conn.client is name_or_client:
            return conn
    raise KeyError(name_or_client)


def connect(
    url: str,
    *,
    name: str = "sio",
    namespaces: Sequence[str] | None = None,
    transports: Sequence[str] | None = None,
    auth: Any = None,
    headers: Mapping[str, str] | None = None,
    retry: bool = False,
    wait_timeout: float = 5.0,
    client_factory: Any = None,
    **client_kwargs: Any,
) -> Any:
    """Create an ``AsyncClient`` and start connecting it in a task on the running loop.

    Returns the client at once. A previous connection with the same ``name`` is replaced:
    its views move to the new client and it is disconnected in the background. Needs a running
    event loop, which every Jupyter cell has; in a
    script, call it from a coroutine.

    Args:
        url: the server URL (``http(s)://`` or ``ws(s)://``).
        name: the registry name (``%sio`` binds the client to this variable).
        namespaces, transports, auth, headers, retry, wait_timeout: passed to
            ``client.connect``.
        client_factory: the client class (default ``sio_notebook.AsyncClient``).
        client_kwargs: passed to the client constructor (default ``reconnection=True``).
    """
    loop = asyncio.get_running_loop()
    if client_factory is None:
        client_factory = AsyncClient
    client_kwargs.setdefault("reconnection", True)
    client = client_factory(**client_kwargs)
    registry = _registry()
    old = registry.pop(name, None)
    conn = Connection(name=name, client=client, url=redact_url(url))
    registry[name] = conn
    if old is not None:
        conn.adopt(old)  # captures, status view and forms follow the name to the new client
        old.close()  # the old client disconnects in the background
    kwargs: dict[str, Any] = {"headers": dict(headers or {}), "wait_timeout": wait_timeout, "retry": retry}
    if namespaces:
        kwargs["namespaces"] = list(namespaces)
    if transports:
        kwargs["transports"] = list(transports)
    if auth is not None:
        kwargs["auth"] = auth
    start_connect = getattr(client, "start_connect", None)
    if start_connect is not None:
        # The client is "connecting" when this returns, on every Python: emits later in
        # the same cell are buffered and sent once connected.
        conn.task = start_connect(url, **kwargs)
    else:  # a custom client_factory without start_connect
        conn.task = _start_task(loop, client.connect(url, **kwargs), f"sio_notebook connect {name}")
    conn.task.add_done_callback(lambda task: _connect_done(conn, task))
    return client


def _connect_done(conn: Connection, task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    exc = task.exception()  # retrieved here, so never "Task exception was never retrieved"
    if exc is not None:
        conn.error = exc
        if conn.status_widget is not None:
            conn.status_widget.report_error(exc)


async def started(client: Any) -> None:
    """Return once a :func:`connect`-made client left the ``disconnected`` state (or its
    connect task ended). Clients with ``start_connect`` (sio_notebook's) are connecting
    as soon as :func:`connect` returns, so this returns at once; it matters only for a
    custom ``client_factory`` on Python < 3.12, whose connect task starts at the next
    loop iteration."""
    try:
        conn = get_connection(client)
    except KeyError:
        return
    for _ in range(100):
        if conn.task is None or conn.task.done() or client.status().state != "disconnected":
            return
        await asyncio.sleep(0)


def disconnect(name: str = "sio") -> asyncio.Task[None]:
    """Close the named connection (in a task, returned) and forget it."""
    task = _registry().pop(name).close()
    assert task is not None
    return task


async def wait_connected(client: Any, timeout: float | None = 10.0) -> Any:
    """Wait until ``client`` is connected; returns the client.

    Raises the connect error at once if the connect task of a :func:`connect`-made
    client failed, and :class:`TimeoutError` (with the last state and error) on timeout.
    """
    conn = None
    with contextlib.suppress(KeyError):
        conn = get_connection(client)
    loop = asyncio.get_running_loop()
    ready = loop.create_future()

    def check() -> None:
        if not ready.done() and client.status().state == "connected":
            ready.set_result(None)

    client.add_status_listener(check)
    try:
        check()
        if ready.done():
            return client
        task = conn.task if conn is not None else None
        if task is not None and task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]  # the first connection failed
        deadline = None if timeout is None else loop.time() + timeout
        waits: list[asyncio.Future[Any]] = [ready]
        if task is not None and not task.done():
            waits.append(task)  # a failing connect attempt ends the wait at once
        done, _ = await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if task is not None and task in done and not ready.done():
            if task.cancelled():
                raise ConnectionError(f"connection {conn.name!r} was replaced or closed")  # type: ignore[union-attr]
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
            left = None if deadline is None else max(deadline - loop.time(), 0.0)
            await asyncio.wait([ready], timeout=left)  # it connected, then lost the connection again
        if ready.done():
            return client
        status = client.status()
        raise TimeoutError(
            f"not connected after {timeout} s (state {status.state}, last error: {status.last_error})"
        )
    finally:
        client.remove_status_listener(check)
        if not ready.done():
            ready.cancel()
