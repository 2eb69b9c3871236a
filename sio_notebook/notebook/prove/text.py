"""Captured rows as lines of text, the way the event log shows them.

The event log (:mod:`sio_notebook.notebook.views.log`) is HTML; an exception message, a
terminal or a headless run needs the same columns as plain text: row number, time (UTC),
direction, namespace, event, payload (compact JSON, binary parts summarised, cut).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..views.render import DIRECTIONS, format_time, payload_text

__all__ = ["row_line", "rows_block"]


def row_line(row: Sequence[Any], payload_chars: int = 120) -> str:
    """``#12  10:41:02.117  ↓ in  /  tick  {"symbol":"ACME","price":101.4}``."""
    seq, t, namespace, event, args = row[:5]
    direction = row[5] if len(row) > 5 else "in"
    mark, word = DIRECTIONS.get(direction, ("?", direction))
    return f"#{seq}  {format_time(t)}  {mark} {word}  {namespace}  {event}  {payload_text(args, payload_chars)}"


def rows_block(rows: Sequence[Sequence[Any]], total: int | None = None, indent: str = "  ") -> str:
    """The lines of ``rows``, oldest first; ``total`` (if more arrived than are listed)
    adds a line saying how many earlier rows are left out."""
    lines = [indent + row_line(r) for r in rows]
    if total is not None and total > len(rows):
        lines.insert(0, f"{indent}... {total - len(rows):,} earlier not listed")
    return "\n".join(lines)
