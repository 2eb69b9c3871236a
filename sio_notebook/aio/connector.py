"""Connector: open one Engine.IO connection for a client, and close everything for good.

Opening is one attempt: resolve the url/headers/auth options, pick the transport opener
(the platform's unless ``transport_opener`` names one) and, for aiohttp's, the aiohttp
session, try the transports in order, hand the new connection to the session (its CONNECTs).
Closing for good ends the connection, fails every ack still waiting and releases the
client's own aiohttp session; overlapping closes wait for the first.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..exceptions import ConnectionError
from ..sansio.session import NamespaceState
from ..sansio.state import CONNECTED, DISCONNECTED, RECONNECTING, SETTLING, ClientEvent
from ..sansio.url import parse_url, redact_url
from .callables import resolve_option
from .cookies import ConnectionCookies
from .dispatch import Dispatch
from .engine import EngineConnection
from .network import NetworkOptions, ProxyConfig
from .options import ClientOptions, check_transports
from .retries import RetryDriver
from .runtime import ClientRuntime
from .transports import TransportOpener, default_opener, uses_http_session

if TYPE_CHECKING:  # aiohttp is imported only when its transports are used (not in Pyodide)
    import aiohttp

__all__ = ["ConnectTarget", "Connector"]



class ConnectTarget:
    """What connect() was given: re-resolved on every (re)connection."""

    __slots__ = ("url", "headers", "auth", "transports", "namespaces", "socketio_path")

    def __init__(self) -> None:
        self.url: Any = None
        self.headers: Any = {}
        self.auth: Any = None
        self.transports: list[str] = ["polling", "websocket"]
        self.namespaces: list[str] = []
        self.socketio_path = "socket.io"


class Connector:
    """Opens and closes a client's connections (see the module docstring)."""

    __slots__ = (
        "runtime", "dispatch", "registry", "retries", "engine_logger", "target", "cookies", "_own_http",
        "_http_guard", "_closing", "_closers",
    )

    def __init__(
        self,
        runtime: ClientRuntime,
        dispatch: Dispatch,
        retries: RetryDriver,
        engine_logger: logging.Logger,
    ) -> None:
        self.runtime = runtime
        self.dispatch = dispatch
        self.registry = dispatch.registry
        self.retries = retries
        self.engine_logger = engine_logger
        self.target = ConnectTarget()
        self.cookies = ConnectionCookies()  # the server's cookies, across this client's connections
        self._own_http: aiohttp.ClientSession | None = None
        self._http_guard: asyncio.Task[None] | None = None  # see _close_on_teardown
        self._closing: asyncio.Future[None] | None = None  # see close_for_good
        self._closers: set[asyncio.Task[None]] = set()  # see spawn_close

    # --- opening ---------------------------------------------------------------------

    def begin(self, url: Any, headers: Any, auth: Any, transports: Any, namespaces: Any, socketio_path: str) -> None:
        """The synchronous part of connect(): validate, record, and become ``connecting``."""
        rt, target = self.runtime, self.target
        if rt.state is not DISCONNECTED:
            raise ConnectionError("Already connected")
        rt.reconnect_abort = False
        target.transports = check_transports(transports)
        if not callable(url):
            parse_url(url, socketio_path)  # bad URLs fail here, before any traffic
        target.url, target.headers, target.auth = url, headers, auth
        target.socketio_path = socketio_path
        target.namespaces = self.registry.namespaces_to_connect(namespaces)
        rt.failed_namespaces = []
        rt.connect_errors = {}
        rt.gone = None
        rt.ns_changed = None
        rt.disconnect_reason = None
        rt.reconnect_attempts = 0
        for ns in target.namespaces:
            rt.session.want(ns)
        rt.move(ClientEvent.CONNECT)

    async def finish(
        self,
        wait: bool,
        wait_timeout: float,
        retry: bool,
        *,
        reconnect: Callable[[], Awaitable[None]],
        disconnect: Callable[[], Awaitable[None]],
    ) -> None:
        """The rest of connect(): open, then wait for the namespaces (or reconnect, if ``retry``)."""
        rt, connector = self.runtime, self
        namespaces = self.target.namespaces
        try:
            await connector.open_engine()
        except asyncio.CancelledError:
            connector.spawn_close(None)  # an abandoned connect leaves nothing open
            raise
        except (ConnectionError, ValueError, TypeError) as exc:
            if rt.abort_requested():
                # disconnect() closed the session under the handshake: its error (aiohttp's
                # "Connector is closed", a timeout) is a consequence, not a connect failure.
                # Like the JS client, no connect_error handler runs.
                await connector.close_for_good(None)
                raise _aborted() from None
            rt.last_error = str(exc)
            if retry and rt.options.reconnection and isinstance(exc, ConnectionError):
                rt.move(ClientEvent.LOSE)
                await reconnect()
                if rt.abort_requested():
                    raise _aborted() from None
                if rt.state is not CONNECTED:
                    raise ConnectionError(f"could not connect to {rt.url_text}: {rt.last_error}") from exc
                return
            for ns in namespaces:
                await self.dispatch.call_connect_error(ns, str(exc) if isinstance(exc, ConnectionError) else exc)
            await connector.close_for_good(None)
            raise
        if rt.abort_requested():  # disconnect() ran as the handshake completed
            await connector.close_for_good(None)
            raise _aborted()
        if wait:
            failed = await connector.wait_for_namespaces(wait_timeout)
            if rt.abort_requested():
                await connector.closers_done()
                raise _aborted()
            if failed and rt.state is RECONNECTING and not any(ns in rt.connect_errors for ns in failed):
                # Every namespace connected, then the connection dropped before we got
                # here: the client already reported connect/disconnect and is reconnecting
                # on its own. That is not a failed connect(); don't stop the reconnection.
                return
            if failed:
                engine = rt.engine
                lost = engine is None or engine.closed
                if lost:
                    # The connection ended before the namespaces settled: say so, not "timed out".
                    why = (engine.close_reason if engine is not None else None) or rt.disconnect_reason
                    unsettled = f"the connection closed ({why}) before it connected"
                    if rt.last_error and why and rt.last_error.startswith(why + ":"):
                        unsettled = f"the connection closed ({rt.last_error}) before it connected"
                else:
                    unsettled = "timed out"
                details = ", ".join(f"{ns} ({rt.connect_errors.get(ns, unsettled)})" for ns in failed)
                if lost and retry and rt.options.reconnection and not any(ns in rt.connect_errors for ns in failed):
                    # Lost before it connected (a balancer's "Session ID unknown", a server that
                    # went away): with retry=True a failed attempt like one that never opened.
                    rt.last_error = f"One or more namespaces failed to connect: {details}"
                    rt.move(ClientEvent.LOSE)
                    await reconnect()
                    if rt.abort_requested():
                        raise _aborted() from None
                    if rt.state is not CONNECTED:
                        raise ConnectionError(f"could not connect to {rt.url_text}: {rt.last_error}")
                    return
                await disconnect()
                raise ConnectionError(f"One or more namespaces failed to connect: {details}")


    async def open_engine(self) -> None:
        """Open an Engine.IO connection and send the CONNECTs (one attempt)."""
        runtime, target = self.runtime, self.target
        options = runtime.options
        url = await resolve_option(target.url)
        headers = dict(await resolve_option(target.headers) or {})
        auth = await resolve_option(target.auth)
        if auth is None:
            auth = {}
        eurl = parse_url(url, target.socketio_path)
        runtime.url_text = redact_url(url)
        if eurl.authorization and not any(k.lower() == "authorization" for k in headers):
            headers["Authorization"] = eurl.authorization  # URL credentials, as requests sends them
        opener: TransportOpener = options.transport_opener or default_opener()
        http: Any
        if uses_http_session(opener):
            http, network = await self._http_for_connection(options)
        else:  # the opener brings its own HTTP (the browser's): it judges the options as given
            http = options.http_session
            network = NetworkOptions(ProxyConfig(options.proxies, trust_env=False), options.max_inbound_size, owns_pool=False)
        ssl = options.ssl  # True, False or an SSLContext (aiohttp 3.14 deprecates ssl=None)
        transports = list(target.transports)
        last_error: Exception | None = None
        dispatch = self.dispatch
        while transports:
            engine = EngineConnection(
                on_message=dispatch.on_message, on_close=dispatch.on_engine_close, logger=self.engine_logger,
                on_ping=dispatch.on_ping, opener=opener,
            )
            try:
                info = await engine.open(
                    http,
                    eurl,
                    transports=transports,
                    headers=headers,
                    ssl=ssl,
                    request_timeout=options.request_timeout,
                    connect_timeout=options.open_timeout,
                    websocket_options=options.websocket_extra_options,
                    upgrade=options.upgrade,
                    network=network,
                )
                break
            except ConnectionError as exc:
                last_error = exc
                if not options.try_all_transports or len(transports) == 1:
                    raise
                runtime.logger.info("%s failed (%s); trying %s", transports[0], exc, transports[1])
                transports = transports[1:]
        else:  # pragma: no cover - loop always breaks or raises
            raise last_error or ConnectionError("no transport")
        runtime.engine = engine
        runtime.sid = info.sid
        session = runtime.session
        for ns in session.wanted_namespaces():
            session.want(ns, auth)
        session.engine_opened()
        engine.send(session.data_to_send())  # a CONNECT per wanted namespace (§2.4)
        if runtime.state in SETTLING:
            runtime.notify_status()

    async def _http_for_connection(self, options: ClientOptions) -> tuple[aiohttp.ClientSession, NetworkOptions]:
        """The aiohttp session for a connection attempt, and the proxy/size options.

        Proxies: the ``proxies`` option, else the environment (as requests does) unless a
        session of the user's says ``trust_env=False``.
        """
        import aiohttp  # here, not at the top: only aiohttp's transports need a session

        given = options.http_session
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
                    # No jar: the server's cookies are kept by aio/cookies.py (aiohttp's
                    # default jar would refuse those of an IP host, a cluster's sticky cookie).
                    own = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
                self._own_http = own
                self._watch_own_http(own)
            http = own
            trust_env, owned = (own.trust_env if callable(given) else True), True
        proxies = ProxyConfig(options.proxies, trust_env=trust_env)
        # A new Engine.IO connection is a new session: its session cookies start afresh
        # (sansio/cookies.py: a sticky cookie from the last one may name a dead server).
        self.cookies.new_session(http)
        return http, NetworkOptions(proxies, options.max_inbound_size, owns_pool=owned, cookies=self.cookies)

    def _watch_own_http(self, http: aiohttp.ClientSession) -> None:
        """Make sure the client's own session is closed even if disconnect() never runs."""
        if self._http_guard is not None:
            self._http_guard.cancel()  # the previous session's (closed) guard
        self._http_guard = asyncio.get_running_loop().create_task(_close_on_teardown(http), name="sio-http-guard")

    async def wait_for_namespaces(self, timeout: float) -> list[str]:
        """Wait until each wanted namespace connected or failed; return the failed ones.

        The timeout restarts whenever a namespace settles (python-socketio's rule).
        """
        runtime, namespaces = self.runtime, self.target.namespaces
        session = runtime.session
        changed = runtime.ns_changed = asyncio.Event()
        try:
            while True:
                pending = [ns for ns in namespaces if session.state(ns) is NamespaceState.CONNECTING]
                engine = runtime.engine
                if not pending or engine is None or engine.closed:
                    break
                changed.clear()
                try:
                    await asyncio.wait_for(changed.wait(), timeout)
                except asyncio.TimeoutError:
                    break
        finally:
            if runtime.ns_changed is changed:
                runtime.ns_changed = None
        return [ns for ns in namespaces if session.state(ns) is not NamespaceState.CONNECTED]

    # --- closing ---------------------------------------------------------------------

    async def close_for_good(self, reason: str | None) -> None:
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
            if self.runtime.engine is None:  # else an attempt in flight opened one meanwhile: again
                return

    def spawn_close(self, reason: str | None) -> None:
        """Run close_for_good in a task (from a callback that cannot await).

        The tasks are kept apart so that ``wait()`` and ``disconnect()`` can await them:
        ``_release`` sets the "gone" event before these tasks resume, and on 3.12+ a
        waiter can return in that window, leaving a pending task behind.
        """
        task = asyncio.ensure_future(self.close_for_good(reason))
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)

    async def closers_done(self) -> None:
        """Wait for the tasks of spawn_close (but never for the calling task itself)."""
        current = asyncio.current_task()
        pending = [task for task in self._closers if task is not current and not task.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def _release(self, reason: str | None) -> None:
        runtime = self.runtime
        engine, runtime.engine = runtime.engine, None
        if engine is not None:
            await engine.close()
            await engine.wait_closed()
        session = runtime.session
        session.give_up()
        self.dispatch.route(session.events_received())  # every ack left is lost
        self.retries.drain()
        if self._own_http is not None:
            await self._own_http.close()
            self._own_http = None
        guard, self._http_guard = self._http_guard, None
        if guard is not None:
            guard.cancel()
            await asyncio.gather(guard, return_exceptions=True)
        if reason is not None:
            runtime.disconnect_reason = reason
        runtime.sid = None
        runtime.move(ClientEvent.CLOSE)
        if runtime.gone is not None:
            runtime.gone.set()
        runtime.namespaces_changed()


def _aborted() -> ConnectionError:
    """What connect() raises when disconnect() ran while it was still connecting."""
    return ConnectionError("connect aborted by disconnect()")


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
