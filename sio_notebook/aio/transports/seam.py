"""The transport seam: what the engine needs of a transport, and which transports it gets.

A transport only moves frames; an opener makes them. Natively the opener is aiohttp's
(:mod:`.aiohttp_io`); in a browser (Pyodide, ``sys.platform == "emscripten"``) there are
no sockets, and the opener is the browser's ``WebSocket`` and ``fetch``
(:mod:`.browser`). Tests plug in their own (``AsyncClient(transport_opener=...)``, like
httpx's ``transport=``). Nothing here imports aiohttp or JavaScript: the module that
needs one is imported only when its opener is chosen (:mod:`.default`).
"""

from __future__ import annotations

import abc
from typing import Any, NoReturn, Protocol

from ...sansio import engineio
from ...sansio.engineio import Frame
from ...sansio.url import EngineURL
from ..network import NetworkOptions

__all__ = [
    "PollingBase",
    "PollingLike",
    "Transport",
    "TransportOpener",
    "WebSocketLike",
    "opener_errors",
    "uses_http_session",
]


class Transport(Protocol):
    """What EngineConnection needs of a transport: it moves frames, nothing else."""

    name: str

    async def read(self) -> list[Frame]: ...

    async def write(self, frames: list[Frame]) -> None: ...

    async def close(self) -> None: ...

    def release_connections(self) -> int: ...


class PollingLike(Transport, Protocol):
    async def handshake(self, timeout: float | None = None) -> engineio.OpenInfo: ...


class PollingBase(abc.ABC):
    """Long-polling's reading side, the same over every HTTP library (§1.1, §1.4).

    The handshake GET returns the open packet, whose values set this session's id, the
    server's ``maxPayload`` and how long a poll may stay open (ping interval + ping timeout +
    the request timeout: the server answers every poll within one ping interval); packets that
    came in the same body are handed out by the first :meth:`read`. A subclass only does the
    HTTP: :meth:`get_body`, one GET of the polling URL.
    """

    name = "polling"

    def __init__(self, request_timeout: float) -> None:
        self.request_timeout = request_timeout
        self.sid: str | None = None
        self.max_payload = 1_000_000
        self.read_timeout = 60.0
        self._early: list[Frame] = []  # packets that came with the open packet

    @abc.abstractmethod
    async def get_body(self, timeout: float) -> str:
        """One GET of this session's polling URL (the handshake's while ``sid`` is None)."""

    async def handshake(self, timeout: float | None = None) -> engineio.OpenInfo:
        """GET the open packet (§1.4); extra packets in that body are returned by read()."""
        body = await self.get_body(timeout if timeout is not None else self.request_timeout)
        frames = engineio.decode_payload(body)
        info = engineio.parse_open(frames[0])
        self.sid = info.sid
        self.max_payload = info.max_payload
        self.read_timeout = info.ping_interval + info.ping_timeout + self.request_timeout
        self._early = frames[1:]
        return info

    async def read(self) -> list[Frame]:
        early = self._early
        if early:
            self._early = []
            return early
        return engineio.decode_payload(await self.get_body(self.read_timeout))


class WebSocketLike(Transport, Protocol):
    #: ``receive()`` returns a message with ``type`` and ``data``: the hot read loop's input.
    ws: Any
    #: The two ``type`` values of data messages (text, binary); anything else ends the read.
    frame_kinds: tuple[Any, Any]

    async def read_one(self, timeout: float) -> Frame: ...

    def raise_closed(self, msg: Any) -> NoReturn: ...


class TransportOpener(Protocol):
    """Makes an EngineConnection's transports.

    ``http`` is the aiohttp session the connector picked, when the opener says
    ``uses_http_session = True`` (the default); otherwise the ``http_session`` option as
    given, for the opener to judge. An opener may also name ``errors``: its library's
    exceptions that the engine must treat as transport failures (default: none).
    """

    def polling(
        self, http: Any, url: EngineURL, headers: dict[str, str], *,
        ssl: Any, request_timeout: float, network: NetworkOptions | None = None,
    ) -> PollingLike: ...

    async def open_websocket(
        self, http: Any, url: str, headers: dict[str, str], *,
        ssl: Any, request_timeout: float, extra: dict[str, Any] | None = None, network: NetworkOptions | None = None,
    ) -> WebSocketLike: ...


def opener_errors(opener: TransportOpener) -> tuple[type[BaseException], ...]:
    """The opener's library exceptions the engine treats as transport failures."""
    return tuple(getattr(opener, "errors", ()))


def uses_http_session(opener: TransportOpener) -> bool:
    """Does the opener want the connector's aiohttp session (False: it brings its own HTTP)?"""
    return bool(getattr(opener, "uses_http_session", True))
