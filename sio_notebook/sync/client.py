"""Client: python-socketio's thread-based client API, as a facade over AsyncClient.

There is one protocol implementation. A Client owns an AsyncClient that lives on the
process-wide loop thread (:mod:`.portal`); every blocking method hops onto that loop and
waits for the result; reads of its state hop there too. Handlers, callbacks and ``on_any``
listeners run on the Client's own dispatcher thread (:mod:`.dispatcher`), in arrival order
(the AsyncClient is built with a :class:`~.runner.ThreadHandlerRunner`), so they may call
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
import functools
import logging
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from ..aio.client import AsyncClient, ClientStatus, Reason
from ..exceptions import DisconnectedError, SocketIOError, UnsupportedPlatformError
from .dispatcher import Dispatcher
from .http_session import translate_http_session
from .portal import LoopThread
from .runner import ThreadHandlerRunner

__all__ = ["Client"]

Handler = Callable[..., Any]
_live_clients: weakref.WeakSet[Client] = weakref.WeakSet()
_all_clients: weakref.WeakSet[Client] = weakref.WeakSet()
_FORKED = (
    "this Client was connected when the process forked: its connection belongs to the parent "
    "process. Create and connect a new Client in the child (with gunicorn --preload: in post_fork)"
)


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
        if sys.platform == "emscripten":
            raise UnsupportedPlatformError(
                "the thread Client cannot run in a browser (Pyodide/JupyterLite has no threads): "
                "use sio_notebook.AsyncClient and await its methods (top-level await works in a notebook)"
            )
        self._portal = LoopThread.shared()
        kwargs.update(translate_http_session(kwargs.pop("http_session", None), self._portal.loop, kwargs))
        self._dispatcher = Dispatcher("sio-notebook-handlers", logging.getLogger("sio_notebook.client"))
        self._runner = ThreadHandlerRunner(self._portal, self._dispatcher, logging.getLogger("sio_notebook.client"))
        self._async = AsyncClient(
            reconnection=reconnection,
            reconnection_attempts=reconnection_attempts,
            reconnection_delay=reconnection_delay,
            reconnection_delay_max=reconnection_delay_max,
            randomization_factor=randomization_factor,
            logger=logger,
            serializer=serializer,
            json=json,
            handle_sigint=handle_sigint,
            handler_runner=self._runner,
            **kwargs,
        )
        self._runner.logger = self._async.logger
        self._runner.answer = self._async.answer_ack
        self._async.add_status_listener(self._on_state_change)
        self._inherited = False  # connected in a parent process: unusable here (see module doc)
        _all_clients.add(self)
        self._status_listeners: list[Callable[[], None]] = []
        self._any_wrappers: dict[Any, Callable[..., None]] = {}
        self._any_out_wrappers: dict[Any, Callable[..., None]] = {}

    # --- attributes (python-socketio names) ------------------------------------------
    # The AsyncClient's state belongs to the loop thread: every read and write hops there.

    def _on_loop(self, func: Callable[..., Any], *args: Any) -> Any:
        return self._portal.call(func, *args)

    @property
    def connected(self) -> bool:
        return not self._inherited and bool(self._on_loop(lambda: self._async.connected))

    @property
    def sid(self) -> str | None:
        if self._inherited:
            return None
        sid: str | None = self._on_loop(lambda: self._async.sid)
        return sid

    @property
    def namespaces(self) -> dict[str, str]:
        return dict(self._on_loop(lambda: self._async.namespaces))

    @property
    def state(self) -> str:
        if self._inherited:
            return "disconnected"
        state: str = self._on_loop(lambda: self._async.state)
        return state

    @property
    def handlers(self) -> dict[str, dict[Any, Handler]]:
        handlers: dict[str, dict[Any, Handler]] = self._on_loop(lambda: self._async.handlers)
        return handlers

    @property
    def namespace_handlers(self) -> dict[str, Any]:
        namespace_handlers: dict[str, Any] = self._on_loop(lambda: self._async.namespace_handlers)
        return namespace_handlers

    @property
    def failed_namespaces(self) -> list[str]:
        return list(self._on_loop(lambda: self._async.failed_namespaces))

    @property
    def connection_url(self) -> Any:
        return self._on_loop(lambda: self._async.connection_url)

    @property
    def logger(self) -> logging.Logger:
        return self._async.logger  # set once at construction; not loop state

    def get_sid(self, namespace: str | None = None) -> str | None:
        sid: str | None = self._on_loop(self._async.get_sid, namespace)
        return sid

    def transport(self) -> str | None:
        name: str | None = self._on_loop(self._async.transport)
        return name

    def recovered(self, namespace: str | None = None) -> bool:
        return bool(self._on_loop(self._async.recovered, namespace))

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
        """Register an event handler (on the loop thread), as a decorator or a plain call."""

        def register(func: Handler) -> Handler:
            self._on_loop(self._async.on, event, func, namespace)
            return func

        if handler is None:
            return register
        register(handler)
        return None

    def event(self, *args: Any, **kwargs: Any) -> Any:
        """Decorator registering a handler named after the function: ``@sio.event``."""
        if len(args) == 1 and not kwargs and callable(args[0]):
            return self.on(args[0].__name__)(args[0])

        def decorator(func: Handler) -> Handler:
            registered: Handler = self.on(func.__name__, *args, **kwargs)(func)
            return registered

        return decorator

    def register_namespace(self, namespace_handler: Any) -> None:
        from .namespace import ClientNamespace

        if not isinstance(namespace_handler, ClientNamespace):
            raise ValueError("Not a ClientNamespace instance (use AsyncClientNamespace with AsyncClient)")
        namespace_handler.attach(self)
        self._on_loop(self._async.namespace_handlers.__setitem__, namespace_handler.namespace, namespace_handler)

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
            if self.state == "disconnected":  # not "Already connected", nor Ctrl-C mid-connect
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
        self._on_loop(
            functools.partial(self._async.emit_nowait, timeout=timeout, volatile=volatile),
            event, data, namespace or "/", callback,
        )

    def on_lifecycle(self, name: str, handler: Handler | None = None) -> Any:
        """Connection lifecycle handlers (see AsyncClient.on_lifecycle); run on the handler thread."""

        def register(func: Handler) -> Handler:
            self._on_loop(self._async.on_lifecycle, name, func)
            return func

        if handler is None:
            self._on_loop(self._async.on_lifecycle, name, None)  # an unknown name raises now
            return register
        register(handler)
        return None

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
            client._dispatcher.join(2)  # let the disconnect handlers finish before the exit


def _after_fork_in_child() -> None:
    """Reset what the child inherited (see the module docstring); runs right after fork()."""
    _live_clients.clear()
    for client in list(_all_clients):
        # No loop thread runs here yet: read the state directly (nothing else can touch it).
        client._inherited = client._async.state != "disconnected"
        # The parent's handler thread does not exist here (nor its lock's owner).
        client._dispatcher = Dispatcher("sio-notebook-handlers", logging.getLogger("sio_notebook.client"))
        client._runner.dispatcher = client._dispatcher


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)
