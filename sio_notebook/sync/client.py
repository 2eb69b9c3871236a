"""Client: python-socketio's thread-based client API, as a facade over AsyncClient.

There is one protocol implementation. A Client owns an AsyncClient that lives on the
process-wide loop thread (:mod:`.portal`); every blocking method hops onto that loop and
waits for the result. Handlers, callbacks and ``on_any`` listeners run on the Client's
own dispatcher thread (:mod:`.dispatcher`), in arrival order, so they may call
``emit()``/``call()``/``disconnect()`` without deadlock, and a slow handler never delays
the heartbeat. ``emit`` and ``call`` are safe from any number of threads at once: each
emit's frames (binary attachments included) are queued atomically on the loop thread.

The loop and dispatcher threads are daemons, and an ``atexit`` hook disconnects clients
that are still connected, so a script that returns from main exits promptly.

After fork() (gunicorn ``--preload``), a Client that was connected in the parent is dead
in the child: its connection belongs to the parent. Its methods raise DisconnectedError
at once (they used to block forever on a loop no thread runs) and the exit hook skips
it. A Client that was not connected may connect in the child (on a new loop thread).
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import inspect
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from ..aio.callables import describe_event
from ..aio.client import AsyncClient, ClientStatus, Reason
from ..exceptions import DisconnectedError, SocketIOError
from .dispatcher import Dispatcher
from .http_session import translate_http_session
from .portal import LoopThread

__all__ = ["Client"]

Handler = Callable[..., Any]
_live_clients: weakref.WeakSet[Client] = weakref.WeakSet()
_all_clients: weakref.WeakSet[Client] = weakref.WeakSet()
_FORKED = (
    "this Client was connected when the process forked: its connection belongs to the parent "
    "process. Create and connect a new Client in the child (with gunicorn --preload: in post_fork)"
)


class _LoopSideClient(AsyncClient):
    """The AsyncClient inside a Client: hands every user callable to the dispatcher."""

    def __init__(self, portal: LoopThread, dispatcher: Dispatcher, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._portal = portal
        self._dispatcher = dispatcher

    def _run_handler(self, handler: Handler, args: tuple[Any, ...], ns: str, ack: Any, event: Any = None) -> None:
        self._dispatcher.submit(self._invoke, handler, args, ns, ack, event)

    def _invoke(self, handler: Handler, args: tuple[Any, ...], ns: str, ack: Any, event: Any = None) -> None:
        """Runs on the dispatcher thread."""
        try:
            result = handler(*args)
            if inspect.isawaitable(result):  # a coroutine handler given to the thread Client
                result = self._portal.run(_await(result))
        except Exception:
            self.logger.exception("error in the handler for %s on namespace %s", describe_event(event), ns)
            result = None
        if ack is not None:
            self._portal.call_soon(self._send_ack, ns, ack, result)


async def _await(awaitable: Any) -> Any:
    return await awaitable


class Client:
    """A Socket.IO client for threads (python-socketio's ``Client`` API)."""

    reason = Reason

    def __init__(
        self,
        reconnection: bool = True,
        reconnection_attempts: int = 0,
        reconnection_delay: float = 1,
        reconnection_delay_max: float = 5,
        randomization_factor: float = 0.5,
        logger: bool | logging.Logger = False,
        serializer: str | Any = "default",
        json: Any = None,
        handle_sigint: bool = True,
        **kwargs: Any,
    ) -> None:
        self._portal = LoopThread.shared()
        kwargs.update(translate_http_session(kwargs.pop("http_session", None), self._portal.loop, kwargs))
        self._dispatcher = Dispatcher("sio-notebook-handlers", logging.getLogger("sio_notebook.client"))
        self._async = _LoopSideClient(
            self._portal,
            self._dispatcher,
            reconnection=reconnection,
            reconnection_attempts=reconnection_attempts,
            reconnection_delay=reconnection_delay,
            reconnection_delay_max=reconnection_delay_max,
            randomization_factor=randomization_factor,
            logger=logger,
            serializer=serializer,
            json=json,
            handle_sigint=handle_sigint,
            **kwargs,
        )
        self._async.add_status_listener(self._on_state_change)
        self._inherited = False  # connected in a parent process: unusable here (see module doc)
        _all_clients.add(self)
        self._status_listeners: list[Callable[[], None]] = []
        self._any_wrappers: dict[Any, Callable[..., None]] = {}
        self._any_out_wrappers: dict[Any, Callable[..., None]] = {}

    # --- attributes (python-socketio names) ------------------------------------------

    @property
    def connected(self) -> bool:
        return self._async.connected and not self._inherited

    @property
    def sid(self) -> str | None:
        return self._async.sid

    @property
    def namespaces(self) -> dict[str, str]:
        return self._portal.call(lambda: self._async.namespaces)

    @property
    def state(self) -> str:
        return "disconnected" if self._inherited else self._async.state

    @property
    def handlers(self) -> dict[str, dict[Any, Handler]]:
        return self._async.handlers

    @property
    def namespace_handlers(self) -> dict[str, Any]:
        return self._async.namespace_handlers

    @property
    def failed_namespaces(self) -> list[str]:
        return self._async.failed_namespaces

    @property
    def connection_url(self) -> Any:
        return self._async.connection_url

    @property
    def logger(self) -> logging.Logger:
        return self._async.logger

    def get_sid(self, namespace: str | None = None) -> str | None:
        return self._async.get_sid(namespace)

    def transport(self) -> str | None:
        return self._async.transport()

    def recovered(self, namespace: str | None = None) -> bool:
        return self._async.recovered(namespace)

    def status(self) -> ClientStatus:
        if self._inherited:  # the parent's connection: report what this process has (nothing)
            return dataclasses.replace(
                self._async.status(), state="disconnected", sid=None, transport=None, last_error=_FORKED
            )
        return self._portal.call(self._async.status)

    def add_status_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` (on the dispatcher thread) whenever ``state`` changes."""
        self._status_listeners.append(listener)

    def remove_status_listener(self, listener: Callable[[], None]) -> None:
        if listener in self._status_listeners:
            self._status_listeners.remove(listener)

    # --- registration ----------------------------------------------------------------

    def on(self, event: Any, handler: Handler | None = None, namespace: str | None = None) -> Any:
        return self._async.on(event, handler, namespace)

    def event(self, *args: Any, **kwargs: Any) -> Any:
        return self._async.event(*args, **kwargs)

    def register_namespace(self, namespace_handler: Any) -> None:
        from .namespace import ClientNamespace

        if not isinstance(namespace_handler, ClientNamespace):
            raise ValueError("Not a ClientNamespace instance (use AsyncClientNamespace with AsyncClient)")
        namespace_handler.attach(self)
        self._async.namespace_handlers[namespace_handler.namespace] = namespace_handler

    def on_any(self, listener: Callable[[str, Any, tuple[Any, ...]], None]) -> None:
        """``listener(namespace, event, args)`` for every incoming event, on the handler thread."""
        self._add_relayed(self._any_wrappers, self._async.on_any, listener)

    def off_any(self, listener: Callable[..., None] | None = None) -> None:
        self._remove_relayed(self._any_wrappers, self._async.off_any, listener)

    def on_any_outgoing(self, listener: Callable[[str, Any, tuple[Any, ...]], None]) -> None:
        """``listener(namespace, event, args)`` for every event written, on the handler thread."""
        self._add_relayed(self._any_out_wrappers, self._async.on_any_outgoing, listener)

    def off_any_outgoing(self, listener: Callable[..., None] | None = None) -> None:
        self._remove_relayed(self._any_out_wrappers, self._async.off_any_outgoing, listener)

    def _add_relayed(
        self, wrappers: dict[Any, Callable[..., None]], register: Callable[..., None], listener: Callable[..., None]
    ) -> None:
        """Register on the loop a wrapper that hands ``listener``'s calls to the handler thread."""
        submit = self._dispatcher.submit
        wrapper = wrappers[listener] = lambda *args: submit(listener, *args)
        self._portal.call(register, wrapper)

    def _remove_relayed(
        self, wrappers: dict[Any, Callable[..., None]], unregister: Callable[..., None], listener: Any
    ) -> None:
        if listener is None:
            wrappers.clear()
            self._portal.call(unregister, None)
        elif listener in wrappers:
            self._portal.call(unregister, wrappers.pop(listener))

    # --- connection ------------------------------------------------------------------

    def connect(
        self,
        url: Any,
        headers: Any = {},  # noqa: B006 - python-socketio's signature; never mutated
        auth: Any = None,
        transports: Any = None,
        namespaces: Any = None,
        socketio_path: str = "socket.io",
        wait: bool = True,
        wait_timeout: float = 1,
        retry: bool = False,
    ) -> None:
        """Connect (blocking); same arguments and errors as AsyncClient.connect."""
        if self._inherited:
            raise DisconnectedError(_FORKED)
        self._dispatcher.start()
        _live_clients.add(self)
        try:
            self._portal.run(
                self._async.connect(
                    url,
                    headers=headers,
                    auth=auth,
                    transports=transports,
                    namespaces=namespaces,
                    socketio_path=socketio_path,
                    wait=wait,
                    wait_timeout=wait_timeout,
                    retry=retry,
                )
            )
        except BaseException:
            if self._async.state == "disconnected":  # not "Already connected", nor Ctrl-C mid-connect
                self._dispatcher.stop()  # a connect refused up front (bad URL) leaves no idle thread
                self._dispatcher.drain(5)  # python-socketio: raises after the connect_error handlers ran
            raise
        if wait:
            self._dispatcher.drain(max(wait_timeout, 1))  # ... and returns after the connect handlers

    def emit(
        self,
        event: Any,
        data: Any = None,
        namespace: str | None = None,
        callback: Handler | None = None,
        *,
        timeout: float | None = None,
        volatile: bool = False,
    ) -> None:
        """Send an event; thread-safe. Returns once it is queued (or buffered).

        Same options as AsyncClient.emit (error-first callbacks with ``timeout``).
        """
        if self._inherited:
            raise DisconnectedError(_FORKED)
        self._portal.call(self._async._emit_public, event, data, namespace or "/", callback, timeout, volatile)

    def on_lifecycle(self, name: str, handler: Handler | None = None) -> Any:
        """Connection lifecycle handlers (see AsyncClient.on_lifecycle); run on the handler thread."""
        return self._async.on_lifecycle(name, handler)

    def send(self, data: Any, namespace: str | None = None, callback: Handler | None = None) -> None:
        self.emit("message", data=data, namespace=namespace, callback=callback)

    def call(self, event: Any, data: Any = None, namespace: str | None = None, timeout: float | None = 60) -> Any:
        """Emit and block until the ack; TimeoutError / DisconnectedError as AsyncClient."""
        if self._inherited:
            raise DisconnectedError(_FORKED)
        return self._portal.run(self._async.call(event, data=data, namespace=namespace, timeout=timeout))

    def disconnect(self) -> None:
        """Disconnect; works from handlers, background tasks and other threads."""
        if self._inherited:
            return  # nothing of that connection is this process's to close
        self._portal.run(self._async.disconnect())
        if not self._dispatcher.in_dispatcher():
            self._dispatcher.join(5)

    def shutdown(self) -> None:
        self.disconnect()

    def wait(self) -> None:
        """Block until disconnected for good. Ctrl-C disconnects cleanly and re-raises."""
        if self._inherited:
            return
        try:
            self._portal.run(self._async.wait())
        except KeyboardInterrupt:
            self.disconnect()
            raise
        if not self._dispatcher.in_dispatcher():
            self._dispatcher.join(5)

    def sleep(self, seconds: float = 0) -> None:
        time.sleep(seconds)

    def start_background_task(self, target: Callable[..., Any], *args: Any, **kwargs: Any) -> threading.Thread:
        """Run ``target`` in a daemon thread; the returned object has ``join()``."""
        thread = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True)
        thread.start()
        return thread

    # --- internals -------------------------------------------------------------------

    def _on_state_change(self) -> None:
        """On the loop thread: relay to listeners; retire the dispatcher when done."""
        for listener in list(self._status_listeners):
            self._dispatcher.submit(listener)
        if self._async.state == "disconnected":
            self._dispatcher.stop()


@atexit.register
def _disconnect_at_exit() -> None:
    """Leave cleanly at interpreter exit (bounded: a dead server cannot hold us)."""
    for client in list(_live_clients):
        if client.state != "disconnected":
            with contextlib.suppress(SocketIOError, TimeoutError, RuntimeError, OSError):
                client._portal.run(client._async.disconnect(), timeout=2)


def _after_fork_in_child() -> None:
    """Reset what the child inherited (see the module docstring); runs right after fork()."""
    _live_clients.clear()
    for client in list(_all_clients):
        client._inherited = client._async.state != "disconnected"
        # The parent's handler thread does not exist here (nor its lock's owner).
        client._dispatcher = Dispatcher("sio-notebook-handlers", logging.getLogger("sio_notebook.client"))
        client._async._dispatcher = client._dispatcher


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)
