"""What ``%sio emit`` / ``%sio call`` return: one live line, awaitable.

The line tells the truth about where the message is:

* an emit the client wrote to the connection says **sent**; one it had to buffer
  (connecting, reconnecting, server down) says **queued (N waiting)** and turns into
  *sent* once the buffer has been flushed after the connection came back;
* a call shows the ack values and the round-trip time (also recorded with
  :func:`sio_notebook.notebook.recording.roundtrips.record_rtt` and as an ``ack`` row of outgoing
  captures), or the error.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ..client_api import NotebookClient
from ..connections import started
from ..recording.capture import record_ack
from ..recording.roundtrips import record_rtt, record_timeout
from .live import LiveOutput, describe, running_loop
from .render import STYLE, escape, values_text

__all__ = ["Pending", "send_state"]


def send_state(client: NotebookClient, events_out_before: int) -> tuple[str, int]:
    """``("sent", 0)`` if the client wrote an emit since ``events_out_before``, else
    ``("queued", N)`` with N the emits waiting in its buffer."""
    status = client.status()
    if status.events_out > events_out_before:
        return "sent", 0
    return "queued", int(status.queued)


class Pending(LiveOutput):
    """An emit or call in flight, shown as one live line; ``await`` gives the ack value
    of a call (``None`` / one value / a tuple), ``None`` for an emit, or raises what the
    client raised."""

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
        super().__init__()
        self.client = client
        self.kind = kind
        self.event = event
        self.namespace = namespace or "/"
        self.timeout = timeout
        self.rtt: float | None = None
        """Round-trip time in seconds of a call, once the ack arrived."""
        self.state = "pending"
        """pending, sent, queued, ack, error or cancelled."""
        self.detail = ""
        self._queued = 0
        loop = asyncio.get_running_loop()
        self.task: asyncio.Task[Any] = loop.create_task(self._run(client, data))
        # The error is shown in the line; awaiting raises it. Retrieve it here so that an
        # un-awaited failure never prints "Task exception was never retrieved".
        self.task.add_done_callback(lambda task: task.cancelled() or task.exception())

    def __await__(self) -> Any:
        return self.task.__await__()

    def done(self) -> bool:
        return self.task.done()

    def result(self) -> Any:
        """The ack value (raises if not done yet or if the send failed)."""
        return self.task.result()

    def __repr__(self) -> str:
        return f"<Pending {self.text()}>"

    # The view

    def _label(self) -> str:
        return f"{self.kind} {self.event!r} on {self.namespace}"

    def text(self) -> str:
        label = self._label()
        if self.state == "pending":
            return f"{label}: waiting for the ack" if self.kind == "call" else f"{label}: sending"
        if self.state == "ack":
            return f"{label}: ack in {self.rtt * 1000:.1f} ms: {self.detail}"  # type: ignore[operator]
        if self.state == "queued":
            return f"{label}: queued ({self._queued} waiting)"
        return f"{label}: {self.detail or self.state}"

    def html(self) -> str:
        label = f"{escape(self.kind)} <b>{escape(self.event)}</b> on <code>{escape(self.namespace)}</code>"
        if self.state == "pending":
            what = "waiting for the ack\u2026" if self.kind == "call" else "sending\u2026"
            body = f'<span class="sio-muted">\u23f3</span> {label}: <span class="sio-muted">{what}</span>'
        elif self.state == "ack":
            body = (
                f'<span class="sio-ok">\u2713</span> {label}: <span class="sio-ok">ack in {self.rtt * 1000:.1f} ms</span>: '  # type: ignore[operator]
                f'<code class="sio-ack">{escape(self.detail)}</code>'
            )
        elif self.state == "sent":
            body = f'<span class="sio-ok">\u2713</span> {label}: <span class="sio-ok">{escape(self.detail or "sent")}</span>'
        elif self.state == "queued":
            body = (
                f'<span class="sio-warn">\u23f8</span> {label}: <span class="sio-warn">queued '
                f"({self._queued} waiting)</span> <span class=\"sio-muted\">sent once connected</span>"
            )
        else:
            body = f'<span class="sio-err">\u2717 {label}: {escape(self.detail or self.state)}</span>'
        return f'{STYLE}<div class="sio-view sio-pending sio-pending-{self.state}">{body}</div>'

    def finished(self) -> bool:
        return self.state not in ("pending", "queued")

    def _set(self, state: str, detail: str = "") -> None:
        self.state = state
        self.detail = detail
        self.push()

    # The send

    async def _run(self, client: Any, data: Any) -> Any:
        await started(client)
        t0 = time.perf_counter()
        try:
            if self.kind == "call":
                value = await client.call(self.event, data, namespace=self.namespace, timeout=self.timeout)
                self.rtt = time.perf_counter() - t0
                record_rtt(client, self.event, self.rtt, self.namespace)
                record_ack(client, self.namespace, self.event, value, self.rtt)
                self._set("ack", values_text(value))
                return value
            before = client.status().events_out
            await client.emit(self.event, data, namespace=self.namespace)
            state, self._queued = send_state(client, before)
            if state == "queued":
                self._watch_queue(client)
            self._set(state, "sent" if state == "sent" else "")
            return None
        except asyncio.CancelledError:
            self._set("cancelled", "cancelled")
            raise
        except Exception as exc:
            if self.kind == "call" and isinstance(exc, TimeoutError):
                record_timeout(client, self.event, self.timeout, self.namespace)  # counted in nb.latency
            what = f"no ack within {self.timeout:g} s" if isinstance(exc, TimeoutError) else describe(exc)
            self._set("error", what)
            raise

    def _watch_queue(self, client: Any) -> None:
        """Turn "queued" into "sent" once the client flushed its buffer after connecting."""

        tries = 0

        def check() -> None:
            nonlocal tries
            status = client.status()
            if status.state == "connected" and status.queued == 0:
                client.remove_status_listener(on_state)
                self._set("sent", "sent (was queued)")
            elif status.state == "disconnected" and not status.queued:
                client.remove_status_listener(on_state)
                self._set("error", "dropped: the client disconnected before sending")
            elif status.state == "connected" and tries < 50:
                # Connected, but a namespace's buffer is flushed when *that* namespace
                # connects, which may come a little later: look again shortly.
                tries += 1
                loop = running_loop()
                if loop is not None:
                    loop.call_later(0.1, check)
            else:
                self._queued = int(status.queued)
                self.push()

        def on_state() -> None:
            nonlocal tries
            tries = 0
            loop = running_loop()
            if loop is None:
                check()
            else:  # the buffer is flushed right after the state change: look once it ran
                loop.call_soon(check)

        client.add_status_listener(on_state)
