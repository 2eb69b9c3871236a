"""AsyncClient: python-socketio's asyncio client API over the sans-I/O session.

Differences from python-socketio that are on purpose (see README "Differences"):

* disconnect reasons are finer: ``ping timeout``, ``transport close``, ``transport
  error``, ``parse error`` (JS names) besides ``client disconnect`` / ``server disconnect``;
* emits while connecting or reconnecting are buffered and sent once connected, instead
  of raising BadNamespaceError (``buffer_emits=False`` restores the old behaviour);
* a pending ``call()`` fails with DisconnectedError as soon as its ack cannot arrive,
  instead of waiting for its timeout;
* plain handlers run inline in arrival order; coroutine handlers start in arrival order
  in their own task (so they may ``await sio.call(...)``); no task per message;
* no SIGINT handler is ever installed (``handle_sigint`` is accepted and ignored) and no
  logging handler unless ``logger=True``;
* ``json=`` applies to this client only, not process-wide.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..exceptions import TimeoutError
from ..sansio.session import ClientSession
from ..sansio.state import CONNECTED, DISCONNECTED
from .acks import Ack, AckRequest
from .callables import Handler
from .connector import Connector
from .dispatch import Dispatch, RunHandler
from .emitter import Emitter
from .handlers import AnyListener, HandlerRegistry
from .namespace import AsyncClientNamespace
from .network import DEFAULT_MAX_INBOUND_SIZE
from .options import ClientOptions, make_logger, make_serializer, option_property
from .reconnect import Reconnector
from .retries import RetryDriver
from .runtime import ClientRuntime
from .status import ClientStatus, Reason
from .transports import TransportOpener

__all__ = ["AsyncClient", "ClientStatus", "Reason"]



class AsyncClient:
    """A Socket.IO client for asyncio (python-socketio's ``AsyncClient`` API)."""

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
        *,
        engineio_logger: bool | logging.Logger = False,
        request_timeout: float = 5,
        connect_timeout: float | None = None,
        http_session: Any = None,
        ssl_verify: Any = True,
        proxies: dict[str, str] | None = None,
        max_inbound_size: int | None = DEFAULT_MAX_INBOUND_SIZE,
        websocket_extra_options: dict[str, Any] | None = None,
        timestamp_requests: bool = True,
        buffer_emits: bool = True,
        max_buffered_emits: int | None = 1000,
        buffer_overflow: str = "error",
        try_all_transports: bool = False,
        upgrade: bool = True,
        ack_timeout: float | None = None,
        retries: int = 0,
        handler_runner: RunHandler | None = None,
        transport_opener: TransportOpener | None = None,
    ) -> None:
        """python-socketio's options plus the JS client's (README, "Beyond python-socketio").

        ``transport_opener`` makes the transports (default: aiohttp's polling and
        WebSocket); the scripted test tier passes one that replays frames.
        ``handler_runner`` is the seam for another front door: it is called as
        ``runner(handler, args, namespace, ack_request, event)`` for every handler and
        callback (default: run it on the loop; coroutines get a task) and answers the
        server's ack requests with :meth:`answer_ack`, on the loop. The thread Client
        passes one that runs handlers on its dispatcher thread.
        """
        self.logger = make_logger("sio_notebook.client", logger)
        self.eio_logger = make_logger("sio_notebook.engineio", engineio_logger)
        options = ClientOptions(
            reconnection=reconnection,
            reconnection_attempts=reconnection_attempts,
            reconnection_delay=reconnection_delay,
            reconnection_delay_max=reconnection_delay_max,
            randomization_factor=randomization_factor,
            request_timeout=request_timeout,
            connect_timeout=connect_timeout,
            http_session=http_session,
            ssl_verify=ssl_verify,
            proxies=proxies,
            max_inbound_size=max_inbound_size,
            websocket_extra_options=websocket_extra_options or {},
            timestamp_requests=timestamp_requests,
            buffer_emits=buffer_emits,
            max_buffered_emits=max_buffered_emits,
            buffer_overflow=buffer_overflow,
            try_all_transports=try_all_transports,
            upgrade=upgrade,
            ack_timeout=ack_timeout,
            retries=retries,
            transport_opener=transport_opener,
        )
        self.serializer = make_serializer(serializer, json)
        session = ClientSession(
            self.serializer,
            buffer_emits=buffer_emits,
            max_buffered_emits=max_buffered_emits,
            buffer_overflow=buffer_overflow,
        )

        self._rt = runtime = ClientRuntime(session, options, self.logger)
        self._registry = HandlerRegistry()
        self._dispatch = Dispatch(runtime, self._registry, self.logger)
        self._retries = RetryDriver(runtime, self._dispatch)
        self._connector = Connector(runtime, self._dispatch, self._retries, self.eio_logger)
        self._reconnector = Reconnector(runtime, self._connector, self._dispatch)
        self._emitter = Emitter(runtime, self._dispatch, self._retries, self.serializer)
        self._dispatch.bind(
            retries=self._retries,
            spawn_close=self._connector.spawn_close,
            start_reconnect=self._reconnector.start,
            run_handler=handler_runner,
        )
        self._debug = self.logger.isEnabledFor(logging.DEBUG)

    # --- options (python-socketio attribute names) -----------------------------------

    @property
    def options(self) -> ClientOptions:
        """Every option, validated and frozen; the option attributes below read it."""
        return self._rt.options

    @options.setter
    def options(self, options: ClientOptions) -> None:
        self._rt.options = options

    reconnection = option_property("reconnection")
    reconnection_attempts = option_property("reconnection_attempts")
    reconnection_delay = option_property("reconnection_delay")
    reconnection_delay_max = option_property("reconnection_delay_max")
    randomization_factor = option_property("randomization_factor")
    request_timeout = option_property("request_timeout")
    http_session = option_property("http_session")
    ssl_verify = option_property("ssl_verify")
    proxies = option_property("proxies")
    max_inbound_size = option_property("max_inbound_size")
    websocket_extra_options = option_property("websocket_extra_options")
    timestamp_requests = option_property("timestamp_requests")
    try_all_transports = option_property("try_all_transports")
    upgrade = option_property("upgrade")
    ack_timeout = option_property("ack_timeout")
    retries = option_property("retries")

    @property
    def connect_timeout(self) -> float:
        """Bound on opening an Engine.IO session (JS ``timeout``); default 4 x request_timeout."""
        return self.options.open_timeout

    # --- public attributes -----------------------------------------------------------

    @property
    def handlers(self) -> dict[str, dict[Any, Handler]]:
        return self._registry.handlers

    @property
    def namespace_handlers(self) -> dict[str, Any]:
        return self._registry.namespace_handlers

    @property
    def connection_url(self) -> Any:
        return self._connector.target.url

    @property
    def connection_headers(self) -> Any:
        return self._connector.target.headers

    @property
    def connection_auth(self) -> Any:
        return self._connector.target.auth

    @property
    def connection_transports(self) -> list[str]:
        return self._connector.target.transports

    @property
    def connection_namespaces(self) -> list[str]:
        return self._connector.target.namespaces

    @property
    def socketio_path(self) -> str:
        return self._connector.target.socketio_path

    @property
    def failed_namespaces(self) -> list[str]:
        return self._rt.failed_namespaces

    @property
    def sid(self) -> str | None:
        """The Engine.IO sid of the current connection."""
        return self._rt.sid

    @property
    def connected(self) -> bool:
        """True while the client is connected (not while connecting or reconnecting)."""
        return self._rt.state is CONNECTED

    @property
    def namespaces(self) -> dict[str, str]:
        """Connected namespaces and their Socket.IO sids."""
        return self._rt.session.connected_namespaces()

    @property
    def state(self) -> str:
        """``disconnected``, ``connecting``, ``connected`` or ``reconnecting`` (a ClientState's value)."""
        return self._rt.state.value

    def get_sid(self, namespace: str | None = None) -> str | None:
        """The Socket.IO sid of a namespace (python-socketio falls back to the Engine.IO sid)."""
        return self._rt.session.sid(namespace or "/")

    def transport(self) -> str | None:
        """``'polling'`` or ``'websocket'``; None when not connected."""
        engine = self._rt.engine
        return engine.transport_name if engine and not engine.closed else None

    def recovered(self, namespace: str | None = None) -> bool:
        """Whether the last (re)connection of a namespace recovered its state (§4.10)."""
        return self._rt.session.recovered(namespace or "/")

    def status(self) -> ClientStatus:
        rt = self._rt
        engine = rt.engine
        ping_age = ping_interval = None
        if engine is not None and engine.protocol is not None and not engine.closed:
            ping_age = max(0.0, time.monotonic() - engine.protocol.last_ping)
            ping_interval = engine.protocol.info.ping_interval
        return ClientStatus(
            state=rt.state.value,
            url=rt.url_text,
            sid=rt.sid,
            transport=self.transport(),
            namespaces=tuple(self.namespaces),
            events_in=rt.events_in,
            events_out=rt.events_out,
            queued=rt.session.buffered,
            reconnect_attempts=rt.reconnect_attempts,
            last_ping_age=ping_age,
            last_error=rt.last_error,
            disconnect_reason=rt.disconnect_reason,
            ping_interval=ping_interval,
        )

    def add_status_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` on the loop whenever ``state`` changes."""
        self._rt.status_listeners.append(listener)

    def remove_status_listener(self, listener: Callable[[], None]) -> None:
        if listener in self._rt.status_listeners:
            self._rt.status_listeners.remove(listener)

    # --- handler registration --------------------------------------------------------

    def on(self, event: Any, handler: Handler | None = None, namespace: str | None = None) -> Any:
        """Register an event handler, as a decorator or a plain call."""
        return self._registry.on(event, handler, namespace)

    def event(self, *args: Any, **kwargs: Any) -> Any:
        """Decorator registering a handler named after the function: ``@sio.event``."""
        return self._registry.event(*args, **kwargs)

    def register_namespace(self, namespace_handler: Any) -> None:
        """Register a class-based namespace (``AsyncClientNamespace``)."""
        if not isinstance(namespace_handler, AsyncClientNamespace):
            raise ValueError("Not an AsyncClientNamespace instance (use ClientNamespace with Client)")
        namespace_handler.attach(self)
        self._registry.add_namespace(namespace_handler)

    def on_any(self, listener: AnyListener) -> None:
        """Call ``listener(namespace, event, args)`` for every incoming event, before its handler."""
        self._registry.on_any(listener)

    def off_any(self, listener: Callable[..., None] | None = None) -> None:
        self._registry.off_any(listener)

    def on_any_outgoing(self, listener: AnyListener) -> None:
        """Call ``listener(namespace, event, args)`` for every event as it is written."""
        self._registry.on_any_outgoing(listener)

    def off_any_outgoing(self, listener: Callable[..., None] | None = None) -> None:
        self._registry.off_any_outgoing(listener)

    def on_lifecycle(self, name: str, handler: Handler | None = None) -> Any:
        """Register a connection lifecycle handler (the JS Manager events).

        ``reconnect_attempt(n)``, ``reconnect(n)``, ``reconnect_error(error)``,
        ``reconnect_failed()``, ``ping()``. As a decorator or a plain call.
        """
        return self._registry.on_lifecycle(name, handler)

    # --- connecting ------------------------------------------------------------------

    async def connect(
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
        """Connect to a Socket.IO server (python-socketio's signature).

        ``url``, ``headers`` and ``auth`` may be callables (or coroutine functions)
        evaluated on every connection and reconnection. Raises ConnectionError when the
        server cannot be reached, is not a Socket.IO server, or refuses a namespace, and
        ConnectionError("connect aborted by disconnect()") when ``disconnect()`` ran
        meanwhile (then no ``connect_error`` handler runs, as in the JS client).
        """
        self._connector.begin(url, headers, auth, transports, namespaces, socketio_path)
        await self._connector.finish(wait, wait_timeout, retry, reconnect=self._reconnector.run, disconnect=self.disconnect)

    def start_connect(
        self,
        url: Any,
        headers: Any = {},  # noqa: B006
        auth: Any = None,
        transports: Any = None,
        namespaces: Any = None,
        socketio_path: str = "socket.io",
        wait: bool = True,
        wait_timeout: float = 1,
        retry: bool = False,
    ) -> asyncio.Task[None]:
        """Start connecting and return at once with the task doing it (await it for errors).

        Unlike ``create_task(client.connect(...))``, the client is ``connecting`` when
        this returns, so emits made right after it (in the same notebook cell, say) are
        buffered and sent once connected. Argument errors raise here, synchronously.
        """
        self._connector.begin(url, headers, auth, transports, namespaces, socketio_path)
        task = asyncio.get_running_loop().create_task(
            self._connector.finish(wait, wait_timeout, retry, reconnect=self._reconnector.run, disconnect=self.disconnect)
        )
        self._rt.background.add(task)
        task.add_done_callback(self._rt.background.discard)
        return task

    # --- emitting --------------------------------------------------------------------

    async def emit(
        self,
        event: Any,
        data: Any = None,
        namespace: str | None = None,
        callback: Handler | None = None,
        *,
        timeout: float | None = None,
        volatile: bool = False,
    ) -> None:
        """Send an event. A tuple ``data`` is sent as several arguments.

        While the client is connecting or reconnecting the event is buffered and sent
        once connected (unless ``volatile``: then it is dropped, as it is while the
        transport is still writing earlier packets, like the JS client). With a ``timeout`` (or
        the client's ``ack_timeout``) the callback is error-first, ``callback(err,
        *args)``: ``err`` is None, TimeoutError, or DisconnectedError when the ack can no
        longer come. With the client's ``retries`` the event is re-sent until acked.
        Raises TypeError for data JSON cannot carry, ValueError for a reserved event
        name and BadNamespaceError if the namespace is not connected.
        """
        self._emitter.emit(event, data, namespace or "/", callback, timeout, volatile)

    def emit_nowait(
        self,
        event: Any,
        data: Any = None,
        namespace: str | None = None,
        callback: Handler | None = None,
        *,
        timeout: float | None = None,
        volatile: bool = False,
    ) -> None:
        """:meth:`emit` as a plain function, for callers on the loop that cannot await
        (the thread Client hops onto the loop and calls this). Loop thread only."""
        self._emitter.emit(event, data, namespace or "/", callback, timeout, volatile)

    async def send(self, data: Any, namespace: str | None = None, callback: Handler | None = None) -> None:
        """Send a ``message`` event."""
        await self.emit("message", data=data, namespace=namespace, callback=callback)

    async def call(self, event: Any, data: Any = None, namespace: str | None = None, timeout: float | None = 60) -> Any:
        """Emit and wait for the ack; return None, one value, or a tuple of values.

        Raises TimeoutError when no ack came in ``timeout`` seconds, and
        DisconnectedError as soon as the ack cannot arrive any more.
        """
        namespace = namespace or "/"
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        token = Ack(future=future)
        self._emitter.send(event, data, namespace, token)
        try:
            engine = self._rt.engine
            if engine is not None:
                await engine.write_now()  # latency: no hop through the writer task
            if timeout is not None:
                # A timer, not asyncio.wait_for: wait_for wraps the future in a task (3.11),
                # which costs a loop iteration on the latency of every call.
                token.timer = loop.call_later(timeout, self._emitter.ack_expired, token, namespace, event, timeout)
            args = await future
        except TimeoutError:
            raise TimeoutError(f"no ack for {event!r} on {namespace} within {timeout} s") from None
        except BaseException:
            # Cancelled (or failed) before the ack: withdraw it, so that nothing fails the
            # future later with no one to retrieve the error.
            token.done = True
            self._emitter.withdraw(token, namespace)
            future.cancel()
            raise
        finally:
            if token.timer is not None:
                token.timer.cancel()
        if not args:
            return None
        return args[0] if len(args) == 1 else tuple(args)

    # --- disconnecting and waiting ---------------------------------------------------

    async def disconnect(self) -> None:
        """Leave every namespace and close the connection; stops a reconnection loop."""
        rt, connector = self._rt, self._connector
        await self._reconnector.stop()
        session = rt.session
        engine = rt.engine
        connected = list(session.connected_namespaces())
        if engine is not None and not engine.closed:
            for ns in list(session.wanted_namespaces()):
                session.leave(ns)
            frames = session.data_to_send()  # a DISCONNECT per namespace (§2.7)
            if frames:
                engine.send(frames)
            self._dispatch.route(session.events_received())  # their acks are lost
        for ns in connected:
            await self._dispatch.call_disconnect(ns, Reason.CLIENT_DISCONNECT)
        if rt.state is not DISCONNECTED:
            await connector.close_for_good(Reason.CLIENT_DISCONNECT)
        await connector.closers_done()

    async def shutdown(self) -> None:
        """Stop everything: disconnect, or abort a reconnection loop."""
        await self.disconnect()

    async def wait(self) -> None:
        """Wait until the client is disconnected for good (reconnections included)."""
        rt = self._rt
        if rt.state is not DISCONNECTED:
            if rt.gone is None:
                rt.gone = asyncio.Event()
            await rt.gone.wait()
        await self._connector.closers_done()
        await asyncio.sleep(0)

    async def sleep(self, seconds: float = 0) -> None:
        await asyncio.sleep(seconds)

    def start_background_task(self, target: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> asyncio.Task[Any]:
        """Run a coroutine function in a task; the client keeps a reference to it."""
        return self._rt.spawn(target(*args, **kwargs))

    # --- the handler-runner seam ----------------------------------------------------

    def answer_ack(self, namespace: str, ack: AckRequest, result: Any) -> None:
        """Answer the server's ack request ``ack`` with a handler's ``result`` (loop thread).

        For a custom ``handler_runner``: call it (on the loop) once the handler returned.
        Dropped if the request's connection is gone (its ack ids mean nothing on the next).
        """
        self._dispatch.answer_ack(namespace, ack, result)
