"""ClientRuntime: the loop-owned state of one client, in one visible place.

Every collaborator of an :class:`~sio_notebook.aio.client.AsyncClient` (dispatch,
connector, reconnection, retries) reads and writes this object, and only on the
client's event loop: the thread facade reaches it through the loop, never directly.
Keeping it as one object with public attributes is what lets those jobs live in their
own modules without reaching into each other's private members.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..sansio.session import ClientSession, NamespaceState
from ..sansio.state import DISCONNECTED, ClientEvent, ClientState, next_client_state
from .engine import EngineConnection
from .options import ClientOptions

__all__ = ["ClientRuntime"]


class ClientRuntime:
    """The mutable state of one client (see the module docstring)."""

    __slots__ = (
        "session", "options", "logger", "state", "engine", "sid", "events_in", "events_out",
        "reconnect_attempts", "last_error", "disconnect_reason", "url_text", "connect_errors",
        "failed_namespaces", "gone", "ns_changed", "reconnect_abort", "reconnect_task", "background",
        "status_listeners",
    )

    def __init__(self, session: ClientSession, options: ClientOptions, logger: logging.Logger) -> None:
        self.session = session
        #: The client's options (replaced as a whole when the user sets one).
        self.options = options
        self.logger = logger
        #: Moved only by :meth:`move`, through the transition table (sansio/state.py).
        self.state: ClientState = DISCONNECTED
        #: The current Engine.IO connection (None between connections).
        self.engine: EngineConnection | None = None
        #: The Engine.IO sid of the current connection.
        self.sid: str | None = None
        self.events_in = 0
        self.events_out = 0
        self.reconnect_attempts = 0
        self.last_error: str | None = None
        self.disconnect_reason: str | None = None
        self.url_text: str | None = None
        #: CONNECT_ERROR messages of this connect(), by namespace.
        self.connect_errors: dict[str, str] = {}
        #: Namespaces the server refused (python-socketio's ``failed_namespaces``).
        self.failed_namespaces: list[str] = []
        # Created on demand (wait(), namespace waits): an asyncio.Event costs about a
        # kilobyte, and most of a connection's life needs neither.
        self.gone: asyncio.Event | None = None
        self.ns_changed: asyncio.Event | None = None
        # Set by disconnect(): cancelling alone is not enough, as asyncio.wait_for (3.11)
        # and aiohttp can swallow a cancellation that races with a completing connect.
        self.reconnect_abort = False
        self.reconnect_task: asyncio.Task[None] | None = None
        self.background: set[asyncio.Task[Any]] = set()
        self.status_listeners: list[Callable[[], None]] = []

    # --- state -----------------------------------------------------------------------

    def move(self, event: ClientEvent) -> None:
        """Apply ``event`` (LocalProtocolError if illegal); status listeners hear of a change."""
        state = next_client_state(self.state, event)
        if state is not self.state:
            self.state = state
            self.notify_status()

    def notify_status(self) -> None:
        for listener in list(self.status_listeners):
            try:
                listener()
            except Exception:
                self.logger.exception("status listener failed")

    def abort_requested(self) -> bool:
        """Whether disconnect() ran; re-read after every await (a method, so that type
        checkers do not assume an earlier test of the flag still holds)."""
        return self.reconnect_abort

    def engine_open(self) -> bool:
        engine = self.engine
        return engine is not None and not engine.closed

    def all_settled(self) -> bool:
        """No wanted namespace is still waiting for its CONNECT reply."""
        session = self.session
        return all(session.state(ns) is not NamespaceState.CONNECTING for ns in session.wanted_namespaces())

    def failed_namespace(self, namespace: str) -> None:
        if namespace not in self.failed_namespaces:
            self.failed_namespaces.append(namespace)

    def namespaces_changed(self) -> None:
        """Wake whoever waits for namespaces to settle."""
        if self.ns_changed is not None:
            self.ns_changed.set()

    # --- tasks -----------------------------------------------------------------------

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in a task the client keeps a reference to."""
        task = asyncio.ensure_future(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task
