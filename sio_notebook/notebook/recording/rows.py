"""The row of a capture: the value every capture, sink, store and replay passes around.

It lives in its own module, apart from :mod:`.capture`, so that the store (which makes rows
when it reads a dataset back) and the replay depend on the row alone and not on the
capture that uses them: ``capture -> store -> rows`` has no way back. Import it from
:mod:`sio_notebook.notebook` or :mod:`sio_notebook.notebook.recording.capture`, which re-export it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["CapturedEvent", "Row"]

#: A buffer row as stored in a capture's deque: the fields of :class:`CapturedEvent`, as a
#: plain tuple (cheaper to make on the hot path; ``CapturedEvent._make`` names them).
Row = tuple[int, float, str, str, tuple[Any, ...], str, float | None]


class CapturedEvent(NamedTuple):
    """One captured row (the shape of a buffer row; new fields only ever go at the end)."""

    seq: int
    """1-based position since the capture started or was last cleared."""
    time: float
    """``time.time()`` when the event reached (or left) the client."""
    namespace: str
    event: str
    args: tuple[Any, ...]
    direction: str = "in"
    """``"in"`` (received), ``"out"`` (sent), ``"ack"`` (an ack we got) or ``"life"``."""
    rtt: float | None = None
    """Round-trip time in seconds, for ``"ack"`` rows."""
