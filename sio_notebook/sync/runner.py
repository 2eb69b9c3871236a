"""ThreadHandlerRunner: the thread Client's handler runner, injected into its AsyncClient.

Every handler, ack callback and lifecycle handler of a thread Client runs on the
Client's dispatcher thread (:mod:`.dispatcher`), in arrival order. The answer to a
server's ack request goes back to the loop (``AsyncClient.answer_ack`` is loop-only).
This is the whole seam between the two front doors: no subclass, no private calls.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from ..aio.acks import AckRequest
from ..aio.callables import Handler, describe_event
from .dispatcher import Dispatcher
from .portal import LoopThread

__all__ = ["ThreadHandlerRunner"]

#: ``answer(namespace, ack_request, result)``, called on the loop thread.
Answer = Callable[[str, AckRequest, Any], None]


class ThreadHandlerRunner:
    """``runner(handler, args, namespace, ack, event)``: hands the call to the dispatcher."""

    def __init__(self, portal: LoopThread, dispatcher: Dispatcher, logger: logging.Logger) -> None:
        self.portal = portal
        #: Replaced after fork() (the parent's thread does not exist in the child).
        self.dispatcher = dispatcher
        self.logger = logger
        #: Set once the AsyncClient exists (it is built with this runner).
        self.answer: Answer | None = None

    def __call__(
        self, handler: Handler, args: tuple[Any, ...], ns: str, ack: AckRequest | None, event: Any = None
    ) -> None:
        """On the loop thread: queue the call; never blocks."""
        self.dispatcher.submit(self._invoke, handler, args, ns, ack, event)

    def _invoke(self, handler: Handler, args: tuple[Any, ...], ns: str, ack: AckRequest | None, event: Any) -> None:
        """On the dispatcher thread."""
        try:
            result = handler(*args)
            if inspect.isawaitable(result):  # a coroutine handler given to the thread Client
                result = self.portal.run(_await(result))
        except Exception:
            self.logger.exception("error in the handler for %s on namespace %s", describe_event(event), ns)
            result = None
        if ack is not None and self.answer is not None:
            self.portal.call_soon(self.answer, ns, ack, result)


async def _await(awaitable: Any) -> Any:
    return await awaitable
