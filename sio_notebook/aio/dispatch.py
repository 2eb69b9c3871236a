"""Dispatch: from the Engine.IO connection's callbacks to the user's handlers.

The engine hands over each message in arrival order (``on_message``); the session
(sansio) turns it into events; this module routes each event: incoming events to their
handler (found by the :class:`~.handlers.HandlerRegistry`, run by the handler runner),
acks to their token, namespace changes to the ``connect``/``connect_error``/
``disconnect`` handlers and to the client's state. ``on_engine_close`` decides between
reconnecting and closing for good when a connection ends without our asking.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..sansio.engineio import Frame
from ..sansio.events import (
    AckReceived,
    AcksLost,
    CloseConnection,
    Connected,
    ConnectError,
    EventReceived,
    NamespaceLost,
    ServerDisconnected,
    SessionEvent,
)
from ..sansio.state import CONNECTING, DISCONNECTED, SETTLING, ClientEvent
from .acks import AckRequest, fail_acks
from .callables import ACK_CALLBACK, Handler, describe_event, is_awaitable
from .handlers import HandlerRegistry
from .runtime import ClientRuntime
from .status import Reason

if TYPE_CHECKING:
    from .retries import RetryDriver

__all__ = ["Dispatch", "RunHandler"]


#: ``run_handler(handler, args, namespace, ack_request, event)``: the handler runner.
RunHandler = Callable[[Handler, tuple[Any, ...], str, "AckRequest | None", Any], None]


class Dispatch:
    """Routes what the connection delivers (see the module docstring)."""

    __slots__ = ("runtime", "registry", "logger", "run_handler", "retries", "spawn_close", "start_reconnect")

    def __init__(
        self,
        runtime: ClientRuntime,
        registry: HandlerRegistry,
        logger: logging.Logger,
    ) -> None:
        self.runtime = runtime
        self.registry = registry
        self.logger = logger
        #: The handler runner (the thread Client injects its own); see :meth:`run_on_loop`.
        self.run_handler: RunHandler = self.run_on_loop
        #: Bound by the client once its collaborators exist.
        self.retries: RetryDriver
        self.spawn_close: Callable[[str | None], None]
        self.start_reconnect: Callable[[], None]

    def bind(
        self,
        *,
        retries: RetryDriver,
        spawn_close: Callable[[str | None], None],
        start_reconnect: Callable[[], None],
        run_handler: RunHandler | None = None,
    ) -> None:
        self.retries = retries
        self.spawn_close = spawn_close
        self.start_reconnect = start_reconnect
        if run_handler is not None:
            self.run_handler = run_handler

    # --- engine callbacks ------------------------------------------------------------

    def on_message(self, message: Frame) -> None:
        """One Engine.IO message: feed it to the session, route what comes out."""
        session = self.runtime.session
        session.receive_data(message)
        self.route(session.events_received())

    def route(self, events: list[SessionEvent]) -> None:
        """Act on the session's events, in order (the only place that does)."""
        runtime = self.runtime
        for event in events:
            if type(event) is EventReceived:
                runtime.events_in += 1
                self.dispatch_event(event)
            elif type(event) is AckReceived:
                event.token.resolve(event.args)
            elif type(event) is AcksLost:
                fail_acks(event.tokens, event.error)
            elif type(event) is Connected:
                self._on_namespace_connected(event)
            elif type(event) is ConnectError:
                self._on_namespace_error(event)
            elif type(event) is ServerDisconnected:
                self._on_server_disconnect(event)
            elif type(event) is NamespaceLost:
                self.trigger(event.namespace, "disconnect", (event.reason,))
            elif type(event) is CloseConnection:
                self._on_close_decision(event)

    def _on_close_decision(self, event: CloseConnection) -> None:
        """The session decided the connection ends: fail it, or close for good."""
        runtime = self.runtime
        if event.reconnect:
            self.logger.warning("malformed packet from the server (%s): closing with %r", event.error, event.reason)
            runtime.last_error = str(event.error)
            engine = runtime.engine
            if engine is not None:
                engine.fail(event.reason, event.error)
        else:  # no namespace left: JS closes the engine, with no reconnection
            self.spawn_close(runtime.disconnect_reason or event.reason)

    def on_ping(self) -> None:
        """A server ping arrived (and was answered): the ``ping`` lifecycle event."""
        if self.registry.has_lifecycle("ping"):
            self.fire_lifecycle("ping")

    def on_engine_close(self, reason: str, error: BaseException | None) -> None:
        """The Engine.IO connection ended without our asking: maybe reconnect."""
        runtime = self.runtime
        if runtime.state is DISCONNECTED:
            return
        runtime.disconnect_reason = reason
        if error is not None:
            runtime.last_error = f"{reason}: {error}"
        session = runtime.session
        session.engine_lost(reason, error)
        self.retries.connection_lost()
        self.logger.info("connection lost: %s", reason)
        self.route(session.events_received())  # the lost acks, then a disconnect per namespace
        runtime.namespaces_changed()
        if runtime.reconnect_task is not None and not runtime.reconnect_task.done():
            return  # the running reconnection loop sees the closed engine
        if runtime.state is CONNECTING:
            return  # connect() is waiting and will report the failure
        if runtime.options.reconnection and runtime.session.wanted_namespaces():
            self.start_reconnect()
        else:
            self.spawn_close(reason)

    # --- session events --------------------------------------------------------------

    def _on_namespace_connected(self, event: Connected) -> None:
        runtime = self.runtime
        engine = runtime.engine
        frames = runtime.session.data_to_send()  # the emits buffered while offline
        if frames and engine is not None:
            engine.send(frames)
            runtime.events_out += len(event.flushed)
            if self.registry.any_out:
                for packet in event.flushed:
                    self.fire_outgoing(event.namespace, packet.data)
        if runtime.state in SETTLING and runtime.all_settled():
            runtime.move(ClientEvent.SETTLE)
        self.logger.info("namespace %s connected (sid %s%s)", event.namespace, event.sid,
                         ", recovered" if event.recovered else "")
        self.retries.namespace_connected(event.namespace)  # JS 4.8.2: before the connect handlers
        self.trigger(event.namespace, "connect", ())
        runtime.namespaces_changed()

    def _on_namespace_error(self, event: ConnectError) -> None:
        runtime = self.runtime
        self.logger.info("namespace %s refused: %s", event.namespace, event.message)
        runtime.connect_errors[event.namespace] = event.message
        runtime.last_error = f"{event.namespace}: {event.message}"
        runtime.failed_namespace(event.namespace)
        data: dict[str, Any] = {"message": event.message}
        if event.data is not None:
            data["data"] = event.data
        self.trigger(event.namespace, "connect_error", (data,))
        runtime.namespaces_changed()
        self._after_namespace_loss()

    def _on_server_disconnect(self, event: ServerDisconnected) -> None:
        self.logger.info("the server disconnected namespace %s", event.namespace)
        self.trigger(event.namespace, "disconnect", (Reason.SERVER_DISCONNECT,))
        self.runtime.disconnect_reason = Reason.SERVER_DISCONNECT
        self._after_namespace_loss()

    def _after_namespace_loss(self) -> None:
        """The others may all be settled now (with none left, the session's
        CloseConnection follows instead)."""
        runtime = self.runtime
        if runtime.session.wanted_namespaces() and runtime.state in SETTLING and runtime.all_settled():
            runtime.move(ClientEvent.SETTLE)

    # --- handlers --------------------------------------------------------------------

    def dispatch_event(self, event: EventReceived) -> None:
        ns, name, args = event.namespace, event.name, event.args
        any_in = self.registry.any_in
        if any_in:
            frozen = tuple(args)  # one copy for every listener; handlers get the list
            for listener in any_in:
                try:
                    listener(ns, name, frozen)
                except Exception:
                    self.logger.exception("on_any listener failed")
        handler, call_args = self.registry.find(ns, name, args)
        ack: AckRequest | None = None
        if event.ack_id is not None:
            # The request belongs to this connection: its ack ids mean nothing on the next.
            ack = AckRequest(event.ack_id, self.runtime.session.connection)
        if handler is None:
            if ack is not None:
                self.answer_ack(ns, ack, None)
            return
        self.run_handler(handler, call_args, ns, ack, name)

    def trigger(self, ns: str, event: str, args: tuple[Any, ...]) -> None:
        """Run a lifecycle handler (connect, connect_error, disconnect) if registered."""
        handler, call_args = self.registry.find_lifecycle(ns, event, args)
        if handler is not None:
            self.run_handler(handler, call_args, ns, None, event)

    async def call_connect_error(self, ns: str, data: Any) -> None:
        self.trigger(ns, "connect_error", (data,))
        await asyncio.sleep(0)

    async def call_disconnect(self, ns: str, reason: str) -> None:
        self.trigger(ns, "disconnect", (reason,))
        await asyncio.sleep(0)

    def fire_lifecycle(self, name: str, *args: Any) -> None:
        for handler in self.registry.lifecycle_handlers(name):
            self.run_handler(handler, args, "/", None, name)

    def run_callback(self, callback: Handler, args: list[Any]) -> None:
        """Run an ack callback as handlers run."""
        self.run_handler(callback, tuple(args), "/", None, ACK_CALLBACK)

    def run_on_loop(
        self, handler: Handler, args: tuple[Any, ...], ns: str, ack: AckRequest | None, event: Any = None
    ) -> None:
        """The asyncio handler runner: call on the loop; coroutines get a task.

        ``event`` names what the handler was called for, for the error log line.
        """
        try:
            result = handler(*args)
        except Exception:
            self.logger.exception("error in the handler for %s on namespace %s", describe_event(event), ns)
            if ack is not None:
                self.answer_ack(ns, ack, None)
            return
        if result is not None and is_awaitable(result):
            self.runtime.spawn(self._await_handler(result, ns, ack, event))
        elif ack is not None:
            self.answer_ack(ns, ack, result)

    async def _await_handler(
        self, awaitable: Awaitable[Any], ns: str, ack: AckRequest | None, event: Any = None
    ) -> None:
        try:
            result = await awaitable
        except asyncio.CancelledError:
            raise
        except Exception:
            self.logger.exception("error in the handler for %s on namespace %s", describe_event(event), ns)
            result = None
        if ack is not None:
            self.answer_ack(ns, ack, result)

    def answer_ack(self, ns: str, ack: AckRequest, result: Any) -> None:
        """Answer a server ack request with a handler's return value (tuple -> several).

        Only on the connection the request came on: if that connection is gone (the
        handler outlived a reconnection) the answer is dropped, because the server
        numbers ack ids per connection and would take it for another request.
        """
        runtime = self.runtime
        engine, session = runtime.engine, runtime.session
        try:
            sent = session.answer(ns, ack.id, result, ack.connection)
        except (TypeError, ValueError) as exc:
            self.logger.error("cannot send the ack for %s: %s", ns, exc)
            sent = session.answer(ns, ack.id, None, ack.connection)
        frames = session.data_to_send() if sent else None
        if not frames or engine is None or engine.closed:
            self.logger.info("dropping the answer to ack request %s on %s: its connection is gone", ack.id, ns)
            return
        engine.send(frames)

    def fire_outgoing(self, ns: str, packet_args: Any) -> None:
        name, rest = packet_args[0], tuple(packet_args[1:])
        for listener in list(self.registry.any_out):
            try:
                listener(ns, name, rest)
            except Exception:
                self.logger.exception("on_any_outgoing listener failed")
