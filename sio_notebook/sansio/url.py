"""Engine.IO URLs (docs/protocol.md §1.1), pure.

python-socketio's rules: the engine path is the ``socketio_path`` option (default
``socket.io``) and the URL's own path is ignored; the URL's query is kept. Schemes
http/https map to ws/wss for the WebSocket transport, and ws/wss are accepted as input.
Bad URLs raise ValueError with the reason, before any network traffic, and the same
reason on every Python version: the scheme and a bracketed (IPv6) host are checked here,
not left to ``urlsplit``, whose rules changed in 3.11 (a scheme must start with a letter)
and 3.11.4 (bracketed hosts are validated).

Credentials in the URL (``http://alice:s3cret@host``) are taken out of the endpoint and
kept for an ``Authorization: Basic`` header on both transports, as python-socketio
(requests) does; :func:`redact_url` is what may be shown or logged.
"""

from __future__ import annotations

import base64
import ipaddress
import random
import re
import string
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

__all__ = ["EngineURL", "parse_url", "cache_buster", "redact_url"]

#: RFC 3986 §3.1: ``scheme ":"``, the scheme starting with a letter. Python 3.10's urlsplit
#: also takes "127.0.0.1" in "127.0.0.1:3000" for a scheme; 3.11+ does not.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
#: RFC 3986 §3.2: the authority runs from "//" to the next "/", "?" or "#".
_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)")
_IPV_FUTURE = re.compile(r"v[0-9A-Fa-f]+\..+")

_SCHEMES = {"http": ("http", "ws"), "https": ("https", "wss"), "ws": ("http", "ws"), "wss": ("https", "wss")}
_ALPHABET = string.digits + string.ascii_letters + "-_"


@dataclass(frozen=True, slots=True)
class EngineURL:
    """Where the Engine.IO endpoint is, split into what each transport needs."""

    http_base: str  # e.g. http://host:port/socket.io/
    ws_base: str  # e.g. ws://host:port/socket.io/
    query: tuple[tuple[str, str], ...]
    #: (user, password) from the URL, percent-decoded; never in repr().
    credentials: tuple[str, str] | None = field(default=None, repr=False)

    @property
    def authorization(self) -> str | None:
        """The ``Authorization`` header value for the URL's credentials (RFC 7617), or None."""
        if self.credentials is None:
            return None
        token = base64.b64encode(":".join(self.credentials).encode("utf-8")).decode("ascii")
        return "Basic " + token

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
    text = url.strip()
    shown = redact_url(text)
    match = _SCHEME.match(text)
    scheme = match.group(1) if match else ""
    schemes = _SCHEMES.get(scheme.lower())
    if schemes is None:
        raise ValueError(
            f"invalid URL {shown!r}: the scheme must be http, https, ws or wss"
            + (f", not {scheme!r}" if scheme else " (it has none)")
        )
    authority = _AUTHORITY.match(text)
    _check_bracketed_host(shown, authority.group(1).rpartition("@")[2] if authority else "")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise ValueError(f"invalid URL {shown!r}: {exc}") from None
    if not parts.hostname:
        raise ValueError(f"invalid URL {shown!r}: it has no host name")
    path = "/" + socketio_path.strip("/") + "/" if socketio_path.strip("/") else "/"
    userinfo, _, netloc = parts.netloc.rpartition("@")
    credentials = None
    if userinfo:
        user, _, password = userinfo.partition(":")
        credentials = (unquote(user), unquote(password))
    query = tuple(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("EIO", "transport", "sid", "t")
    )
    return EngineURL(f"{schemes[0]}://{netloc}{path}", f"{schemes[1]}://{netloc}{path}", query, credentials)


def _check_bracketed_host(shown: str, hostport: str) -> None:
    """A ``[...]`` host must be an IPv6 address or an IPvFuture literal (RFC 3986 §3.2.2)."""
    if not hostport.startswith("["):
        return
    host, bracket, _ = hostport[1:].partition("]")
    if not bracket:
        raise ValueError(f"invalid URL {shown!r}: Invalid IPv6 URL")
    if _IPV_FUTURE.fullmatch(host):
        return
    try:
        ipaddress.IPv6Address(host.partition("%")[0])
    except ValueError:
        raise ValueError(f"invalid URL {shown!r}: {host!r} in brackets is not an IPv6 address") from None


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***``: what logs, errors and status may show."""
    text = url.strip()
    authority = _AUTHORITY.match(text)
    if authority is None or "@" not in authority.group(1):
        return text
    userinfo = authority.group(1).rpartition("@")[0]
    user, colon, _ = userinfo.partition(":")
    start = authority.start(1)
    return text[:start] + user + (":***" if colon else "") + text[start + len(userinfo) :]


def cache_buster() -> str:
    """The ``t`` parameter: a short time-based random id, like the JS client's yeast()."""
    stamp = int(time.time() * 1000)
    chars = []
    while stamp:
        stamp, digit = divmod(stamp, 64)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars)) + "".join(random.choices(_ALPHABET, k=3))
