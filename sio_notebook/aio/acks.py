"""Ack tokens: what to do when the server answers an emit (or never will), and the
server's own ack requests, which are answered on the connection they came on.

The session (sansio) keeps tokens opaque: it hands them back in ``AckReceived`` or in
the ``lost_acks`` of a loss. This module decides what a token does then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .callables import Handler
from .engine import EngineConnection

__all__ = ["Ack", "AckRequest", "RunCallback", "answer_args", "fail_acks"]

#: ``run_callback(callback, args)``: runs a user callback the way handlers run.
RunCallback = Callable[[Handler, list[Any]], None]


class Ack:
    """An ack token: what to do when the server answers (or never will).

    Three kinds: a future (``call()``), a plain callback ``cb(*args)``, and an
    error-first callback ``cb(err, *args)`` (emits with a timeout). JS 4.7.5 rules on
    loss: futures and error-first callbacks get the error; plain callbacks are dropped.
    """

    __slots__ = ("callback", "future", "error_first", "run_callback", "timer", "done", "on_loop")

    def __init__(
        self,
        callback: Handler | None = None,
        future: asyncio.Future[Any] | None = None,
        error_first: bool = False,
        run_callback: RunCallback | None = None,
        on_loop: Callable[[list[Any]], None] | None = None,
    ) -> None:
        #: The library's own continuation (the retry queue), run on the loop thread;
        #: ``callback`` is the user's, run like a handler (the thread Client's handler thread).
        self.on_loop = on_loop
        self.callback = callback
        self.future = future
        self.error_first = error_first
        self.run_callback = run_callback
        self.timer: asyncio.TimerHandle | None = None
        self.done = False

    def resolve(self, args: list[Any]) -> None:
        """The server answered: hand ``args`` on (once)."""
        if self.done:
            return  # an ack can only be used once
        self.done = True
        if self.timer is not None:
            self.timer.cancel()
        if self.on_loop is not None:
            self.on_loop(args)
        elif self.future is not None:
            if not self.future.done():
                self.future.set_result(args)
        elif self.callback is not None and self.run_callback is not None:
            self.run_callback(self.callback, [None, *args] if self.error_first else args)

    def fail(self, error: BaseException) -> None:
        """The answer can no longer come (loss, timeout, refusal)."""
        if self.done:
            return
        self.done = True
        if self.timer is not None:
            self.timer.cancel()
        if self.future is not None and not self.future.done():
            self.future.set_exception(error)
        elif self.error_first and self.callback is not None and self.run_callback is not None:
            self.run_callback(self.callback, [error])


def fail_acks(tokens: tuple[Any, ...], error: BaseException) -> None:
    """Fail every token of a loss with ``error``."""
    for token in tokens:
        token.fail(error)


class AckRequest:
    """A server's ack request: its id and the connection it arrived on."""

    __slots__ = ("id", "engine")

    def __init__(self, ack_id: int, engine: EngineConnection | None) -> None:
        self.id = ack_id
        self.engine = engine


def answer_args(result: Any) -> list[Any]:
    """A handler's return value as ack arguments: a tuple is several, None is none."""
    if type(result) is tuple:
        return list(result)
    if result is None:
        return []
    return [result]
