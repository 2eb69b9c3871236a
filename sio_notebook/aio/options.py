"""ClientOptions: every constructor option of a client, validated once, frozen.

Both front doors (:class:`~sio_notebook.aio.client.AsyncClient` and the thread
:class:`~sio_notebook.sync.client.Client`, which builds its AsyncClient from the same
keywords) hold one ``ClientOptions``. The python-socketio attribute names
(``client.reconnection_delay`` ...) read it; assigning one of them replaces the object
(validated again), so no option is ever half-changed.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

from ..sansio.socketio import JsonSerializer, Serializer
from .network import DEFAULT_MAX_INBOUND_SIZE, ssl_option

__all__ = [
    "ClientOptions",
    "OPTION_NAMES",
    "TRANSPORTS",
    "check_transports",
    "make_logger",
    "make_serializer",
    "option_property",
]

#: The transports a client may use, in the default order of trial.
TRANSPORTS = ("polling", "websocket")


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """The options of one client (python-socketio names, plus the JS client's extras)."""

    reconnection: bool = True
    reconnection_attempts: int = 0
    reconnection_delay: float = 1
    reconnection_delay_max: float = 5
    randomization_factor: float = 0.5
    request_timeout: float = 5
    #: Bound on opening an Engine.IO session (JS ``timeout``); None: 4 x request_timeout (20 s).
    connect_timeout: float | None = None
    #: An aiohttp.ClientSession (never closed by the client), or a callable (also async)
    #: returning one, called on the loop when a session is needed (closed by the client).
    http_session: Any = None
    #: True, False, a CA bundle path, or an ssl.SSLContext (see network.ssl_option).
    ssl_verify: Any = True
    #: requests-style {"http": url, "https": url, "no_proxy": hosts}; None: the environment.
    proxies: dict[str, str] | None = None
    #: Bound on one WebSocket message / polling body from the server; past it the
    #: connection closes with "transport error" and last_error says why.
    max_inbound_size: int | None = DEFAULT_MAX_INBOUND_SIZE
    websocket_extra_options: dict[str, Any] = field(default_factory=dict)
    timestamp_requests: bool = True
    buffer_emits: bool = True
    max_buffered_emits: int | None = 1000
    buffer_overflow: str = "error"
    try_all_transports: bool = False
    upgrade: bool = True
    #: Default timeout of emits with a callback: callbacks become error-first (JS ``ackTimeout``).
    ack_timeout: float | None = None
    #: At-least-once delivery: re-send an unacknowledged emit up to this many times (JS ``retries``).
    retries: int = 0
    #: Makes the transports (a :class:`~.transports.TransportOpener`); None: aiohttp's.
    #: The seam of the scripted test tier, like httpx's ``transport=``.
    transport_opener: Any = None
    #: ``ssl_verify`` as aiohttp's ``ssl=`` (derived).
    ssl: Any = field(init=False, repr=False, compare=False)
    #: ``connect_timeout`` with its default applied (derived).
    open_timeout: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.reconnection_delay <= 0 or self.reconnection_delay_max <= 0:
            raise ValueError("reconnection delays must be positive")
        object.__setattr__(self, "ssl", ssl_option(self.ssl_verify))
        size = self.max_inbound_size
        if size is not None and (not isinstance(size, int) or size <= 0):
            raise ValueError("max_inbound_size must be a positive number of bytes, or None for no bound")
        if self.retries and not self.ack_timeout:
            raise ValueError("retries needs ack_timeout: a packet is re-sent when its ack does not come in time")
        object.__setattr__(self, "websocket_extra_options", dict(self.websocket_extra_options or {}))
        timeout = self.connect_timeout if self.connect_timeout is not None else 4 * self.request_timeout
        object.__setattr__(self, "open_timeout", timeout)


#: The option names a client exposes as attributes (read from, and replaced in, its options).
OPTION_NAMES = tuple(
    name for name in ClientOptions.__dataclass_fields__ if ClientOptions.__dataclass_fields__[name].init
)


def check_transports(transports: Any) -> list[str]:
    """connect()'s ``transports``: a name or a list of them, each polling or websocket."""
    if transports is None:
        return list(TRANSPORTS)
    if isinstance(transports, str):
        transports = [transports]
    result = list(transports)
    unknown = [t for t in result if t not in TRANSPORTS]
    if unknown or not result:
        raise ValueError(f"unknown transports {unknown or result!r}: use 'polling' and/or 'websocket'")
    return result


def make_logger(name: str, option: bool | logging.Logger) -> logging.Logger:
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


def make_serializer(serializer: Any, json_module: Any) -> Serializer:
    """python-socketio's ``serializer`` / ``json`` options as a sansio Serializer."""
    if serializer in ("default", None):
        return JsonSerializer(json_module)
    if serializer == "msgpack":
        from ..sansio.msgpack import MsgPackSerializer

        return MsgPackSerializer()
    if isinstance(serializer, str):
        raise ValueError(f"unknown serializer {serializer!r}: use 'default', 'msgpack' or a serializer object")
    custom: Serializer = serializer  # an object with encode() and decoder()
    return custom


def option_property(name: str) -> Any:
    """A client attribute that reads ``client.options.<name>`` and replaces the options on assignment."""

    def get(client: Any) -> Any:
        return getattr(client.options, name)

    def set_(client: Any, value: Any) -> None:
        client.options = dataclasses.replace(client.options, **{name: value})

    return property(get, set_, doc=f"The ``{name}`` option (see ClientOptions).")
