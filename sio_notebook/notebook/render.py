"""Pure HTML/text rendering for the notebook widgets.

Nothing here imports ipywidgets or touches the event loop, so the escaping rules can
be tested on their own. Event payloads come from the network and are **untrusted**:
every string that reaches HTML (namespace, event name, payload, URL, errors) goes
through :func:`html.escape` with ``quote=True``. The payload is first turned into a
compact JSON text (binary parts are summarised, not dumped) and truncated, so one huge
event cannot blow up a render.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "escape",
    "payload_of",
    "payload_text",
    "format_time",
    "rows_html",
    "table_header_html",
    "status_html",
    "values_text",
]

#: CSS shared by the widgets (scoped by class names, inlined in every render so the
#: output is self-contained in a saved notebook too).
STYLE = (
    "<style>"
    ".sio-table{border-collapse:collapse;font-family:monospace;font-size:12px;width:100%}"
    ".sio-table th,.sio-table td{border-bottom:1px solid #ddd;padding:1px 6px;text-align:left;"
    "vertical-align:top;white-space:pre-wrap;word-break:break-all;line-height:1.4}"
    ".sio-table th{background:#f3f3f3;position:sticky;top:0}"
    ".sio-kv td{padding:0 12px 0 0;font-family:monospace;font-size:12px;line-height:1.5}"
    ".sio-state{font-weight:bold;padding:0 6px;border-radius:3px;color:#fff}"
    ".sio-state-connected{background:#2e7d32}.sio-state-connecting{background:#f9a825}"
    ".sio-state-reconnecting{background:#ef6c00}.sio-state-disconnected{background:#757575}"
    ".sio-err{color:#c62828}.sio-ok{color:#2e7d32}.sio-muted{color:#757575}"
    "</style>"
)


def escape(value: Any) -> str:
    """``str(value)`` escaped for HTML text and attribute values."""
    return html.escape(str(value), quote=True)


def payload_of(args: Sequence[Any]) -> Any:
    """The payload of an event from its argument tuple.

    No argument gives ``None``, one argument gives that value, several give a list.
    """
    if not args:
        return None
    if len(args) == 1:
        return args[0]
    return list(args)


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return repr(value)


def payload_text(args: Sequence[Any], limit: int = 200) -> str:
    """Compact JSON text of an event's arguments, at most ``limit`` characters (not escaped)."""
    payload = payload_of(args)
    try:
        text = json.dumps(payload, default=_json_default, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):  # circular structures, NaN-like oddities in exotic types
        text = repr(payload)
    if len(text) > limit:
        text = text[: max(limit - 1, 0)] + "\u2026"
    return text


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


def rows_html(rows: Iterable[tuple[Any, ...]], payload_limit: int = 200) -> str:
    """An HTML table of captured rows, in the order given.

    Each row is ``(seq, time, namespace, event, args)`` as stored by a
    :class:`~sio_notebook.notebook.capture.Capture`. Every cell is escaped.
    """
    parts = [
        '<table class="sio-table"><thead><tr><th>#</th><th>time (UTC)</th>'
        "<th>namespace</th><th>event</th><th>payload</th></tr></thead><tbody>"
    ]
    append = parts.append
    for seq, t, namespace, event, args in rows:
        append(
            f"<tr><td>{seq}</td><td>{format_time(t)}</td><td>{escape(namespace)}</td>"
            f"<td>{escape(event)}</td><td>{escape(payload_text(args, payload_limit))}</td></tr>"
        )
    append("</tbody></table>")
    return "".join(parts)


def table_header_html(
    *, count: int, shown: int, dropped: int, rate: float, events: Sequence[str], active: bool, paused: bool
) -> str:
    """The one-line header of the live event table."""
    what = ", ".join(escape(e) for e in events) or "*"
    flags = []
    if not active:
        flags.append("stopped")
    if paused:
        flags.append("view paused")
    flag_text = f' <span class="sio-muted">({", ".join(flags)})</span>' if flags else ""
    return (
        f'<span class="sio-table-header"><b>{what}</b>: <span class="sio-count">{count}</span> events'
        f" \u00b7 {rate:,.1f}/s \u00b7 showing last {shown} \u00b7 "
        f'<span class="sio-dropped">{dropped}</span> dropped{flag_text}</span>'
    )


def status_html(status: Any, extra_error: str | None = None) -> tuple[str, str]:
    """``(header, details)`` HTML for a ``ClientStatus`` snapshot.

    Values that change continuously are rounded (ping age to whole seconds) so that a
    re-render only differs, and is only sent, when something a human would see changed.
    """
    state = str(status.state)
    reason = status.disconnect_reason
    error = status.last_error or extra_error
    header = f'<span class="sio-state sio-state-{escape(state)}">{escape(state)}</span>'
    if reason and state != "connected":
        header += f' <span class="sio-muted">({escape(reason)})</span>'
    header += f' <code>{escape(status.url or "")}</code>'
    if error:
        header += f' <span class="sio-err">last error: {escape(error)}</span>'
    ping = status.last_ping_age
    ping_text = "\u2013" if ping is None else f"{int(ping)} s ago"
    fields = [
        ("sid", status.sid or "\u2013"),
        ("transport", status.transport or "\u2013"),
        ("namespaces", ", ".join(status.namespaces) or "\u2013"),
        ("events in / out", f"{status.events_in} / {status.events_out}"),
        ("queued emits", status.queued),
        ("reconnect attempts", status.reconnect_attempts),
        ("last ping", ping_text),
    ]
    cells = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in fields)
    return STYLE + header, f'<table class="sio-kv">{cells}</table>'
