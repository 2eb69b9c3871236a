"""What the Socket.IO session tells the I/O layer (the outputs of ``events_received()``).

Every decision of :class:`~.session.ClientSession` that the I/O layer must act on comes
out as one of these, in the order it was made. The I/O layer only routes them: to a
handler, to an ack token, to the client's state, or to closing the connection.

Ack tokens are opaque here: the I/O layer makes them, the session hands them back in
:class:`AckReceived` (the server answered) or :class:`AcksLost` (it never will, with
the error to report, decided by the rules of :mod:`.acks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .socketio import Packet

__all__ = [
    "AckReceived",
    "AcksLost",
    "CloseConnection",
    "ConnectError",
    "Connected",
    "EventReceived",
    "NamespaceLost",
    "ServerDisconnected",
    "SessionEvent",
]


# EventReceived and AckReceived are built once per packet: plain slotted dataclasses
# (a frozen one costs three times as much to build). Treat them as immutable.


@dataclass(slots=True)
class EventReceived:
    """An EVENT for a namespace we are in (§2.6); ``ack_id`` if the server asks for an ack."""

    namespace: str
    name: Any
    args: list[Any]
    ack_id: int | None


@dataclass(slots=True)
class AckReceived:
    """The server answered one of our emits (§2.6)."""

    namespace: str
    token: Any
    args: list[Any]


@dataclass(frozen=True, slots=True)
class Connected:
    """A namespace's CONNECT reply (§2.4). Its buffered emits are already queued in
    ``data_to_send()``; ``flushed`` lists them, in order, for the outgoing hooks."""

    namespace: str
    sid: str
    recovered: bool
    flushed: tuple[Packet, ...] = ()


@dataclass(frozen=True, slots=True)
class ConnectError:
    """The server refused a namespace (CONNECT_ERROR, §2.5)."""

    namespace: str
    message: str
    data: Any


@dataclass(frozen=True, slots=True)
class ServerDisconnected:
    """The server sent DISCONNECT for a namespace (§2.7): no reconnection for it."""

    namespace: str


@dataclass(frozen=True, slots=True)
class NamespaceLost:
    """The Engine.IO connection ended under a connected namespace (``engine_lost``):
    its ``disconnect`` handler runs with ``reason``; it is reconnected later."""

    namespace: str
    reason: str


@dataclass(frozen=True, slots=True)
class AcksLost:
    """Acks that can no longer arrive, and the error their owners get (§4.4): on a loss
    of the connection, a refusal, a DISCONNECT, leaving, giving up, or an emit the
    offline buffer's overflow policy dropped. Reported before the event that caused it."""

    tokens: tuple[Any, ...]
    error: BaseException


@dataclass(frozen=True, slots=True)
class CloseConnection:
    """The session's decision that the Engine.IO connection must end.

    ``reconnect=True``: the server broke the protocol (``reason`` "parse error", the
    ``error`` says how): fail the connection; reconnection follows as for any loss.
    ``reconnect=False``: no namespace is left (JS: the Manager closes the engine when
    its last socket leaves), so close for good, no reconnection.
    """

    reason: str
    error: BaseException | None = None
    reconnect: bool = False


#: Any of the above.
SessionEvent = (
    EventReceived | AckReceived | Connected | ConnectError | ServerDisconnected | NamespaceLost | AcksLost | CloseConnection
)
