"""The emit form: event, namespace, payload, wait for ack; results listed below.

The inputs are an anywidget (:mod:`.frontends.inputs`: the same form in JupyterLab,
Notebook 7, VS Code, Colab's ipywidgets 7, Voilà and marimo; they need a kernel); the
results are a plain HTML output updated in place (see :mod:`.live`), so a saved notebook
still shows every send and its ack. The payload is read like the magics' (:mod:`.payload`): JSON first, then a Python
expression in the notebook's namespace.

A form made by ``%sio form`` follows its connection's *name*: after ``%sio connect``
runs again it sends on the new client; if the connection was closed, it says so.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

from ..connections import get_connection, started
from ..frontends.detect import frontend
from ..frontends.show import marimo_append, widget_bundle, widget_metadata
from ..payload import PayloadError, parse_payload
from ..recording.capture import record_ack
from ..recording.roundtrips import record_rtt, record_timeout
from .controls import WidgetOutput
from .live import LiveOutput, ShownOncePerCell, describe
from .pending import send_state
from .render import STYLE, escape, payload_text, values_text

__all__ = ["EmitForm"]


class _Results(LiveOutput):
    """The form's result area: a validation message, then each send, newest first."""

    def __init__(self, form: EmitForm) -> None:
        super().__init__()
        self.form = form

    def html(self) -> str:
        form = self.form
        items = []
        for e in form._sends:
            head = (
                f"#{e['n']} <b>{escape(e['event'])}</b> on <code>{escape(e['namespace'])}</code> "
                f"<code>{escape(payload_text(e['args'], 80))}</code>"
            )
            state = e["state"]
            if state == "pending":
                tail = '<span class="sio-muted">\u23f3 waiting for the ack\u2026</span>' if e["ack"] else "\u2026"
            elif state == "ack":
                tail = (
                    f'<span class="sio-ok">\u2713 ack in {e["rtt"] * 1000:.1f} ms:</span> '
                    f'<code class="sio-ack">{escape(e["text"])}</code>'
                )
            elif state == "sent":
                tail = '<span class="sio-ok">\u2713 sent</span>'
            elif state == "queued":
                tail = f'<span class="sio-warn">\u23f8 {escape(e["text"])}</span>'
            else:
                tail = f'<span class="sio-err">\u2717 {escape(e["text"])}</span>'
            items.append(f'<li class="sio-send sio-send-{state}">{head} \u2192 {tail}</li>')
        message = f'<div class="sio-err sio-message">{escape(form.message)}</div>' if form.message else ""
        target = f'<span class="sio-muted">emit form on {escape(form.target())}</span>'
        if not items and not message:
            items.append('<li class="sio-muted">nothing sent yet</li>')
        results = f'<ul class="sio-results">{"".join(items)}</ul>'
        return f'{STYLE}<div class="sio-view sio-form-results">{target}{message}{results}</div>'

    def text(self) -> str:
        form = self.form
        lines = [f"emit form on {form.target()}: {len(form._sends)} sends"]
        for e in list(form._sends)[:5]:
            lines.append(f"  #{e['n']} {e['event']} -> {e['state']} {e['text']}".rstrip())
        return "\n".join(lines)


class EmitForm(WidgetOutput, ShownOncePerCell):
    """A form to emit events: name, namespace, payload, optional ack with timeout.

    Args:
        client: an ``AsyncClient``.
        connection: a connection name to follow instead of a fixed client (``%sio form``).
        event, namespace, payload: initial field values.
        ack: initial state of "wait for ack".
        timeout: initial ack timeout in seconds.
        history: how many sends the result area keeps.
    """

    def __init__(
        self,
        client: Any,
        *,
        connection: str | None = None,
        event: str = "",
        namespace: str = "/",
        payload: str = "",
        ack: bool = True,
        timeout: float = 5.0,
        history: int = 20,
    ) -> None:
        from ..frontends.inputs import EmitFormInputs, Field, on_owner_loop  # anywidget: on first use only

        self.client = client
        self.connection = connection
        self.history = history
        self.message = ""
        self.widget = EmitFormInputs(
            event=event,
            namespace=namespace,
            namespaces=sorted({"/", namespace}),
            payload=payload,
            ack=ack,
            timeout=timeout,
            marimo_theme=frontend() == "marimo",
        )
        self.event = Field(self.widget, "event")
        self.namespace = Field(self.widget, "namespace", options_trait="namespaces")
        self.payload = Field(self.widget, "payload")
        self.ack = Field(self.widget, "ack")
        self.timeout = Field(self.widget, "timeout")
        self.send_button = Field(self.widget, "sends", description="Send")
        """``send_button.click()`` sends, as a press of *Send* on the page does."""
        # a press may arrive on another thread (a kernel subshell): send on the client's loop
        self.widget.observe(on_owner_loop(self._pressed), names="sends")
        self.results = _Results(self)
        self._sends: deque[dict[str, Any]] = deque(maxlen=history)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._seq = 0
        self.refresh_namespaces()
        client.add_status_listener(self.refresh_namespaces)

    def __repr__(self) -> str:
        return f"<EmitForm on {self.target()}: {len(self._sends)} sends>"

    def target(self) -> str:
        """What the form sends on, for people."""
        if self.connection is None:
            return str(self.client.status().url or "its client")
        return f"{self.connection!r}" + ("" if self.current_client() is not None else " (connection closed)")

    def current_client(self) -> Any:
        """The client a send goes to now (``None`` if the followed connection is gone)."""
        if self.connection is None:
            return self.client
        try:
            return get_connection(self.connection).client
        except KeyError:
            return None

    def attach(self, client: Any) -> None:
        """Follow ``client`` (a replaced connection of the same name)."""
        self.client.remove_status_listener(self.refresh_namespaces)
        self.client = client
        client.add_status_listener(self.refresh_namespaces)
        self.refresh_namespaces()
        self.results.changed()

    def refresh_namespaces(self) -> None:
        """Offer the client's connected namespaces (plus ``/`` and the current choice)."""
        current = self.namespace.value
        options = sorted({"/", current, *getattr(self.client, "namespaces", {})} - {""})
        if list(self.namespace.options) != options:
            self.namespace.options = options

    def send(self) -> asyncio.Task[Any] | None:
        """Validate the fields and send; returns the send task (``None`` if invalid)."""
        event = self.event.value.strip()
        client = self.current_client()
        if client is None:
            self._refuse(f"connection {self.connection!r} is closed: run %sio connect again")
            return None
        if not event:
            self._refuse("Enter an event name.")
            return None
        try:
            data = parse_payload(self.payload.value)
        except PayloadError as exc:
            self._refuse(f"{exc} Nothing was sent.")
            return None
        timeout = float(self.timeout.value)
        if self.ack.value and not timeout > 0:
            self._refuse(f"The ack timeout must be more than 0 s, got {timeout:g}. Nothing was sent.")
            return None
        namespace = self.namespace.value.strip() or "/"
        self.message = ""
        self._seq += 1
        entry: dict[str, Any] = {
            "n": self._seq,
            "event": event,
            "namespace": namespace,
            "args": () if data is None else data if isinstance(data, tuple) else (data,),
            "ack": self.ack.value,
            "timeout": timeout,
            "state": "pending",
            "text": "",
        }
        self._sends.appendleft(entry)
        self.results.push()
        task = asyncio.get_running_loop().create_task(self._send(client, entry, data))
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

    # Display: the inputs, then the results

    def bundle(self) -> dict[str, Any]:
        """The inputs' widget view, with a line saying what they are for frontends that
        cannot render widgets (a saved notebook keeps the results below it)."""
        what = f"emit form on {self.target()} (its inputs need a running kernel)"
        fallback = f'{STYLE}<div class="sio-view"><span class="sio-muted">{escape(what)}</span></div>'
        return widget_bundle(self.widget, fallback, what)

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.bundle(), widget_metadata(self.widget)

    def _display(self) -> None:
        """The inputs (while they can act), then the results."""
        if frontend() == "marimo":
            marimo_append(self._display_())
            return
        if not self.finished:
            self._display_widget(self.bundle())
        self.results._ipython_display_()

    def _shown_widgets(self) -> list[Any]:
        inputs = [] if self.finished else [self.widget]
        return [*inputs, self.results.shown_widget()]

    def connection_closed(self) -> None:
        """The followed connection is closed for good: the inputs become a static line."""
        self.results.changed()  # its first line says "connection closed"
        self.finish("", "")

    # Private

    def _pressed(self, _: Any) -> None:
        self.send()

    def _refuse(self, message: str) -> None:
        self.message = message
        self.results.push()

    async def _send(self, client: Any, entry: dict[str, Any], data: Any) -> Any:
        await started(client)
        t0 = time.perf_counter()
        try:
            if entry["ack"]:
                value = await client.call(entry["event"], data, namespace=entry["namespace"], timeout=entry["timeout"])
                entry["rtt"] = rtt = time.perf_counter() - t0
                record_rtt(client, entry["event"], rtt, entry["namespace"])
                record_ack(client, entry["namespace"], entry["event"], value, rtt)
                entry["value"] = value
                entry["state"] = "ack"
                entry["text"] = values_text(value)
            else:
                before = client.status().events_out
                await client.emit(entry["event"], data, namespace=entry["namespace"])
                state, waiting = send_state(client, before)
                entry["state"] = state
                entry["text"] = f"queued ({waiting} waiting)" if state == "queued" else ""
                value = None
            return value
        except Exception as exc:  # noqa: BLE001 - shown in the result area
            entry["state"] = "error"
            if entry["ack"] and isinstance(exc, TimeoutError):
                record_timeout(client, entry["event"], entry["timeout"], entry["namespace"])  # nb.latency counts it
            entry["text"] = f"no ack within {entry['timeout']:g} s" if isinstance(exc, TimeoutError) else describe(exc)
            return None
        finally:
            self.results.push()
