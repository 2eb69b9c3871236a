"""The event log: a capture's rows as one live timeline, readable and filterable.

Two outputs:

* the log itself, a plain HTML output updated in place (see :mod:`.live`): header with
  counts, per-event counts and rates (sparklines of the last minute), then the newest
  rows, newest first: row number, time, direction (with ``outgoing``/``lifecycle``
  captures), namespace, event, payload. Narrow columns never wrap; a long payload is cut
  and expands to its full text. A single-event capture shows its payload fields as
  columns, like its DataFrame. Saved notebooks keep the last state.
* above it, a small control bar (an anywidget, :mod:`.controls`): a filter box, *Pause
  view* and *Clear view*. They act on the view only; :meth:`Capture.pause` and
  :meth:`Capture.clear` act on the data. Without anywidget (or ``controls=False``) the
  same is done from code:
  ``table.filter = "tick"``, ``table.pause()``, ``table.clear()``.

Filter: text starting with ``/`` keeps that namespace; other text keeps rows whose
event name or payload contains it (case-insensitive); words combine with AND.
"""

from __future__ import annotations

from typing import Any

from ..frontends.detect import frontend
from .live import LiveOutput
from .render import STYLE, field_columns, log_header_html, payload_text, rows_html

__all__ = ["EventLog", "EventTable"]


class EventTable(LiveOutput):
    """The live log view of a :class:`~sio_notebook.notebook.recording.capture.Capture`.

    Args:
        capture: the capture to show.
        rows: how many of the newest rows to show (newest first).
        max_fps: renders per second at most.
        payload_chars: payloads are cut to this many characters (the full text expands).
        controls: show the filter / pause / clear bar (needs anywidget).
    """

    def __init__(
        self,
        capture: Any,
        *,
        rows: int = 100,
        max_fps: float = 4.0,
        payload_chars: int = 120,
        controls: bool = True,
        height: str | None = None,
    ) -> None:
        self.max_fps = max_fps
        super().__init__()
        self.capture = capture
        self.rows = rows
        self.payload_chars = payload_chars
        self.paused = False
        """Whether the view is frozen (the capture goes on recording)."""
        self.closed = False
        self._filter = ""
        self._cleared_at = 0  # rows up to this seq are hidden by "Clear view"
        self._frozen: str | None = None
        self._frozen_rows = 0
        self._bar: Any = None
        if controls:
            from .controls import LogControls

            try:
                self._bar = LogControls(self)  # imports anywidget on first use
            except ImportError:  # anywidget missing (JupyterLite without it): the view works from code only
                self._bar = None
        capture.add_observer(self._on_rows)

    def __repr__(self) -> str:
        return f"<EventTable {self.text()}>"

    # Python API of the view

    @property
    def filter(self) -> str:  # noqa: A003 - the view's filter text
        """The filter text (see the module docstring); setting it re-renders."""
        return self._filter

    @filter.setter  # noqa: A003
    def filter(self, text: str) -> None:  # noqa: A003
        self._filter = text.strip()
        self._frozen = None
        self._sync_bar()
        self.changed()

    def pause(self) -> None:
        """Freeze the rows shown (the header keeps counting; the capture keeps recording)."""
        self.paused = True
        self._frozen = self._body(self.visible_rows())  # what is on screen now
        self._sync_bar()
        self.changed()

    def resume(self) -> None:
        self.paused = False
        self._frozen = None
        self._sync_bar()
        self.changed()

    def toggle_pause(self) -> None:
        self.resume() if self.paused else self.pause()

    def clear(self) -> None:
        """Clear the view (the capture keeps its rows: ``cap.clear()`` forgets them)."""
        self._cleared_at = self.capture.count
        self._frozen = None
        self.changed()

    def render(self) -> None:
        """Push now (normally the throttle does)."""
        self.push()

    def close(self) -> None:
        """Stop following the capture."""
        self.closed = True
        self._throttle.cancel()
        self.capture.remove_observer(self._on_rows)
        if self._bar is not None:
            self._bar.close()

    # Rendering

    def _matches(self, row: Any) -> bool:
        for word in self._filter.lower().split():
            if word.startswith("/"):
                if row[2].lower() != word:
                    return False
            elif word not in str(row[3]).lower() and word not in payload_text(row[4], 2000).lower():
                return False
        return True

    def visible_rows(self) -> list[Any]:
        """The rows the view shows, newest first."""
        cap = self.capture
        if cap.count <= self._cleared_at:
            return []
        newer = cap.count - self._cleared_at
        scan = cap.tail(min(newer, self.rows * (20 if self._filter else 1)))
        out = []
        for row in reversed(scan):
            if not self._filter or self._matches(row):
                out.append(row)
                if len(out) >= self.rows:
                    break
        return out

    def _flags(self) -> list[str]:
        cap = self.capture
        flags = []
        if cap.gone:
            flags.append(cap.gone)
        elif not cap.active:
            flags.append("stopped")
        if cap.paused:
            flags.append("capture paused")
        if self.paused:
            flags.append("view paused")
        if self._filter:
            flags.append(f"filter: {self._filter}")
        return flags

    def _title(self) -> str:
        cap = self.capture
        what = ", ".join(cap.events)
        if cap.connection:
            what += f" on {cap.connection}"
        return what

    def html(self) -> str:
        cap = self.capture
        frozen = self._frozen if self.paused else None
        rows = [] if frozen is not None else self.visible_rows()
        header = log_header_html(
            title=self._title(),
            count=cap.count,
            shown=len(rows) if frozen is None else self._frozen_rows,
            dropped=cap.dropped,
            counts=cap.counts,
            series=cap.rates.series() if cap.active else {},
            flags=self._flags(),
        )
        body = frozen if frozen is not None else self._body(rows)
        if cap.rates.series():  # render again later so rates and sparklines fall back to 0
            self.changed(delay=1.0)
        return f'{STYLE}<div class="sio-view sio-log">{header}<div class="sio-scroll">{body}</div></div>'

    def _body(self, rows: list[Any]) -> str:
        cap = self.capture
        self._frozen_rows = len(rows)
        single = len(cap.events) == 1 and cap.events[0] != "*" and not (cap.outgoing or cap.lifecycle)
        fields = field_columns(rows) if single else []
        return rows_html(rows, self.payload_chars, directions=cap.outgoing or cap.lifecycle, fields=fields, notes=cap.notes)

    def text(self) -> str:
        cap = self.capture
        flags = self._flags()
        extra = f" ({'; '.join(flags)})" if flags else ""
        newest = ""
        if len(cap):
            row = cap.tail(1)[0]
            newest = f"; newest: #{row.seq} {row.event} {payload_text(row.args, 80)}"
        return f"{self._title()}: {cap.count} captured, {len(cap)} held, {cap.dropped} dropped{extra}{newest}"

    # Display: the control bar, then the log

    def _display(self) -> None:
        if self._bar is not None and not self._bar.finished and frontend() != "marimo":
            self._bar.show()
        super()._display()

    def _shown_widgets(self) -> list[Any]:
        bar = [] if self._bar is None or self._bar.finished else [self._bar.widget]
        return [*bar, self.shown_widget()]

    def _on_rows(self) -> None:
        if not self.closed:
            self._sync_bar()
            self.changed()

    def _sync_bar(self) -> None:
        if self._bar is not None:
            self._bar.sync()

    def fallback(self) -> tuple[str, str]:
        """What the control bar leaves where widgets cannot render (a saved or untrusted
        notebook, nbconvert): nothing. The log's header already names the view's state
        (view paused, filter), and a line about controls that cannot act would only be
        noise (JupyterLab's sanitizer would also strip its styling)."""
        return "", ""


EventLog = EventTable
