"""How the client reaches the server: TLS verification, proxies, OS limits.

Kept apart from the transports, which only move frames: this module turns the user's
options (``ssl_verify``, ``proxies``, a ``requests.Session``) into what aiohttp takes,
once per connection, never per request.

Proxies follow requests' rules: an explicit mapping ``{"http": url, "https": url}``
(``"ws"``/``"wss"`` keys too, falling back to http/https as python-engineio does with a
requests session), else the environment (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``
and ``NO_PROXY``, upper or lower case), read by :mod:`urllib.request` as requests does.
"""

from __future__ import annotations

import errno
import os
import ssl
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..sansio.url import redact_url

if TYPE_CHECKING:
    from .cookies import ConnectionCookies

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

__all__ = ["NetworkOptions", "ProxyConfig", "ssl_option", "describe_os_error", "is_fd_exhaustion"]

#: Default bound on one inbound WebSocket message or polling body (``max_inbound_size``).
DEFAULT_MAX_INBOUND_SIZE = 16 * 1024 * 1024

#: A WebSocket URL is proxied like its HTTP twin when no ws/wss proxy is named.
_FALLBACK = {"ws": "http", "wss": "https"}


def ssl_option(verify: Any) -> bool | ssl.SSLContext:
    """``ssl_verify`` as aiohttp's ``ssl=``: True, False, or an SSLContext.

    python-socketio takes True/False; here it may also be a CA bundle (a file of PEM
    certificates, or a directory as for ``openssl rehash``), like requests' ``verify``,
    or a ready ``ssl.SSLContext``. A missing path is a ValueError now, not a handshake
    failure later.
    """
    if isinstance(verify, ssl.SSLContext):
        return verify
    if isinstance(verify, bool):
        return verify
    if isinstance(verify, (str, os.PathLike)):
        path = os.fspath(verify)
        if os.path.isdir(path):
            return ssl.create_default_context(capath=path)
        if not os.path.isfile(path):
            raise ValueError(f"ssl_verify: no CA bundle at {path!r} (expected a PEM file or a directory)")
        try:
            return ssl.create_default_context(cafile=path)
        except ssl.SSLError as exc:
            raise ValueError(f"ssl_verify: {path!r} is not a PEM CA bundle: {exc}") from None
    raise TypeError(f"ssl_verify must be True, False, a CA bundle path or an ssl.SSLContext, not {type(verify).__name__}")


class ProxyConfig:
    """Which proxy (if any) a URL goes through; decided once per connection attempt."""

    def __init__(self, proxies: Mapping[str, str] | None = None, trust_env: bool = True) -> None:
        self.proxies = dict(proxies) if proxies is not None else None
        self.trust_env = trust_env

    def for_url(self, url: str) -> str | None:
        """The proxy URL for ``url`` (http(s):// or ws(s)://), or None for a direct connection."""
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), parts.hostname or ""
        if self.proxies is not None:
            table = self.proxies
            bypass = _bypass_from(table.get("no_proxy") or table.get("no"))
        elif self.trust_env:
            table = urllib.request.getproxies()
            bypass = None
        else:
            return None
        proxy = (
            table.get(f"{scheme}://{host}")
            or table.get(scheme)
            or table.get(_FALLBACK.get(scheme, ""))
            or table.get("all")
        )
        if not proxy:
            return None
        if bypass is not None:
            if bypass(host, parts.port):
                return None
        elif self.proxies is None and host and urllib.request.proxy_bypass(host):
            return None  # NO_PROXY (urllib reads the same variable requests does)
        return proxy if "://" in proxy else "http://" + proxy

    def __repr__(self) -> str:
        shown = None if self.proxies is None else {k: redact_url(v) for k, v in self.proxies.items()}
        return f"ProxyConfig(proxies={shown!r}, trust_env={self.trust_env})"  # no proxy password


@dataclass(frozen=True, slots=True)
class NetworkOptions:
    """What the transports of one connection need besides the URL and headers."""

    proxies: ProxyConfig = field(default_factory=lambda: ProxyConfig())
    #: Largest WebSocket message / polling body accepted from the server (None: no bound).
    max_inbound_size: int | None = DEFAULT_MAX_INBOUND_SIZE
    #: The aiohttp session is the client's own: its idle polling connections can be
    #: closed at the upgrade (in a shared session another request may be using them).
    owns_pool: bool = False
    #: The server's cookies (a sticky-session cookie, above all): recorded from every
    #: polling response, sent on every request and on the WebSocket handshake.
    cookies: ConnectionCookies | None = None


def _bypass_from(value: str | None) -> Any:
    """A ``no_proxy`` entry of an explicit mapping (requests' format: comma-separated hosts)."""
    if not value:
        return None
    entries = [item.strip().lower() for item in value.split(",") if item.strip()]

    def bypass(host: str, port: int | None) -> bool:
        host = host.lower()
        for entry in entries:
            if entry == "*" or host == entry.lstrip(".") or host.endswith("." + entry.lstrip(".")):
                return True
            if port is not None and f"{host}:{port}" == entry:
                return True
        return False

    return bypass


def _fd_errno(exc: BaseException | None) -> int | None:
    """EMFILE or ENFILE if ``exc`` (or what caused it) is "no file descriptor left", else None."""
    seen = 0
    while exc is not None and seen < 8:
        for candidate in (exc, getattr(exc, "os_error", None)):  # os_error: aiohttp.ClientConnectorError
            if isinstance(candidate, OSError) and candidate.errno in (errno.EMFILE, errno.ENFILE):
                return candidate.errno
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def is_fd_exhaustion(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) is EMFILE/ENFILE: no file descriptor left."""
    return _fd_errno(exc) is not None


def describe_os_error(exc: BaseException) -> str | None:
    """A sentence for an exhausted file-descriptor table, or None for other errors.

    "Too many open files" otherwise surfaces far from its cause (an upgrade that fails,
    a namespace that "timed out"), so it is named with the limit that was hit.
    """
    code = _fd_errno(exc)
    if code is None:
        return None
    if code == errno.ENFILE:
        return "too many open files in the system (ENFILE): the kernel's file table is full"
    limit = ""
    if resource is not None:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        limit = f" (RLIMIT_NOFILE {soft}; raise it with `ulimit -n`)"
    return f"too many open files (EMFILE): the process has no file descriptor left{limit}"
