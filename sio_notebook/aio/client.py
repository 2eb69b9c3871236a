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
import inspect
import logging
import time
import types
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from ..exceptions import (
    BadNamespaceError,
    ConnectionError,
    DisconnectedError,
    PayloadTooLargeError,
    TimeoutError,
)
from ..sansio.backoff import backoff_delay
from ..sansio.engineio import Frame
from ..sansio.retry import RetryItem, RetryQueue
from ..sansio.session import (
    AckReceived,
    ClientSession,
    Connected,
    ConnectError,
    EventReceived,
    NamespaceState,
    ServerDisconnected,
)
from ..sansio.socketio import EVENT, RESERVED_EVENTS, JsonSerializer, Packet, Serializer
from ..sansio.url import parse_url, redact_url
from .engine import (
    CLIENT_DISCONNECT,
    PARSE_ERROR,
    PING_TIMEOUT,
    TRANSPORT_CLOSE,
    TRANSPORT_ERROR,
    EngineConnection,
)
from .network import DEFAULT_MAX_INBOUND_SIZE, NetworkOptions, ProxyConfig, ssl_option

__all__ = ["AsyncClient", "ClientStatus", "Reason"]

_TRANSPORTS = ("polling", "websocket")
_CoroutineType = types.CoroutineType
_LIFECYCLE_EVENTS = frozenset({"reconnect_attempt", "reconnect", "reconnect_error", "reconnect_failed", "ping"})
Handler = Callable[..., Any]


class Reason:
    """Disconnect reasons passed to ``disconnect`` handlers."""

    CLIENT_DISCONNECT = CLIENT_DISCONNECT
    SERVER_DISCONNECT = "server disconnect"
    TRANSPORT_ERROR = TRANSPORT_ERROR
    TRANSPORT_CLOSE = TRANSPORT_CLOSE
    PING_TIMEOUT = PING_TIMEOUT
    PARSE_ERROR = PARSE_ERROR


@dataclass(frozen=True, slots=True)
class ClientStatus:
    """A snapshot of a client, for status displays (the notebook widget reads this)."""

    state: str  # disconnected | connecting | connected | reconnecting
    url: str | None
    sid: str | None
    transport: str | None
    namespaces: tuple[str, ...]
    events_in: int
    events_out: int
    queued: int
    reconnect_attempts: int
    last_ping_age: float | None
    last_error: str | None
    disconnect_reason: str | None
    ping_interval: float | None = None  # the server's pingInterval in seconds, once open


class _Ack:
    """An ack token: what to do when the server answers (or never will).

    Three kinds: a future (``call()``), a plain callback ``cb(*args)``, and an
    error-first callback ``cb(err, *args)`` (emits with a timeout). JS 4.7.5 rules on
    loss: futures and error-first callbacks get the error; plain callbacks are dropped.
    """

    __slots__ = ("callback", "future", "error_first", "client", "timer", "done", "on_loop")

    def __init__(
        self,
        callback: Handler | None = None,
        future: asyncio.Future[Any] | None = None,
        error_first: bool = False,
        client: AsyncClient | None = None,
        on_loop: Callable[[list[Any]], None] | None = None,
    ) -> None:
        #: The library's own continuation (the retry queue), run on the loop thread;
        #: ``callback`` is the user's, run like a handler (the thread Client's handler thread).
        self.on_loop = on_loop
        self.callback = callback
        self.future = future
        self.error_first = error_first
        self.client = client
        self.timer: asyncio.TimerHandle | None = None
        self.done = False

    def resolve(self, client: AsyncClient, args: list[Any]) -> None:
        if self.done:
            return  # an ack can only be used once
        self.done = True
        if self.timer is not None:
            self.timer.cancel()
        if self.on_loop is not None:
            self.on_loop(args)
        elif self.future is not None:
            if not self.future.done():
                self.future.set_result(args)
        elif self.callback is not None:
            client._run_callback(self.callback, [None, *args] if self.error_first else args)

    def fail(self, error: BaseException) -> None:
        if self.done:
            return
        self.done = True
        if self.timer is not None:
            self.timer.cancel()
        if self.future is not None and not self.future.done():
            self.future.set_exception(error)
        elif self.error_first and self.callback is not None and self.client is not None:
            self.client._run_callback(self.callback, [error])


def _is_awaitable(value: Any) -> bool:
    """inspect.isawaitable, with the common coroutine case first (this runs per event)."""
    return type(value) is _CoroutineType or inspect.isawaitable(value)


class _AckRequest:
    """A server's ack request: its id and the connection it arrived on."""

    __slots__ = ("id", "engine")

    def __init__(self, ack_id: int, engine: EngineConnection | None) -> None:
        self.id = ack_id
        self.engine = engine


async def _resolve(value: Any) -> Any:
    """url/headers/auth may be callables (also coroutine functions), re-evaluated each time."""
    if callable(value):
        value = value()
    if inspect.isawaitable(value):
        value = await value
    return value


def _takes_argument(handler: Handler) -> bool:
    """Whether a disconnect handler accepts the reason (legacy handlers take none)."""
    try:
        params = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return any(p.kind is p.VAR_POSITIONAL for p in params) or len(positional) >= 1


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
        http_session: aiohttp.ClientSession | Callable[[], Any] | None = None,
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
    ) -> None:
        if reconnection_delay <= 0 or reconnection_delay_max <= 0:
            raise ValueError("reconnection delays must be positive")
        self.reconnection = reconnection
        self.reconnection_attempts = reconnection_attempts
        self.reconnection_delay = reconnection_delay
        self.reconnection_delay_max = reconnection_delay_max
        self.randomization_factor = randomization_factor
        self.logger = _make_logger("sio_notebook.client", logger)
        self.eio_logger = _make_logger("sio_notebook.engineio", engineio_logger)
        self.request_timeout = request_timeout
        #: Bound on opening an Engine.IO session (JS ``timeout``); default 4 x request_timeout (20 s).
        self.connect_timeout = connect_timeout if connect_timeout is not None else 4 * request_timeout
        #: An aiohttp.ClientSession (never closed by the client), or a callable (also async)
        #: returning one, called on the loop when a session is needed (closed by the client).
        self.http_session = http_session
        #: True, False, a CA bundle path, or an ssl.SSLContext (see network.ssl_option).
        self.ssl_verify = ssl_verify
        self._ssl = ssl_option(ssl_verify)
        #: requests-style {"http": url, "https": url, "no_proxy": hosts}; None: the environment.
        self.proxies = proxies
        if max_inbound_size is not None and (not isinstance(max_inbound_size, int) or max_inbound_size <= 0):
            raise ValueError("max_inbound_size must be a positive number of bytes, or None for no bound")
        #: Bound on one WebSocket message / polling body from the server; past it the
        #: connection closes with "transport error" and last_error says why.
        self.max_inbound_size = max_inbound_size
        self.websocket_extra_options = dict(websocket_extra_options or {})
        self.timestamp_requests = timestamp_requests
        self.try_all_transports = try_all_transports
        self.upgrade = upgrade
        if retries and not ack_timeout:
            raise ValueError("retries needs ack_timeout: a packet is re-sent when its ack does not come in time")
        #: Default timeout of emits with a callback: callbacks become error-first (JS ``ackTimeout``).
        self.ack_timeout = ack_timeout
        #: At-least-once delivery: re-send an unacknowledged emit up to this many times (JS ``retries``).
        self.retries = retries
        self._retry_queues: dict[str, RetryQueue] = {}
        self._lifecycle: dict[str, list[Handler]] = {}
        self.serializer = _make_serializer(serializer, json)
        self._session = ClientSession(
            self.serializer,
            buffer_emits=buffer_emits,
            max_buffered_emits=max_buffered_emits,
            buffer_overflow=buffer_overflow,
        )
        self.handlers: dict[str, dict[Any, Handler]] = {}
        self.namespace_handlers: dict[str, Any] = {}
        self._any_in: tuple[Callable[[str, Any, tuple[Any, ...]], None], ...] = ()
        self._any_out: list[Callable[[str, Any, tuple[Any, ...]], None]] = []
        self._status_listeners: list[Callable[[], None]] = []
        # Connection parameters (python-socketio attribute names).
        self.connection_url: Any = None
        self.connection_headers: Any = {}
        self.connection_auth: Any = None
        self.connection_transports: list[str] = list(_TRANSPORTS)
        self.connection_namespaces: list[str] = []
        self.socketio_path = "socket.io"
        self.failed_namespaces: list[str] = []
        self.sid: str | None = None
        # Runtime state.
        self._state = "disconnected"
        self._engine: EngineConnection | None = None
        self._own_http: aiohttp.ClientSession | None = None
        self._http_guard: asyncio.Task[None] | None = None  # see _close_on_teardown
        self._reconnect_task: asyncio.Task[None] | None = None
        # Set by disconnect(): cancelling alone is not enough, as asyncio.wait_for (3.11)
        # and aiohttp can swallow a cancellation that races with a completing connect.
        self._reconnect_abort = False
        self._closing: asyncio.Future[None] | None = None  # see _close_for_good
        self._background: set[asyncio.Task[Any]] = set()
        self._closers: set[asyncio.Task[None]] = set()  # see _spawn_close
        self._gone: asyncio.Event | None = None
        self._ns_changed: asyncio.Event | None = None
        self._connect_errors: dict[str, str] = {}
        self._events_in = 0
        self._events_out = 0
        self._reconnect_attempts = 0
        self._last_error: str | None = None
        self._disconnect_reason: str | None = None
        self._url_text: str | None = None
        self._debug = self.logger.isEnabledFor(logging.DEBUG)

    # --- public attributes -----------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True while the client is connected (not while connecting or reconnecting)."""
        return self._state == "connected"

    @property
    def namespaces(self) -> dict[str, str]:
        """Connected namespaces and their Socket.IO sids."""
        return self._session.connected_namespaces()

    @property
    def state(self) -> str:
        """``disconnected``, ``connecting``, ``connected`` or ``reconnecting``."""
        return self._state

    def get_sid(self, namespace: str | None = None) -> str | None:
        """The Socket.IO sid of a namespace (python-socketio falls back to the Engine.IO sid)."""
        return self._session.sid(namespace or "/")

    def transport(self) -> str | None:
        """``'polling'`` or ``'websocket'``; None when not connected."""
        return self._engine.transport_name if self._engine and not self._engine.closed else None

    def recovered(self, namespace: str | None = None) -> bool:
        """Whether the last (re)connection of a namespace recovered its state (§4.10)."""
        return self._session.recovered(namespace or "/")

    def status(self) -> ClientStatus:
        engine = self._engine
        ping_age = ping_interval = None
        if engine is not None and engine.protocol is not None and not engine.closed:
            ping_age = max(0.0, time.monotonic() - engine.protocol.last_ping)
            ping_interval = engine.protocol.info.ping_interval
        return ClientStatus(
            state=self._state,
            url=self._url_text,
            sid=self.sid,
            transport=self.transport(),
            namespaces=tuple(self.namespaces),
            events_in=self._events_in,
            events_out=self._events_out,
            queued=self._session.buffered,
            reconnect_attempts=self._reconnect_attempts,
            last_ping_age=ping_age,
            last_error=self._last_error,
            disconnect_reason=self._disconnect_reason,
            ping_interval=ping_interval,
        )

    def add_status_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` on the loop whenever ``state`` changes."""
        self._status_listeners.append(listener)

    def remove_status_listener(self, listener: Callable[[], None]) -> None:
        if listener in self._status_listeners:
            self._status_listeners.remove(listener)

    # --- handler registration --------------------------------------------------------

    def on(self, event: Any, handler: Handler | None = None, namespace: str | None = None) -> Any:
        """Register an event handler, as a decorator or a plain call."""
        namespace = namespace or "/"

        def register(func: Handler) -> Handler:
            self.handlers.setdefault(namespace, {})[event] = func
            return func

        if handler is None:
            return register
        register(handler)
        return None

    def event(self, *args: Any, **kwargs: Any) -> Any:
        """Decorator registering a handler named after the function: ``@sio.event``."""
        if len(args) == 1 and not kwargs and callable(args[0]):
            registered: Handler = self.on(args[0].__name__)(args[0])
            return registered

        def decorator(func: Handler) -> Handler:
            registered: Handler = self.on(func.__name__, *args, **kwargs)(func)
            return registered

        return decorator

    def register_namespace(self, namespace_handler: Any) -> None:
        """Register a class-based namespace (``AsyncClientNamespace``)."""
        from .namespace import AsyncClientNamespace

        if not isinstance(namespace_handler, AsyncClientNamespace):
            raise ValueError("Not an AsyncClientNamespace instance (use ClientNamespace with Client)")
        namespace_handler._set_client(self)
        self.namespace_handlers[namespace_handler.namespace] = namespace_handler

    def on_any(self, listener: Callable[[str, Any, tuple[Any, ...]], None]) -> None:
        """Call ``listener(namespace, event, args)`` for every incoming event, before its handler."""
        self._any_in = (*self._any_in, listener)  # a tuple: dispatch iterates it without copying

    def off_any(self, listener: Callable[..., None] | None = None) -> None:
        if listener is None:
            self._any_in = ()
        else:
            self._any_in = tuple(item for item in self._any_in if item != listener)

    def on_any_outgoing(self, listener: Callable[[str, Any, tuple[Any, ...]], None]) -> None:
        """Call ``listener(namespace, event, args)`` for every event as it is written."""
        self._any_out.append(listener)

    def off_any_outgoing(self, listener: Callable[..., None] | None = None) -> None:
        if listener is None:
            self._any_out.clear()
        elif listener in self._any_out:
            self._any_out.remove(listener)

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
        self._begin_connect(url, headers, auth, transports, namespaces, socketio_path)
        await self._finish_connect(wait, wait_timeout, retry)

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
        self._begin_connect(url, headers, auth, transports, namespaces, socketio_path)
        task = asyncio.get_running_loop().create_task(self._finish_connect(wait, wait_timeout, retry))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _begin_connect(
        self, url: Any, headers: Any, auth: Any, transports: Any, namespaces: Any, socketio_path: str
    ) -> None:
        """The synchronous part of connect(): validate, record, and become ``connecting``."""
        if self._state != "disconnected":
            raise ConnectionError("Already connected")
        self._reconnect_abort = False
        self.connection_transports = _check_transports(transports)
        if not callable(url):
            parse_url(url, socketio_path)  # bad URLs fail here, before any traffic
        self.connection_url, self.connection_headers, self.connection_auth = url, headers, auth
        self.socketio_path = socketio_path
        self.connection_namespaces = self._namespaces_to_connect(namespaces)
        self.failed_namespaces = []
        self._connect_errors = {}
        # Created on demand (wait(), namespace waits): an asyncio.Event costs about a
        # kilobyte, and most of a connection's life needs neither.
        self._gone = None
        self._ns_changed = None
        self._disconnect_reason = None
        self._reconnect_attempts = 0
        for ns in self.connection_namespaces:
            self._session.want(ns)
        self._set_state("connecting")

    async def _finish_connect(self, wait: bool, wait_timeout: float, retry: bool) -> None:
        try:
            await self._open_engine()
        except asyncio.CancelledError:
            self._spawn_close(None)  # an abandoned connect leaves nothing open
            raise
        except (ConnectionError, ValueError, TypeError) as exc:
            if self._abort_requested():
                # disconnect() closed the session under the handshake: its error (aiohttp's
                # "Connector is closed", a timeout) is a consequence, not a connect failure.
                # Like the JS client, no connect_error handler runs.
                await self._close_for_good(None)
                raise _aborted() from None
            self._last_error = str(exc)
            if retry and self.reconnection and isinstance(exc, ConnectionError):
                self._set_state("reconnecting")
                await self._reconnect_loop()
                if self._abort_requested():
                    raise _aborted() from None
                if self._state != "connected":
                    raise ConnectionError(f"could not connect to {self._url_text}: {self._last_error}") from exc
                return
            for ns in self.connection_namespaces:
                await self._call_connect_error(ns, str(exc) if isinstance(exc, ConnectionError) else exc)
            await self._close_for_good(None)
            raise
        if self._abort_requested():  # disconnect() ran as the handshake completed
            await self._close_for_good(None)
            raise _aborted()
        if wait:
            failed = await self._wait_for_namespaces(wait_timeout)
            if self._abort_requested():
                await self._closers_done()
                raise _aborted()
            if failed and self._state == "reconnecting" and not any(ns in self._connect_errors for ns in failed):
                # Every namespace connected, then the connection dropped before we got
                # here: the client already reported connect/disconnect and is reconnecting
                # on its own. That is not a failed connect(); don't stop the reconnection.
                return
            if failed:
                engine = self._engine
                if engine is None or engine.closed:
                    # The connection ended before the namespaces settled: say so, not "timed out".
                    why = (engine.close_reason if engine is not None else None) or self._disconnect_reason
                    unsettled = f"the connection closed ({why}) before it connected"
                    if self._last_error and why and self._last_error.startswith(why + ":"):
                        unsettled = f"the connection closed ({self._last_error}) before it connected"
                else:
                    unsettled = "timed out"
                details = ", ".join(f"{ns} ({self._connect_errors.get(ns, unsettled)})" for ns in failed)
                await self.disconnect()
                raise ConnectionError(f"One or more namespaces failed to connect: {details}")

    async def _open_engine(self) -> None:
        """Open an Engine.IO connection and send the CONNECTs (one attempt)."""
        url = await _resolve(self.connection_url)
        headers = dict(await _resolve(self.connection_headers) or {})
        auth = await _resolve(self.connection_auth)
        if auth is None:
            auth = {}
        eurl = parse_url(url, self.socketio_path)
        self._url_text = redact_url(url)
        if eurl.authorization and not any(k.lower() == "authorization" for k in headers):
            headers["Authorization"] = eurl.authorization  # URL credentials, as requests sends them
        http, network = await self._http_for_connection()
        ssl = self._ssl  # True, False or an SSLContext (aiohttp 3.14 deprecates ssl=None)
        transports = list(self.connection_transports)
        last_error: Exception | None = None
        while transports:
            engine = EngineConnection(
                on_message=self._on_message, on_close=self._on_engine_close, logger=self.eio_logger,
                on_ping=self._on_ping,
            )
            try:
                info = await engine.open(
                    http,
                    eurl,
                    transports=transports,
                    headers=headers,
                    ssl=ssl,
                    request_timeout=self.request_timeout,
                    connect_timeout=self.connect_timeout,
                    websocket_options=self.websocket_extra_options,
                    upgrade=self.upgrade,
                    network=network,
                )
                break
            except ConnectionError as exc:
                last_error = exc
                if not self.try_all_transports or len(transports) == 1:
                    raise
                self.logger.info("%s failed (%s); trying %s", transports[0], exc, transports[1])
                transports = transports[1:]
        else:  # pragma: no cover - loop always breaks or raises
            raise last_error or ConnectionError("no transport")
        self._engine = engine
        self.sid = info.sid
        for ns in self._session.wanted_namespaces():
            self._session.want(ns, auth)
        engine.send(self._session.engine_opened())
        if self._state == "connecting" or self._state == "reconnecting":
            self._notify_status()

    async def _http_for_connection(self) -> tuple[aiohttp.ClientSession, NetworkOptions]:
        """The aiohttp session for a connection attempt, and the proxy/size options.

        Proxies: the ``proxies`` option, else the environment (as requests does) unless a
        session of the user's says ``trust_env=False``.
        """
        given = self.http_session
        if isinstance(given, aiohttp.ClientSession) and not given.closed:
            trust_env = given.trust_env
            http, owned = given, False
        else:
            own = self._own_http
            if own is None or own.closed:
                if callable(given):
                    made = given()
                    if inspect.isawaitable(made):
                        made = await made
                    if not isinstance(made, aiohttp.ClientSession):
                        raise TypeError(f"http_session() must return an aiohttp.ClientSession, not {type(made).__name__}")
                    own = made
                else:
                    own = aiohttp.ClientSession()
                self._own_http = own
                self._watch_own_http(own)
            http = own
            trust_env, owned = (own.trust_env if callable(given) else True), True
        proxies = ProxyConfig(self.proxies, trust_env=trust_env)
        return http, NetworkOptions(proxies, self.max_inbound_size, owns_pool=owned)

    def _watch_own_http(self, http: aiohttp.ClientSession) -> None:
        """Make sure the client's own session is closed even if disconnect() never runs."""
        if self._http_guard is not None:
            self._http_guard.cancel()  # the previous session's (closed) guard
        self._http_guard = asyncio.get_running_loop().create_task(_close_on_teardown(http), name="sio-http-guard")

    async def _wait_for_namespaces(self, timeout: float) -> list[str]:
        """Wait until each wanted namespace connected or failed; return the failed ones.

        The timeout restarts whenever a namespace settles (python-socketio's rule).
        """
        changed = self._ns_changed = asyncio.Event()
        try:
            while True:
                pending = [
                    ns for ns in self.connection_namespaces if self._session.state(ns) is NamespaceState.CONNECTING
                ]
                engine = self._engine
                if not pending or engine is None or engine.closed:
                    break
                changed.clear()
                try:
                    await asyncio.wait_for(changed.wait(), timeout)
                except asyncio.TimeoutError:
                    break
        finally:
            if self._ns_changed is changed:
                self._ns_changed = None
        return [ns for ns in self.connection_namespaces if self._session.state(ns) is not NamespaceState.CONNECTED]

    def _namespaces_to_connect(self, namespaces: Any) -> list[str]:
        if namespaces is None:
            found = set(self.handlers) | set(self.namespace_handlers)
            found.discard("*")
            result = sorted(found) or ["/"]
        elif isinstance(namespaces, str):
            result = [namespaces]
        else:
            result = list(namespaces)
        for ns in result:
            if not isinstance(ns, str) or not ns.startswith("/"):
                raise ValueError(f"invalid namespace {ns!r}: namespaces start with '/'")
        return result

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
        self._emit_public(event, data, namespace or "/", callback, timeout, volatile)

    def _emit_public(
        self, event: Any, data: Any, namespace: str, callback: Handler | None, timeout: float | None, volatile: bool
    ) -> None:
        """emit() without the coroutine (the thread Client calls this on the loop)."""
        timeout = timeout if timeout is not None else self.ack_timeout
        if self.retries and not volatile:
            self._emit_with_retries(event, data, namespace, callback, timeout)
            return
        token = None
        if callback is not None:
            token = _Ack(callback, error_first=timeout is not None, client=self)
        self._emit(event, data, namespace, token, volatile)
        if token is not None and timeout is not None:
            token.timer = asyncio.get_running_loop().call_later(timeout, self._ack_expired, token, namespace, event, timeout)

    def _ack_expired(self, token: _Ack, namespace: str, event: Any, timeout: float) -> None:
        """JS ``timeout()``: the error-first callback gets a timeout; an unsent emit is withdrawn."""
        if token.done:
            return
        self._session.cancel_buffered(token)
        self._session.forget_ack(namespace, token)
        token.fail(TimeoutError(f"operation has timed out: no ack for {event!r} on {namespace} within {timeout} s"))

    # --- retries (JS §4.5) -----------------------------------------------------------

    def _emit_with_retries(self, event: Any, data: Any, namespace: str, callback: Handler | None, timeout: float | None) -> None:
        if isinstance(event, str) and event in RESERVED_EVENTS:
            raise ValueError(f"{event!r} is a reserved event name and cannot be emitted")
        if self._state == "disconnected":
            raise BadNamespaceError(f"{namespace} is not a connected namespace (the client is not connected)")
        args = [event, *data] if type(data) is tuple else [event] if data is None else [event, data]
        self.serializer.encode(Packet(EVENT, namespace, args))  # TypeError now, not at send time
        queue = self._retry_queues.get(namespace)
        if queue is None:
            queue = self._retry_queues[namespace] = RetryQueue(self.retries)
        item = queue.push(RetryItem(namespace, args, callback))
        if item is not None:
            self._send_retry(queue, item)

    def _send_retry(self, queue: RetryQueue, item: RetryItem) -> None:
        """Send the queue head if its namespace is connected (else it waits for connect)."""
        if self._session.state(item.namespace) is not NamespaceState.CONNECTED or self._engine is None:
            return
        timeout = self.ack_timeout
        assert timeout is not None
        token = _Ack(client=self, on_loop=lambda args: self._retry_acked(queue, item, args))
        frames = self._session.emit(item.namespace, item.args, token, buffer=False)
        if frames is None:
            return
        queue.sent(item)
        self._engine.send(frames)
        self._events_out += 1
        if self._any_out:
            self._fire_outgoing(item.namespace, item.args)
        token.timer = asyncio.get_running_loop().call_later(timeout, self._retry_timed_out, queue, item, token)

    def _retry_acked(self, queue: RetryQueue, item: RetryItem, args: list[Any]) -> None:
        if item.callback is not None:
            self._run_callback(item.callback, [None, *args])
        next_item = queue.acked(item)
        if next_item is not None:
            self._send_retry(queue, next_item)

    def _retry_timed_out(self, queue: RetryQueue, item: RetryItem, token: _Ack) -> None:
        token.done = True
        self._session.forget_ack(item.namespace, token)
        gave_up, next_item = queue.timed_out(item)
        if gave_up and item.callback is not None:
            self._run_callback(
                item.callback, [TimeoutError(f"no ack for {item.args[0]!r} after {item.tries} attempts")]
            )
        if next_item is not None:
            self._send_retry(queue, next_item)

    # --- lifecycle events ------------------------------------------------------------

    def on_lifecycle(self, name: str, handler: Handler | None = None) -> Any:
        """Register a connection lifecycle handler (the JS Manager events).

        ``reconnect_attempt(n)``, ``reconnect(n)``, ``reconnect_error(error)``,
        ``reconnect_failed()``, ``ping()``. As a decorator or a plain call.
        """
        if name not in _LIFECYCLE_EVENTS:
            raise ValueError(f"unknown lifecycle event {name!r}: one of {sorted(_LIFECYCLE_EVENTS)}")

        def register(func: Handler) -> Handler:
            self._lifecycle.setdefault(name, []).append(func)
            return func

        if handler is None:
            return register
        register(handler)
        return None

    def _on_ping(self) -> None:
        """A server ping arrived (and was answered): the ``ping`` lifecycle event."""
        if "ping" in self._lifecycle:
            self._fire_lifecycle("ping")

    def _fire_lifecycle(self, name: str, *args: Any) -> None:
        for handler in self._lifecycle.get(name, ()):
            self._run_handler(handler, args, "/", None, name)

    def _emit(self, event: Any, data: Any, namespace: str, token: _Ack | None, volatile: bool = False) -> None:
        if isinstance(event, str) and event in RESERVED_EVENTS:
            raise ValueError(f"{event!r} is a reserved event name and cannot be emitted")
        if self._state == "disconnected":
            raise BadNamespaceError(f"{namespace} is not a connected namespace (the client is not connected)")
        if type(data) is tuple:
            args = [event, *data]
        elif data is None:
            args = [event]
        else:
            args = [event, data]
        engine = self._engine
        if engine is not None and not engine.closed:
            engine.alive()  # a missed deadline closes the engine now: the emit is buffered
        if volatile:
            # JS: a volatile packet is dropped while the transport is not writable (a write
            # in flight or queued), so a burst sheds load instead of queueing it.
            writable = engine is not None and engine.writable
            frames = self._session.emit(namespace, args, token, volatile=True, writable=writable)
        else:
            frames = self._session.emit(namespace, args, token)
        if frames is None:
            dropped = self._session.take_dropped()
            if dropped:  # the offline buffer's overflow policy dropped these emits
                self._fail_acks(tuple(dropped), DisconnectedError("dropped: the offline emit buffer is full"))
            return
        if frames is not None:
            assert self._engine is not None
            self._engine.send(frames)
            self._events_out += 1
            if self._any_out:
                self._fire_outgoing(namespace, args)

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
        token = _Ack(future=future, client=self)
        self._emit(event, data, namespace, token)
        try:
            engine = self._engine
            if engine is not None:
                await engine.write_now()  # latency: no hop through the writer task
            if timeout is not None:
                # A timer, not asyncio.wait_for: wait_for wraps the future in a task (3.11),
                # which costs a loop iteration on the latency of every call.
                token.timer = loop.call_later(timeout, self._ack_expired, token, namespace, event, timeout)
            args = await future
        except TimeoutError:
            raise TimeoutError(f"no ack for {event!r} on {namespace} within {timeout} s") from None
        except BaseException:
            # Cancelled (or failed) before the ack: withdraw it, so that nothing fails the
            # future later with no one to retrieve the error.
            token.done = True
            self._session.cancel_buffered(token)
            self._session.forget_ack(namespace, token)
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
        self._reconnect_abort = True  # also stops connect(retry=True), which has no task
        task = self._reconnect_task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._reconnect_task = None
        engine = self._engine
        connected = list(self._session.connected_namespaces())
        if engine is not None and not engine.closed:
            for ns in list(self._session.wanted_namespaces()):
                frames, lost = self._session.disconnect_frames(ns)
                if frames:
                    engine.send(frames)
                self._fail_acks(lost, DisconnectedError("the client disconnected before the ack arrived"))
        for ns in connected:
            await self._call_disconnect(ns, Reason.CLIENT_DISCONNECT)
        if self._state != "disconnected":
            await self._close_for_good(Reason.CLIENT_DISCONNECT)
        await self._closers_done()

    async def shutdown(self) -> None:
        """Stop everything: disconnect, or abort a reconnection loop."""
        await self.disconnect()

    async def wait(self) -> None:
        """Wait until the client is disconnected for good (reconnections included)."""
        if self._state != "disconnected":
            if self._gone is None:
                self._gone = asyncio.Event()
            await self._gone.wait()
        await self._closers_done()
        await asyncio.sleep(0)

    async def sleep(self, seconds: float = 0) -> None:
        await asyncio.sleep(seconds)

    def start_background_task(self, target: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> asyncio.Task[Any]:
        """Run a coroutine function in a task; the client keeps a reference to it."""
        task = asyncio.ensure_future(target(*args, **kwargs))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _close_for_good(self, reason: str | None) -> None:
        """End every connection attempt; fail what is still waiting; release resources.

        Calls can overlap (a server DISCONNECT racing the transport close, disconnect()
        during either): the later ones wait for the first, so ``wait()`` and
        ``disconnect()`` return only once everything is released.
        """
        while True:
            running = self._closing
            if running is None or running.done():
                running = self._closing = asyncio.ensure_future(self._release(reason))
            await asyncio.shield(running)
            if self._engine is None:  # else an attempt in flight opened one meanwhile: again
                return

    def _abort_requested(self) -> bool:
        """Whether disconnect() ran; re-read after every await (a method, so that type
        checkers do not assume an earlier test of the flag still holds)."""
        return self._reconnect_abort

    def _spawn_close(self, reason: str | None) -> None:
        """Run _close_for_good in a task (from a callback that cannot await).

        The tasks are kept apart so that ``wait()`` and ``disconnect()`` can await them:
        ``_release`` sets the "gone" event before these tasks resume, and on 3.12+ a
        waiter can return in that window, leaving a pending task behind.
        """
        task = asyncio.ensure_future(self._close_for_good(reason))
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)

    async def _closers_done(self) -> None:
        """Wait for the tasks of _spawn_close (but never for the calling task itself)."""
        current = asyncio.current_task()
        pending = [task for task in self._closers if task is not current and not task.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def _release(self, reason: str | None) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            await engine.close()
            await engine.wait_closed()
        lost = self._session.give_up()
        self._fail_acks(lost, DisconnectedError("the connection is closed; the ack will not arrive"))
        for queue in self._retry_queues.values():
            for item in queue.drain():
                if item.callback is not None:
                    self._run_callback(item.callback, [DisconnectedError("the connection is closed; not delivered")])
        if self._own_http is not None:
            await self._own_http.close()
            self._own_http = None
        guard, self._http_guard = self._http_guard, None
        if guard is not None:
            guard.cancel()
            await asyncio.gather(guard, return_exceptions=True)
        if reason is not None:
            self._disconnect_reason = reason
        self.sid = None
        self._set_state("disconnected")
        if self._gone is not None:
            self._gone.set()
        if self._ns_changed is not None:
            self._ns_changed.set()

    # --- engine callbacks ------------------------------------------------------------

    def _on_message(self, message: Frame) -> None:
        """One Engine.IO message: decode and dispatch, in arrival order."""
        try:
            events = self._session.receive(message)
        except ValueError as exc:  # RemoteProtocolError: malformed packet
            self.logger.warning("malformed packet from the server (%s): closing with 'parse error'", exc)
            self._last_error = str(exc)
            engine = self._engine
            if engine is not None:
                engine._finish(PARSE_ERROR, exc)
            return
        for event in events:
            if type(event) is EventReceived:
                self._events_in += 1
                self._dispatch_event(event)
            elif type(event) is AckReceived:
                event.token.resolve(self, event.args)
            elif type(event) is Connected:
                self._on_namespace_connected(event)
            elif type(event) is ConnectError:
                self._on_namespace_error(event)
            elif type(event) is ServerDisconnected:
                self._on_server_disconnect(event)

    def _on_namespace_connected(self, event: Connected) -> None:
        engine = self._engine
        if event.flushed and engine is not None:
            engine.send(self._session.flush_frames(event))
            self._events_out += len(event.flushed)
            if self._any_out:
                for packet in event.flushed:
                    self._fire_outgoing(event.namespace, packet.data)
        if self._state in ("connecting", "reconnecting") and self._all_settled():
            self._set_state("connected")
        self.logger.info("namespace %s connected (sid %s%s)", event.namespace, event.sid,
                         ", recovered" if event.recovered else "")
        queue = self._retry_queues.get(event.namespace)
        if queue is not None:
            head = queue.head_to_send()  # JS 4.8.2: re-sent before the connect handlers
            if head is not None:
                self._send_retry(queue, head)
        self._trigger(event.namespace, "connect", ())
        if self._ns_changed is not None:
            self._ns_changed.set()

    def _on_namespace_error(self, event: ConnectError) -> None:
        self.logger.info("namespace %s refused: %s", event.namespace, event.message)
        self._connect_errors[event.namespace] = event.message
        self._last_error = f"{event.namespace}: {event.message}"
        if event.namespace not in self.failed_namespaces:
            self.failed_namespaces.append(event.namespace)
        self._fail_acks(event.lost_acks, ConnectionError(f"{event.namespace} refused: {event.message}"))
        data: dict[str, Any] = {"message": event.message}
        if event.data is not None:
            data["data"] = event.data
        self._trigger(event.namespace, "connect_error", (data,))
        if self._ns_changed is not None:
            self._ns_changed.set()
        self._after_namespace_loss()

    def _on_server_disconnect(self, event: ServerDisconnected) -> None:
        self.logger.info("the server disconnected namespace %s", event.namespace)
        self._fail_acks(event.lost_acks, DisconnectedError(f"the server disconnected {event.namespace}"))
        self._trigger(event.namespace, "disconnect", (Reason.SERVER_DISCONNECT,))
        self._disconnect_reason = Reason.SERVER_DISCONNECT
        self._after_namespace_loss()

    def _after_namespace_loss(self) -> None:
        """JS rule: when no namespace is left active, close the engine; no reconnection."""
        if not self._session.wanted_namespaces():
            self._spawn_close(self._disconnect_reason or Reason.SERVER_DISCONNECT)
        elif self._state in ("connecting", "reconnecting") and self._all_settled():
            self._set_state("connected")

    def _all_settled(self) -> bool:
        return all(self._session.state(ns) is not NamespaceState.CONNECTING for ns in self._session.wanted_namespaces())

    def _on_engine_close(self, reason: str, error: BaseException | None) -> None:
        """The Engine.IO connection ended without our asking: maybe reconnect."""
        if self._state == "disconnected":
            return
        self._disconnect_reason = reason
        if error is not None:
            self._last_error = f"{reason}: {error}"
        was_connected, lost = self._session.engine_lost()
        if isinstance(error, PayloadTooLargeError):  # the cause the caller can act on
            self._fail_acks(lost, PayloadTooLargeError(
                f"the connection was lost before the ack arrived: {error}", error.status))
        else:
            self._fail_acks(lost, DisconnectedError(f"the connection was lost ({reason}) before the ack arrived"))
        for queue in self._retry_queues.values():
            queue.connection_lost()
        self.logger.info("connection lost: %s", reason)
        for ns in was_connected:
            self._trigger(ns, "disconnect", (reason,))
        if self._ns_changed is not None:
            self._ns_changed.set()
        if self._reconnect_task is not None and not self._reconnect_task.done():
            return  # the running reconnection loop sees the closed engine
        if self._state == "connecting":
            return  # connect() is waiting and will report the failure
        if self.reconnection and self._session.wanted_namespaces():
            self._set_state("reconnecting")
            self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect_loop())
        else:
            self._spawn_close(reason)

    async def _reconnect_loop(self) -> None:
        """Backoff and retry until connected, given up, or cancelled (``disconnect()``)."""
        attempt = 0
        engine = self._engine
        if engine is not None:
            await engine.wait_closed()
        while self._state == "reconnecting" and not self._reconnect_abort:
            if self.reconnection_attempts and attempt >= self.reconnection_attempts:
                self.logger.warning("reconnection failed after %d attempts: giving up", attempt)
                self._last_error = f"gave up after {attempt} reconnection attempts: {self._last_error}"
                self._fire_lifecycle("reconnect_failed")
                await self._close_for_good(self._disconnect_reason)
                return
            delay = backoff_delay(attempt, self.reconnection_delay, self.reconnection_delay_max, self.randomization_factor)
            await asyncio.sleep(delay)
            if self._abort_requested():
                return
            attempt += 1
            self._reconnect_attempts += 1
            self._notify_status()
            self.logger.info("reconnection attempt %d", attempt)
            self._fire_lifecycle("reconnect_attempt", attempt)
            try:
                await self._open_engine()
            except (ConnectionError, ValueError, TypeError) as exc:
                self._last_error = str(exc)
                self.logger.info("reconnection attempt %d failed: %s", attempt, exc)
                self._fire_lifecycle("reconnect_error", exc)
                continue
            if self._abort_requested():  # disconnect() ran while this attempt was connecting
                await self._close_for_good(None)
                return
            await self._wait_for_namespaces(max(self.request_timeout, 1))
            if self._engine is not None and not self._engine.closed and self._state == "connected":
                self._reconnect_task = None
                self._fire_lifecycle("reconnect", attempt)
                return
            if self._state == "disconnected":
                return
            engine = self._engine
            if engine is not None and not engine.closed:
                if not self._session.wanted_namespaces():
                    return
                if self._all_settled():
                    self._set_state("connected")
                    self._reconnect_task = None
                    self._fire_lifecycle("reconnect", attempt)
                    return
                await engine.close()
                _, lost = self._session.engine_lost()
                self._fail_acks(lost, DisconnectedError("the reconnection attempt failed before the ack arrived"))
            self._set_state("reconnecting")

    # --- dispatch --------------------------------------------------------------------

    def _dispatch_event(self, event: EventReceived) -> None:
        ns, name, args = event.namespace, event.name, event.args
        if self._any_in:
            frozen = tuple(args)  # one copy for every listener; handlers get the list
            for listener in self._any_in:
                try:
                    listener(ns, name, frozen)
                except Exception:
                    self.logger.exception("on_any listener failed")
        handler, call_args = self._find_handler(ns, name, args)
        ack: Any = None
        if event.ack_id is not None:
            # The request belongs to this connection: its ack ids mean nothing on the next.
            ack = _AckRequest(event.ack_id, self._engine)
        if handler is None:
            if ack is not None:
                self._send_ack(ns, ack, None)
            return
        self._run_handler(handler, call_args, ns, ack, name)

    def _find_handler(self, ns: str, name: Any, args: list[Any]) -> tuple[Handler | None, tuple[Any, ...]]:
        """python-socketio's resolution order (reference §1.4)."""
        handlers = self.handlers
        ns_handlers = handlers.get(ns)
        if ns_handlers is not None:
            handler = ns_handlers.get(name)
            if handler is not None:
                return handler, args  # type: ignore[return-value]  # a list unpacks the same
            handler = ns_handlers.get("*")
            if handler is not None:
                return handler, (name, *args)
        star = handlers.get("*")
        if star is not None:
            if ns_handlers is None:
                handler = star.get(name)
                if handler is not None:
                    return handler, (ns, *args)
            handler = star.get("*")
            if handler is not None:
                return handler, (name, ns, *args)
        namespace_obj = self.namespace_handlers.get(ns)
        if namespace_obj is not None:
            return namespace_obj.trigger_event, (name, *args)
        namespace_obj = self.namespace_handlers.get("*")
        if namespace_obj is not None:
            return namespace_obj.trigger_event, (name, ns, *args)
        return None, ()

    def _trigger(self, ns: str, event: str, args: tuple[Any, ...]) -> None:
        """Run a lifecycle handler (connect, connect_error, disconnect) if registered."""
        handler: Handler | None = None
        call_args = args
        ns_handlers = self.handlers.get(ns)
        if ns_handlers and event in ns_handlers:
            handler = ns_handlers[event]
        elif "*" in self.handlers and event in self.handlers["*"]:
            handler, call_args = self.handlers["*"][event], (ns, *args)
        elif ns in self.namespace_handlers:
            handler, call_args = self.namespace_handlers[ns].trigger_event, (event, *args)
        elif "*" in self.namespace_handlers:
            handler, call_args = self.namespace_handlers["*"].trigger_event, (event, ns, *args)
        if handler is None:
            return
        if event == "disconnect" and handler.__name__ != "trigger_event" and not _takes_argument(handler):
            call_args = call_args[: len(call_args) - len(args)]  # legacy zero-argument handler
        self._run_handler(handler, call_args, ns, None, event)

    async def _call_connect_error(self, ns: str, data: Any) -> None:
        self._trigger(ns, "connect_error", (data,))
        await asyncio.sleep(0)

    async def _call_disconnect(self, ns: str, reason: str) -> None:
        self._trigger(ns, "disconnect", (reason,))
        await asyncio.sleep(0)

    def _run_handler(
        self, handler: Handler, args: tuple[Any, ...], ns: str, ack: _AckRequest | None, event: Any = None
    ) -> None:
        """Call a handler on the loop; coroutines get a task. Overridden by the thread Client.

        ``event`` names what the handler was called for, for the error log line.
        """
        try:
            result = handler(*args)
        except Exception:
            self.logger.exception("error in the handler for %s on namespace %s", _describe(event), ns)
            if ack is not None:
                self._send_ack(ns, ack, None)
            return
        if result is not None and _is_awaitable(result):
            self._spawn(self._await_handler(result, ns, ack, event))
        elif ack is not None:
            self._send_ack(ns, ack, result)

    async def _await_handler(
        self, awaitable: Awaitable[Any], ns: str, ack: _AckRequest | None, event: Any = None
    ) -> None:
        try:
            result = await awaitable
        except asyncio.CancelledError:
            raise
        except Exception:
            self.logger.exception("error in the handler for %s on namespace %s", _describe(event), ns)
            result = None
        if ack is not None:
            self._send_ack(ns, ack, result)

    def _run_callback(self, callback: Handler, args: list[Any]) -> None:
        self._run_handler(callback, tuple(args), "/", None, _ACK_CALLBACK)

    def _send_ack(self, ns: str, ack: _AckRequest, result: Any) -> None:
        """Answer a server ack request with a handler's return value (tuple -> several).

        Only on the connection the request came on: if that connection is gone (the
        handler outlived a reconnection) the answer is dropped, because the server
        numbers ack ids per connection and would take it for another request.
        """
        engine = ack.engine
        if engine is None or engine.closed or engine is not self._engine:
            self.logger.info("dropping the answer to ack request %s on %s: its connection is gone", ack.id, ns)
            return
        if type(result) is tuple:
            args = list(result)
        elif result is None:
            args = []
        else:
            args = [result]
        try:
            frames = self._session.ack_frames(ns, ack.id, args)
        except (TypeError, ValueError) as exc:
            self.logger.error("cannot send the ack for %s: %s", ns, exc)
            frames = self._session.ack_frames(ns, ack.id, [])
        engine.send(frames)

    def _fire_outgoing(self, ns: str, packet_args: Any) -> None:
        name, rest = packet_args[0], tuple(packet_args[1:])
        for listener in list(self._any_out):
            try:
                listener(ns, name, rest)
            except Exception:
                self.logger.exception("on_any_outgoing listener failed")

    def _fail_acks(self, tokens: tuple[Any, ...], error: BaseException) -> None:
        for token in tokens:
            token.fail(error)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self._notify_status()

    def _notify_status(self) -> None:
        for listener in list(self._status_listeners):
            try:
                listener()
            except Exception:
                self.logger.exception("status listener failed")


# --- construction helpers -------------------------------------------------------------


async def _close_on_teardown(http: aiohttp.ClientSession) -> None:
    """Wait forever; when cancelled, close the client's own aiohttp session.

    disconnect() closes the session. But on Ctrl-C (or when the main coroutine returns
    without disconnecting) ``asyncio.run`` only cancels every task and closes the loop:
    without this task nothing would close the session, and aiohttp would print
    "Unclosed client session" at exit. One idle task per client that owns a session.
    """
    try:
        await asyncio.get_running_loop().create_future()
    finally:
        if not http.closed:
            await http.close()


#: The ``event`` of _run_handler for ack callbacks (they answer an emit, not an event).
_ACK_CALLBACK = "<ack callback>"


def _describe(event: Any) -> str:
    """How the handler-error log line names what the handler was called for."""
    if event is None:
        return "an event"
    if event == _ACK_CALLBACK:
        return "an ack callback"
    return f"event {event!r}"


def _aborted() -> ConnectionError:
    """What connect() raises when disconnect() ran while it was still connecting."""
    return ConnectionError("connect aborted by disconnect()")


def _check_transports(transports: Any) -> list[str]:
    if transports is None:
        return list(_TRANSPORTS)
    if isinstance(transports, str):
        transports = [transports]
    result = list(transports)
    unknown = [t for t in result if t not in _TRANSPORTS]
    if unknown or not result:
        raise ValueError(f"unknown transports {unknown or result!r}: use 'polling' and/or 'websocket'")
    return result


def _make_logger(name: str, option: bool | logging.Logger) -> logging.Logger:
    """python-socketio's logger option, without touching logging unless asked to."""
    if isinstance(option, logging.Logger):
        return option
    logger = logging.getLogger(name)
    if option is True:
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)
        if not logging.getLogger().hasHandlers() and not logger.handlers:
            logger.addHandler(logging.StreamHandler())
    return logger


def _make_serializer(serializer: Any, json_module: Any) -> Serializer:
    if serializer in ("default", None):
        return JsonSerializer(json_module)
    if serializer == "msgpack":
        from ..sansio.msgpack import MsgPackSerializer

        return MsgPackSerializer()
    if isinstance(serializer, str):
        raise ValueError(f"unknown serializer {serializer!r}: use 'default', 'msgpack' or a serializer object")
    custom: Serializer = serializer  # an object with encode() and decoder()
    return custom
