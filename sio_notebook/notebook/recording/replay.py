"""Send a captured session to a server again: an exploring session becomes a reproducible test.

::

    n = await cap.replay(sio)                       # as fast as the connection allows
    n = await cap.replay(sio, speed=1.0)            # the original inter-arrival times
    n = await replay(Capture.load("ticks.parquet"), sio, speed=2.0, rename={"tick": "price"})

Rows are re-emitted in their captured order, each on its own namespace, with its own
arguments (one argument is sent as is, several as several arguments). Only incoming rows
are replayed; outgoing, ack and lifecycle rows of a ``--outgoing``/``--lifecycle``
capture are skipped (they were never events the server received from a peer).

Pacing: with ``speed=None`` the loop yields every ``batch`` emits, so the client's writer
keeps sending while the replay goes on and the kernel keeps answering; with a speed, row
*i* is sent at ``start + (t_i - t_0) / speed`` (never earlier; a late row is sent at once,
so the schedule catches up instead of drifting).

In a notebook a one-line progress view (a plain output updated in place, like every
view) shows how far it got; the coroutine returns the number of events sent.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ...exceptions import BadNamespaceError
from ...sansio.url import redact_url
from ..views.live import LiveOutput

if TYPE_CHECKING:  # pragma: no cover
    from .capture import Capture

__all__ = ["ReplayProgress", "replay"]

Rename = Mapping[str, str] | Callable[[str], str]


class ReplayProgress(LiveOutput):
    """``replaying 1,200 / 5,000 events (24%) to http://…, 3.1 s``."""

    def __init__(self, total: int, target: str) -> None:
        super().__init__()
        self.total, self.target = total, target
        self.sent = 0
        self.state = "replaying"
        self.started = time.monotonic()
        self.elapsed = 0.0

    def text(self) -> str:
        share = f" ({self.sent / self.total:.0%})" if self.total else ""
        rate = f", {self.sent / self.elapsed:,.0f} events/s" if self.elapsed > 0 and self.state == "done" else ""
        return (
            f"{self.state} {self.sent:,} / {self.total:,} events{share} to {self.target}, "
            f"{self.elapsed:.1f} s{rate}"
        )

    def html(self) -> str:
        import html

        from ..views.theme import STYLE, with_fallbacks

        pct = 100 * self.sent / self.total if self.total else 100
        bar = with_fallbacks(
            '<span style="display:inline-block;width:160px;height:8px;vertical-align:middle;'
            "border:1px solid var(--jp-border-color1);margin-right:8px\">"
            f'<span style="display:block;height:100%;width:{pct:.1f}%;background:var(--jp-brand-color1)"></span></span>'
        )
        return f'{STYLE}<div class="sio-view sio-replay">{bar}{html.escape(self.text())}</div>'

    def finished(self) -> bool:
        return self.state != "replaying"

    def update(self, sent: int, state: str | None = None) -> None:
        self.sent = sent
        self.elapsed = time.monotonic() - self.started
        if state is not None:
            self.state = state
            self.push()  # the final state at once, not throttled
        else:
            self.changed()


def _rows_of(source: Any) -> list[Any]:
    """The rows of a dataset path, a capture (a snapshot of its buffer) or an iterable of rows."""
    if isinstance(source, (str, os.PathLike)):
        from .store import read_rows

        return list(read_rows(source))
    return list(source)


async def replay(
    source: Capture | Iterable[Any] | str | os.PathLike[str],
    client: Any,
    speed: float | None = None,
    *,
    events: str | Iterable[str] | None = None,
    rename: Rename | None = None,
    batch: int = 500,
    progress: bool = True,
) -> int:
    """Emit the rows of ``source`` (a capture, a Parquet dataset path, or rows) on ``client``.

    Args:
        speed: ``None`` as fast as possible; ``1.0`` the original timing; ``2.0`` twice as fast.
        events: replay only these event names (default: all).
        rename: a mapping or function from a captured event name to the name to send.
        batch: with ``speed=None``, emits between two yields to the event loop.
        progress: show a progress line when running in IPython.

    Returns the number of events sent. Raises :class:`~sio_notebook.exceptions.BadNamespaceError`
    before sending anything if a namespace of the rows is not connected on ``client``, and
    ``ValueError`` for a speed that is not positive.
    """
    if speed is not None and not speed > 0:
        raise ValueError(f"speed must be a positive number or None, not {speed!r}")
    wanted = None if events is None else frozenset((events,) if isinstance(events, str) else events)
    rows = [
        r for r in _rows_of(source)
        if (len(r) < 6 or r[5] == "in") and (wanted is None or r[3] in wanted)
    ]
    connected = set(getattr(client, "namespaces", {}) or ())
    missing = sorted({r[2] for r in rows} - connected)
    if missing:
        raise BadNamespaceError(
            f"cannot replay: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not connected on this client "
            f"(connected: {', '.join(sorted(connected)) or 'none'}); connect with namespaces={missing!r}"
        )
    name_of: Callable[[str], str]
    if rename is None:
        name_of = str
    elif callable(rename):
        name_of = rename
    else:
        mapping = dict(rename)
        name_of = lambda e: mapping.get(e, e)  # noqa: E731
    view = _progress_view(len(rows), client) if progress else None
    loop = asyncio.get_running_loop()
    sent = 0
    try:
        if rows and speed is not None:
            t0, start = rows[0][1], loop.time()
        for row in rows:
            if speed is not None:
                delay = start + (row[1] - t0) / speed - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            args = row[4]
            data = None if not args else args[0] if len(args) == 1 else tuple(args)
            await client.emit(name_of(row[3]), data, namespace=row[2])
            sent += 1
            if speed is None and sent % batch == 0:
                await asyncio.sleep(0)  # let the writer send, and other tasks run
            if view is not None and sent % batch == 0:
                view.update(sent)
    except BaseException:
        if view is not None:
            view.update(sent, "failed after")
        raise
    if view is not None:
        view.update(sent, "done")
    return sent


def _progress_view(total: int, client: Any) -> ReplayProgress | None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return None
    if get_ipython() is None:
        return None
    url = getattr(client, "connection_url", None) or getattr(getattr(client, "status", lambda: None)(), "url", None)
    view = ReplayProgress(total, redact_url(str(url)) if url else "the server")
    view.show()
    return view
