"""What happens to an ack when the server answers, and when it never will (pure).

The rules of socket.io-client 4.7.5 (docs/protocol.md §4.4):

* a ``call()`` (a future) and an error-first callback (an emit with a timeout) learn of
  a loss: they get the error; a plain callback ``cb(*args)`` is dropped silently;
* an error-first callback is called ``cb(None, *args)`` on an answer;
* a handler's return value answers the server's ack request: a tuple is several
  arguments, None is none, anything else is one;
* the error a loss reports: the size refusal when that is what ended the connection
  (the caller can act on it), else that the connection was lost, and why.

The I/O layer holds the futures and timers; this module only decides.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from ..exceptions import DisconnectedError, PayloadTooLargeError

__all__ = ["AckKind", "answer_args", "callback_args", "loss_error", "told_of_loss"]


class AckKind(Enum):
    FUTURE = "future"  # call()
    CALLBACK = "callback"  # emit(callback=cb): cb(*args)
    ERROR_FIRST = "error-first"  # emit(callback=cb, timeout=t): cb(err, *args)
    INTERNAL = "internal"  # the library's own continuation (the retry queue)


def told_of_loss(kind: AckKind) -> bool:
    """Whether a lost ack is reported to its owner (JS 4.7.5: plain callbacks are not)."""
    return kind is AckKind.FUTURE or kind is AckKind.ERROR_FIRST


def callback_args(kind: AckKind, args: list[Any]) -> list[Any]:
    """The arguments a callback gets for the server's answer ``args``."""
    return [None, *args] if kind is AckKind.ERROR_FIRST else args


def answer_args(result: Any) -> list[Any]:
    """A handler's return value as the arguments of its ack (§2.6)."""
    if type(result) is tuple:
        return list(result)
    if result is None:
        return []
    return [result]


def loss_error(reason: str, error: BaseException | None) -> Exception:
    """The error pending acks fail with when the connection ends (``reason``, §4.7)."""
    if isinstance(error, PayloadTooLargeError):  # the cause the caller can act on
        return PayloadTooLargeError(f"the connection was lost before the ack arrived: {error}", error.status)
    return DisconnectedError(f"the connection was lost ({reason}) before the ack arrived")
