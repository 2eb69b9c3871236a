"""ClientSession driven by scripted server messages (docs/protocol.md §2.4-§2.7, §4.4, §4.10).

Each test plays the server: it feeds the Socket.IO packets a server would send (the
Engine.IO ``4`` already removed, as the engine layer hands them over) and checks the
frames and events the session queues. Ack callbacks are opaque tokens.

The helpers below give each input and what it queued, the way the I/O layer drains the
session after every input (the contract itself is pinned down in test_contract.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sio_notebook.exceptions import BadNamespaceError, BufferFullError, LocalProtocolError
from sio_notebook.sansio.engineio import Frame
from sio_notebook.sansio.events import (
    AckReceived,
    AcksLost,
    CloseConnection,
    Connected,
    ConnectError,
    EventReceived,
    NamespaceLost,
    ServerDisconnected,
    SessionEvent,
)
from sio_notebook.sansio.reasons import SERVER_DISCONNECT, TRANSPORT_CLOSE
from sio_notebook.sansio.session import OVERFLOW_POLICIES, ClientSession, NamespaceState
from sio_notebook.sansio.socketio import JsonSerializer, Packet, PacketType

CONNECTING, CONNECTED, FAILED, CLOSED = (
    NamespaceState.CONNECTING,
    NamespaceState.CONNECTED,
    NamespaceState.FAILED,
    NamespaceState.CLOSED,
)
EVENT = PacketType.EVENT
#: The decision after the last namespace is refused or disconnected: close, no reconnection.
CLOSE = CloseConnection(SERVER_DISCONNECT)


class Token:
    """An ack callback stand-in: identity is all the session may rely on."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Token({self.name})"


# --- one input, and what it queued ------------------------------------------------------


def opened(session: ClientSession) -> list[Frame]:
    """``engine_opened()``: the frames it queued (the CONNECTs)."""
    session.engine_opened()
    return session.data_to_send()


def receive(session: ClientSession, message: Frame) -> list[SessionEvent]:
    """``receive_data()``: the events it queued (frames stay queued, for data_to_send)."""
    session.receive_data(message)
    return session.events_received()


def emit(session: ClientSession, namespace: str, args: list[Any], token: Any = None, **kwargs: Any) -> list[Frame] | None:
    """``emit()``: its frames if it was sent now, None if it was buffered or dropped."""
    sent = session.emit(namespace, args, token, **kwargs)
    frames = session.data_to_send()
    assert sent is bool(frames)
    return frames if sent else None


def lost_tokens(events: list[SessionEvent]) -> tuple[Any, ...]:
    return tuple(t for e in events if isinstance(e, AcksLost) for t in e.tokens)


def lose(session: ClientSession, reason: str = TRANSPORT_CLOSE) -> tuple[list[str], tuple[Any, ...]]:
    """``engine_lost()``: the namespaces that were connected, and the acks lost."""
    session.engine_lost(reason)
    events = session.events_received()
    assert session.data_to_send() == []
    return [e.namespace for e in events if isinstance(e, NamespaceLost)], lost_tokens(events)


def give_up(session: ClientSession) -> tuple[Any, ...]:
    """``give_up()``: the acks lost."""
    session.give_up()
    return lost_tokens(session.events_received())


def leave(session: ClientSession, namespace: str) -> tuple[list[Frame], tuple[Any, ...]]:
    """``leave()``: the DISCONNECT it queued, and the acks lost."""
    session.leave(namespace)
    return session.data_to_send(), lost_tokens(session.events_received())


def answer(session: ClientSession, namespace: str, ack_id: int, result: Any, connection: int | None = None) -> list[Frame] | None:
    """``answer()``: the ACK it queued, or None when the request's connection is gone."""
    sent = session.answer(namespace, ack_id, result, session.connection if connection is None else connection)
    frames = session.data_to_send()
    return frames if sent else None



def new_session(*namespaces: str, auth: Any = None, **options: Any) -> ClientSession:
    session = ClientSession(JsonSerializer(), **options)
    for ns in namespaces or ("/",):
        session.want(ns, auth)
    return session


def reply(ns: str, sid: str, pid: str | None = None) -> str:
    data: dict[str, str] = {"sid": sid}
    if pid is not None:
        data["pid"] = pid
    prefix = "" if ns == "/" else ns + ","
    return "0" + prefix + json.dumps(data, separators=(",", ":"))


def connected(*namespaces: str, **options: Any) -> ClientSession:
    """A session whose namespaces are all connected (sids sid-0, sid-1, ...)."""
    session = new_session(*namespaces, **options)
    opened(session)
    for i, ns in enumerate(namespaces or ("/",)):
        (event,) = receive(session, reply(ns, f"sid-{i}"))
        assert type(event) is Connected
    return session


def connect_payload(frame: str) -> Any:
    """The JSON payload of a CONNECT frame for ``/``."""
    assert frame.startswith("0{")
    return json.loads(frame[1:])


# --- CONNECT ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("namespaces", "auth", "frames"),
    [
        (["/"], None, ["0"]),
        (["/admin"], None, ["0/admin,"]),
        (["/"], {"token": "123"}, ['0{"token":"123"}']),
        (["/admin"], {"token": "abc"}, ['0/admin,{"token":"abc"}']),
        (["/", "/custom"], {"t": "€"}, ['0{"t":"€"}', '0/custom,{"t":"€"}']),
        (["/"], {}, ["0{}"]),
    ],
)
def test_connect_frames_with_auth(namespaces: list[str], auth: Any, frames: list[str]) -> None:
    session = new_session(*namespaces, auth=auth)
    assert session.engine_open is False
    assert opened(session) == frames
    assert session.engine_open is True
    assert all(session.state(ns) is CONNECTING for ns in namespaces)
    assert session.wanted_namespaces() == namespaces


def test_auth_must_be_an_object() -> None:
    session = new_session(auth=["not", "a", "dict"])
    with pytest.raises(TypeError, match="auth must be a dict"):
        opened(session)


def test_connect_reply_gives_connected() -> None:
    session = new_session("/", "/admin")
    opened(session)
    assert receive(session, reply("/admin", "A1")) == [Connected("/admin", "A1", False, ())]
    assert receive(session, reply("/", "R1")) == [Connected("/", "R1", False, ())]
    assert session.connected_namespaces() == {"/admin": "A1", "/": "R1"}
    assert (session.sid("/"), session.sid("/admin"), session.sid("/other")) == ("R1", "A1", None)
    assert session.state("/") is CONNECTED
    assert session.state("/other") is None
    assert session.recovered("/") is False


def test_connect_error_object_with_data() -> None:
    session = new_session("/private")
    opened(session)
    events = receive(session, '4/private,{"message":"not authorized","data":{"reason":"bad token"}}')
    assert events == [ConnectError("/private", "not authorized", {"reason": "bad token"}), CLOSE]
    assert session.state("/private") is FAILED
    assert session.wanted_namespaces() == []


def test_connect_error_legacy_string() -> None:
    session = new_session("/admin")
    opened(session)
    assert receive(session, '4/admin,"Not authorized"') == [ConnectError("/admin", "Not authorized", None), CLOSE]
    assert session.state("/admin") is FAILED


def test_connect_error_invalid_namespace() -> None:
    session = new_session("/random")
    opened(session)
    event, close = receive(session, '4/random,{"message":"Invalid namespace"}')
    assert close == CLOSE  # no namespace left
    assert (event.message, event.data) == ("Invalid namespace", None)


@pytest.mark.parametrize("frame", ["0", "0{}", '0{"pid":"p"}', '0{"sid":5}'])
def test_connect_reply_without_sid_means_a_v2_server(frame: str) -> None:
    session = new_session()
    opened(session)
    event, close = receive(session, frame)
    assert close == CLOSE
    assert type(event) is ConnectError
    assert "v2.x" in event.message
    assert session.state("/") is FAILED


def test_connect_error_for_an_unknown_namespace_is_ignored() -> None:
    session = connected()
    assert receive(session, '4/nobody,{"message":"x"}') == []
    assert receive(session, reply("/nobody", "x")) == []
    assert session.state("/") is CONNECTED


def test_duplicate_connect_reply_is_ignored() -> None:
    session = connected()
    assert receive(session, reply("/", "other")) == []
    assert session.sid("/") == "sid-0"


# --- receiving events ------------------------------------------------------------------


def test_events_and_their_ack_ids() -> None:
    session = connected("/", "/admin")
    assert receive(session, '2["hey","Jude"]') == [EventReceived("/", "hey", ["Jude"], None)]
    assert receive(session, '2/admin,1["tellme"]') == [EventReceived("/admin", "tellme", [], 1)]
    assert receive(session, '20["ask",1]') == [EventReceived("/", "ask", [1], 0)]
    assert receive(session, '2[7,"numeric"]') == [EventReceived("/", 7, ["numeric"], None)]


def test_binary_event_is_reported_once_complete() -> None:
    session = connected()
    assert receive(session, '52-["m",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]') == []
    assert receive(session, b"\x01\x02\x03") == []
    assert receive(session, b"\x04\x05\x06") == [EventReceived("/", "m", [b"\x01\x02\x03", b"\x04\x05\x06"], None)]


def test_events_for_other_namespaces_are_ignored() -> None:
    session = connected()
    assert receive(session, '2/elsewhere,["x"]') == []


def test_answering_a_server_ack() -> None:
    session = connected("/", "/admin")
    assert answer(session, "/", 0, 42) == ["30[42]"]
    assert answer(session, "/admin", 13, None) == ["3/admin,13[]"]
    assert answer(session, "/", 15, ("bar", b"buf")) == ['61-15["bar",{"_placeholder":true,"num":0}]', b"buf"]


def test_events_before_the_connect_reply_are_delivered_after_connected() -> None:
    """The recovery replay arrives before the CONNECT reply (§2.4)."""
    session = new_session()
    opened(session)
    assert receive(session, '2["missed",1]') == []
    assert receive(session, '23["missed-ack"]') == []
    events = receive(session, reply("/", "S"))
    assert events == [
        Connected("/", "S", False, ()),
        EventReceived("/", "missed", [1], None),
        EventReceived("/", "missed-ack", [], 3),
    ]
    assert receive(session, '2["live"]') == [EventReceived("/", "live", [], None)]


def test_early_events_are_not_delivered_twice_or_after_a_new_connect() -> None:
    session = new_session()
    opened(session)
    receive(session, '2["stale"]')
    lose(session)
    opened(session)  # a new CONNECT forgets what came before it
    assert receive(session, reply("/", "S")) == [Connected("/", "S", False, ())]


# --- connection state recovery ---------------------------------------------------------


def recovering_session(auth: Any = None) -> ClientSession:
    session = new_session(auth=auth)
    opened(session)
    assert receive(session, reply("/", "S1", pid="P1")) == [Connected("/", "S1", False, ())]
    assert session.pid("/") == "P1"
    return session


def test_offset_is_stripped_and_recorded_when_a_pid_is_held() -> None:
    session = recovering_session()
    assert receive(session, '2["auth",{},false,"Q8FfhqP"]') == [EventReceived("/", "auth", [{}, False], None)]
    assert receive(session, '2["news","today","off-2"]') == [EventReceived("/", "news", ["today"], None)]
    lose(session)
    (frame,) = opened(session)
    assert connect_payload(frame) == {"pid": "P1", "offset": "off-2"}


def test_offset_is_kept_when_the_event_has_an_ack_id() -> None:
    session = recovering_session()
    assert receive(session, '25["ask","last-is-data"]') == [EventReceived("/", "ask", ["last-is-data"], 5)]
    lose(session)
    assert connect_payload(opened(session)[0]) == {"pid": "P1"}


@pytest.mark.parametrize("frame", ['2["only-name"]', '2["n",{"not":"a string"}]', '2["n",1]'])
def test_no_offset_without_a_trailing_string(frame: str) -> None:
    session = recovering_session()
    (event,) = receive(session, frame)
    assert [event.name, *event.args] == json.loads(frame[1:])


def test_offset_is_not_stripped_without_a_pid() -> None:
    session = connected()
    assert receive(session, '2["news","today","off-2"]') == [EventReceived("/", "news", ["today", "off-2"], None)]
    lose(session)
    assert opened(session) == ["0"]


def test_binary_event_offset_is_stripped() -> None:
    session = recovering_session()
    receive(session, '51-["file",{"_placeholder":true,"num":0},"off-b"]')
    assert receive(session, b"\x00") == [EventReceived("/", "file", [b"\x00"], None)]


def test_recovery_connect_merges_auth_and_auth_keys_win() -> None:
    session = recovering_session(auth={"token": "abc", "offset": "mine"})
    receive(session, '2["e","off-1"]')
    lost = lose(session)
    assert lost == (["/"], ())
    assert session.pid("/") == "P1"  # kept across the loss
    assert session.state("/") is CONNECTING
    (frame,) = opened(session)
    payload = connect_payload(frame)
    assert payload == {"pid": "P1", "offset": "mine", "token": "abc"}
    assert list(payload)[:2] == ["pid", "offset"]  # {pid, offset, ...auth}


def test_recovery_connect_without_auth() -> None:
    session = recovering_session()
    receive(session, '2["e","off-1"]')
    lose(session)
    assert opened(session) == ['0{"pid":"P1","offset":"off-1"}']


def test_recovery_connect_before_any_offset_omits_it() -> None:
    """JS sends {pid, offset: undefined}; JSON.stringify drops the undefined key."""
    session = recovering_session(auth={"token": "t"})
    lose(session)
    assert opened(session) == ['0{"pid":"P1","token":"t"}']


def test_recovered_when_the_same_pid_returns() -> None:
    session = recovering_session()
    receive(session, '2["e","off-1"]')
    lose(session)
    opened(session)
    # The server replays what was missed, then confirms with the same pid.
    assert receive(session, '2["missed","off-2"]') == []
    events = receive(session, reply("/", "S1", pid="P1"))
    assert events == [Connected("/", "S1", True, ()), EventReceived("/", "missed", [], None)]
    assert session.recovered("/") is True
    lose(session)
    assert connect_payload(opened(session)[0]) == {"pid": "P1", "offset": "off-2"}


def test_not_recovered_when_a_new_pid_comes_back() -> None:
    session = recovering_session()
    receive(session, '2["e","off-1"]')
    lose(session)
    opened(session)
    assert receive(session, reply("/", "S2", pid="P2")) == [Connected("/", "S2", False, ())]
    assert session.recovered("/") is False
    assert session.pid("/") == "P2"
    lose(session)
    assert opened(session) == ['0{"pid":"P2"}']  # the old offset belongs to the old pid


def test_pid_is_dropped_by_a_server_disconnect() -> None:
    session = recovering_session()
    receive(session, "1")
    assert session.pid("/") is None
    session.want("/")
    lose(session)
    assert opened(session) == ["0"]


# --- emitting and acks -----------------------------------------------------------------


def test_emit_when_connected() -> None:
    session = connected("/", "/admin")
    assert emit(session, "/", ["hello"]) == ['2["hello"]']
    assert emit(session, "/admin", ["baz", b"\x01\x02", b"\x03\x04"]) == [
        '52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
        b"\x01\x02",
        b"\x03\x04",
    ]


def test_ack_ids_count_from_zero_per_namespace() -> None:
    session = connected("/", "/admin")
    assert emit(session, "/", ["a"], Token("a")) == ['20["a"]']
    assert emit(session, "/", ["b"], Token("b")) == ['21["b"]']
    assert emit(session, "/", ["no-ack"]) == ['2["no-ack"]']
    assert emit(session, "/admin", ["c"], Token("c")) == ['2/admin,0["c"]']
    assert emit(session, "/", ["d", b"\x00"], Token("d")) == ['51-2["d",{"_placeholder":true,"num":0}]', b"\x00"]


def test_ack_received_returns_the_token() -> None:
    session = connected("/", "/admin")
    first, second, admin = Token("first"), Token("second"), Token("admin")
    emit(session, "/", ["a"], first)
    emit(session, "/", ["b"], second)
    emit(session, "/admin", ["c"], admin)
    assert receive(session, '31["B",1]') == [AckReceived("/", second, ["B", 1])]
    assert receive(session, "3/admin,0[]") == [AckReceived("/admin", admin, [])]
    assert receive(session, '61-0[{"_placeholder":true,"num":0}]') == []
    assert receive(session, b"bin") == [AckReceived("/", first, [b"bin"])]


@pytest.mark.parametrize("frame", ["30[]", "39[1]", "3/admin,0[]", "3/nobody,0[]"])
def test_unknown_ack_ids_are_ignored(frame: str) -> None:
    session = connected("/", "/admin")
    assert receive(session, frame) == []


def test_an_ack_is_delivered_once() -> None:
    session = connected()
    token = Token("t")
    emit(session, "/", ["a"], token)
    assert receive(session, "30[1]") == [AckReceived("/", token, [1])]
    assert receive(session, "30[2]") == []


def test_forgotten_ack_is_ignored() -> None:
    session = connected()
    token = Token("t")
    emit(session, "/", ["a"], token)
    session.withdraw("/", token)
    assert receive(session, "30[]") == []
    assert lose(session) == (["/"], ())


def test_emits_while_connecting_are_buffered_and_flushed_in_order() -> None:
    session = new_session()
    first, third = Token("first"), Token("third")
    assert emit(session, "/", ["one"], first) is None
    assert emit(session, "/", ["two", b"\x07"]) is None
    assert opened(session) == ["0"]
    assert emit(session, "/", ["three"], third) is None  # CONNECT sent, reply not yet in
    assert session.buffered == 3
    (event,) = receive(session, reply("/", "S"))
    assert event.flushed == (
        Packet(EVENT, "/", ["one"], 0),
        Packet(EVENT, "/", ["two", b"\x07"], None),
        Packet(EVENT, "/", ["three"], 1),
    )
    assert session.data_to_send() == [
        '20["one"]',
        '51-["two",{"_placeholder":true,"num":0}]',
        b"\x07",
        '21["three"]',
    ]
    assert session.buffered == 0
    assert emit(session, "/", ["four"], Token("four")) == ['22["four"]']
    assert receive(session, "30[]") == [AckReceived("/", first, [])]
    assert receive(session, "31[]") == [AckReceived("/", third, [])]


def test_buffered_emits_wait_for_their_own_namespace() -> None:
    session = new_session("/", "/admin")
    emit(session, "/admin", ["for-admin"])
    emit(session, "/", ["for-root"])
    opened(session)
    (root,) = receive(session, reply("/", "R"))
    assert root.flushed == (Packet(EVENT, "/", ["for-root"]),)
    assert session.data_to_send() == ['2["for-root"]']
    assert session.buffered == 1
    (admin,) = receive(session, reply("/admin", "A"))
    assert session.data_to_send() == ['2/admin,["for-admin"]']


def test_volatile_emits_are_dropped_when_not_connected() -> None:
    session = new_session()
    assert emit(session, "/", ["v"], volatile=True) is None
    assert session.buffered == 0
    opened(session)
    assert receive(session, reply("/", "S")) == [Connected("/", "S", False, ())]
    assert emit(session, "/", ["v"], volatile=True) == ['2["v"]']


def test_withdraw_a_buffered_emit() -> None:
    session = new_session()
    token = Token("t")
    emit(session, "/", ["a"], token)
    emit(session, "/", ["b"])
    session.withdraw("/", token)
    assert session.buffered == 1
    session.withdraw("/", token)  # twice: nothing left to withdraw
    assert session.buffered == 1
    opened(session)
    (event,) = receive(session, reply("/", "S"))
    assert event.flushed == (Packet(EVENT, "/", ["b"]),)


@pytest.mark.parametrize("policy", OVERFLOW_POLICIES)
def test_buffer_limit_with_each_overflow_policy(policy: str) -> None:
    session = new_session(max_buffered_emits=2, buffer_overflow=policy)
    emit(session, "/", ["a"])
    emit(session, "/", ["b"])
    if policy == "error":
        with pytest.raises(BufferFullError, match="max_buffered_emits=2"):
            emit(session, "/", ["c"])
        expected = ["a", "b"]
    else:
        assert emit(session, "/", ["c"]) is None
        expected = ["b", "c"] if policy == "drop_oldest" else ["a", "b"]
    assert session.buffered == 2
    opened(session)
    (event,) = receive(session, reply("/", "S"))
    assert [p.data[0] for p in event.flushed] == expected


@pytest.mark.parametrize("policy", OVERFLOW_POLICIES)
def test_buffer_limit_zero(policy: str) -> None:
    session = new_session(max_buffered_emits=0, buffer_overflow=policy)
    if policy == "error":
        with pytest.raises(BufferFullError):
            emit(session, "/", ["a"])
    else:
        assert emit(session, "/", ["a"]) is None
    assert session.buffered == 0


def test_unlimited_buffer() -> None:
    session = new_session(max_buffered_emits=None)
    for i in range(5000):
        emit(session, "/", ["e", i])
    assert session.buffered == 5000


def test_unknown_overflow_policy_raises() -> None:
    with pytest.raises(ValueError, match="buffer_overflow"):
        ClientSession(JsonSerializer(), buffer_overflow="block")


def test_buffer_emits_false_raises_bad_namespace() -> None:
    session = new_session(buffer_emits=False)
    with pytest.raises(BadNamespaceError, match="connecting"):
        emit(session, "/", ["a"])
    assert session.buffered == 0
    assert emit(session, "/", ["a"], buffer=True) is None  # per-call override
    assert session.buffered == 1


def test_buffer_false_per_call() -> None:
    session = new_session()
    with pytest.raises(BadNamespaceError):
        emit(session, "/", ["a"], buffer=False)


def test_emit_to_an_unknown_namespace_raises() -> None:
    session = connected()
    with pytest.raises(BadNamespaceError, match="/nowhere"):
        emit(session, "/nowhere", ["a"])


def test_emit_to_a_failed_namespace_raises() -> None:
    session = new_session("/private")
    opened(session)
    receive(session, '4/private,{"message":"no"}')
    with pytest.raises(BadNamespaceError, match="/private"):
        emit(session, "/private", ["a"])


def test_emit_to_a_closed_namespace_raises() -> None:
    session = connected()
    leave(session, "/")
    with pytest.raises(BadNamespaceError):
        emit(session, "/", ["a"])
    session2 = connected()
    receive(session2, "1")
    with pytest.raises(BadNamespaceError):
        emit(session2, "/", ["a"])


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["x", {1, 2}], TypeError),
        (["x", float("nan")], TypeError),
        (["x", object()], TypeError),
        (["connect"], LocalProtocolError),
        ([], LocalProtocolError),
        ([None, 1], LocalProtocolError),
    ],
    ids=["set", "nan", "object", "reserved", "empty", "non-str-name"],
)
def test_bad_emit_leaves_the_session_unchanged(args: list, error: type[Exception]) -> None:
    # Connected: no ack id is consumed, no ack is registered.
    session = connected()
    with pytest.raises(error):
        emit(session, "/", args, Token("bad"))
    assert emit(session, "/", ["good"], Token("good")) == ['20["good"]']
    # Offline: nothing is buffered.
    offline = new_session()
    with pytest.raises(error):
        emit(offline, "/", args, Token("bad"))
    assert offline.buffered == 0
    assert give_up(offline) == ()


def test_local_protocol_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="reserved"):
        connected().emit("/", ["disconnect"])


# --- losses ----------------------------------------------------------------------------


def test_engine_lost_returns_connected_namespaces_and_unanswered_acks() -> None:
    session = new_session("/", "/admin", "/slow")
    opened(session)
    receive(session, reply("/", "R"))
    receive(session, reply("/admin", "A"))
    sent_root, sent_admin, answered = Token("root"), Token("admin"), Token("answered")
    emit(session, "/", ["a"], sent_root)
    emit(session, "/", ["b"], answered)
    emit(session, "/admin", ["c"], sent_admin)
    receive(session, "31[]")
    buffered = Token("buffered")
    emit(session, "/slow", ["d"], buffered)  # /slow never answered its CONNECT

    was_connected, lost = lose(session)
    assert was_connected == ["/", "/admin"]
    assert set(lost) == {sent_root, sent_admin}
    assert session.engine_open is False
    assert session.connected_namespaces() == {}
    assert all(session.state(ns) is CONNECTING for ns in ("/", "/admin", "/slow"))
    assert session.buffered == 1  # the unsent emit survives
    assert emit(session, "/", ["offline"], Token("offline")) is None  # buffered again

    assert opened(session) == ["0", "0/admin,", "0/slow,"]
    (event,) = receive(session, reply("/slow", "S"))
    assert event.flushed == (Packet(EVENT, "/slow", ["d"], 0),)
    (event,) = receive(session, reply("/", "R2"))
    assert event.flushed == (Packet(EVENT, "/", ["offline"], 0),)  # not recovered: ids restart
    assert receive(session, "30[]")[0].token.name == "offline"


def test_engine_lost_resets_a_half_received_binary_packet() -> None:
    session = connected()
    receive(session, '51-["m",{"_placeholder":true,"num":0}]')
    lose(session)
    opened(session)
    receive(session, reply("/", "S"))
    assert receive(session, '2["fresh"]') == [EventReceived("/", "fresh", [], None)]


def test_give_up_returns_every_token() -> None:
    session = new_session("/", "/admin")
    opened(session)
    receive(session, reply("/", "R"))
    sent, buffered, buffered_admin = Token("sent"), Token("buffered"), Token("buffered-admin")
    emit(session, "/", ["a"], sent)
    emit(session, "/admin", ["b"], buffered_admin)
    emit(session, "/admin", ["no-ack"])
    lose(session)
    emit(session, "/", ["c"], buffered)
    lost = give_up(session)
    # ``sent`` was already reported by engine_lost; the buffered ones come back now.
    assert set(lost) == {buffered, buffered_admin}
    assert session.buffered == 0
    assert session.wanted_namespaces() == []
    assert session.state("/") is CLOSED
    with pytest.raises(BadNamespaceError):
        emit(session, "/", ["d"])


def test_give_up_while_connected_returns_pending_acks() -> None:
    session = connected()
    token = Token("t")
    emit(session, "/", ["a"], token)
    assert give_up(session) == (token,)
    assert session.engine_open is False


def test_server_disconnect() -> None:
    session = connected("/", "/admin")
    sent, buffered_elsewhere = Token("sent"), Token("elsewhere")
    emit(session, "/admin", ["a"], sent)
    events = receive(session, "1/admin,")
    assert events == [AcksLost((sent,), events[0].error), ServerDisconnected("/admin")]
    assert str(events[0].error) == "the server disconnected /admin"
    assert session.state("/admin") is CLOSED
    assert session.state("/") is CONNECTED  # the engine and the other namespaces stay
    assert receive(session, "1/admin,") == []  # already closed
    assert emit(session, "/", ["still"], buffered_elsewhere) == ['20["still"]']
    assert receive(session, "30[]") == [AckReceived("/", buffered_elsewhere, [])]


def test_server_disconnect_without_comma_and_buffered_emits() -> None:
    session = new_session("/custom")
    token = Token("t")
    emit(session, "/custom", ["queued"], token)
    opened(session)
    events = receive(session, "1/custom")
    assert [type(e) for e in events] == [AcksLost, ServerDisconnected, CloseConnection]  # none left
    assert lost_tokens(events) == (token,)
    assert session.buffered == 0
    assert lose(session) == ([], ())
    assert opened(session) == []  # not reconnected


def test_connect_error_returns_the_buffered_tokens() -> None:
    session = new_session("/private", "/")
    token = Token("t")
    emit(session, "/private", ["queued"], token)
    emit(session, "/", ["root"])
    opened(session)
    lost, refused = receive(session, '4/private,{"message":"not authorized"}')
    assert lost == AcksLost((token,), lost.error) and type(refused) is ConnectError
    assert str(lost.error) == "/private refused: not authorized"
    assert session.buffered == 1


def test_client_disconnect() -> None:
    session = connected("/", "/admin")
    token = Token("t")
    emit(session, "/admin", ["a"], token)
    assert leave(session, "/admin") == (["1/admin,"], (token,))
    assert leave(session, "/") == (["1"], ())
    assert leave(session, "/unknown") == ([], ())
    assert session.wanted_namespaces() == []


def test_client_disconnect_before_the_engine_opened_sends_nothing() -> None:
    session = new_session()
    token = Token("t")
    emit(session, "/", ["a"], token)
    assert leave(session, "/") == ([], (token,))


def test_want_again_after_a_failure_starts_fresh() -> None:
    session = new_session("/private")
    opened(session)
    receive(session, '4/private,{"message":"no"}')
    session.want("/private", {"token": "better"})
    assert session.state("/private") is CONNECTING
    assert opened(session) == ['0/private,{"token":"better"}']
    assert receive(session, reply("/private", "P")) == [Connected("/private", "P", False, ())]


def test_malformed_packet_closes_and_the_session_keeps_working() -> None:
    session = connected()
    (close,) = receive(session, "2{}")
    assert type(close) is CloseConnection and close.reconnect
    assert isinstance(close.error, ValueError) and "invalid payload" in str(close.error)
    assert receive(session, '2["ok"]') == [EventReceived("/", "ok", [], None)]
