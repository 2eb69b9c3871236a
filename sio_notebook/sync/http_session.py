"""The thread Client's ``http_session`` option: what python-socketio users pass there.

python-socketio's thread Client takes a ``requests.Session``; ours runs on aiohttp on a
private loop thread, so a session is translated, never used directly:

* a ``requests.Session``: its proxies (plus the environment when ``trust_env``, as
  requests merges them), ``verify`` (bool or CA bundle path), ``cert`` (client
  certificate), non-default headers, basic ``auth`` and cookies become the options of an
  aiohttp session made on the loop thread, the way python-engineio copies them for its
  WebSocket;
* a callable returning an ``aiohttp.ClientSession`` (or a coroutine function): called on
  the loop thread whenever a session is needed, so the session belongs to the right loop;
* an ``aiohttp.ClientSession`` made on the Client's loop (``LoopThread.shared().loop``).

An aiohttp session made anywhere else cannot work (it is bound to its own loop) and is
refused at construction with a message saying what to pass instead.
"""

from __future__ import annotations

import base64
import ssl
import sys
import urllib.request
from typing import TYPE_CHECKING, Any

from ..aio.network import ssl_option

if TYPE_CHECKING:
    import aiohttp

__all__ = ["translate_http_session"]

#: Headers requests adds by itself; aiohttp sets its own (Connection must stay its own:
#: the WebSocket handshake needs "Connection: Upgrade").
_SKIPPED_HEADERS = {"connection", "accept-encoding", "accept", "user-agent", "content-length", "host"}


def _is_requests_session(value: Any) -> bool:
    return type(value).__module__.startswith("requests") and all(
        hasattr(value, name) for name in ("proxies", "verify", "cert", "headers", "auth", "cookies", "trust_env")
    )


def translate_http_session(value: Any, loop: Any, options: dict[str, Any]) -> dict[str, Any]:
    """AsyncClient keyword arguments for the thread Client's ``http_session=value``.

    ``options`` are the other keyword arguments (an explicit ``ssl_verify=False`` still wins,
    as in python-socketio, where it sets ``session.verify = False``).
    """
    if value is None:
        return {}
    # An aiohttp session exists only if aiohttp was imported: no import needed to check.
    aiohttp_module = sys.modules.get("aiohttp")
    if aiohttp_module is not None and isinstance(value, aiohttp_module.ClientSession):
        if getattr(value, "_loop", None) is not loop:
            raise TypeError(
                "an aiohttp.ClientSession belongs to the event loop it was made on, and the thread "
                "Client runs on its own loop thread: pass http_session=<a callable returning a new "
                "aiohttp.ClientSession> (it is called on that thread), or a requests.Session"
            )
        return {"http_session": value}
    if _is_requests_session(value):
        return _from_requests(value, options)
    if callable(value):
        return {"http_session": value}
    raise TypeError(
        f"http_session must be a requests.Session, a callable returning an aiohttp.ClientSession, "
        f"or an aiohttp.ClientSession of the Client's loop, not {type(value).__name__}"
    )


def _from_requests(session: Any, options: dict[str, Any]) -> dict[str, Any]:
    import requests.utils

    defaults = requests.utils.default_headers()
    headers = {
        k: v for k, v in session.headers.items() if k.lower() not in _SKIPPED_HEADERS or defaults.get(k) != v
    }
    headers = {k: v for k, v in headers.items() if k.lower() != "connection"}
    auth = session.auth
    if auth is not None and not (isinstance(auth, tuple) and len(auth) == 2):
        raise TypeError("http_session: only basic authentication (a (user, password) tuple) is supported")
    if auth and not any(k.lower() == "authorization" for k in headers):
        # requests sends a tuple as Basic auth (RFC 7617), on every request of the session.
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
        headers["Authorization"] = "Basic " + token
    cookies = {cookie.name: cookie.value for cookie in session.cookies}
    trust_env = bool(session.trust_env)

    verify: Any = options.get("ssl_verify", session.verify)
    if session.cert:
        certfile, keyfile = session.cert if isinstance(session.cert, tuple) else (session.cert, None)
        context = ssl_option(verify)
        if not isinstance(context, ssl.SSLContext):
            context = ssl.create_default_context()
            if verify is False:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        context.load_cert_chain(certfile, keyfile)
        verify = context

    proxies: dict[str, str] | None = dict(session.proxies) or None
    if proxies is not None and trust_env:
        for key, url in urllib.request.getproxies().items():  # requests: the session's win
            proxies.setdefault("no_proxy" if key == "no" else key, url)

    def make() -> aiohttp.ClientSession:
        # On the loop thread (the AsyncClient calls it when it needs a session).
        import aiohttp

        return aiohttp.ClientSession(headers=headers, cookies=cookies, trust_env=trust_env)

    result: dict[str, Any] = {"http_session": make, "ssl_verify": verify}
    if proxies is not None:
        result["proxies"] = proxies
    elif not trust_env:
        result["proxies"] = {}
    return result

