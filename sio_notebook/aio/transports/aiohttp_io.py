"""HTTP long-polling and WebSocket transports on aiohttp (the native default).

A transport only moves frames: ``read()`` returns the next frames from the server and
``write(frames)`` sends frames. Encoding of polling bodies uses the sans-I/O codec;
aiohttp and OS errors are turned into our TransportError here, at the boundary, and
nowhere else. Only imported when these transports are used (``seam.default_opener``),
so ``import sio_notebook`` works where aiohttp cannot (Pyodide).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
from typing import Any, NoReturn

import aiohttp

from ...exceptions import ConnectionError, PayloadTooLargeError, RemoteProtocolError, TransportError
from ...sansio import engineio, polling
from ...sansio.engineio import Frame
from ...sansio.polling import describe_http_error
from ...sansio.url import EngineURL
from ..network import NetworkOptions, describe_os_error
from .seam import PollingBase, PollingLike, TransportOpener, WebSocketLike

__all__ = [
    "AIOHTTP_TRANSPORTS",
    "PollingTransport",
    "WebSocketTransport",
    "connect_error",
    "describe_http_error",
]

_TEXT_PLAIN = {"Content-Type": "text/plain;charset=UTF-8"}


async def _no_replay(req: Any, handler: Any) -> Any:
    """Client middleware: a long-polling GET must never be re-sent behind our back.

    aiohttp (>= 3.9) silently retries an "idempotent" GET once when the connection fails
    before the response headers arrive. A polling GET is not idempotent: the server
    dequeues the packets it writes into the response. If that response is lost (the
    connection is reset after the server wrote it), the silent retry fetches the *next*
    packets and the lost ones are gone, with no error to trigger a reconnection (or a
    connection state recovery, which would replay them). Turning those two errors into
    a plain ClientConnectionError (which aiohttp does not retry) makes the loss visible
    as a transport error.
    """
    try:
        return await handler(req)
    except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as exc:
        raise aiohttp.ClientConnectionError(f"{type(exc).__name__}: {exc}") from exc


def _get_options(http: aiohttp.ClientSession) -> dict[str, Any]:
    """Per-request ``middlewares`` (aiohttp >= 3.12) with _no_replay last; they replace the
    session's own, so those are kept in front."""
    if not _PER_REQUEST_MIDDLEWARES:
        return {}
    return {"middlewares": (*getattr(http, "_middlewares", ()), _no_replay)}


_PER_REQUEST_MIDDLEWARES = "middlewares" in inspect.signature(aiohttp.ClientSession._request).parameters
_TCP_CORK: int | None = getattr(socket, "TCP_CORK", None)


def _timeout(seconds: float) -> Any:
    """asyncio.timeout (3.11+; no extra task, unlike wait_for), or a 3.10 equivalent."""
    native = getattr(asyncio, "timeout", None)
    if native is not None:
        return native(seconds)
    return _WaitForTimeout(seconds)  # pragma: no cover - Python 3.10


class _WaitForTimeout:  # pragma: no cover - Python 3.10 only
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._handle: asyncio.TimerHandle | None = None
        self._expired = False

    async def __aenter__(self) -> None:
        task = asyncio.current_task()
        assert task is not None

        def expire() -> None:
            self._expired = True
            task.cancel()

        self._handle = asyncio.get_running_loop().call_later(self.seconds, expire)

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        assert self._handle is not None
        self._handle.cancel()
        if self._expired and exc_type is asyncio.CancelledError:
            raise asyncio.TimeoutError
        return False

def _failure(exc: BaseException) -> str:
    """An aiohttp/OS error as text; fd exhaustion named as such (issue 10 §2.4)."""
    return describe_os_error(exc) or f"{type(exc).__name__}: {exc}"


def _too_large(what: str, size: int | str, limit: int) -> TransportError:
    return TransportError(
        f"the server sent a {what} of {size} bytes, more than max_inbound_size ({limit} bytes)"
    )


def connect_error(url: str, exc: BaseException) -> ConnectionError:
    """Turn a failure to reach ``url`` into a ConnectionError saying why."""
    if isinstance(exc, ConnectionError):
        return exc
    exhausted = describe_os_error(exc)
    if exhausted is not None:
        return ConnectionError(f"cannot connect to {url}: {exhausted}")
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        if exc.status == 404 or 200 <= exc.status < 300:
            # A Socket.IO server upgrades, or refuses with 400/403; a page or a 404 is something else.
            return ConnectionError(
                f"{url} is not a Socket.IO server (or socketio_path is wrong): "
                f"it answered the WebSocket request with HTTP {exc.status}"
            )
        return ConnectionError(f"cannot open a WebSocket to {url}: HTTP {exc.status} {exc.message}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror if exc.os_error and exc.os_error.strerror else str(exc.os_error or exc)
        return ConnectionError(f"cannot connect to {url}: {reason}")
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return ConnectionError(f"timed out connecting to {url}")
    if isinstance(exc, PayloadTooLargeError):
        return ConnectionError(str(exc))
    if isinstance(exc, TransportError):
        return ConnectionError(f"cannot connect to {url}: {exc}")
    return ConnectionError(f"cannot connect to {url}: {type(exc).__name__}: {exc}")


class PollingTransport(PollingBase):
    """HTTP long-polling (§1.1): one GET in flight to receive, at most one POST to send."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        url: EngineURL,
        headers: dict[str, str],
        *,
        ssl: Any,
        request_timeout: float,
        timestamp: bool = True,
        network: NetworkOptions | None = None,
    ) -> None:
        super().__init__(request_timeout)
        self.http = http
        self.url = url
        self.headers = headers
        self.ssl = ssl
        self.timestamp = timestamp
        network = network or NetworkOptions()
        self.proxy = network.proxies.for_url(url.http_base)
        self.max_inbound = network.max_inbound_size
        self._owns_pool = network.owns_pool
        self.cookies = network.cookies  # aio/cookies.py: the server's cookies, sent back

    async def get_body(self, timeout: float) -> str:
        return await self._get(self.url.polling(self.sid, timestamp=self.timestamp), timeout)

    async def write(self, frames: list[Frame]) -> None:
        """POST the frames, in as many bodies as maxPayload requires (§1.7)."""
        for batch in polling.batches(frames, self.max_payload):
            url = self.url.polling(self.sid, timestamp=self.timestamp)
            headers = self.cookies.headers_for(url, self.headers) if self.cookies is not None else self.headers
            try:
                async with self.http.post(
                    url,
                    data=engineio.encode_payload(batch).encode("utf-8"),
                    headers={**headers, **_TEXT_PLAIN},
                    ssl=self.ssl,
                    proxy=self.proxy,
                    timeout=aiohttp.ClientTimeout(total=self.request_timeout),
                ) as resp:
                    if self.cookies is not None:
                        self.cookies.record(resp)
                    if resp.status != 200:
                        text, _ = describe_http_error(resp.status, await resp.text())
                        error = PayloadTooLargeError if resp.status == 413 else TransportError
                        raise error(f"POST failed: {text}", resp.status)
                    await resp.read()
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                raise TransportError(f"POST failed: {_failure(exc)}") from exc

    def release_connections(self) -> int:
        """After the upgrade (§1.6): close the idle keep-alive sockets polling used.

        Without this they stay in aiohttp's pool for its keep-alive timeout (15 s): two
        file descriptors per client that will never be used again, enough to exhaust a
        1024-descriptor limit with a few hundred clients. Only when the session is the
        client's own: then every idle connection in its pool was polling's (the
        WebSocket's is in use, not idle). A shared session keeps its own policy.

        aiohttp has no public "close idle connections"; its pool (``_conns``, stable
        since 3.0) is read defensively and left alone if it is not what we expect.
        Returns how many sockets were closed.
        """
        if not self._owns_pool:
            return 0
        pool = getattr(self.http.connector, "_conns", None)
        if not isinstance(pool, dict):  # pragma: no cover - another aiohttp layout
            return 0
        closed = 0
        for idle in list(pool.values()):
            while idle:
                protocol = idle.pop()[0]
                protocol.close()
                closed += 1
        pool.clear()
        return closed

    async def close(self) -> None:
        """Tell the server we are leaving (§1.8): POST ``1``; best effort.

        After a network fault the first POST may go out on a pooled connection that is
        already dead; it is tried once more (on a fresh one) unless the server answered.
        The close matters: when a fault hit between two polls, it is the server's only
        way to learn that this session is gone, and a recovery-enabled server persists
        the session for the reconnection only once it knows.
        """
        if self.sid is None:
            return
        for _ in range(2):
            try:
                await asyncio.wait_for(self.write([engineio.CLOSE]), self.request_timeout)
                return
            except TransportError as exc:
                if exc.status is not None:  # the server answered (e.g. 400: already gone)
                    return
            except asyncio.TimeoutError:
                return

    async def _get(self, url: str, timeout: float) -> str:
        headers = self.cookies.headers_for(url, self.headers) if self.cookies is not None else self.headers
        try:
            async with self.http.get(
                url, headers=headers, ssl=self.ssl, proxy=self.proxy,
                timeout=aiohttp.ClientTimeout(total=timeout), **_get_options(self.http),
            ) as resp:
                if self.cookies is not None:
                    self.cookies.record(resp)
                body = await self._read_body(resp)
                if resp.status != 200:
                    raise polling.get_failure(resp.status, body, self.url.http_base, handshake=self.sid is None)
                return body
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            if self.sid is None:
                raise connect_error(self.url.http_base, exc) from exc
            raise TransportError(f"GET failed: {_failure(exc)}") from exc
        except TransportError as exc:  # the body was over max_inbound_size
            if self.sid is None:
                raise ConnectionError(f"cannot connect to {self.url.http_base}: {exc}") from exc
            raise
        except UnicodeDecodeError as exc:  # §1.1: a polling body is UTF-8 text; a parse error
            raise RemoteProtocolError(
                f"the polling body is not UTF-8 ({exc.reason} at byte {exc.start}: {exc.object[exc.start:exc.start + 8]!r})"
            ) from exc

    async def _read_body(self, resp: aiohttp.ClientResponse) -> str:
        """The response body, refused (TransportError) once it passes max_inbound_size.

        Counted while it streams in, so a hostile body costs at most the limit in memory.
        """
        limit = self.max_inbound
        if limit is None:
            return await resp.text(encoding="utf-8")
        length = resp.content_length
        if length is not None:
            if length > limit:
                raise _too_large("polling body", length, limit)
            return (await resp.read()).decode("utf-8")
        data = bytearray()
        async for chunk in resp.content.iter_any():
            data += chunk
            if len(data) > limit:
                raise _too_large("polling body", f"more than {limit}", limit)
        return data.decode("utf-8")


class WebSocketTransport:
    """One Engine.IO packet per WebSocket frame (§1.3)."""

    name = "websocket"
    #: What ``ws.receive()`` returns as the type of a data message (the engine's hot loop).
    frame_kinds = (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY)

    def __init__(self, ws: aiohttp.ClientWebSocketResponse[Any]) -> None:
        self.ws = ws
        self._text = aiohttp.WSMsgType.TEXT
        self._binary = aiohttp.WSMsgType.BINARY
        # TCP_CORK (Linux) while a batch of frames is written: each frame is still its
        # own WebSocket frame and Engine.IO packet, but the kernel sends full segments
        # instead of one per frame, which roughly halves the CPU cost of an emit burst.
        sock = ws.get_extra_info("socket")
        self._cork_socket = sock if _TCP_CORK is not None and sock is not None else None
        self.max_inbound = 0

    @classmethod
    async def open(
        cls,
        http: aiohttp.ClientSession,
        url: str,
        headers: dict[str, str],
        *,
        ssl: Any,
        request_timeout: float,
        extra: dict[str, Any] | None = None,
        network: NetworkOptions | None = None,
    ) -> WebSocketTransport:
        network = network or NetworkOptions()
        # max_inbound_size bounds one message (aiohttp closes with 1009 past it; 0 = none).
        options: dict[str, Any] = {"autoping": True, "max_msg_size": network.max_inbound_size or 0}
        proxy = network.proxies.for_url(url)
        if proxy is not None:
            options["proxy"] = proxy
        options.update(extra or {})
        if network.cookies is not None:  # the sticky-session cookie polling got, on the upgrade's handshake
            headers = network.cookies.headers_for(url, headers)
        try:
            async with _timeout(request_timeout):
                ws = await http.ws_connect(url, headers=headers, ssl=ssl, **options)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise connect_error(url, exc) from exc
        transport = cls(ws)
        transport.max_inbound = options["max_msg_size"]
        return transport

    async def read(self) -> list[Frame]:
        msg = await self.ws.receive()
        kind = msg.type
        if kind is self._text or kind is self._binary:
            return [msg.data]
        self.raise_closed(msg)

    def raise_closed(self, msg: aiohttp.WSMessage) -> NoReturn:
        """Turn a non-data message (close, error) into our exception."""
        if msg.type is aiohttp.WSMsgType.ERROR:
            error = msg.data
            if isinstance(error, aiohttp.WebSocketError) and error.code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG:
                size = str(error).split("Message size ", 1)[-1].split(" ", 1)[0]
                shown = size if size.isdigit() else f"more than {self.max_inbound}"
                raise _too_large("WebSocket message", shown, self.max_inbound)
            raise TransportError(f"WebSocket error: {_failure(error) if isinstance(error, BaseException) else error}")
        code = self.ws.close_code
        if code == 1009:
            raise PayloadTooLargeError("the server closed the WebSocket: message too big (1009)", 1009)
        raise EOFError(f"WebSocket closed by the server (code {code})")

    async def read_one(self, timeout: float) -> Frame:
        async with _timeout(timeout):
            frames = await self.read()
        return frames[0]

    async def write(self, frames: list[Frame]) -> None:
        ws = self.ws
        cork = self._cork_socket if len(frames) > 1 else None
        try:
            if cork is not None:
                cork.setsockopt(socket.IPPROTO_TCP, _TCP_CORK, 1)
            try:
                for frame in frames:
                    if isinstance(frame, str):
                        await ws.send_str(frame)
                    else:
                        await ws.send_bytes(frame)
            finally:
                if cork is not None:
                    cork.setsockopt(socket.IPPROTO_TCP, _TCP_CORK, 0)  # uncorking flushes
        except (aiohttp.ClientError, ConnectionResetError, RuntimeError, OSError) as exc:
            raise TransportError(f"WebSocket send failed: {_failure(exc)}") from exc

    async def close(self) -> None:
        with contextlib.suppress(asyncio.TimeoutError, aiohttp.ClientError, OSError):
            await asyncio.wait_for(self.ws.close(), 2)

    def release_connections(self) -> int:
        """Nothing pooled to release (polling's counterpart closes idle sockets)."""
        return 0


class _AiohttpTransports:
    """The real transports, on aiohttp."""

    #: aiohttp's own errors, which the engine treats as transport failures.
    errors: tuple[type[BaseException], ...] = (aiohttp.ClientError,)
    #: The connector makes (or takes the user's) aiohttp session for these transports.
    uses_http_session = True

    def polling(
        self, http: aiohttp.ClientSession, url: EngineURL, headers: dict[str, str], *,
        ssl: Any, request_timeout: float, network: NetworkOptions | None = None,
    ) -> PollingLike:
        return PollingTransport(http, url, headers, ssl=ssl, request_timeout=request_timeout, network=network)

    async def open_websocket(
        self, http: aiohttp.ClientSession, url: str, headers: dict[str, str], *,
        ssl: Any, request_timeout: float, extra: dict[str, Any] | None = None, network: NetworkOptions | None = None,
    ) -> WebSocketLike:
        return await WebSocketTransport.open(
            http, url, headers, ssl=ssl, request_timeout=request_timeout, extra=extra, network=network
        )


AIOHTTP_TRANSPORTS: TransportOpener = _AiohttpTransports()
