"""The cookie rules of sansio/cookies.py (RFC 6265, as a browser keeps them), pure."""

from __future__ import annotations

import calendar

from sio_notebook.sansio.cookies import CookieStore, merge_cookie_header, parse_cookie_date, parse_set_cookie

NOW = 1_800_000_000.0
HAPROXY = "SERVERID=w1; path=/"  # what `cookie SERVERID insert indirect nocache` sets


def _store(*headers: str, host: str = "127.0.0.1", path: str = "/socket.io/") -> CookieStore:
    store = CookieStore()
    store.receive(headers, host, path, NOW)
    return store


def test_an_ip_host_keeps_its_cookie_as_a_browser_does() -> None:
    """Issue 17: aiohttp's default jar drops cookies of IP hosts; browsers keep them host-only."""
    store = _store(HAPROXY)
    assert store.cookies_for("127.0.0.1", "/socket.io/", False, NOW) == [("SERVERID", "w1")]
    assert store.cookies_for("127.0.0.2", "/socket.io/", False, NOW) == []
    v6 = _store(HAPROXY, host="[::1]")
    assert v6.cookies_for("[::1]", "/socket.io/", False, NOW) == [("SERVERID", "w1")]


def test_host_only_and_domain_cookies() -> None:
    store = _store("a=1", "b=2; Domain=.example.com", host="ws.example.com")
    assert store.cookies_for("ws.example.com", "/socket.io/", False, NOW) == [("a", "1"), ("b", "2")]
    assert store.cookies_for("api.example.com", "/socket.io/", False, NOW) == [("b", "2")]
    assert store.cookies_for("example.org", "/socket.io/", False, NOW) == []
    # A Domain the host does not belong to is refused (§5.3 step 6); an IP never suffix-matches.
    assert parse_set_cookie("c=3; Domain=other.com", "ws.example.com", "/", NOW) is None
    assert parse_set_cookie("c=3; Domain=0.0.1", "127.0.0.1", "/", NOW) is None
    assert parse_set_cookie("c=3; Domain=127.0.0.1", "127.0.0.1", "/", NOW) is not None


def test_paths_and_secure() -> None:
    store = _store("root=1; Path=/", "deep=2; Path=/socket.io", "other=3; Path=/api", "tls=4; Secure; Path=/")
    assert store.cookies_for("127.0.0.1", "/socket.io/", False, NOW) == [("deep", "2"), ("root", "1")]
    assert ("tls", "4") in store.cookies_for("127.0.0.1", "/socket.io/", True, NOW)
    assert store.cookies_for("127.0.0.1", "/socket.iox", False, NOW) == [("root", "1")]
    # No Path: the request path up to its last "/" (§5.1.4).
    assert parse_set_cookie("x=1", "h", "/socket.io/", NOW).path == "/socket.io"  # type: ignore[union-attr]
    assert parse_set_cookie("x=1", "h", "/eio", NOW).path == "/"  # type: ignore[union-attr]


def test_expiry_and_deletion() -> None:
    store = _store("short=1; Max-Age=10; Path=/", "gone=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT", HAPROXY)
    assert store.cookies_for("127.0.0.1", "/", False, NOW) == [("short", "1"), ("SERVERID", "w1")]
    assert store.cookies_for("127.0.0.1", "/", False, NOW + 11) == [("SERVERID", "w1")]
    store.receive(["SERVERID=; Max-Age=0; path=/"], "127.0.0.1", "/", NOW)  # the server deletes it
    assert store.cookies_for("127.0.0.1", "/", False, NOW) == []
    # Max-Age wins over Expires (§5.3 step 3).
    kept = parse_set_cookie("k=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60", "h", "/", NOW)
    assert kept is not None and kept.expires == NOW + 60


def test_a_new_value_replaces_the_old_one() -> None:
    store = _store(HAPROXY)
    store.receive(["SERVERID=w2; path=/"], "127.0.0.1", "/socket.io/", NOW)
    assert store.cookies_for("127.0.0.1", "/", False, NOW) == [("SERVERID", "w2")]
    assert len(store) == 1


def test_a_new_session_drops_session_cookies_and_keeps_persistent_ones() -> None:
    """Issue 17 §2: the sticky cookie of a lost connection may name a dead worker; a new
    connection starts without it, while a cookie with a lifetime stays (an ALB's AWSALB)."""
    store = _store(HAPROXY, "AWSALB=abc; Max-Age=604800; Path=/")
    dropped = store.end_session()
    assert [(c.name, c.value) for c in dropped] == [("SERVERID", "w1")]
    assert store.cookies_for("127.0.0.1", "/", False, NOW) == [("AWSALB", "abc")]
    assert store.end_session() == []


def test_malformed_set_cookie_values_are_ignored() -> None:
    for bad in ["", "novalue", "=anonymous", ";Path=/"]:
        assert parse_set_cookie(bad, "h", "/", NOW) is None, bad
    store = _store("novalue", "ok=1; Max-Age=soon; Expires=never")  # bad attributes: a session cookie
    assert store.cookies_for("127.0.0.1", "/socket.io/", False, NOW) == [("ok", "1")]
    assert next(iter(store)).expires is None


def test_cookie_dates_the_rfc_way() -> None:
    expected = calendar.timegm((2030, 6, 9, 10, 18, 14, 0, 0, 0))
    for text in ["Sun, 09 Jun 2030 10:18:14 GMT", "Sunday, 09-Jun-30 10:18:14 GMT", "Sun Jun  9 10:18:14 2030"]:
        assert parse_cookie_date(text) == expected, text
    for text in ["", "tomorrow", "Sun, 32 Jun 2030 10:18:14 GMT", "Sun, 09 Jun 2030 25:00:00 GMT"]:
        assert parse_cookie_date(text) is None, text


def test_the_users_own_cookie_header_comes_first_and_wins() -> None:
    assert merge_cookie_header(None, [("SERVERID", "w1")]) == "SERVERID=w1"
    assert merge_cookie_header("token=abc", [("SERVERID", "w1")]) == "token=abc; SERVERID=w1"
    assert merge_cookie_header("SERVERID=pinned; t=1", [("SERVERID", "w1")]) == "SERVERID=pinned; t=1"
    assert merge_cookie_header("t=1", []) == "t=1"
