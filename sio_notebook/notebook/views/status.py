"""The status view of a client: state, URL, counters, heartbeat and per-event rates.

A plain HTML output updated in place (see :mod:`.live`), so a saved notebook shows the
last state. It refreshes at once when the client's state changes and otherwise once a
second while not disconnected (the ping age is shown in whole seconds, so nothing is
sent when nothing a person would see changed).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

from ..recording.rates import EventRates
from .live import LiveOutput, describe, running_loop
from .render import status_html, status_text
from .status_lines import status_lines

__all__ = ["StatusWidget"]


class StatusWidget(LiveOutput):
    """Live connection status of ``client``.

    Shows the state (with the disconnect reason), URL, sid, transport, connected
    namespaces, events in/out, queued emits, reconnect attempts, the heartbeat (time since
    the server's last ping, and the ping interval), the last error (greyed, with its age,
    once connected again) and per-event rates with a sparkline of the last minute.

    Args:
        client: an ``AsyncClient``.
        interval: the period of the counter refresh in seconds (state changes are shown
            at once).
    """

    def __init__(self, client: Any, *, interval: float = 1.0, url: str | None = None) -> None:
        super().__init__()
        self.client = client
        self.url = url
        """The URL shown until the client reports its own (it does once it connects)."""
        self.interval = interval
        self.rates = EventRates()
        self.note: str | None = None
        """A line about the connection itself (e.g. that it was closed for good)."""
        self._error: str | None = None
        self._error_key: str | None = None
        self._error_at: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._attached = False
        self._state = "disconnected"
        self.attach(client)

    @property
    def state(self) -> str:
        """The state shown by the last render."""
        return self._state

    def __repr__(self) -> str:
        return f"<StatusWidget {self.text()}>"

    def attach(self, client: Any) -> None:
        """Follow ``client`` (a replaced connection of the same name)."""
        if self._attached:
            self.detach(note=None)
        self.client = client
        self.note = None
        self._error = None
        self._attached = True
        client.add_status_listener(self._on_state_change)
        client.on_any(self._on_event)
        self.refresh()

    def detach(self, note: str | None = "connection closed") -> None:
        """Stop following the client; the view keeps showing the last state (and ``note``)."""
        if not self._attached:
            return
        self._attached = False
        self.client.remove_status_listener(self._on_state_change)
        self.client.off_any(self._on_event)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.note = note
        self.refresh()

    def report_error(self, exc: BaseException | str | None) -> None:
        """Show an error the client itself does not report (e.g. a failed connect task)."""
        self._error = None if exc is None else exc if isinstance(exc, str) else describe(exc)
        self.refresh()

    def _status(self) -> Any:
        status = self.client.status()
        if status.url is None and self.url and dataclasses.is_dataclass(status) and not isinstance(status, type):
            status = dataclasses.replace(status, url=self.url)
        return status

    def html(self) -> str:
        status = self._status()
        error = status.last_error or self._error
        if error != self._error_key:
            self._error_key = error
            self._error_at = None if error is None else time.time()
        age = None if self._error_at is None else time.time() - self._error_at
        return status_html(
            status,
            self._error,
            error_age=age,
            ping_interval=getattr(status, "ping_interval", None),
            rates=self.rates.series() if self._attached else None,
            note=self.note,
            extra=status_lines(self.client),
        )

    def text(self) -> str:
        text = status_text(self._status(), self._error)
        for label, line in status_lines(self.client):
            text += f"; {label}: {line}"
        return f"{text} ({self.note})" if self.note else text

    def refresh(self) -> None:
        """Render the current status now (sends only if it changed)."""
        status = self.client.status()
        self._state = status.state
        self.push()
        if status.state == "disconnected" or not self._attached:
            if self._timer is not None:  # nothing moves until the state changes again
                self._timer.cancel()
                self._timer = None
        elif self._timer is None:
            loop = running_loop()
            if loop is not None:
                self._timer = loop.call_later(self.interval, self._tick)

    def close(self) -> None:
        """Stop following the client."""
        self.detach(note=None)

    def _tick(self) -> None:
        self._timer = None
        if self._attached:
            self.refresh()

    def _on_state_change(self) -> None:
        if self._attached:
            self.refresh()

    def _on_event(self, namespace: str, event: str, args: tuple[Any, ...]) -> None:
        self.rates.add(event, time.time())
