"""The client and namespace state machines are data: every legal move, every illegal one."""

from __future__ import annotations

import itertools

import pytest

from sio_notebook.exceptions import LocalProtocolError
from sio_notebook.sansio.state import (
    CLIENT_TRANSITIONS,
    NAMESPACE_TRANSITIONS,
    ClientEvent,
    ClientState,
    NamespaceEvent,
    NamespaceState,
    next_client_state,
    next_namespace_state,
)

C, CE, N, NE = ClientState, ClientEvent, NamespaceState, NamespaceEvent


def test_client_state_values_are_the_public_strings() -> None:
    assert [s.value for s in C] == ["disconnected", "connecting", "connected", "reconnecting"]


@pytest.mark.parametrize(
    ("state", "event", "after"),
    [
        (C.DISCONNECTED, CE.CONNECT, C.CONNECTING),
        (C.CONNECTING, CE.SETTLE, C.CONNECTED),
        (C.CONNECTING, CE.LOSE, C.RECONNECTING),  # connect(retry=True) failed once
        (C.CONNECTED, CE.LOSE, C.RECONNECTING),
        (C.RECONNECTING, CE.LOSE, C.RECONNECTING),  # another failed attempt
        (C.RECONNECTING, CE.SETTLE, C.CONNECTED),
        *[(s, CE.CLOSE, C.DISCONNECTED) for s in C],
    ],
)
def test_legal_client_moves(state: ClientState, event: ClientEvent, after: ClientState) -> None:
    assert next_client_state(state, event) is after


ILLEGAL_CLIENT = [
    (s, e) for s, e in itertools.product(C, CE) if e not in CLIENT_TRANSITIONS[s]
]


def test_the_illegal_client_moves_are_these() -> None:
    assert set(ILLEGAL_CLIENT) == {
        (C.DISCONNECTED, CE.SETTLE),
        (C.DISCONNECTED, CE.LOSE),
        (C.CONNECTING, CE.CONNECT),  # "Already connected"
        (C.CONNECTED, CE.CONNECT),
        (C.CONNECTED, CE.SETTLE),
        (C.RECONNECTING, CE.CONNECT),
    }


@pytest.mark.parametrize(("state", "event"), ILLEGAL_CLIENT)
def test_an_illegal_client_move_raises_naming_state_and_event(state: ClientState, event: ClientEvent) -> None:
    with pytest.raises(LocalProtocolError, match=f"can't handle event {event.name} when the client is {state.value}"):
        next_client_state(state, event)


@pytest.mark.parametrize(
    ("state", "event", "after"),
    [
        (N.CONNECTING, NE.ACCEPTED, N.CONNECTED),
        (N.CONNECTING, NE.REFUSED, N.FAILED),
        (N.CONNECTED, NE.ENGINE_LOST, N.CONNECTING),
        (N.CONNECTING, NE.ENGINE_LOST, N.CONNECTING),
        (N.FAILED, NE.ENGINE_LOST, N.FAILED),
        (N.CLOSED, NE.ENGINE_LOST, N.CLOSED),
        (N.CONNECTED, NE.SEND_CONNECT, N.CONNECTING),
        (N.CONNECTED, NE.KICKED, N.CLOSED),
        *[(s, NE.LEAVE, N.CLOSED) for s in N],
        *[(s, NE.GIVE_UP, N.CLOSED) for s in N],
    ],
)
def test_legal_namespace_moves(state: NamespaceState, event: NamespaceEvent, after: NamespaceState) -> None:
    assert next_namespace_state(state, event) is after


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (N.CONNECTED, NE.ACCEPTED),  # a second CONNECT reply
        (N.FAILED, NE.ACCEPTED),
        (N.CLOSED, NE.SEND_CONNECT),  # a closed namespace is never reconnected
        (N.FAILED, NE.KICKED),
    ],
)
def test_illegal_namespace_moves_raise(state: NamespaceState, event: NamespaceEvent) -> None:
    assert event not in NAMESPACE_TRANSITIONS[state]
    with pytest.raises(LocalProtocolError, match=f"when the namespace is {state.value}"):
        next_namespace_state(state, event)


def test_every_state_has_a_row() -> None:
    assert set(CLIENT_TRANSITIONS) == set(C)
    assert set(NAMESPACE_TRANSITIONS) == set(N)
