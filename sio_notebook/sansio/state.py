"""The client's and each namespace's state machine, as data (h11 ``_state.py`` style).

Everything that moves a client or a namespace from one state to another is an event
in the tables below; :func:`next_client_state` and :func:`next_namespace_state` look the move up and raise
:class:`~sio_notebook.exceptions.LocalProtocolError` for a move the table does not
have, naming the state and the event. No code assigns a state directly.

Client states (the values are what users see: ``client.state``, ``ClientStatus.state``)::

    DISCONNECTED --CONNECT--> CONNECTING --SETTLE--> CONNECTED
         ^                        |                     |
         |                      LOSE                  LOSE
       CLOSE (from any)           v                     v
         '------------------- RECONNECTING <---LOSE-----'
                                  |  ^
                                SETTLE-> CONNECTED

``SETTLE``: every wanted namespace has its CONNECT answer (§2.4). ``LOSE``: the
Engine.IO connection ended and namespaces are still wanted (or a connect with
``retry=True`` failed). ``CLOSE``: closed for good (disconnect, given up, refused).

Namespace states: CONNECTING (CONNECT sent or to send once the engine opens),
CONNECTED, FAILED (CONNECT_ERROR, §2.5: not retried) and CLOSED (DISCONNECT from
either side, §2.7: not retried).
"""

from __future__ import annotations

from enum import Enum

from ..exceptions import LocalProtocolError

__all__ = [
    "CLIENT_TRANSITIONS",
    "CONNECTED",
    "CONNECTING",
    "DISCONNECTED",
    "RECONNECTING",
    "SETTLING",
    "NAMESPACE_TRANSITIONS",
    "ClientEvent",
    "ClientState",
    "NamespaceEvent",
    "NamespaceState",
    "next_client_state",
    "next_namespace_state",
]


class ClientState(Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"


#: Short aliases of the client states (websockets style: ``if state is CONNECTED``).
DISCONNECTED = ClientState.DISCONNECTED
CONNECTING = ClientState.CONNECTING
CONNECTED = ClientState.CONNECTED
RECONNECTING = ClientState.RECONNECTING
#: Waiting for namespaces to settle: a first connect or a reconnection.
SETTLING = frozenset({CONNECTING, RECONNECTING})


class ClientEvent(Enum):
    CONNECT = "connect"  # connect() / start_connect() began
    SETTLE = "settle"  # every wanted namespace is answered
    LOSE = "lose"  # the connection is lost (or a retrying connect failed): reconnect
    CLOSE = "close"  # closed for good


class NamespaceState(Enum):
    CONNECTING = "connecting"  # CONNECT sent (or to be sent once the engine is open)
    CONNECTED = "connected"
    FAILED = "failed"  # CONNECT_ERROR: not retried
    CLOSED = "closed"  # DISCONNECT from either side: not retried


class NamespaceEvent(Enum):
    SEND_CONNECT = "send CONNECT"  # §2.4, on every engine open
    ACCEPTED = "CONNECT reply"  # §2.4
    REFUSED = "CONNECT_ERROR"  # §2.5 (also a v2 server's reply without a sid)
    LEAVE = "client DISCONNECT"  # §2.7
    KICKED = "server DISCONNECT"  # §2.7
    ENGINE_LOST = "engine lost"  # reconnected later (§4.7)
    GIVE_UP = "give up"  # no more reconnection


_C, _CE = ClientState, ClientEvent

CLIENT_TRANSITIONS: dict[ClientState, dict[ClientEvent, ClientState]] = {
    _C.DISCONNECTED: {_CE.CONNECT: _C.CONNECTING, _CE.CLOSE: _C.DISCONNECTED},
    _C.CONNECTING: {_CE.SETTLE: _C.CONNECTED, _CE.LOSE: _C.RECONNECTING, _CE.CLOSE: _C.DISCONNECTED},
    _C.CONNECTED: {_CE.LOSE: _C.RECONNECTING, _CE.CLOSE: _C.DISCONNECTED},
    _C.RECONNECTING: {_CE.SETTLE: _C.CONNECTED, _CE.LOSE: _C.RECONNECTING, _CE.CLOSE: _C.DISCONNECTED},
}

_N, _NE = NamespaceState, NamespaceEvent
_ANY_LEAVES = {_NE.REFUSED: _N.FAILED, _NE.LEAVE: _N.CLOSED, _NE.GIVE_UP: _N.CLOSED}

NAMESPACE_TRANSITIONS: dict[NamespaceState, dict[NamespaceEvent, NamespaceState]] = {
    _N.CONNECTING: {
        _NE.SEND_CONNECT: _N.CONNECTING,
        _NE.ACCEPTED: _N.CONNECTED,
        _NE.KICKED: _N.CLOSED,
        _NE.ENGINE_LOST: _N.CONNECTING,
        **_ANY_LEAVES,
    },
    _N.CONNECTED: {
        _NE.SEND_CONNECT: _N.CONNECTING,
        _NE.KICKED: _N.CLOSED,
        _NE.ENGINE_LOST: _N.CONNECTING,
        **_ANY_LEAVES,
    },
    # Settled for good: only a new want() (a fresh namespace record) brings them back.
    _N.FAILED: {_NE.ENGINE_LOST: _N.FAILED, **_ANY_LEAVES},
    _N.CLOSED: {_NE.ENGINE_LOST: _N.CLOSED, **_ANY_LEAVES},
}


def next_client_state(state: ClientState, event: ClientEvent) -> ClientState:
    """The client's state after ``event``; LocalProtocolError if the table has no such move."""
    try:
        return CLIENT_TRANSITIONS[state][event]
    except KeyError:
        raise LocalProtocolError(f"can't handle event {event.name} when the client is {state.value}") from None


def next_namespace_state(state: NamespaceState, event: NamespaceEvent) -> NamespaceState:
    """A namespace's state after ``event``; LocalProtocolError if the table has no such move."""
    try:
        return NAMESPACE_TRANSITIONS[state][event]
    except KeyError:
        raise LocalProtocolError(f"can't handle event {event.name} when the namespace is {state.value}") from None
