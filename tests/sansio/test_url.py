"""Engine.IO endpoint URLs (reference/protocol.md §1.1)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from sio_notebook.sansio.url import EngineURL, cache_buster, parse_url


def params(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def without_t(url: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in params(url) if k != "t"]


@pytest.mark.parametrize(
    ("url", "http_base", "ws_base"),
    [
        ("http://localhost:3000", "http://localhost:3000/socket.io/", "ws://localhost:3000/socket.io/"),
        ("https://example.com", "https://example.com/socket.io/", "wss://example.com/socket.io/"),
        ("ws://localhost:3000", "http://localhost:3000/socket.io/", "ws://localhost:3000/socket.io/"),
        ("wss://example.com:8443", "https://example.com:8443/socket.io/", "wss://example.com:8443/socket.io/"),
        ("HTTP://Example.com", "http://Example.com/socket.io/", "ws://Example.com/socket.io/"),
        ("http://[::1]:3000", "http://[::1]:3000/socket.io/", "ws://[::1]:3000/socket.io/"),
        ("http://[::1]", "http://[::1]/socket.io/", "ws://[::1]/socket.io/"),
        ("http://127.0.0.1:3000/", "http://127.0.0.1:3000/socket.io/", "ws://127.0.0.1:3000/socket.io/"),
        # python-socketio ignores the URL's path: the engine path is socketio_path.
        ("http://host/some/path", "http://host/socket.io/", "ws://host/socket.io/"),
        ("  http://host  ", "http://host/socket.io/", "ws://host/socket.io/"),
        ("http://user:secret@host:1", "http://host:1/socket.io/", "ws://host:1/socket.io/"),
    ],
)
def test_scheme_mapping_and_default_path(url: str, http_base: str, ws_base: str) -> None:
    eurl = parse_url(url)
    assert (eurl.http_base, eurl.ws_base) == (http_base, ws_base)
    assert eurl.query == ()


@pytest.mark.parametrize(
    ("socketio_path", "path"),
    [
        ("socket.io", "/socket.io/"),
        ("/socket.io", "/socket.io/"),
        ("custom", "/custom/"),
        ("/my/engine/", "/my/engine/"),
        ("", "/"),
        ("/", "/"),
    ],
)
def test_custom_socketio_path(socketio_path: str, path: str) -> None:
    eurl = parse_url("http://h:1", socketio_path)
    assert eurl.http_base == f"http://h:1{path}"
    assert eurl.ws_base == f"ws://h:1{path}"


def test_polling_url() -> None:
    url = parse_url("http://h:1").polling()
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "h:1", "/socket.io/")
    assert without_t(url) == [("EIO", "4"), ("transport", "polling")]
    assert dict(params(url))["t"]


def test_polling_url_with_sid() -> None:
    url = parse_url("https://h").polling("abc_DEF-1")
    assert without_t(url) == [("EIO", "4"), ("transport", "polling"), ("sid", "abc_DEF-1")]
    assert url.startswith("https://h/socket.io/?")


def test_polling_url_without_timestamp() -> None:
    url = parse_url("http://h").polling("s", timestamp=False)
    assert params(url) == [("EIO", "4"), ("transport", "polling"), ("sid", "s")]


def test_every_polling_request_gets_a_cache_buster() -> None:
    eurl = parse_url("http://h")
    stamps = [dict(params(eurl.polling("s")))["t"] for _ in range(50)]
    assert all(stamps)
    assert len(set(stamps)) > 1


@pytest.mark.parametrize(("sid", "expected"), [(None, []), ("xyz", [("sid", "xyz")])])
def test_websocket_url(sid: str | None, expected: list[tuple[str, str]]) -> None:
    url = parse_url("https://h:8443").websocket(sid)
    assert url.startswith("wss://h:8443/socket.io/?")
    assert params(url) == [("EIO", "4"), ("transport", "websocket"), *expected]  # no t on websocket


def test_user_query_is_kept_and_engine_keys_are_stripped() -> None:
    eurl = parse_url("http://h/?token=a%20b&EIO=3&transport=websocket&sid=old&t=x&room=&multi=1&multi=2")
    assert eurl.query == (("token", "a b"), ("room", ""), ("multi", "1"), ("multi", "2"))
    url = eurl.polling("new")
    assert without_t(url) == [
        ("token", "a b"),
        ("room", ""),
        ("multi", "1"),
        ("multi", "2"),
        ("EIO", "4"),
        ("transport", "polling"),
        ("sid", "new"),
    ]
    assert [k for k, _ in params(url)].count("t") == 1
    assert params(eurl.websocket())[:4] == [("token", "a b"), ("room", ""), ("multi", "1"), ("multi", "2")]


def test_unicode_query_round_trips() -> None:
    eurl = parse_url("http://h/?name=%E2%82%AC")
    assert eurl.query == (("name", "€"),)
    assert ("name", "€") in params(eurl.websocket())


def test_engine_url_is_a_value() -> None:
    assert parse_url("http://h:1/?a=1") == EngineURL("http://h:1/socket.io/", "ws://h:1/socket.io/", (("a", "1"),))


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("localhost:3000", "scheme must be http, https, ws or wss"),
        ("127.0.0.1:3000", "it has none"),
        ("//host:3000", "it has none"),
        ("example.com", "it has none"),
        ("ftp://host", "not 'ftp'"),
        ("file:///tmp/x", "not 'file'"),
        ("http://", "no host"),
        ("http://:3000", "no host"),
        ("https:///path", "no host"),
        ("http://host:abc", "Port"),
        ("http://host:99999", "Port"),
        ("http://host:-1", "Port"),
        ("", "expected a string"),
        ("   ", "expected a string"),
    ],
)
def test_bad_urls_raise_value_error(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as info:
        parse_url(url)
    assert "invalid URL" in str(info.value)


@pytest.mark.parametrize("url", [None, 3000, b"http://h", ["http://h"]], ids=repr)
def test_non_string_urls_raise_value_error(url: object) -> None:
    with pytest.raises(ValueError, match="expected a string"):
        parse_url(url)  # type: ignore[arg-type]


def test_cache_buster_is_url_safe() -> None:
    for _ in range(20):
        stamp = cache_buster()
        assert 8 <= len(stamp) <= 16
        assert stamp.replace("-", "").replace("_", "").isalnum()
        assert stamp.isascii()
