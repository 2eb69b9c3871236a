"""ipywidgets 8 views of a client: status, live event table, emit form, pending results.

::

    from sio_notebook.notebook import StatusWidget, EventTable, EmitForm, capture

    StatusWidget(sio)               # state, URL, sid, transport, namespaces, counters, ping age
    EventTable(capture(sio, "*"))   # newest rows of a capture, header with count / rate / drops
    EmitForm(sio)                   # event, namespace, JSON payload, wait for ack, results

Each class holds its ipywidgets in ``.widget`` and displays as that widget (the last
expression of a cell, or ``display(obj)``). They all run on the kernel's event loop, the
loop the client runs on, so widget state is only touched from the kernel thread.

Update rates are bounded on purpose: jupyter_server drops IOPub messages above
1000 msg/s, and a dropped widget update leaves the browser view stale for good. So:

* :class:`StatusWidget` refreshes at once when the client's state changes and otherwise
  at most every ``interval`` seconds (0.25 s); a refresh sends a message only for a
  value that changed (the ping age is shown in whole seconds). While the client is
  disconnected for good, the timer stops.
* :class:`EventTable` renders at most ``max_fps`` times a second (4), however many
  events arrive, and re-renders the last ``rows`` rows (100) as one escaped HTML table.
* :class:`EmitForm` and :class:`Pending` update once per send.

``close()`` on each detaches it from the client/capture and closes its widgets.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from .connections import started
from .render import STYLE, payload_text, rows_html, status_html, table_header_html, values_text
from .render import escape as esc

__all__ = ["StatusWidget", "EventTable", "EmitForm", "Pending"]


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _describe(exc: BaseException) -> str:
    text = str(exc)
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def _execution_count() -> int | None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return None
    shell = get_ipython()
    return None if shell is None else shell.execution_count


class _Throttle:
    """Run ``callback`` on the loop at most once per ``interval`` seconds.

    ``poke()`` asks for a run as soon as the rate allows; pokes that arrive while a run
    is scheduled are merged into it. Without a running loop the callback runs at once.
    Errors are handed to ``on_error`` instead of the loop's exception handler (whose
    output would land in the kernel's log, not in the notebook).
    """

    def __init__(
        self,
        callback: Callable[[], None],
        interval: float,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._callback = callback
        self.interval = interval
        self._on_error = on_error
        self._handle: asyncio.TimerHandle | None = None
        self._when = math.inf
        self._last = -math.inf

    def poke(self, delay: float = 0.0) -> None:
        loop = _running_loop()
        if loop is None:
            self._run()
            return
        now = time.monotonic()
        when = max(now + delay, self._last + self.interval)
        if self._handle is not None:
            if when >= self._when:
                return
            self._handle.cancel()
        self._when = when
        self._handle = loop.call_later(max(when - now, 0.0), self._run)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._when = math.inf

    def _run(self) -> None:
        self._handle = None
        self._when = math.inf
        self._last = time.monotonic()
        try:
            self._callback()
        except Exception as exc:  # noqa: BLE001 - shown in the widget
            if self._on_error is None:
                raise
            self._on_error(exc)


class _Displayable:
    """Displays as ``self.widget`` (with a readable ``text/plain``); can skip the
    display the calling cell already did."""

    widget: W.Widget
    _shown_in: int | None = None

    def _bundle(self) -> dict[str, Any]:
        data = dict(self.widget._repr_mimebundle_() or {})
        data["text/plain"] = repr(self)
        return data

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self._bundle()

    def _ipython_display_(self) -> None:
        # A magic that already displayed this object in the running cell also returns
        # it (so that ``x = %sio ...`` binds it); IPython's displayhook must not show it
        # twice. Displayed again from any later cell.
        if self._shown_in is not None and self._shown_in == _execution_count():
            return
        from IPython.display import display

        display(self._bundle(), raw=True)

    def show(self) -> None:
        """Display the widget now, and not again at the end of this cell."""
        from IPython.display import display

        display(self._bundle(), raw=True)
        self._shown_in = _execution_count()


# Status


class StatusWidget(_Displayable):
    """Live connection status of ``client``.

    Shows the state (connecting / connected / reconnecting / disconnected, with the
    disconnect reason and the last error), URL, sid, transport, connected namespaces,
    events in/out, queued emits, reconnect attempts and the age of the server's last
    ping.

    Args:
        client: an ``AsyncClient``.
        interval: the period of the counter refresh in seconds (state changes are shown
            at once).
    """

    def __init__(self, client: Any, *, interval: float = 0.25) -> None:
        self.client = client
        self.interval = interval
        self.header = W.HTML()
        self.details = W.HTML()
        self.widget = W.VBox([self.header, self.details])
        self.widget.add_class("sio-status")
        self._error: str | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._attached = True
        client.add_status_listener(self._on_state_change)
        self.refresh()

    @property
    def state(self) -> str:
        """The state shown by the last refresh."""
        return self._state

    def __repr__(self) -> str:
        st = self.client.status()
        extra = f" (sid {st.sid}, {st.transport})" if st.state == "connected" else ""
        return f"<StatusWidget {st.state} {st.url or ''}{extra}>"

    def report_error(self, exc: BaseException | str | None) -> None:
        """Show an error the client itself does not report (e.g. a failed connect task)."""
        self._error = None if exc is None else exc if isinstance(exc, str) else _describe(exc)
        self.refresh()

    def refresh(self) -> None:
        """Render the current status; sends only the parts that changed."""
        status = self.client.status()
        self._state = status.state
        header, details = status_html(status, self._error)
        if self.header.value != header:
            self.header.value = header
        if self.details.value != details:
            self.details.value = details
        if status.state == "disconnected" or not self._attached:
            if self._timer is not None:  # nothing moves until the state changes again
                self._timer.cancel()
                self._timer = None
        elif self._timer is None:
            loop = _running_loop()
            if loop is not None:
                self._timer = loop.call_later(self.interval, self._tick)

    def detach(self) -> None:
        """Stop following the client; the widget keeps showing the last state."""
        if self._attached:
            self._attached = False
            self.client.remove_status_listener(self._on_state_change)
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self.refresh()

    def close(self) -> None:
        """Detach and close the widgets."""
        self.detach()
        self.widget.close()
        self.header.close()
        self.details.close()

    def _tick(self) -> None:
        self._timer = None
        if self._attached:
            try:
                self.refresh()
            except Exception as exc:  # noqa: BLE001 - keep the widget alive, show why
                self.header.value = f'<span class="sio-err">status error: {esc(_describe(exc))}</span>'

    def _on_state_change(self) -> None:
        if self._attached:
            self.refresh()


# Live event table


class EventTable(_Displayable):
    """The newest rows of a :class:`~sio_notebook.notebook.capture.Capture`, live.

    The header shows the event names, total count, rate, rows shown and rows dropped
    by the ring buffer. *Pause* freezes the rows (capturing goes on; the header keeps
    counting); *Clear* empties the capture.

    Args:
        capture: the capture to show.
        rows: how many of the newest rows to show (newest first).
        max_fps: renders per second at most.
        payload_chars: payloads are cut to this many characters.
        height: the rows scroll inside a box this high (CSS length).
    """

    def __init__(
        self,
        capture: Any,
        *,
        rows: int = 100,
        max_fps: float = 4.0,
        payload_chars: int = 200,
        height: str = "360px",
    ) -> None:
        self.capture = capture
        self.rows = rows
        self.payload_chars = payload_chars
        self.paused = False
        self.closed = False
        self.header = W.HTML()
        self.body = W.HTML(layout=W.Layout(max_height=height, overflow="auto"))
        self.pause_button = W.Button(description="Pause", tooltip="freeze the rows (capture continues)")
        self.clear_button = W.Button(description="Clear", tooltip="forget every captured row")
        self.pause_button.on_click(lambda _: self.toggle_pause())
        self.clear_button.on_click(lambda _: self.capture.clear())
        self.widget = W.VBox([W.HBox([self.header, self.pause_button, self.clear_button]), self.body])
        self.widget.add_class("sio-event-table")
        self.renders = 0
        """How many renders sent something (for tests and curiosity)."""
        self._samples: deque[tuple[float, int]] = deque()
        self._throttle = _Throttle(self.render, 1.0 / max_fps, on_error=self._show_error)
        capture.add_observer(self._on_rows)
        self.render()

    def __repr__(self) -> str:
        cap = self.capture
        return f"<EventTable {','.join(cap.events)}: {cap.count} events, {cap.dropped} dropped>"

    def toggle_pause(self) -> None:
        self.paused = not self.paused
        self.pause_button.description = "Resume" if self.paused else "Pause"
        self.render()

    def rate(self) -> float:
        """Events per second over the last few seconds (as of the last render)."""
        if len(self._samples) < 2:
            return 0.0
        (t0, c0), (t1, c1) = self._samples[0], self._samples[-1]
        return (c1 - c0) / (t1 - t0) if t1 > t0 else 0.0

    def render(self) -> None:
        """Render now (normally called by the throttle)."""
        if self.closed:
            return
        cap = self.capture
        count = cap.count
        now = time.monotonic()
        samples = self._samples
        if samples and count < samples[-1][1]:  # cleared
            samples.clear()
        samples.append((now, count))
        while len(samples) > 2 and now - samples[1][0] >= 3.0:
            samples.popleft()
        rate = self.rate()
        shown = min(self.rows, len(cap))
        header = STYLE + table_header_html(
            count=count,
            shown=shown,
            dropped=cap.dropped,
            rate=rate,
            events=cap.events,
            active=cap.active,
            paused=self.paused,
        )
        changed = False
        if self.header.value != header:
            self.header.value = header
            changed = True
        if not self.paused:
            body = rows_html(reversed(cap.tail(self.rows)), self.payload_chars)
            if self.body.value != body:
                self.body.value = body
                changed = True
        self.renders += changed
        if rate > 0:  # render again later so the rate falls to 0 once events stop
            self._throttle.poke(delay=1.0)

    def close(self) -> None:
        """Stop following the capture and close the widgets."""
        self.closed = True
        self._throttle.cancel()
        self.capture.remove_observer(self._on_rows)
        for w in (self.widget, self.header, self.body, self.pause_button, self.clear_button):
            w.close()

    def _on_rows(self) -> None:
        if not self.closed:
            self._throttle.poke()

    def _show_error(self, exc: BaseException) -> None:
        self.header.value = f'<span class="sio-err">render error: {esc(_describe(exc))}</span>'


# Pending emit / call


class Pending(_Displayable):
    """An emit or call in flight, shown as one live line; awaitable.

    ``await pending`` returns the ack value of a call (``None`` / one value / a tuple)
    or ``None`` for an emit, and raises what the client raised.
    """

    def __init__(
        self,
        client: Any,
        kind: str,
        event: str,
        data: Any = None,
        *,
        namespace: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        if kind not in ("emit", "call"):
            raise ValueError("kind must be 'emit' or 'call'")
        self.kind = kind
        self.event = event
        self.namespace = namespace or "/"
        self.timeout = timeout
        self.rtt: float | None = None
        """Round-trip time in seconds of a call, once the ack arrived."""
        self.widget = W.HTML()
        self.widget.add_class("sio-pending")
        self._label = f"{kind} <b>{esc(event)}</b> on <code>{esc(self.namespace)}</code>"
        self.widget.value = f'{STYLE}<span class="sio-muted">\u23f3 {self._label} \u2026</span>'
        loop = asyncio.get_running_loop()
        self.task: asyncio.Task[Any] = loop.create_task(self._run(client, data))

    def __await__(self) -> Any:
        return self.task.__await__()

    def done(self) -> bool:
        return self.task.done()

    def result(self) -> Any:
        """The ack value (raises if not done yet or if the send failed)."""
        return self.task.result()

    def __repr__(self) -> str:
        state = "pending" if not self.task.done() else "done"
        return f"<Pending {self.kind} {self.event!r} on {self.namespace} {state}>"

    async def _run(self, client: Any, data: Any) -> Any:
        await started(client)
        t0 = time.perf_counter()
        try:
            if self.kind == "call":
                value = await client.call(self.event, data, namespace=self.namespace, timeout=self.timeout)
                self.rtt = time.perf_counter() - t0
                self.widget.value = (
                    f'{STYLE}<span class="sio-ok">\u2713</span> {self._label}: ack in '
                    f'<span class="sio-rtt">{self.rtt * 1000:.1f} ms</span>: '
                    f'<code class="sio-ack">{esc(values_text(value))}</code>'
                )
                return value
            await client.emit(self.event, data, namespace=self.namespace)
            self.widget.value = f'{STYLE}<span class="sio-ok">\u2713</span> {self._label}: sent'
            return None
        except asyncio.CancelledError:
            self.widget.value = f'{STYLE}<span class="sio-err">\u2717</span> {self._label}: cancelled'
            raise
        except Exception as exc:
            what = f"no ack within {self.timeout:g} s" if isinstance(exc, TimeoutError) else _describe(exc)
            self.widget.value = f'{STYLE}<span class="sio-err">\u2717 {self._label}: {esc(what)}</span>'
            raise


# Emit form


class EmitForm(_Displayable):
    """A form to emit events: name, namespace, JSON payload, optional ack with timeout.

    The payload must be JSON (checked before sending; a JSON array is one list
    argument; empty means no argument). The result area lists each send, newest first,
    with the ack values and round-trip time, or the error.

    Args:
        client: an ``AsyncClient``.
        event, namespace, payload: initial field values.
        ack: initial state of "wait for ack".
        timeout: initial ack timeout in seconds.
        history: how many sends the result area keeps.
    """

    def __init__(
        self,
        client: Any,
        *,
        event: str = "",
        namespace: str = "/",
        payload: str = "",
        ack: bool = True,
        timeout: float = 5.0,
        history: int = 20,
    ) -> None:
        self.client = client
        self.history = history
        self.event = W.Text(value=event, description="event", placeholder="event name")
        self.namespace = W.Dropdown(description="namespace", options=[namespace], value=namespace)
        self.payload = W.Textarea(
            value=payload,
            description="payload",
            placeholder='JSON, e.g. {"text": "hello"} (empty: no argument)',
            layout=W.Layout(width="60%", height="6em"),
        )
        self.ack = W.Checkbox(value=ack, description="wait for ack", indent=False)
        self.timeout = W.BoundedFloatText(value=timeout, min=0.01, max=86400.0, description="timeout (s)")
        self.send_button = W.Button(description="Send", button_style="primary", icon="paper-plane")
        self.message = W.HTML()
        self.results = W.HTML()
        self.send_button.on_click(lambda _: self.send())
        self.widget = W.VBox(
            [
                W.HBox([self.event, self.namespace]),
                self.payload,
                W.HBox([self.ack, self.timeout, self.send_button]),
                self.message,
                self.results,
            ]
        )
        self.widget.add_class("sio-emit-form")
        self._sends: deque[dict[str, Any]] = deque(maxlen=history)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._seq = 0
        self.refresh_namespaces()
        client.add_status_listener(self.refresh_namespaces)

    def __repr__(self) -> str:
        return f"<EmitForm {len(self._sends)} sends>"

    def refresh_namespaces(self) -> None:
        """Offer the client's connected namespaces (plus ``/`` and the current choice)."""
        current = self.namespace.value
        options = sorted({"/", current, *getattr(self.client, "namespaces", {})})
        if list(self.namespace.options) != options:
            self.namespace.options = options
            self.namespace.value = current

    def send(self) -> asyncio.Task[Any] | None:
        """Validate the fields and send; returns the send task (``None`` if invalid)."""
        event = self.event.value.strip()
        if not event:
            self.message.value = '<span class="sio-err">Enter an event name.</span>'
            return None
        text = self.payload.value.strip()
        if text:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                self.message.value = (
                    f'<span class="sio-err">Payload is not valid JSON: {esc(exc.msg)} '
                    f"(line {exc.lineno}, column {exc.colno}). Nothing was sent.</span>"
                )
                return None
        else:
            data = None
        self.message.value = ""
        self._seq += 1
        entry: dict[str, Any] = {
            "n": self._seq,
            "event": event,
            "namespace": self.namespace.value,
            "args": () if data is None else (data,),
            "ack": self.ack.value,
            "timeout": float(self.timeout.value),
            "state": "pending",
            "text": "",
        }
        self._sends.appendleft(entry)
        self._render()
        task = asyncio.get_running_loop().create_task(self._send(entry, data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def sends(self) -> list[dict[str, Any]]:
        """The sends shown in the result area, newest first (copies)."""
        return [dict(e) for e in self._sends]

    def close(self) -> None:
        self.client.remove_status_listener(self.refresh_namespaces)
        self.widget.close()

    async def _send(self, entry: dict[str, Any], data: Any) -> Any:
        await started(self.client)
        t0 = time.perf_counter()
        try:
            if entry["ack"]:
                value = await self.client.call(
                    entry["event"], data, namespace=entry["namespace"], timeout=entry["timeout"]
                )
                entry["rtt"] = time.perf_counter() - t0
                entry["value"] = value
                entry["state"] = "ack"
                entry["text"] = values_text(value)
            else:
                await self.client.emit(entry["event"], data, namespace=entry["namespace"])
                entry["state"] = "sent"
                value = None
            return value
        except Exception as exc:  # noqa: BLE001 - shown in the result area
            entry["state"] = "error"
            if isinstance(exc, TimeoutError):
                entry["text"] = f"no ack within {entry['timeout']:g} s"
            else:
                entry["text"] = _describe(exc)
            return None
        finally:
            self._render()

    def _render(self) -> None:
        items = []
        for e in self._sends:
            head = (
                f"#{e['n']} <b>{esc(e['event'])}</b> on <code>{esc(e['namespace'])}</code> "
                f"<code>{esc(payload_text(e['args'], 80))}</code>"
            )
            state = e["state"]
            if state == "pending":
                tail = '<span class="sio-muted">\u23f3 waiting for ack\u2026</span>' if e["ack"] else "\u2026"
            elif state == "ack":
                tail = (
                    f'<span class="sio-ok">\u2713 ack in {e["rtt"] * 1000:.1f} ms:</span> '
                    f'<code class="sio-ack">{esc(e["text"])}</code>'
                )
            elif state == "sent":
                tail = '<span class="sio-ok">\u2713 sent</span>'
            else:
                tail = f'<span class="sio-err">\u2717 {esc(e["text"])}</span>'
            items.append(f'<li class="sio-send sio-send-{state}">{head} \u2192 {tail}</li>')
        self.results.value = f'{STYLE}<ul class="sio-results">{"".join(items)}</ul>'
