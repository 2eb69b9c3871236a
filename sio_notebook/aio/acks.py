"""Ack tokens: what to do when the server answers an emit (or never will), and the
server's own ack requests, which are answered on the connection they came on.

The session (sansio) keeps tokens opaque: it hands them back in ``AckReceived`` or in
``AcksLost`` (with the error the core chose). This module carries out what a token does then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ..sansio.acks import AckKind, callback_args, told_of_loss
from .callables import Handler

__all__ = ["Ack", "AckRequest", "RunCallback", "fail_acks"]

#: ``run_callback(callback, args)``: runs a user callback the way handlers run.
RunCallback = Callable[[Handler, list[Any]], None]


class Ack:
    """An ack token: a future (``call()``), a callback, or the library's continuation.

    What an answer or a loss does to it is decided by :mod:`sio_notebook.sansio.acks`.
    """

    __slots__ = ("callback", "future", "kind", "run_callback", "timer", "done", "on_loop")

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
        if on_loop is not None:
            self.kind = AckKind.INTERNAL
        elif future is not None:
            self.kind = AckKind.FUTURE
        else:
            self.kind = AckKind.ERROR_FIRST if error_first else AckKind.CALLBACK
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
            self.run_callback(self.callback, callback_args(self.kind, args))

    def fail(self, error: BaseException) -> None:
        """The answer can no longer come (loss, timeout, refusal)."""
        if self.done:
            return
        self.done = True
        if self.timer is not None:
            self.timer.cancel()
        if not told_of_loss(self.kind):
            return
        if self.future is not None:
            if not self.future.done():
                self.future.set_exception(error)
        elif self.callback is not None and self.run_callback is not None:
            self.run_callback(self.callback, [error])


def fail_acks(tokens: tuple[Any, ...], error: BaseException) -> None:
    """Fail every token of a loss with ``error``."""
    for token in tokens:
        token.fail(error)


class AckRequest:
    """A server's ack request: its id and the connection it arrived on (the session's count)."""

    __slots__ = ("id", "connection")

    def __init__(self, ack_id: int, connection: int) -> None:
        self.id = ack_id
        self.connection = connection
