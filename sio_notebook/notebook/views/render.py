"""Pure HTML/text rendering of the views (no ipywidgets, no event loop).

Event payloads come from the network and are **untrusted**: every string that reaches
HTML (namespace, event name, payload, URL, errors) goes through :func:`html.escape` with
``quote=True``. A payload is first turned into compact JSON text (binary parts are
summarised, not dumped) and cut, so one huge event cannot blow up a render; the full
text (up to ``FULL_LIMIT`` characters) stays reachable in an expandable cell.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..recording.frames import flatten, payload_of
from ..recording.rates import sparkline
from .theme import STYLE

__all__ = [
    "STYLE",
    "DIRECTIONS",
    "escape",
    "format_age",
    "format_time",
    "log_header_html",
    "payload_of",
    "payload_text",
    "rates_html",
    "rows_html",
    "status_html",
    "values_text",
]

#: Longest payload text kept for the expandable cell.
FULL_LIMIT = 20_000
#: Direction marks of the event log: (symbol, word).
DIRECTIONS = {"in": ("\u2193", "in"), "out": ("\u2191", "out"), "ack": ("\u21a9", "ack"), "life": ("\u25cf", "conn")}


def escape(value: Any) -> str:
    """``str(value)`` escaped for HTML text and attribute values."""
    return html.escape(str(value), quote=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return repr(value)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "\u2026"


def payload_text(args: Sequence[Any], limit: int = 200) -> str:
    """Compact JSON text of an event's arguments, at most ``limit`` characters (not escaped)."""
    return _cut(_json(payload_of(args)), limit)


def _json(value: Any) -> str:
    try:
        return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):  # circular structures, exotic types
        return repr(value)


def values_text(value: Any, limit: int = 500) -> str:
    """Text of an ack's return value (``None`` / one value / tuple of values), not escaped."""
    if value is None:
        return "(no values)"
    values = value if isinstance(value, tuple) else (value,)
    return ", ".join(payload_text((v,), limit) for v in values)


def format_time(t: float) -> str:
    """``HH:MM:SS.mmm`` in UTC for a ``time.time()`` value."""
    ms = int((t % 1) * 1000)
    return time.strftime("%H:%M:%S", time.gmtime(t)) + f".{ms:03d}"


_INNER_NAMES = re.compile(r"(?:\b\w*(?:Error|Exception): )+(?=\w)")


def humanize_error(text: str) -> str:
    """An error text for people: aiohttp's nested class names and ``ssl:default`` dropped.

    ``"cannot connect to http://h/: ClientConnectionError: ClientConnectorError: Cannot
    connect to host h:9 ssl:default [Connect call failed]"`` reads
    ``"cannot connect to http://h/: Cannot connect to host h:9 [Connect call failed]"``.
    """
    head, sep, rest = text.partition(": ")
    rest = _INNER_NAMES.sub("", rest) if sep else text
    return (head + sep + rest if sep else _INNER_NAMES.sub("", text)).replace(" ssl:default", "")


def format_age(seconds: float) -> str:
    """``"4 s"``, ``"3 min"``, ``"2 h"``: how long ago, for people."""
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 90 * 60:
        return f"{int(seconds // 60)} min"
    return f"{int(seconds // 3600)} h"


def plural(n: int, word: str) -> str:
    """``1 event``, ``2 events``."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _payload_cell(args: Sequence[Any], limit: int) -> str:
    if not args:
        return '<td class="sio-payload"></td>'
    full = _cut(_json(payload_of(args)), FULL_LIMIT)
    if len(full) <= limit:
        return f'<td class="sio-payload" title="{escape(full)}">{escape(full)}</td>'
    short = _cut(full, limit)
    return (
        f'<td class="sio-payload"><details><summary title="{escape(_cut(full, 2000))}">{escape(short)}</summary>'
        f"<pre>{escape(full)}</pre></details></td>"
    )


def field_columns(rows: Sequence[Sequence[Any]], most: int = 12) -> list[str]:
    """The flattened payload keys of ``rows`` (dict payloads), in order of appearance."""
    keys: dict[str, None] = {}
    for row in rows:
        payload = payload_of(row[4])
        if isinstance(payload, dict):
            keys.update(dict.fromkeys(flatten(payload)))
            if len(keys) >= most:
                break
    return list(keys)[:most]


def rows_html(
    rows: Iterable[Sequence[Any]],
    payload_limit: int = 120,
    *,
    directions: bool = False,
    fields: Sequence[str] = (),
    notes: Mapping[int, str] | None = None,
) -> str:
    """An HTML table of captured rows, in the order given; every cell escaped.

    Rows are :class:`~sio_notebook.notebook.recording.capture.CapturedEvent` tuples. ``directions``
    adds the direction column; ``fields`` shows those flattened payload keys as columns
    (for a single-event capture) instead of one payload column. ``notes`` (``{seq: text}``,
    :meth:`Capture.annotate <sio_notebook.notebook.recording.capture.Capture.annotate>`) mark their
    rows with a warning sign whose tooltip is the note (a conformance violation).
    """
    head = ["#", "time (UTC)"]
    if directions:
        head.append("dir")
    head += ["namespace", "event"]
    head += list(fields) if fields else ["payload"]
    parts = [
        f'<table class="sio-table{" sio-fields" if fields else ""}"><thead><tr>',
        "".join(f"<th>{escape(h)}</th>" for h in head),
        "</tr></thead><tbody>",
    ]
    append = parts.append
    for row in rows:
        seq, t, namespace, event, args = row[:5]
        direction = row[5] if len(row) > 5 else "in"
        note = notes.get(seq) if notes else None
        if note is None:
            cells = f'<td class="sio-num">{seq}</td><td>{format_time(t)}</td>'
        else:
            cells = (f'<td class="sio-num sio-noted" title="{escape(_cut(note, 2000))}">'
                     f'<span class="sio-warn">\u26a0</span> {seq}</td><td>{format_time(t)}</td>')
        if directions:
            mark, word = DIRECTIONS.get(direction, ("?", direction))
            rtt = row[6] if len(row) > 6 else None
            extra = f" {rtt * 1000:.1f} ms" if rtt is not None else ""
            cells += f'<td class="sio-dir-{escape(direction)}" title="{escape(word)}">{mark} {escape(word)}{extra}</td>'
        cells += f"<td>{escape(namespace)}</td><td>{escape(event)}</td>"
        if fields:
            payload = payload_of(args)
            flat = flatten(payload) if isinstance(payload, dict) else {}
            for key in fields:
                if key in flat:
                    value = flat[key]
                    text = value if isinstance(value, str) else _json(value)
                    cells += f'<td title="{escape(_cut(text, 2000))}">{escape(_cut(text, 40))}</td>'
                else:
                    cells += "<td></td>"
        else:
            cells += _payload_cell(args, payload_limit)
        append(f"<tr>{cells}</tr>")
    append("</tbody></table>")
    return "".join(parts)


def rates_html(series: Mapping[str, list[int]], most: int = 8) -> str:
    """Per-event rate over the last 10 s and a sparkline of the last minute."""
    if not series:
        return ""
    ranked = sorted(series.items(), key=lambda item: -sum(item[1]))[:most]
    items = []
    for event, counts in ranked:
        rate = sum(counts[-10:]) / 10
        items.append(
            f'<span class="sio-rate" title="{escape(event)}: events per second, last 60 s">'
            f"<b>{escape(event)}</b> {rate:,.1f}/s "
            f'<span class="sio-spark">{sparkline(counts)}</span></span>'
        )
    return " ".join(items)


def log_header_html(
    *,
    title: str,
    count: int,
    shown: int,
    dropped: int,
    counts: Mapping[str, int],
    series: Mapping[str, list[int]],
    flags: Sequence[str],
) -> str:
    """The header of the event log: what, how many, per-event counts and rates."""
    per_event = ", ".join(f"{escape(e)} {n:,}" for e, n in sorted(counts.items(), key=lambda kv: -kv[1])[:8])
    flag_text = f' \u00b7 <span class="sio-warn">{escape(", ".join(flags))}</span>' if flags else ""
    # The separators are text, not only CSS: JupyterLab strips the <style> of an untrusted
    # notebook's outputs, and the header must still read "tick on sio: 17 events captured".
    return (
        f'<div class="sio-head"><span class="sio-title">{escape(title)}:</span> '
        f'<span><span class="sio-count">{escape(plural(count, "event"))}</span> captured \u00b7 '
        f'showing {shown:,} \u00b7 <span class="sio-dropped">{dropped:,}</span> dropped{flag_text}</span></div>'
        f'<div class="sio-head"><span class="sio-muted">{per_event}</span></div>'
        f'<div class="sio-head">{rates_html(series)}</div>'
    )


def status_html(
    status: Any,
    extra_error: str | None = None,
    *,
    error_age: float | None = None,
    ping_interval: float | None = None,
    rates: Mapping[str, list[int]] | None = None,
    note: str | None = None,
    extra: Sequence[tuple[str, str]] = (),
) -> str:
    """The status view of a ``ClientStatus`` snapshot.

    Values that change continuously are rounded (ping age to whole seconds) so that a
    re-render only differs, and is only sent, when something a person would see changed.
    Once connected again, an old error is shown greyed with its age. ``extra`` are
    ``(label, text)`` rows added by tools watching the client (:mod:`.status_lines`).
    """
    state = str(status.state)
    reason = status.disconnect_reason
    error = status.last_error or extra_error
    error = humanize_error(error) if error else error
    head = f'<span class="sio-badge sio-state-{escape(state)}">{escape(state)}</span>'
    if reason and state != "connected":
        head += f' <span class="sio-muted">({escape(reason)})</span>'
    head += f' <code>{escape(status.url or "")}</code>'
    if note:
        head += f' <span class="sio-warn">{escape(note)}</span>'
    if error:
        age = f", {format_age(error_age)} ago" if error_age is not None else ""
        if state == "connected":
            head += f' <span class="sio-old-err" title="before the current connection">earlier error{age}: {escape(error)}</span>'
        else:
            head += f' <span class="sio-err">last error{age}: {escape(error)}</span>'
    ping = status.last_ping_age
    ping_text = "\u2013" if ping is None else f"{int(ping)} s ago"
    if ping_interval:
        ping_text += f" (every {ping_interval:g} s)"
    fields = [
        ("sid", status.sid or "\u2013"),
        ("transport", status.transport or "\u2013"),
        ("namespaces", ", ".join(status.namespaces) or "\u2013"),
        ("events in / out", f"{status.events_in:,} / {status.events_out:,}"),
        ("queued emits", status.queued),
        ("reconnect attempts", status.reconnect_attempts),
        ("last ping", ping_text),
        *extra,
    ]
    cells = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in fields)
    rates_row = ""
    if rates is not None:
        rates_row = f'<div class="sio-head">{rates_html(rates)}</div>'
    return (
        f'{STYLE}<div class="sio-view sio-status"><div class="sio-head">{head}</div>'
        f'<table class="sio-kv">{cells}</table>{rates_row}</div>'
    )


def status_text(status: Any, extra_error: str | None = None) -> str:
    """One-line ``text/plain`` of the status (what a terminal or an untrusted view shows)."""
    text = f"{status.state} {status.url or ''}".rstrip()
    if status.state == "connected":
        text += f" (sid {status.sid}, {status.transport}, {status.events_in} in / {status.events_out} out)"
    error = status.last_error or extra_error
    if error:
        text += f"; {'earlier' if status.state == 'connected' else 'last'} error: {humanize_error(error)}"
    return text
