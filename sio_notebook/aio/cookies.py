"""The server's cookies on aiohttp: recorded from responses, sent on every request.

The rules (what to keep, for how long, what to send where) are the core's
(``sansio/cookies.py``); this module only reads ``Set-Cookie`` from aiohttp responses and
writes the ``Cookie`` header of the polling requests and the WebSocket handshake.

Why not aiohttp's cookie jar: its default jar (``unsafe=False``) ignores every cookie set
by a host that is an IP address, so a cluster reached as ``http://10.0.0.5`` never got its
sticky-session cookie back ("Session ID unknown"), and a session the user passes may have
exactly that jar. The client's own aiohttp session therefore has no jar of its own
(``aiohttp.DummyCookieJar``: see ``connector.py``), and a user's session keeps its jar for
the user's cookies; the ``Cookie`` header merges the user's own header first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..sansio.cookies import Cookie, CookieStore, merge_cookie_header

if TYPE_CHECKING:
    import aiohttp

__all__ = ["ConnectionCookies"]

_SECURE_SCHEMES = ("https", "wss")


def _cookie_header_name(headers: dict[str, str]) -> str:
    """The user's spelling of the Cookie header (headers are case-insensitive)."""
    for key in headers:
        if key.lower() == "cookie":
            return key
    return "Cookie"


class ConnectionCookies:
    """One client's server-set cookies, kept across its connections as the core decides."""

    __slots__ = ("store", "clock")

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.store = CookieStore()
        self.clock = clock  # wall-clock time: Expires is a date

    def headers_for(self, url: str, headers: dict[str, str]) -> dict[str, str]:
        """``headers`` with the cookies for ``url`` added (the same dict if there are none)."""
        if not len(self.store):
            return headers
        parts = urlsplit(url)
        ours = self.store.cookies_for(parts.hostname or "", parts.path or "/", parts.scheme in _SECURE_SCHEMES, self.clock())
        if not ours:
            return headers
        name = _cookie_header_name(headers)
        return {**headers, name: merge_cookie_header(headers.get(name), ours)}

    def record(self, response: aiohttp.ClientResponse) -> None:
        """Keep the ``Set-Cookie`` values of a response (every polling GET and POST)."""
        values = response.headers.getall("Set-Cookie", ())
        if values:
            url = response.url
            self.store.receive(values, url.raw_host or "", url.raw_path or "/", self.clock())

    def new_session(self, http: aiohttp.ClientSession) -> list[Cookie]:
        """A new Engine.IO connection starts: drop the session cookies (``sansio/cookies.py``
        says why: a sticky cookie may name a dead server). A user's aiohttp session may have
        kept copies in its own jar (a host name, not an IP); those exact copies go too, or
        the jar would send them anyway. Returns what was dropped."""
        dropped = self.store.end_session()
        if dropped:
            gone = {(c.name, c.value) for c in dropped}

            def ours(morsel: Any) -> bool:
                return (morsel.key, morsel.value) in gone and not morsel["expires"] and not morsel["max-age"]

            http.cookie_jar.clear(ours)
        return dropped
