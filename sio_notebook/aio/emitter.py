"""Emitter: the emit path of a client, from ``emit()`` to frames queued on the engine.

It checks what every emit checks (reserved names, a client that is not connected),
makes the ack token (a callback, error-first with a timeout, or ``call()``'s future),
hands the event to the session (sent now, buffered while offline, or dropped if
volatile), queues the frames and tells the ``on_any_outgoing`` listeners.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..exceptions import BadNamespaceError, TimeoutError
from ..sansio.socketio import EVENT, Packet, Serializer, check_event_name
from ..sansio.state import DISCONNECTED
from .acks import Ack
from .callables import Handler
from .dispatch import Dispatch
from .retries import RetryDriver
from .runtime import ClientRuntime

__all__ = ["Emitter"]



class Emitter:
    """Sends a client's events (see the module docstring)."""

    __slots__ = ("runtime", "dispatch", "retries", "serializer")

    def __init__(
        self,
        runtime: ClientRuntime,
        dispatch: Dispatch,
        retries: RetryDriver,
        serializer: Serializer,
    ) -> None:
        self.runtime = runtime
        self.dispatch = dispatch
        self.retries = retries
        self.serializer = serializer

    def emit(
        self, event: Any, data: Any, namespace: str, callback: Handler | None, timeout: float | None, volatile: bool
    ) -> None:
        """An emit with an optional callback (error-first when there is a timeout)."""
        options = self.runtime.options
        timeout = timeout if timeout is not None else options.ack_timeout
        if options.retries and not volatile:
            args = self.event_args(event, data, namespace)
            self.serializer.encode(Packet(EVENT, namespace, args))  # TypeError now, not at send time
            self.retries.push(namespace, args, callback)
            return
        token = None
        if callback is not None:
            token = Ack(callback, error_first=timeout is not None, run_callback=self.dispatch.run_callback)
        self.send(event, data, namespace, token, volatile)
        if token is not None and timeout is not None:
            token.timer = asyncio.get_running_loop().call_later(timeout, self.ack_expired, token, namespace, event, timeout)

    def ack_expired(self, token: Ack, namespace: str, event: Any, timeout: float) -> None:
        """JS ``timeout()``: the error-first callback gets a timeout; an unsent emit is withdrawn."""
        if token.done:
            return
        self.withdraw(token, namespace)
        token.fail(TimeoutError(f"operation has timed out: no ack for {event!r} on {namespace} within {timeout} s"))

    def withdraw(self, token: Ack, namespace: str) -> None:
        """Stop waiting for ``token``'s ack; an emit still buffered is not sent at all."""
        self.runtime.session.withdraw(namespace, token)

    def event_args(self, event: Any, data: Any, namespace: str) -> list[Any]:
        """``[event, *arguments]`` of an emit, after the checks every emit makes first."""
        if isinstance(event, str):
            check_event_name(event)  # before anything else, as python-socketio does
        if self.runtime.state is DISCONNECTED:
            raise BadNamespaceError(f"{namespace} is not a connected namespace (the client is not connected)")
        if type(data) is tuple:
            return [event, *data]
        if data is None:
            return [event]
        return [event, data]

    def send(self, event: Any, data: Any, namespace: str, token: Ack | None, volatile: bool = False) -> None:
        """Hand one event to the session and queue its frames (if it is sent now)."""
        args = self.event_args(event, data, namespace)
        runtime = self.runtime
        session = runtime.session
        engine = runtime.engine
        if engine is not None and not engine.closed:
            engine.alive()  # a missed deadline closes the engine now: the emit is buffered
        if volatile:
            # JS: a volatile packet is dropped while the transport is not writable (a write
            # in flight or queued), so a burst sheds load instead of queueing it.
            writable = engine is not None and engine.writable
            sent = session.emit(namespace, args, token, volatile=True, writable=writable)
        else:
            sent = session.emit(namespace, args, token)
        if not sent:  # buffered or dropped; a drop by the overflow policy loses its ack
            events = session.events_received()
            if events:
                self.dispatch.route(events)
            return
        engine = runtime.engine
        assert engine is not None
        engine.send(session.data_to_send())
        runtime.events_out += 1
        if self.dispatch.registry.any_out:
            self.dispatch.fire_outgoing(namespace, args)
