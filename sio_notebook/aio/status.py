"""The public value types of a client: disconnect reasons and the status snapshot."""

from __future__ import annotations

from dataclasses import dataclass

from ..sansio import reasons

__all__ = ["ClientStatus", "Reason"]


class Reason:
    """Disconnect reasons passed to ``disconnect`` handlers (the vocabulary: sansio/reasons.py)."""

    CLIENT_DISCONNECT = reasons.CLIENT_DISCONNECT
    SERVER_DISCONNECT = reasons.SERVER_DISCONNECT
    TRANSPORT_ERROR = reasons.TRANSPORT_ERROR
    TRANSPORT_CLOSE = reasons.TRANSPORT_CLOSE
    PING_TIMEOUT = reasons.PING_TIMEOUT
    PARSE_ERROR = reasons.PARSE_ERROR


@dataclass(frozen=True, slots=True)
class ClientStatus:
    """A snapshot of a client, for status displays (the notebook widget reads this)."""

    state: str  # disconnected | connecting | connected | reconnecting
    url: str | None
    sid: str | None
    transport: str | None
    namespaces: tuple[str, ...]
    events_in: int
    events_out: int
    queued: int
    reconnect_attempts: int
    last_ping_age: float | None
    last_error: str | None
    disconnect_reason: str | None
    ping_interval: float | None = None  # the server's pingInterval in seconds, once open
