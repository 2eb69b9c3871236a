"""ClientSession driven by scripted server messages (docs/protocol.md §2.4-§2.7, §4.4, §4.10).

Each test plays the server: it feeds the Socket.IO packets a server would send (the
Engine.IO ``4`` already removed, as the engine layer hands them over) and checks the
frames the session returns and the events it reports. Ack callbacks are opaque tokens.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sio_notebook.exceptions import BadNamespaceError, BufferFullError, LocalProtocolError
from sio_notebook.sansio.session import (
    OVERFLOW_POLICIES,
    AckReceived,
    ClientSession,
    Connected,
    ConnectError,
    EventReceived,
    NamespaceState,
    ServerDisconnected,
)
from sio_notebook.sansio.socketio import JsonSerializer, Packet, PacketType

CONNECTING, CONNECTED, FAILED, CLOSED = (
    NamespaceState.CONNECTING,
    NamespaceState.CONNECTED,
    NamespaceState.FAILED,
    NamespaceState.CLOSED,
)
EVENT = PacketType.EVENT


class Token:
    """An ack callback stand-in: identity is all the session may rely on."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Token({self.name})"


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
    session.engine_opened()
    for i, ns in enumerate(namespaces or ("/",)):
        (event,) = session.receive(reply(ns, f"sid-{i}"))
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
    assert session.engine_opened() == frames
    assert session.engine_open is True
    assert all(session.state(ns) is CONNECTING for ns in namespaces)
    assert session.wanted_namespaces() == namespaces


def test_auth_must_be_an_object() -> None:
    session = new_session(auth=["not", "a", "dict"])
    with pytest.raises(TypeError, match="auth must be a dict"):
        session.engine_opened()


def test_connect_reply_gives_connected() -> None:
    session = new_session("/", "/admin")
    session.engine_opened()
    assert session.receive(reply("/admin", "A1")) == [Connected("/admin", "A1", False, ())]
    assert session.receive(reply("/", "R1")) == [Connected("/", "R1", False, ())]
    assert session.connected_namespaces() == {"/admin": "A1", "/": "R1"}
    assert (session.sid("/"), session.sid("/admin"), session.sid("/other")) == ("R1", "A1", None)
    assert session.state("/") is CONNECTED
    assert session.state("/other") is None
    assert session.recovered("/") is False


def test_connect_error_object_with_data() -> None:
    session = new_session("/private")
    session.engine_opened()
    events = session.receive('4/private,{"message":"not authorized","data":{"reason":"bad token"}}')
    assert events == [ConnectError("/private", "not authorized", {"reason": "bad token"}, ())]
    assert session.state("/private") is FAILED
    assert session.wanted_namespaces() == []


def test_connect_error_legacy_string() -> None:
    session = new_session("/admin")
    session.engine_opened()
    assert session.receive('4/admin,"Not authorized"') == [ConnectError("/admin", "Not authorized", None, ())]
    assert session.state("/admin") is FAILED


def test_connect_error_invalid_namespace() -> None:
    session = new_session("/random")
    session.engine_opened()
    (event,) = session.receive('4/random,{"message":"Invalid namespace"}')
    assert (event.message, event.data) == ("Invalid namespace", None)


@pytest.mark.parametrize("frame", ["0", "0{}", '0{"pid":"p"}', '0{"sid":5}'])
def test_connect_reply_without_sid_means_a_v2_server(frame: str) -> None:
    session = new_session()
    session.engine_opened()
    (event,) = session.receive(frame)
    assert type(event) is ConnectError
    assert "v2.x" in event.message
    assert session.state("/") is FAILED


def test_connect_error_for_an_unknown_namespace_is_ignored() -> None:
    session = connected()
    assert session.receive('4/nobody,{"message":"x"}') == []
    assert session.receive(reply("/nobody", "x")) == []
    assert session.state("/") is CONNECTED


def test_duplicate_connect_reply_is_ignored() -> None:
    session = connected()
    assert session.receive(reply("/", "other")) == []
    assert session.sid("/") == "sid-0"


# --- receiving events ------------------------------------------------------------------


def test_events_and_their_ack_ids() -> None:
    session = connected("/", "/admin")
    assert session.receive('2["hey","Jude"]') == [EventReceived("/", "hey", ["Jude"], None)]
    assert session.receive('2/admin,1["tellme"]') == [EventReceived("/admin", "tellme", [], 1)]
    assert session.receive('20["ask",1]') == [EventReceived("/", "ask", [1], 0)]
    assert session.receive('2[7,"numeric"]') == [EventReceived("/", 7, ["numeric"], None)]


def test_binary_event_is_reported_once_complete() -> None:
    session = connected()
    assert session.receive('52-["m",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]') == []
    assert session.receive(b"\x01\x02\x03") == []
    assert session.receive(b"\x04\x05\x06") == [EventReceived("/", "m", [b"\x01\x02\x03", b"\x04\x05\x06"], None)]


def test_events_for_other_namespaces_are_ignored() -> None:
    session = connected()
    assert session.receive('2/elsewhere,["x"]') == []


def test_answering_a_server_ack() -> None:
    session = connected("/", "/admin")
    assert session.ack_frames("/", 0, [42]) == ["30[42]"]
    assert session.ack_frames("/admin", 13, []) == ["3/admin,13[]"]
    assert session.ack_frames("/", 15, ["bar", b"buf"]) == ['61-15["bar",{"_placeholder":true,"num":0}]', b"buf"]


def test_events_before_the_connect_reply_are_delivered_after_connected() -> None:
    """The recovery replay arrives before the CONNECT reply (§2.4)."""
    session = new_session()
    session.engine_opened()
    assert session.receive('2["missed",1]') == []
    assert session.receive('23["missed-ack"]') == []
    events = session.receive(reply("/", "S"))
    assert events == [
        Connected("/", "S", False, ()),
        EventReceived("/", "missed", [1], None),
        EventReceived("/", "missed-ack", [], 3),
    ]
    assert session.receive('2["live"]') == [EventReceived("/", "live", [], None)]


def test_early_events_are_not_delivered_twice_or_after_a_new_connect() -> None:
    session = new_session()
    session.engine_opened()
    session.receive('2["stale"]')
    session.engine_lost()
    session.engine_opened()  # a new CONNECT forgets what came before it
    assert session.receive(reply("/", "S")) == [Connected("/", "S", False, ())]


# --- connection state recovery ---------------------------------------------------------


def recovering_session(auth: Any = None) -> ClientSession:
    session = new_session(auth=auth)
    session.engine_opened()
    assert session.receive(reply("/", "S1", pid="P1")) == [Connected("/", "S1", False, ())]
    assert session.pid("/") == "P1"
    return session


def test_offset_is_stripped_and_recorded_when_a_pid_is_held() -> None:
    session = recovering_session()
    assert session.receive('2["auth",{},false,"Q8FfhqP"]') == [EventReceived("/", "auth", [{}, False], None)]
    assert session.receive('2["news","today","off-2"]') == [EventReceived("/", "news", ["today"], None)]
    session.engine_lost()
    (frame,) = session.engine_opened()
    assert connect_payload(frame) == {"pid": "P1", "offset": "off-2"}


def test_offset_is_kept_when_the_event_has_an_ack_id() -> None:
    session = recovering_session()
    assert session.receive('25["ask","last-is-data"]') == [EventReceived("/", "ask", ["last-is-data"], 5)]
    session.engine_lost()
    assert connect_payload(session.engine_opened()[0]) == {"pid": "P1"}


@pytest.mark.parametrize("frame", ['2["only-name"]', '2["n",{"not":"a string"}]', '2["n",1]'])
def test_no_offset_without_a_trailing_string(frame: str) -> None:
    session = recovering_session()
    (event,) = session.receive(frame)
    assert [event.name, *event.args] == json.loads(frame[1:])


def test_offset_is_not_stripped_without_a_pid() -> None:
    session = connected()
    assert session.receive('2["news","today","off-2"]') == [EventReceived("/", "news", ["today", "off-2"], None)]
    session.engine_lost()
    assert session.engine_opened() == ["0"]


def test_binary_event_offset_is_stripped() -> None:
    session = recovering_session()
    session.receive('51-["file",{"_placeholder":true,"num":0},"off-b"]')
    assert session.receive(b"\x00") == [EventReceived("/", "file", [b"\x00"], None)]


def test_recovery_connect_merges_auth_and_auth_keys_win() -> None:
    session = recovering_session(auth={"token": "abc", "offset": "mine"})
    session.receive('2["e","off-1"]')
    lost = session.engine_lost()
    assert lost == (["/"], ())
    assert session.pid("/") == "P1"  # kept across the loss
    assert session.state("/") is CONNECTING
    (frame,) = session.engine_opened()
    payload = connect_payload(frame)
    assert payload == {"pid": "P1", "offset": "mine", "token": "abc"}
    assert list(payload)[:2] == ["pid", "offset"]  # {pid, offset, ...auth}


def test_recovery_connect_without_auth() -> None:
    session = recovering_session()
    session.receive('2["e","off-1"]')
    session.engine_lost()
    assert session.engine_opened() == ['0{"pid":"P1","offset":"off-1"}']


def test_recovery_connect_before_any_offset_omits_it() -> None:
    """JS sends {pid, offset: undefined}; JSON.stringify drops the undefined key."""
    session = recovering_session(auth={"token": "t"})
    session.engine_lost()
    assert session.engine_opened() == ['0{"pid":"P1","token":"t"}']


def test_recovered_when_the_same_pid_returns() -> None:
    session = recovering_session()
    session.receive('2["e","off-1"]')
    session.engine_lost()
    session.engine_opened()
    # The server replays what was missed, then confirms with the same pid.
    assert session.receive('2["missed","off-2"]') == []
    events = session.receive(reply("/", "S1", pid="P1"))
    assert events == [Connected("/", "S1", True, ()), EventReceived("/", "missed", [], None)]
    assert session.recovered("/") is True
    session.engine_lost()
    assert connect_payload(session.engine_opened()[0]) == {"pid": "P1", "offset": "off-2"}


def test_not_recovered_when_a_new_pid_comes_back() -> None:
    session = recovering_session()
    session.receive('2["e","off-1"]')
    session.engine_lost()
    session.engine_opened()
    assert session.receive(reply("/", "S2", pid="P2")) == [Connected("/", "S2", False, ())]
    assert session.recovered("/") is False
    assert session.pid("/") == "P2"
    session.engine_lost()
    assert session.engine_opened() == ['0{"pid":"P2"}']  # the old offset belongs to the old pid


def test_pid_is_dropped_by_a_server_disconnect() -> None:
    session = recovering_session()
    session.receive("1")
    assert session.pid("/") is None
    session.want("/")
    session.engine_lost()
    assert session.engine_opened() == ["0"]


# --- emitting and acks -----------------------------------------------------------------


def test_emit_when_connected() -> None:
    session = connected("/", "/admin")
    assert session.emit("/", ["hello"]) == ['2["hello"]']
    assert session.emit("/admin", ["baz", b"\x01\x02", b"\x03\x04"]) == [
        '52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
        b"\x01\x02",
        b"\x03\x04",
    ]


def test_ack_ids_count_from_zero_per_namespace() -> None:
    session = connected("/", "/admin")
    assert session.emit("/", ["a"], Token("a")) == ['20["a"]']
    assert session.emit("/", ["b"], Token("b")) == ['21["b"]']
    assert session.emit("/", ["no-ack"]) == ['2["no-ack"]']
    assert session.emit("/admin", ["c"], Token("c")) == ['2/admin,0["c"]']
    assert session.emit("/", ["d", b"\x00"], Token("d")) == ['51-2["d",{"_placeholder":true,"num":0}]', b"\x00"]


def test_ack_received_returns_the_token() -> None:
    session = connected("/", "/admin")
    first, second, admin = Token("first"), Token("second"), Token("admin")
    session.emit("/", ["a"], first)
    session.emit("/", ["b"], second)
    session.emit("/admin", ["c"], admin)
    assert session.receive('31["B",1]') == [AckReceived("/", second, ["B", 1])]
    assert session.receive("3/admin,0[]") == [AckReceived("/admin", admin, [])]
    assert session.receive('61-0[{"_placeholder":true,"num":0}]') == []
    assert session.receive(b"bin") == [AckReceived("/", first, [b"bin"])]


@pytest.mark.parametrize("frame", ["30[]", "39[1]", "3/admin,0[]", "3/nobody,0[]"])
def test_unknown_ack_ids_are_ignored(frame: str) -> None:
    session = connected("/", "/admin")
    assert session.receive(frame) == []


def test_an_ack_is_delivered_once() -> None:
    session = connected()
    token = Token("t")
    session.emit("/", ["a"], token)
    assert session.receive("30[1]") == [AckReceived("/", token, [1])]
    assert session.receive("30[2]") == []


def test_forgotten_ack_is_ignored() -> None:
    session = connected()
    token = Token("t")
    session.emit("/", ["a"], token)
    session.forget_ack("/", token)
    assert session.receive("30[]") == []
    assert session.engine_lost() == (["/"], ())


def test_emits_while_connecting_are_buffered_and_flushed_in_order() -> None:
    session = new_session()
    first, third = Token("first"), Token("third")
    assert session.emit("/", ["one"], first) is None
    assert session.emit("/", ["two", b"\x07"]) is None
    assert session.engine_opened() == ["0"]
    assert session.emit("/", ["three"], third) is None  # CONNECT sent, reply not yet in
    assert session.buffered == 3
    (event,) = session.receive(reply("/", "S"))
    assert event.flushed == (
        Packet(EVENT, "/", ["one"], 0),
        Packet(EVENT, "/", ["two", b"\x07"], None),
        Packet(EVENT, "/", ["three"], 1),
    )
    assert session.flush_frames(event) == [
        '20["one"]',
        '51-["two",{"_placeholder":true,"num":0}]',
        b"\x07",
        '21["three"]',
    ]
    assert session.buffered == 0
    assert session.emit("/", ["four"], Token("four")) == ['22["four"]']
    assert session.receive("30[]") == [AckReceived("/", first, [])]
    assert session.receive("31[]") == [AckReceived("/", third, [])]


def test_buffered_emits_wait_for_their_own_namespace() -> None:
    session = new_session("/", "/admin")
    session.emit("/admin", ["for-admin"])
    session.emit("/", ["for-root"])
    session.engine_opened()
    (root,) = session.receive(reply("/", "R"))
    assert root.flushed == (Packet(EVENT, "/", ["for-root"]),)
    assert session.buffered == 1
    (admin,) = session.receive(reply("/admin", "A"))
    assert session.flush_frames(admin) == ['2/admin,["for-admin"]']


def test_volatile_emits_are_dropped_when_not_connected() -> None:
    session = new_session()
    assert session.emit("/", ["v"], volatile=True) is None
    assert session.buffered == 0
    session.engine_opened()
    assert session.receive(reply("/", "S")) == [Connected("/", "S", False, ())]
    assert session.emit("/", ["v"], volatile=True) == ['2["v"]']


def test_cancel_buffered() -> None:
    session = new_session()
    token = Token("t")
    session.emit("/", ["a"], token)
    session.emit("/", ["b"])
    assert session.cancel_buffered(token) is True
    assert session.cancel_buffered(token) is False
    session.engine_opened()
    (event,) = session.receive(reply("/", "S"))
    assert event.flushed == (Packet(EVENT, "/", ["b"]),)


@pytest.mark.parametrize("policy", OVERFLOW_POLICIES)
def test_buffer_limit_with_each_overflow_policy(policy: str) -> None:
    session = new_session(max_buffered_emits=2, buffer_overflow=policy)
    session.emit("/", ["a"])
    session.emit("/", ["b"])
    if policy == "error":
        with pytest.raises(BufferFullError, match="max_buffered_emits=2"):
            session.emit("/", ["c"])
        expected = ["a", "b"]
    else:
        assert session.emit("/", ["c"]) is None
        expected = ["b", "c"] if policy == "drop_oldest" else ["a", "b"]
    assert session.buffered == 2
    session.engine_opened()
    (event,) = session.receive(reply("/", "S"))
    assert [p.data[0] for p in event.flushed] == expected


@pytest.mark.parametrize("policy", OVERFLOW_POLICIES)
def test_buffer_limit_zero(policy: str) -> None:
    session = new_session(max_buffered_emits=0, buffer_overflow=policy)
    if policy == "error":
        with pytest.raises(BufferFullError):
            session.emit("/", ["a"])
    else:
        assert session.emit("/", ["a"]) is None
    assert session.buffered == 0


def test_unlimited_buffer() -> None:
    session = new_session(max_buffered_emits=None)
    for i in range(5000):
        session.emit("/", ["e", i])
    assert session.buffered == 5000


def test_unknown_overflow_policy_raises() -> None:
    with pytest.raises(ValueError, match="buffer_overflow"):
        ClientSession(JsonSerializer(), buffer_overflow="block")


def test_buffer_emits_false_raises_bad_namespace() -> None:
    session = new_session(buffer_emits=False)
    with pytest.raises(BadNamespaceError, match="connecting"):
        session.emit("/", ["a"])
    assert session.buffered == 0
    assert session.emit("/", ["a"], buffer=True) is None  # per-call override
    assert session.buffered == 1


def test_buffer_false_per_call() -> None:
    session = new_session()
    with pytest.raises(BadNamespaceError):
        session.emit("/", ["a"], buffer=False)


def test_emit_to_an_unknown_namespace_raises() -> None:
    session = connected()
    with pytest.raises(BadNamespaceError, match="/nowhere"):
        session.emit("/nowhere", ["a"])


def test_emit_to_a_failed_namespace_raises() -> None:
    session = new_session("/private")
    session.engine_opened()
    session.receive('4/private,{"message":"no"}')
    with pytest.raises(BadNamespaceError, match="/private"):
        session.emit("/private", ["a"])


def test_emit_to_a_closed_namespace_raises() -> None:
    session = connected()
    session.disconnect_frames("/")
    with pytest.raises(BadNamespaceError):
        session.emit("/", ["a"])
    session2 = connected()
    session2.receive("1")
    with pytest.raises(BadNamespaceError):
        session2.emit("/", ["a"])


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
        session.emit("/", args, Token("bad"))
    assert session.emit("/", ["good"], Token("good")) == ['20["good"]']
    # Offline: nothing is buffered.
    offline = new_session()
    with pytest.raises(error):
        offline.emit("/", args, Token("bad"))
    assert offline.buffered == 0
    assert offline.give_up() == ()


def test_local_protocol_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="reserved"):
        connected().emit("/", ["disconnect"])


# --- losses ----------------------------------------------------------------------------


def test_engine_lost_returns_connected_namespaces_and_unanswered_acks() -> None:
    session = new_session("/", "/admin", "/slow")
    session.engine_opened()
    session.receive(reply("/", "R"))
    session.receive(reply("/admin", "A"))
    sent_root, sent_admin, answered = Token("root"), Token("admin"), Token("answered")
    session.emit("/", ["a"], sent_root)
    session.emit("/", ["b"], answered)
    session.emit("/admin", ["c"], sent_admin)
    session.receive("31[]")
    buffered = Token("buffered")
    session.emit("/slow", ["d"], buffered)  # /slow never answered its CONNECT

    was_connected, lost = session.engine_lost()
    assert was_connected == ["/", "/admin"]
    assert set(lost) == {sent_root, sent_admin}
    assert session.engine_open is False
    assert session.connected_namespaces() == {}
    assert all(session.state(ns) is CONNECTING for ns in ("/", "/admin", "/slow"))
    assert session.buffered == 1  # the unsent emit survives
    assert session.emit("/", ["offline"], Token("offline")) is None  # buffered again

    assert session.engine_opened() == ["0", "0/admin,", "0/slow,"]
    (event,) = session.receive(reply("/slow", "S"))
    assert event.flushed == (Packet(EVENT, "/slow", ["d"], 0),)
    (event,) = session.receive(reply("/", "R2"))
    assert event.flushed == (Packet(EVENT, "/", ["offline"], 0),)  # not recovered: ids restart
    assert session.receive("30[]")[0].token.name == "offline"


def test_engine_lost_resets_a_half_received_binary_packet() -> None:
    session = connected()
    session.receive('51-["m",{"_placeholder":true,"num":0}]')
    session.engine_lost()
    session.engine_opened()
    session.receive(reply("/", "S"))
    assert session.receive('2["fresh"]') == [EventReceived("/", "fresh", [], None)]


def test_give_up_returns_every_token() -> None:
    session = new_session("/", "/admin")
    session.engine_opened()
    session.receive(reply("/", "R"))
    sent, buffered, buffered_admin = Token("sent"), Token("buffered"), Token("buffered-admin")
    session.emit("/", ["a"], sent)
    session.emit("/admin", ["b"], buffered_admin)
    session.emit("/admin", ["no-ack"])
    session.engine_lost()
    session.emit("/", ["c"], buffered)
    lost = session.give_up()
    # ``sent`` was already reported by engine_lost; the buffered ones come back now.
    assert set(lost) == {buffered, buffered_admin}
    assert session.buffered == 0
    assert session.wanted_namespaces() == []
    assert session.state("/") is CLOSED
    with pytest.raises(BadNamespaceError):
        session.emit("/", ["d"])


def test_give_up_while_connected_returns_pending_acks() -> None:
    session = connected()
    token = Token("t")
    session.emit("/", ["a"], token)
    assert session.give_up() == (token,)
    assert session.engine_open is False


def test_server_disconnect() -> None:
    session = connected("/", "/admin")
    sent, buffered_elsewhere = Token("sent"), Token("elsewhere")
    session.emit("/admin", ["a"], sent)
    assert session.receive("1/admin,") == [ServerDisconnected("/admin", (sent,))]
    assert session.state("/admin") is CLOSED
    assert session.state("/") is CONNECTED  # the engine and the other namespaces stay
    assert session.receive("1/admin,") == []  # already closed
    assert session.emit("/", ["still"], buffered_elsewhere) == ['20["still"]']
    assert session.receive("30[]") == [AckReceived("/", buffered_elsewhere, [])]


def test_server_disconnect_without_comma_and_buffered_emits() -> None:
    session = new_session("/custom")
    token = Token("t")
    session.emit("/custom", ["queued"], token)
    session.engine_opened()
    assert session.receive("1/custom") == [ServerDisconnected("/custom", (token,))]
    assert session.buffered == 0
    assert session.engine_lost() == ([], ())
    assert session.engine_opened() == []  # not reconnected


def test_connect_error_returns_the_buffered_tokens() -> None:
    session = new_session("/private", "/")
    token = Token("t")
    session.emit("/private", ["queued"], token)
    session.emit("/", ["root"])
    session.engine_opened()
    (event,) = session.receive('4/private,{"message":"not authorized"}')
    assert event.lost_acks == (token,)
    assert session.buffered == 1


def test_client_disconnect() -> None:
    session = connected("/", "/admin")
    token = Token("t")
    session.emit("/admin", ["a"], token)
    assert session.disconnect_frames("/admin") == (["1/admin,"], (token,))
    assert session.disconnect_frames("/") == (["1"], ())
    assert session.disconnect_frames("/unknown") == ([], ())
    assert session.wanted_namespaces() == []


def test_client_disconnect_before_the_engine_opened_sends_nothing() -> None:
    session = new_session()
    token = Token("t")
    session.emit("/", ["a"], token)
    assert session.disconnect_frames("/") == ([], (token,))


def test_want_again_after_a_failure_starts_fresh() -> None:
    session = new_session("/private")
    session.engine_opened()
    session.receive('4/private,{"message":"no"}')
    session.want("/private", {"token": "better"})
    assert session.state("/private") is CONNECTING
    assert session.connect_frames("/private", {"token": "better"}) == ['0/private,{"token":"better"}']
    assert session.receive(reply("/private", "P")) == [Connected("/private", "P", False, ())]


def test_malformed_packet_raises_and_the_session_keeps_working() -> None:
    session = connected()
    with pytest.raises(ValueError, match="invalid payload"):
        session.receive("2{}")
    assert session.receive('2["ok"]') == [EventReceived("/", "ok", [], None)]
