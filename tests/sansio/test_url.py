"""Engine.IO endpoint URLs (docs/protocol.md §1.1)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from sio_notebook.sansio.url import EngineURL, cache_buster, parse_url, redact_url


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


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        # Python 3.10's urlsplit reads "127.0.0.1" as the scheme; 3.11+ reads none.
        ("127.0.0.1:3000", "the scheme must be http, https, ws or wss (it has none)"),
        ("1http://host", "(it has none)"),
        # 3.10 accepts any bracketed host; 3.11.4+ checks it is an address.
        ("http://[zz]:80", "'zz' in brackets is not an IPv6 address"),
        ("http://[127.0.0.1]:80", "'127.0.0.1' in brackets is not an IPv6 address"),
        ("http://[::1:80", "Invalid IPv6 URL"),
        ("http://host:+80", "Port could not be cast"),
    ],
)
def test_bad_urls_give_the_same_reason_on_every_python(url: str, problem: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_url(url)
    assert str(info.value).startswith(f"invalid URL {url!r}: ")
    assert problem in str(info.value)


@pytest.mark.parametrize("url", ["http://[::1]:3000", "http://[fe80::1%25eth0]:1", "http://[v1.x]/"])
def test_bracketed_hosts_that_are_addresses_are_accepted(url: str) -> None:
    assert parse_url(url).http_base.startswith(url.split("/")[0] + "//[")


def test_url_credentials_become_basic_authorization() -> None:
    eurl = parse_url("http://alice:s3cret@host:1/?a=1")
    assert eurl.http_base == "http://host:1/socket.io/" and eurl.ws_base == "ws://host:1/socket.io/"
    assert eurl.credentials == ("alice", "s3cret")
    assert eurl.authorization == "Basic YWxpY2U6czNjcmV0"  # base64("alice:s3cret"), as requests sends
    assert "s3cret" not in repr(eurl) and "s3cret" not in eurl.polling("x") + eurl.websocket("x")


def test_url_credentials_are_percent_decoded() -> None:
    eurl = parse_url("https://al%40ice:p%3Ass@host")
    assert eurl.credentials == ("al@ice", "p:ss")
    assert parse_url("http://bob@host").credentials == ("bob", "")
    assert parse_url("http://host").authorization is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://alice:s3cret@host:1/x?y=1", "http://alice:***@host:1/x?y=1"),
        ("http://alice@host", "http://alice@host"),
        ("http://host/a@b", "http://host/a@b"),
        ("http://host", "http://host"),
    ],
)
def test_redact_url_hides_the_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_bad_url_errors_do_not_show_the_password() -> None:
    with pytest.raises(ValueError) as info:
        parse_url("ftp://alice:s3cret@host")
    assert "s3cret" not in str(info.value) and "alice:***@host" in str(info.value)
