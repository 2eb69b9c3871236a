"""HTTP long-polling and WebSocket transports over the browser's ``fetch`` and ``WebSocket``.

In Pyodide (JupyterLite, a page running Python) there are no sockets, so aiohttp cannot
run; the browser's own ``WebSocket`` and ``fetch`` are all a Socket.IO client needs. The
seam picks these transports when ``sys.platform == "emscripten"``, so AsyncClient and
the notebook layer run unchanged. Imported only there: it needs Pyodide's ``js`` and
``pyodide.ffi`` modules.

The page owns HTTP in a browser, so some options do nothing here and are warned about
once (:class:`~sio_notebook.exceptions.IgnoredOptionWarning`): ``headers`` (a WebSocket
cannot send any; use ``auth=``, sent in the CONNECT packet, or the URL's query),
``http_session``, ``proxies``, ``ssl_verify`` and ``websocket_extra_options``. Cookies
are the browser's too: it sends the page's cookies for the server's origin by its own
rules (CORS), whatever the client asks.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any, NamedTuple, NoReturn

import js  # Pyodide's bridge to the page's JavaScript globals
from pyodide.ffi import JsException, create_proxy

from ...exceptions import ConnectionError, IgnoredOptionWarning, PayloadTooLargeError, TransportError
from ...sansio import engineio, polling
from ...sansio.engineio import Frame
from ...sansio.polling import describe_http_error
from ...sansio.url import EngineURL
from ..network import NetworkOptions
from .seam import PollingBase, PollingLike, TransportOpener, WebSocketLike

__all__ = ["BROWSER_TRANSPORTS", "BrowserPolling", "BrowserWebSocket", "IGNORED_OPTIONS"]

#: The options that do nothing in a browser, and what to do instead.
IGNORED_OPTIONS = {
    "headers": "the browser sets the headers (a WebSocket cannot send any): pass credentials with auth= or in the URL's query",
    "http_session": "the browser's fetch and WebSocket carry every request",
    "proxies": "the browser's own proxy settings apply",
    "ssl_verify": "the browser verifies certificates by its own rules",
    "websocket_extra_options": "the browser's WebSocket takes no options",
}
_warned: set[str] = set()

#: A POST body is text (§1.1); text/plain keeps the request "simple" (no CORS preflight).
_POST_INIT = {"method": "POST", "headers": {"Content-Type": "text/plain;charset=UTF-8"}}


def _warn_ignored(name: str) -> None:
    """Warn once per option and process (a reconnecting client must not repeat it)."""
    if name not in _warned:
        _warned.add(name)
        warnings.warn(
            f"{name} does nothing in a browser: {IGNORED_OPTIONS[name]}", IgnoredOptionWarning, stacklevel=3
        )


def _check_options(
    http: Any, headers: dict[str, str], ssl: Any, extra: dict[str, Any] | None, network: NetworkOptions | None
) -> None:
    if headers:
        _warn_ignored("headers")
    if http is not None:
        _warn_ignored("http_session")
    if ssl is not True:
        _warn_ignored("ssl_verify")
    if extra:
        _warn_ignored("websocket_extra_options")
    if network is not None and network.proxies.proxies:
        _warn_ignored("proxies")


def _js_object(values: dict[str, Any]) -> Any:
    """A plain JavaScript object (fetch's ``init``) from a dict, nested dicts included."""
    result = js.Object.new()
    for key, value in values.items():
        setattr(result, key, _js_object(value) if isinstance(value, dict) else value)
    return result


def _over(text: str, limit: int) -> int | None:
    """The UTF-8 size of ``text`` if it is over ``limit`` bytes, else None (encoded only when it may be)."""
    if len(text) * 4 <= limit:  # UTF-8 takes at most 4 bytes a character
        return None
    size = len(text.encode("utf-8", "surrogatepass"))
    return size if size > limit else None


def _too_large(what: str, size: int, limit: int) -> TransportError:
    return TransportError(f"the server sent a {what} of {size} bytes, more than max_inbound_size ({limit} bytes)")


class BrowserPolling(PollingBase):
    """HTTP long-polling (§1.1) over ``fetch``: one GET in flight, at most one POST."""

    def __init__(self, url: EngineURL, request_timeout: float, max_inbound: int | None) -> None:
        super().__init__(request_timeout)
        self.url = url
        self.max_inbound = max_inbound

    async def write(self, frames: list[Frame]) -> None:
        """POST the frames, in as many bodies as maxPayload requires (§1.7)."""
        for batch in polling.batches(frames, self.max_payload):
            init = {**_POST_INIT, "body": engineio.encode_payload(batch)}
            try:
                status, text = await self._fetch(self.url.polling(self.sid), init, self.request_timeout)
            except (JsException, asyncio.TimeoutError) as exc:
                raise TransportError(f"POST failed: {_reason(exc)}") from exc
            if status != 200:
                message, _ = describe_http_error(status, text)
                error = PayloadTooLargeError if status == 413 else TransportError
                raise error(f"POST failed: {message}", status)

    async def close(self) -> None:
        """Tell the server we are leaving (§1.8): POST ``1``; best effort."""
        if self.sid is None:
            return
        try:
            await asyncio.wait_for(self.write([engineio.CLOSE]), self.request_timeout)
        except (TransportError, asyncio.TimeoutError):
            return

    def release_connections(self) -> int:
        """The browser pools its own connections: nothing of ours to release."""
        return 0

    async def get_body(self, timeout: float) -> str:
        url = self.url.polling(self.sid)
        try:
            status, body = await self._fetch(url, {"method": "GET"}, timeout)
        except (JsException, asyncio.TimeoutError) as exc:
            if self.sid is None:
                raise ConnectionError(f"cannot connect to {self.url.http_base}: {_reason(exc)}") from exc
            raise TransportError(f"GET failed: {_reason(exc)}") from exc
        # The browser has read the whole body by now: the bound refuses it, it cannot stop
        # it arriving (aiohttp's transport counts while the body streams in).
        size = _over(body, self.max_inbound) if self.max_inbound is not None else None
        if size is not None:
            assert self.max_inbound is not None
            error = _too_large("polling body", size, self.max_inbound)
            if self.sid is None:
                raise ConnectionError(f"cannot connect to {self.url.http_base}: {error}")
            raise error
        if status != 200:
            raise polling.get_failure(status, body, self.url.http_base, handshake=self.sid is None)
        return body

    async def _fetch(self, url: str, init: dict[str, Any], timeout: float) -> tuple[int, str]:
        """One request; aborted (not left running in the browser) on timeout or cancellation."""
        controller = js.AbortController.new()
        request = _js_object(init)
        request.signal = controller.signal

        async def exchange() -> tuple[int, str]:
            response = await js.fetch(url, request)
            return int(response.status), str(await response.text())

        try:
            return await asyncio.wait_for(exchange(), timeout)
        except BaseException:
            controller.abort()
            raise


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"


class _Message(NamedTuple):
    """What the engine's hot loop reads: a type (TEXT, BINARY, CLOSE, ERROR) and data."""

    type: str
    data: Any


TEXT, BINARY, CLOSE, ERROR = "text", "binary", "close", "error"


class _Socket:
    """A JavaScript WebSocket, its events in an asyncio queue: ``receive()`` like aiohttp's."""

    def __init__(self, url: str, max_inbound: int) -> None:
        self.inbox: asyncio.Queue[_Message] = asyncio.Queue()
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.close_code: int | None = None
        self.max_inbound = max_inbound
        self.socket = js.WebSocket.new(url)
        self.socket.binaryType = "arraybuffer"
        self._proxies = [create_proxy(self._on_open), create_proxy(self._on_message),
                         create_proxy(self._on_close), create_proxy(self._on_error)]
        self.socket.onopen, self.socket.onmessage, self.socket.onclose, self.socket.onerror = self._proxies

    async def receive(self) -> _Message:
        return await self.inbox.get()

    def _on_open(self, event: Any) -> None:
        if not self.opened.done():
            self.opened.set_result(None)

    def _on_message(self, event: Any) -> None:
        data = event.data
        frame: Frame = data if isinstance(data, str) else data.to_bytes()
        limit = self.max_inbound
        if limit:
            size = _over(frame, limit) if isinstance(frame, str) else (len(frame) if len(frame) > limit else None)
            if size is not None:
                self.inbox.put_nowait(_Message(ERROR, _too_large("WebSocket message", size, limit)))
                self.socket.close()  # a browser may only send 1000 or 3000-4999 (1009 throws)
                return
        self.inbox.put_nowait(_Message(TEXT if isinstance(frame, str) else BINARY, frame))

    def _on_close(self, event: Any) -> None:
        self.close_code = int(event.code)
        if not self.opened.done():
            self.opened.set_exception(OSError(f"closed before it opened (code {self.close_code})"))
        self.inbox.put_nowait(_Message(CLOSE, self.close_code))
        self._release()

    def _on_error(self, event: Any) -> None:
        if not self.opened.done():
            self.opened.set_exception(OSError("the browser refused or could not open the connection"))

    def close(self) -> None:
        if self.close_code is None:
            self.socket.close(1000)

    def _release(self) -> None:
        for proxy in self._proxies:
            proxy.destroy()
        self._proxies = []
        self.socket.onopen = self.socket.onmessage = self.socket.onclose = self.socket.onerror = None


class BrowserWebSocket:
    """One Engine.IO packet per WebSocket frame (§1.3), text or binary."""

    name = "websocket"
    frame_kinds = (TEXT, BINARY)

    def __init__(self, ws: _Socket) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, url: str, request_timeout: float, max_inbound: int) -> BrowserWebSocket:
        ws = _Socket(url, max_inbound)
        try:
            await asyncio.wait_for(asyncio.shield(ws.opened), request_timeout)
        except (OSError, asyncio.TimeoutError, asyncio.CancelledError) as exc:
            ws.close()
            ws.opened.cancel()  # a late open/close event finds it done: no unretrieved exception
            if isinstance(exc, asyncio.CancelledError):
                raise
            why = "timed out" if isinstance(exc, asyncio.TimeoutError) else str(exc)
            raise ConnectionError(
                f"cannot open a WebSocket to {url}: {why} (a browser gives no reason: the server may be "
                "down, refuse the upgrade, not allow this page's origin, or need wss:// for an https:// page)"
            ) from exc
        return cls(ws)

    async def read(self) -> list[Frame]:
        msg = await self.ws.receive()
        if msg.type is TEXT or msg.type is BINARY:
            return [msg.data]
        self.raise_closed(msg)

    def raise_closed(self, msg: Any) -> NoReturn:
        """Turn a non-data message (close, error) into our exception."""
        if msg.type is ERROR:
            raise msg.data
        if msg.data == 1009:
            raise PayloadTooLargeError("the server closed the WebSocket: message too big (1009)", 1009)
        raise EOFError(f"WebSocket closed by the server (code {msg.data})")

    async def read_one(self, timeout: float) -> Frame:
        frames = await asyncio.wait_for(self.read(), timeout)
        return frames[0]

    async def write(self, frames: list[Frame]) -> None:
        socket = self.ws.socket
        if self.ws.close_code is not None:
            raise TransportError(f"WebSocket send failed: closed (code {self.ws.close_code})")
        try:
            for frame in frames:
                if isinstance(frame, str):
                    socket.send(frame)
                else:
                    buffer = js.Uint8Array.new(len(frame))
                    buffer.assign(frame)
                    socket.send(buffer)
        except JsException as exc:
            raise TransportError(f"WebSocket send failed: {exc}") from exc

    async def close(self) -> None:
        self.ws.close()

    def release_connections(self) -> int:
        return 0


class _BrowserTransports:
    """The browser's transports; the connector hands them the options to judge."""

    errors: tuple[type[BaseException], ...] = (JsException,)
    uses_http_session = False

    def polling(
        self, http: Any, url: EngineURL, headers: dict[str, str], *,
        ssl: Any, request_timeout: float, network: NetworkOptions | None = None,
    ) -> PollingLike:
        _check_options(http, headers, ssl, None, network)
        return BrowserPolling(url, request_timeout, network.max_inbound_size if network else None)

    async def open_websocket(
        self, http: Any, url: str, headers: dict[str, str], *,
        ssl: Any, request_timeout: float, extra: dict[str, Any] | None = None, network: NetworkOptions | None = None,
    ) -> WebSocketLike:
        _check_options(http, headers, ssl, extra, network)
        return await BrowserWebSocket.open(url, request_timeout, (network.max_inbound_size or 0) if network else 0)


BROWSER_TRANSPORTS: TransportOpener = _BrowserTransports()
