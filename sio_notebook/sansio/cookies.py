"""The cookies a server sets, kept and sent back as a browser would; no I/O (RFC 6265).

Why a Socket.IO client keeps cookies at all: behind a load balancer, long-polling only
works if every request of a session reaches the worker that opened it (§1.9), and the
balancer usually says which one in a cookie it sets on the first response (HAProxy's
``SERVERID``, nginx's ``route``, an ALB's ``AWSALB``). A client that drops it gets
"Session ID unknown" on its second request.

What is kept, and for how long, follows a browser:

* Parsing, domain and path matching, ``Secure``, ``Max-Age`` and ``Expires`` follow
  RFC 6265 §5.2 and the sections after it. A cookie from a host that is an IP address
  is kept as a host-only cookie for exactly that address, as every browser does
  (aiohttp's default jar refuses it, which is what broke clusters reached by IP).
* A *session* cookie (no ``Max-Age``/``Expires``) lives as long as the browsing session,
  and here that is one Engine.IO connection: :meth:`CookieStore.end_session` drops them
  when a new connection starts. A balancer's affinity cookie is such a cookie; after a
  lost connection it names a server that may be dead, and a balancer that honours it
  spends its retry delay on that server before it redispatches (HAProxy: 1 s). A new
  connection is a new Engine.IO session, so any worker may take it (socket.io's JS
  client under Node does the same: one cookie jar per Engine.IO socket). Connection-state
  recovery is not lost by this in a real cluster: the adapters that support it across
  workers (Redis streams, MongoDB) recover on any worker.
* A *persistent* cookie (``Max-Age``/``Expires`` in the future) is kept across the
  client's connections until it expires, as a browser keeps it across restarts.

The public-suffix check of RFC 6265 §5.3 step 5 is left out: the store serves one client
talking to one server, not a browser visiting arbitrary sites.
"""

from __future__ import annotations

import calendar
import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["Cookie", "CookieStore", "merge_cookie_header", "parse_cookie_date", "parse_set_cookie"]


@dataclass(frozen=True, slots=True)
class Cookie:
    """One stored cookie (RFC 6265 §5.3's record, the fields a client needs)."""

    name: str
    value: str
    domain: str  # lower case, no leading dot; the request host for a host-only cookie
    path: str
    host_only: bool = True
    secure: bool = False
    expires: float | None = None  # a time.time() value; None: a session cookie

    @property
    def persistent(self) -> bool:
        return self.expires is not None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _domain_match(host: str, domain: str) -> bool:
    """RFC 6265 §5.1.3: identical, or a suffix after a dot for a host name (never an IP)."""
    return host == domain or (host.endswith("." + domain) and not _is_ip(host))


def _default_path(request_path: str) -> str:
    """RFC 6265 §5.1.4: the request path up to (not including) its last ``/``."""
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path[: request_path.rindex("/")]


def _path_match(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 §5.1.4."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


_DATE_DELIMITERS = re.compile(r"[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_TIME = re.compile(r"(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\D|$)")
_DAY = re.compile(r"(\d{1,2})(?:\D|$)")
_YEAR = re.compile(r"(\d{2,4})(?:\D|$)")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def parse_cookie_date(text: str) -> float | None:
    """RFC 6265 §5.1.1's lenient date algorithm, as a time.time() value; None if invalid.

    (email.utils would do most of it, but it imports socket, which the core must not.)
    """
    clock = day = month = year = None
    for token in _DATE_DELIMITERS.split(text):
        if not token:
            continue
        if clock is None and (m := _TIME.match(token)):
            clock = tuple(int(g) for g in m.groups())
        elif day is None and (m := _DAY.match(token)):
            day = int(m.group(1))
        elif month is None and token[:3].lower() in _MONTHS:
            month = _MONTHS.index(token[:3].lower()) + 1
        elif year is None and (m := _YEAR.match(token)):
            year = int(m.group(1))
    if clock is None or day is None or month is None or year is None:
        return None
    year += 1900 if 70 <= year <= 99 else 2000 if year <= 69 else 0
    hour, minute, second = clock
    if not 1 <= day <= 31 or year < 1601 or hour > 23 or minute > 59 or second > 59:
        return None
    try:
        return float(calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)))
    except (ValueError, OverflowError):  # pragma: no cover - out of the platform's range
        return None


def parse_set_cookie(header: str, host: str, request_path: str, now: float) -> Cookie | None:
    """One ``Set-Cookie`` value received from ``host`` (RFC 6265 §5.2, RFC 6265 §5.3), or None if
    it must be ignored (no ``=``, an empty name, a Domain the host does not match)."""
    pair, _, attributes = header.partition(";")
    if "=" not in pair:
        return None
    name, _, value = pair.partition("=")
    name, value = name.strip(), value.strip()
    if not name:
        return None
    host = host.lower()
    domain = ""
    path = ""
    secure = False
    max_age: float | None = None
    expires: float | None = None
    for attribute in attributes.split(";"):
        key, _, raw = attribute.partition("=")
        key, raw = key.strip().lower(), raw.strip()
        if key == "domain" and raw:
            domain = raw.lstrip(".").lower()
        elif key == "path":
            path = raw if raw.startswith("/") else ""
        elif key == "secure":
            secure = True
        elif key == "max-age":
            if raw.lstrip("-").isdigit():
                max_age = float(raw)
        elif key == "expires" and raw:
            expires = parse_cookie_date(raw)  # None (ignored) if it is not a date
    if max_age is not None:  # RFC 6265 §5.3 step 3: Max-Age wins over Expires
        expires = now + max_age if max_age > 0 else now - 1
    if domain:
        if not _domain_match(host, domain):
            return None
        host_only = False
    else:
        domain, host_only = host, True
    return Cookie(name, value, domain, path or _default_path(request_path), host_only, secure, expires)


def merge_cookie_header(given: str | None, ours: list[tuple[str, str]]) -> str:
    """A ``Cookie`` header: the user's own (``given``) first and winning on a name, then ours."""
    if not given:
        return "; ".join(f"{name}={value}" for name, value in ours)
    taken = {part.partition("=")[0].strip() for part in given.split(";")}
    extra = [f"{name}={value}" for name, value in ours if name not in taken]
    return "; ".join([given.strip().rstrip(";"), *extra]) if extra else given


class CookieStore:
    """The cookies one client received, by (name, domain, path) (RFC 6265 §5.3 step 11)."""

    __slots__ = ("_cookies",)

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str, str], Cookie] = {}

    def __len__(self) -> int:
        return len(self._cookies)

    def __iter__(self) -> Iterator[Cookie]:
        return iter(list(self._cookies.values()))

    def receive(self, headers: Iterable[str], host: str, request_path: str, now: float) -> None:
        """Store the ``Set-Cookie`` values of one response from ``host``; an expired one
        (``Max-Age=0``, a past ``Expires``) deletes the cookie it names (RFC 6265 §5.3 step 11)."""
        for header in headers:
            cookie = parse_set_cookie(header, host, request_path, now)
            if cookie is None:
                continue
            key = (cookie.name, cookie.domain, cookie.path)
            if cookie.expires is not None and cookie.expires <= now:
                self._cookies.pop(key, None)
            else:
                self._cookies.pop(key, None)  # a replaced cookie moves to the end (RFC 6265 §5.4's order)
                self._cookies[key] = cookie

    def cookies_for(self, host: str, path: str, secure: bool, now: float) -> list[tuple[str, str]]:
        """(name, value) to send to ``host``/``path`` (RFC 6265 §5.4): matching domain and path, not
        expired, ``Secure`` ones only over TLS; longer paths first, then oldest first."""
        if not self._cookies:
            return []
        host = host.lower()
        chosen: list[Cookie] = []
        for key, cookie in list(self._cookies.items()):
            if cookie.expires is not None and cookie.expires <= now:
                del self._cookies[key]
                continue
            if cookie.host_only:
                if host != cookie.domain:
                    continue
            elif not _domain_match(host, cookie.domain):
                continue
            if (cookie.secure and not secure) or not _path_match(path, cookie.path):
                continue
            chosen.append(cookie)
        chosen.sort(key=lambda c: -len(c.path))  # stable: equal paths stay oldest first
        return [(c.name, c.value) for c in chosen]

    def end_session(self) -> list[Cookie]:
        """A new connection begins: drop the session cookies (the module docstring says
        why) and return them; persistent cookies stay until they expire."""
        dropped = [c for c in self._cookies.values() if not c.persistent]
        if dropped:
            self._cookies = {k: c for k, c in self._cookies.items() if c.persistent}
        return dropped
