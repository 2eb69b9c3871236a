"""RetryDriver: at-least-once delivery (JS ``retries``, docs/protocol.md §4.5).

The order and the counting are pure (:mod:`sio_notebook.sansio.retry`); this module
owns the timers and sends each queue's head when its namespace is connected.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..exceptions import DisconnectedError, TimeoutError
from ..sansio.retry import RetryItem, RetryQueue
from ..sansio.session import NamespaceState
from .acks import Ack
from .callables import Handler
from .runtime import ClientRuntime

if TYPE_CHECKING:
    from .dispatch import Dispatch

__all__ = ["RetryDriver"]


class RetryDriver:
    """The retry queues of one client, one per namespace."""

    __slots__ = ("runtime", "dispatch", "_queues")

    def __init__(self, runtime: ClientRuntime, dispatch: Dispatch) -> None:
        self.runtime = runtime
        self.dispatch = dispatch
        self._queues: dict[str, RetryQueue] = {}

    def push(self, namespace: str, args: list[Any], callback: Handler | None) -> None:
        """Queue an emit; send it now if its queue was idle."""
        queue = self._queues.get(namespace)
        if queue is None:
            queue = self._queues[namespace] = RetryQueue(self.runtime.options.retries)
        item = queue.push(RetryItem(namespace, args, callback))
        if item is not None:
            self._send(queue, item)

    def namespace_connected(self, namespace: str) -> None:
        """JS 4.8.2: the queue's head is re-sent as soon as its namespace connects."""
        queue = self._queues.get(namespace)
        if queue is not None:
            head = queue.head_to_send()
            if head is not None:
                self._send(queue, head)

    def connection_lost(self) -> None:
        for queue in self._queues.values():
            queue.connection_lost()

    def drain(self) -> None:
        """Final disconnect: every queued emit's callback gets DisconnectedError."""
        for queue in self._queues.values():
            for item in queue.drain():
                if item.callback is not None:
                    self.dispatch.run_callback(item.callback, [DisconnectedError("the connection is closed; not delivered")])

    def _send(self, queue: RetryQueue, item: RetryItem) -> None:
        """Send the queue head if its namespace is connected (else it waits for connect)."""
        runtime = self.runtime
        if runtime.session.state(item.namespace) is not NamespaceState.CONNECTED or runtime.engine is None:
            return
        timeout = runtime.options.ack_timeout
        assert timeout is not None
        dispatch = self.dispatch
        token = Ack(run_callback=dispatch.run_callback, on_loop=lambda args: self._acked(queue, item, args))
        session = runtime.session
        if not session.emit(item.namespace, item.args, token, buffer=False):
            return
        queue.sent(item)
        runtime.engine.send(session.data_to_send())
        runtime.events_out += 1
        if dispatch.registry.any_out:
            dispatch.fire_outgoing(item.namespace, item.args)
        token.timer = asyncio.get_running_loop().call_later(timeout, self._timed_out, queue, item, token)

    def _acked(self, queue: RetryQueue, item: RetryItem, args: list[Any]) -> None:
        if item.callback is not None:
            self.dispatch.run_callback(item.callback, [None, *args])
        next_item = queue.acked(item)
        if next_item is not None:
            self._send(queue, next_item)

    def _timed_out(self, queue: RetryQueue, item: RetryItem, token: Ack) -> None:
        token.done = True
        self.runtime.session.withdraw(item.namespace, token)
        gave_up, next_item = queue.timed_out(item)
        if gave_up and item.callback is not None:
            self.dispatch.run_callback(
                item.callback, [TimeoutError(f"no ack for {item.args[0]!r} after {item.tries} attempts")]
            )
        if next_item is not None:
            self._send(queue, next_item)
