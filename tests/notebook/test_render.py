"""HTML rendering of untrusted payloads (pure functions)."""

from __future__ import annotations

import html
import re

from sio_notebook.notebook.views.render import (
    format_time,
    log_header_html,
    payload_text,
    rows_html,
    status_html,
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
    # the only tags are the table's own (and the expandable cell of long payloads)
    assert set(re.findall(r"</?([a-z]+)", out)) <= {"table", "thead", "tbody", "tr", "th", "td", "details", "summary", "pre"}
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


def test_header_escapes_event_names_and_counts_in_words() -> None:
    out = log_header_html(
        title=EVIL, count=5, shown=3, dropped=2, counts={EVIL: 5}, series={EVIL: [0] * 59 + [5]},
        flags=["stopped", "view paused"],
    )
    assert "<script" not in out
    assert "5 events</span> captured" in out and "2</span> dropped" in out
    assert "stopped" in out and "view paused" in out
    one = log_header_html(title="t", count=1, shown=1, dropped=0, counts={"t": 1}, series={}, flags=[])
    assert "1 event</span>" in one  # not "1 events"


def test_long_payloads_are_cut_with_the_full_value_expandable() -> None:
    out = rows_html([(1, 0.0, "/", "blob", ({"data": "x" * 500},))], payload_limit=50)
    assert "<details>" in out and "x" * 500 in out  # the full text is in the expandable cell
    summary = re.search(r"<summary[^>]*>([^<]*)</summary>", out)
    assert summary is not None and len(html.unescape(summary.group(1))) == 50


def test_directions_and_fields() -> None:
    rows = [(1, 0.0, "/", "add", ({"a": 1},), "out", None), (2, 0.5, "/", "add", (3,), "ack", 0.0123)]
    out = rows_html(rows, directions=True)
    assert "\u2191 out" in out and "\u21a9 ack 12.3 ms" in out
    out = rows_html([(1, 0.0, "/", "tick", ({"symbol": "A", "p": {"x": 2}},))], fields=["symbol", "p.x"])
    assert "<th>symbol</th><th>p.x</th>" in out and '<td title="A">A</td><td title="2">2</td>' in out


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
    out = status_html(status, ping_interval=25.0)
    body = out.split("</style>", 1)[1]
    assert "<script" not in body and "<b>" not in body and "<i>" not in body and "<u>" not in body
    assert "sio-state-reconnecting" in body
    assert "transport error" in body and "last error: boom &lt;script&gt;" in body
    assert "2 s ago (every 25 s)" in body and "3 / 4" in body
    # same status, slightly older ping: identical render (so nothing is sent)
    again = status_html(FakeStatus(**{**status.__dict__, "last_ping_age": 2.9}), ping_interval=25.0)
    assert again == out


def test_an_old_error_is_greyed_once_connected_again() -> None:
    status = FakeStatus(state="connected", url="http://h", last_error="ConnectionError: refused")
    out = status_html(status, error_age=125.0)
    assert 'class="sio-old-err"' in out and "earlier error, 2 min ago: ConnectionError: refused" in out
    assert "sio-err" not in out.split("</style>", 1)[1]


def test_connect_errors_read_without_aiohttp_class_chains() -> None:
    status = FakeStatus(
        state="disconnected",
        url="http://127.0.0.1:9",
        last_error="cannot connect to http://127.0.0.1:9/socket.io/: ClientConnectionError: ClientConnectorError: "
        "Cannot connect to host 127.0.0.1:9 ssl:default [Connect call failed ('127.0.0.1', 9)]",
    )
    text = _text_of(status_html(status).split("</style>", 1)[1])
    assert "last error: cannot connect to http://127.0.0.1:9/socket.io/: Cannot connect to host 127.0.0.1:9 [" in text
    assert "ClientConnectorError" not in text and "ssl:default" not in text


def test_the_log_header_reads_right_without_its_css() -> None:
    # JupyterLab strips the <style> of an untrusted notebook's outputs: what is left is
    # the text, so the separators must be text too (not only the flex gap).
    out = log_header_html(title="tick on sio", count=17, shown=17, dropped=0, counts={"tick": 17}, series={}, flags=[])
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", part)) for part in out.split("</div>"))
    assert "tick on sio: 17 events captured \u00b7 showing 17 \u00b7 0 dropped" in re.sub(r"\s+", " ", text)
    assert "sio17" not in re.sub(r"<[^>]+>", "", out)
    flagged = log_header_html(title="t", count=1, shown=1, dropped=0, counts={}, series={}, flags=["view paused"])
    assert "0 dropped \u00b7 view paused" in html.unescape(re.sub(r"<[^>]+>", "", flagged))


def test_every_theme_variable_has_a_fallback_for_pages_without_jupyterlab_css() -> None:
    """Colab's output frames and VS Code's renderer define no --jp-* variables: a bare var()
    there would drop the property (borders, the sticky header's background, the fonts)."""
    from sio_notebook.notebook.views.theme import STYLE, with_fallbacks

    assert re.findall(r"var\(--jp-[\w-]+\)", STYLE) == []
    assert "var(--jp-ui-font-color1, CanvasText)" in STYLE
    assert "var(--jp-layout-color2, Canvas)" in STYLE
    assert with_fallbacks("color:var(--jp-brand-color1)") == "color:var(--jp-brand-color1, LinkText)"
    assert with_fallbacks("color:var(--jp-ui-font-color2, red)") == "color:var(--jp-ui-font-color2, red)"  # kept
