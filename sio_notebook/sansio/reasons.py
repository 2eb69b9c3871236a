"""The disconnect-reason vocabulary (docs/protocol.md §4.7), the JS client's words.

A ``disconnect`` handler receives one of these; ``ClientStatus.disconnect_reason``
holds the last one. The protocol core decides which applies; the I/O layer only passes
them on.
"""

from __future__ import annotations

__all__ = [
    "CLIENT_DISCONNECT",
    "PARSE_ERROR",
    "PING_TIMEOUT",
    "REASONS",
    "SERVER_DISCONNECT",
    "TRANSPORT_CLOSE",
    "TRANSPORT_ERROR",
]

#: disconnect() was called (also the reason recorded for the engine it closes).
CLIENT_DISCONNECT = "client disconnect"
#: The server sent a DISCONNECT for the namespace (§2.7).
SERVER_DISCONNECT = "server disconnect"
#: The server closed the session (``1``, §1.8) or the socket closed.
TRANSPORT_CLOSE = "transport close"
#: An HTTP or socket error, or a payload over a size limit.
TRANSPORT_ERROR = "transport error"
#: No ping within pingInterval + pingTimeout (§1.5).
PING_TIMEOUT = "ping timeout"
#: The server sent data that is not Engine.IO / Socket.IO (§1.3, §2.1).
PARSE_ERROR = "parse error"

REASONS = frozenset(
    {CLIENT_DISCONNECT, SERVER_DISCONNECT, TRANSPORT_CLOSE, TRANSPORT_ERROR, PING_TIMEOUT, PARSE_ERROR}
)
