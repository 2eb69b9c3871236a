"""Engine.IO URLs (reference/protocol.md §1.1), pure.

python-socketio's rules: the engine path is the ``socketio_path`` option (default
``socket.io``) and the URL's own path is ignored; the URL's query is kept. Schemes
http/https map to ws/wss for the WebSocket transport, and ws/wss are accepted as input.
Bad URLs raise ValueError with the reason, before any network traffic.
"""

from __future__ import annotations

import random
import string
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = ["EngineURL", "parse_url", "cache_buster"]

_SCHEMES = {"http": ("http", "ws"), "https": ("https", "wss"), "ws": ("http", "ws"), "wss": ("https", "wss")}
_ALPHABET = string.digits + string.ascii_letters + "-_"


@dataclass(frozen=True, slots=True)
class EngineURL:
    """Where the Engine.IO endpoint is, split into what each transport needs."""

    http_base: str  # e.g. http://host:port/socket.io/
    ws_base: str  # e.g. ws://host:port/socket.io/
    query: tuple[tuple[str, str], ...]

    def polling(self, sid: str | None = None, timestamp: bool = True) -> str:
        params = list(self.query) + [("EIO", "4"), ("transport", "polling")]
        if timestamp:
            params.append(("t", cache_buster()))
        if sid:
            params.append(("sid", sid))
        return self.http_base + "?" + urlencode(params)

    def websocket(self, sid: str | None = None) -> str:
        params = list(self.query) + [("EIO", "4"), ("transport", "websocket")]
        if sid:
            params.append(("sid", sid))
        return self.ws_base + "?" + urlencode(params)


def parse_url(url: str, socketio_path: str = "socket.io") -> EngineURL:
    """Validate ``url`` and build the Engine.IO endpoint for ``socketio_path``."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"invalid URL {url!r}: expected a string like 'http://host:port'")
    parts = urlsplit(url.strip())
    schemes = _SCHEMES.get(parts.scheme.lower())
    if schemes is None:
        raise ValueError(
            f"invalid URL {url!r}: the scheme must be http, https, ws or wss"
            + (f", not {parts.scheme!r}" if parts.scheme else " (it has none)")
        )
    if not parts.hostname:
        raise ValueError(f"invalid URL {url!r}: it has no host name")
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise ValueError(f"invalid URL {url!r}: {exc}") from None
    path = "/" + socketio_path.strip("/") + "/" if socketio_path.strip("/") else "/"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = tuple(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("EIO", "transport", "sid", "t")
    )
    return EngineURL(f"{schemes[0]}://{netloc}{path}", f"{schemes[1]}://{netloc}{path}", query)


def cache_buster() -> str:
    """The ``t`` parameter: a short time-based random id, like the JS client's yeast()."""
    stamp = int(time.time() * 1000)
    chars = []
    while stamp:
        stamp, digit = divmod(stamp, 64)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars)) + "".join(random.choices(_ALPHABET, k=3))
