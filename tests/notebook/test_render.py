"""HTML rendering of untrusted payloads (pure functions)."""

from __future__ import annotations

import html
import re

from sio_notebook.notebook.render import (
    format_time,
    payload_text,
    rows_html,
    status_html,
    table_header_html,
    values_text,
)

from .fakes import FakeStatus

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;\'"'


def _text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_rows_escape_every_untrusted_field() -> None:
    rows = [(1, 0.0, EVIL, EVIL, ({"k": EVIL},)), (2, 0.0, "/", "e", (EVIL,))]
    out = rows_html(rows, payload_limit=10_000)
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out
    # the only tags are the table's own
    assert set(re.findall(r"</?([a-z]+)", out)) <= {"table", "thead", "tbody", "tr", "th", "td"}
    # escaping loses nothing: the text reads back as the original
    assert EVIL in _text_of(out)
    assert 'onerror=alert(1)' in _text_of(out)


def test_attribute_quotes_are_escaped() -> None:
    out = rows_html([(1, 0.0, "/", '" onmouseover="x', ())])
    assert '" onmouseover' not in out
    assert "&quot; onmouseover=&quot;x" in out


def test_payload_text_is_compact_json_and_truncated() -> None:
    assert payload_text(({"a": 1, "b": [1, 2]},)) == '{"a":1,"b":[1,2]}'
    assert payload_text(()) == "null"
    assert payload_text((1, "x")) == '[1,"x"]'
    assert payload_text(("é😀",)) == '"é😀"'
    long = payload_text(("x" * 1000,), limit=50)
    assert len(long) == 50 and long.endswith("\u2026")


def test_binary_payloads_are_summarised() -> None:
    assert payload_text(({"blob": b"\x00" * 1024},)) == '{"blob":"<1024 bytes>"}'
    assert payload_text((bytearray(3),)) == '"<3 bytes>"'


def test_unserialisable_payloads_fall_back_to_repr() -> None:
    class Thing:
        def __repr__(self) -> str:
            return "<Thing>"

    out = rows_html([(1, 0.0, "/", "e", (Thing(),))])
    assert "&lt;Thing&gt;" in out


def test_values_text() -> None:
    assert values_text(None) == "(no values)"
    assert values_text(1) == "1"
    assert values_text((1, {"a": "b"})) == '1, {"a":"b"}'


def test_format_time_is_utc_milliseconds() -> None:
    assert format_time(0.0) == "00:00:00.000"
    assert format_time(3661.25) == "01:01:01.250"


def test_header_escapes_event_names() -> None:
    out = table_header_html(
        count=5, shown=3, dropped=2, rate=12.5, events=(EVIL,), active=False, paused=True
    )
    assert "<script" not in out
    assert "5</span> events" in out and "2</span> dropped" in out
    assert "stopped" in out and "view paused" in out


def test_status_html_escapes_and_rounds() -> None:
    status = FakeStatus(
        state="reconnecting",
        url="http://h/?q=<b>",
        sid="s<i>d",
        transport="websocket",
        namespaces=("/", "/c<u>"),
        events_in=3,
        events_out=4,
        queued=2,
        reconnect_attempts=1,
        last_ping_age=2.7,
        last_error="boom <script>",
        disconnect_reason="transport error",
    )
    header, details = status_html(status)
    for out in (header, details):
        assert "<script" not in out and "<b>" not in out and "<i>" not in out and "<u>" not in out
    assert "sio-state-reconnecting" in header
    assert "transport error" in header and "last error: boom &lt;script&gt;" in header
    assert "2 s ago" in details and "3 / 4" in details
    # same status, slightly older ping: identical render (so nothing is sent)
    again = status_html(FakeStatus(**{**status.__dict__, "last_ping_age": 2.9}))
    assert again == (header, details)
