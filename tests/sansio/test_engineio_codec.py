"""Engine.IO 4 codec and client session rules (docs/protocol.md §1, §3)."""

from __future__ import annotations

import math
import re

import pytest

from sio_notebook.exceptions import ProtocolError, RemoteProtocolError
from sio_notebook.sansio import engineio
from sio_notebook.sansio.engineio import EngineProtocol, OpenInfo, Packet, PacketType

from .helpers import SEP, packets_of, tr_payload

OPEN, CLOSE, PING, PONG, MESSAGE, UPGRADE, NOOP = PacketType

# --- single packets (one WebSocket frame each) -----------------------------------------

PACKETS = [
    (Packet(MESSAGE, "test"), "4test"),
    (Packet(OPEN), "0"),
    (Packet(CLOSE), "1"),
    (Packet(PING), "2"),
    (Packet(PING, "probe"), "2probe"),
    (Packet(PONG, "probe"), "3probe"),
    (Packet(UPGRADE), "5"),
    (Packet(NOOP), "6"),
    (Packet(MESSAGE, "€ てすと"), "4€ てすと"),
    (Packet(MESSAGE, b"\x01\x02\x03\x04"), b"\x01\x02\x03\x04"),  # raw bytes, no type byte (v4)
    (Packet(MESSAGE, b""), b""),
]


@pytest.mark.parametrize(("packet", "frame"), PACKETS, ids=[repr(f) for _, f in PACKETS])
def test_packet_two_way(packet: Packet, frame: engineio.Frame) -> None:
    assert engineio.encode_packet(packet) == frame
    assert type(engineio.encode_packet(packet)) is type(frame)
    assert engineio.decode_packet(frame) == packet


def test_binary_frame_types_decode_as_bytes() -> None:
    assert engineio.decode_packet(bytearray(b"\x01")) == Packet(MESSAGE, b"\x01")
    assert engineio.decode_packet(memoryview(b"\x02")) == Packet(MESSAGE, b"\x02")
    assert engineio.encode_packet(Packet(MESSAGE, bytearray(b"\x03"))) == b"\x03"


def test_only_messages_carry_binary() -> None:
    with pytest.raises(ValueError, match="only MESSAGE"):
        engineio.encode_packet(Packet(PING, b"\x01"))


def test_constant_frames() -> None:
    assert (engineio.PONG, engineio.PROBE, engineio.PROBE_ANSWER, engineio.UPGRADE, engineio.CLOSE) == (
        "3",
        "2probe",
        "3probe",
        "5",
        "1",
    )


# §1.3, §3: all of these give {type: "error", data: "parser error"} in engine.io-parser.
BAD_PACKETS = ["", "a123", "{", "{}", '["a123", "a456"]', "7", "9", "b", "bAQIDBA==", " 4x"]


@pytest.mark.parametrize("frame", BAD_PACKETS)
def test_bad_packets_raise(frame: str) -> None:
    with pytest.raises(RemoteProtocolError, match="Engine.IO packet") as info:
        engineio.decode_packet(frame)
    assert isinstance(info.value, ProtocolError)


# --- polling payloads ------------------------------------------------------------------

PAYLOADS = [
    pytest.param(
        [Packet(OPEN), Packet(CLOSE), Packet(PING, "probe"), Packet(PONG, "probe"), Packet(MESSAGE, "test")],
        "0\x1e1\x1e2probe\x1e3probe\x1e4test",
        ["0", "1", "2probe", "3probe", "4test"],
        id="all-types",
    ),
    pytest.param(
        [Packet(MESSAGE, "test"), Packet(MESSAGE, b"\x01\x02\x03\x04")],
        "4test\x1ebAQIDBA==",
        ["4test", b"\x01\x02\x03\x04"],
        id="text-and-binary",
    ),
    pytest.param([Packet(MESSAGE, b"\x01\x02\x03\x04")], "bAQIDBA==", [b"\x01\x02\x03\x04"], id="binary-alone"),
    pytest.param(
        [Packet(MESSAGE, "hello"), Packet(PING), Packet(MESSAGE, "world")],
        "4hello\x1e2\x1e4world",
        ["4hello", "2", "4world"],
        id="spec",
    ),
    pytest.param(
        [Packet(MESSAGE, '2["hello"]'), Packet(MESSAGE, '2["world"]')],
        '42["hello"]\x1e42["world"]',
        ['42["hello"]', '42["world"]'],
        id="sample-session-post",
    ),
    pytest.param(
        [Packet(MESSAGE, '0{"sid":"a","pid":"b"}'), Packet(MESSAGE, '2["auth",{"token":"abc"},false,"Q8Ff_ao"]')],
        '40{"sid":"a","pid":"b"}\x1e42["auth",{"token":"abc"},false,"Q8Ff_ao"]',
        ['40{"sid":"a","pid":"b"}', '42["auth",{"token":"abc"},false,"Q8Ff_ao"]'],
        id="recorded-get",
    ),
    pytest.param(
        [Packet(MESSAGE, '51-["m",{"_placeholder":true,"num":0}]'), Packet(MESSAGE, b"\x00\xff")],
        '451-["m",{"_placeholder":true,"num":0}]\x1ebAP8=',
        ['451-["m",{"_placeholder":true,"num":0}]', b"\x00\xff"],
        id="socketio-binary",
    ),
    pytest.param([Packet(NOOP)], "6", ["6"], id="noop"),
    pytest.param([Packet(MESSAGE, "€")], "4€", ["4€"], id="utf8"),
]


@pytest.mark.parametrize(("packets", "body", "frames"), PAYLOADS)
def test_payload_two_way(packets: list[Packet], body: str, frames: list[engineio.Frame]) -> None:
    assert engineio.encode_payload(packets) == body
    assert engineio.encode_payload(frames) == body  # already encoded frames work too
    tr_payload(body, frames)
    assert packets_of(engineio.decode_payload(body)) == packets


def test_payload_of_thousands_of_packets() -> None:
    """No 16-packet cap (python-engineio has one): the Node server flushes everything."""
    frames: list[engineio.Frame] = []
    for i in range(5000):
        frames.append(f'42["n",{i}]')
        if i % 100 == 0:
            frames.append(bytes([i % 256]) * 3)
    body = engineio.encode_payload(frames)
    decoded = engineio.decode_payload(body)
    assert len(decoded) == 5050
    assert decoded == frames
    assert decoded[-1] == '42["n",4999]'


BAD_PAYLOADS = [
    ("", "empty"),
    ("a123", "unknown Engine.IO packet type"),
    ("{", "unknown Engine.IO packet type"),
    ("{}", "unknown Engine.IO packet type"),
    ('["a123", "a456"]', "unknown Engine.IO packet type"),
    ("a123\x1ea456", "unknown Engine.IO packet type"),
    ("4ok\x1e", "empty"),  # trailing separator
    ("\x1e4ok", "empty"),
    ("4ok\x1e\x1e4ok", "empty"),
    ("4ok\x1ez", "unknown Engine.IO packet type"),  # decodePayload stops at the first error
    ("b!!!!", "invalid base64"),
    ("bAQIDBA", "invalid base64"),  # bad padding
    ("4ok\x1ebA Q==", "invalid base64"),
]


@pytest.mark.parametrize(("body", "problem"), BAD_PAYLOADS, ids=[repr(b) for b, _ in BAD_PAYLOADS])
def test_bad_payloads_raise(body: str, problem: str) -> None:
    with pytest.raises(RemoteProtocolError, match=re.escape(problem)):
        engineio.decode_payload(body)


def test_empty_binary_record_is_empty_bytes() -> None:
    tr_payload("b", [b""])


# --- the open packet -------------------------------------------------------------------

REAL_OPEN = '0{"sid":"55HkH7_HFRbAWjyEAAAA","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}'


def test_parse_real_open_packet() -> None:
    """§1.4, recorded from the Node server."""
    assert engineio.parse_open(REAL_OPEN) == OpenInfo(
        sid="55HkH7_HFRbAWjyEAAAA",
        upgrades=("websocket",),
        ping_interval=0.3,
        ping_timeout=0.2,
        max_payload=1_000_000,
    )


def test_parse_open_from_a_polling_body() -> None:
    body = '0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000}'
    info = engineio.parse_open(engineio.decode_payload(body)[0])
    assert (info.sid, info.ping_interval, info.ping_timeout) == ("lv_VI97HAXpY6yYWAAAC", 25.0, 5.0)


def test_parse_open_websocket_only_and_v3_defaults() -> None:
    info = engineio.parse_open('0{"sid":"x","upgrades":[],"pingInterval":25000,"pingTimeout":20000}')
    assert info.upgrades == ()
    assert info.max_payload == 1_000_000  # v3 servers send no maxPayload


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        ("<!DOCTYPE html><html><body>Hello</body></html>", "expected the Engine.IO open packet"),
        ('{"sid":"x"}', "expected the Engine.IO open packet"),
        ("4hello", "expected the Engine.IO open packet"),
        ("", "expected the Engine.IO open packet"),
        (b"0{}", "expected the Engine.IO open packet"),
        ('0{"upgrades":[],"pingInterval":25000,"pingTimeout":20000}', "invalid Engine.IO open packet"),
        ('0{"upgrades":[],"pingInterval":25000,"pingTimeout":20000}', "missing 'sid'"),
        ('0{"sid":null,"pingInterval":25000,"pingTimeout":20000}', "'sid' must be a non-empty string"),
        ('0{"sid":12,"pingInterval":25000,"pingTimeout":20000}', "'sid' must be a non-empty string"),
        ('0{"sid":"","pingInterval":25000,"pingTimeout":20000}', "'sid' must be a non-empty string"),
        ('0{"sid":"x","pingTimeout":20000}', "missing 'pingInterval'"),
        ('0{"sid":"x","pingInterval":"soon","pingTimeout":20000}', "invalid Engine.IO open packet"),
        # Non-finite or negative numbers: before, Infinity passed and an OverflowError
        # surfaced later from the heartbeat timer; 1e400 (maxPayload) raised OverflowError.
        ('0{"sid":"x","pingInterval":Infinity,"pingTimeout":20000}', "'pingInterval' must be a finite number >= 0"),
        ('0{"sid":"x","pingInterval":25000,"pingTimeout":NaN}', "'pingTimeout' must be a finite number >= 0"),
        ('0{"sid":"x","pingInterval":-1,"pingTimeout":20000}', "'pingInterval' must be a finite number >= 0"),
        ('0{"sid":"x","pingInterval":25000,"pingTimeout":5,"maxPayload":1e400}', "'maxPayload' must be a finite"),
        ('0{"sid":"x","pingInterval":true,"pingTimeout":20000}', "'pingInterval' must be a number"),
        ("0<html>", "invalid Engine.IO open packet"),
        ("0", "invalid Engine.IO open packet"),
        ("0[]", "invalid Engine.IO open packet"),
        ("0null", "invalid Engine.IO open packet"),
    ],
)
def test_parse_open_rejects_bad_input(frame: engineio.Frame, problem: str) -> None:
    with pytest.raises(RemoteProtocolError, match=re.escape(problem)) as info:
        engineio.parse_open(frame)
    # The message shows what arrived, so a user can tell an HTML page from bad JSON.
    assert repr(frame[:10])[1:-1] in str(info.value)


def test_parse_open_html_page_hints_at_the_server_kind() -> None:
    with pytest.raises(RemoteProtocolError, match="Socket.IO 3\\+ server"):
        engineio.parse_open("<!DOCTYPE html>")


# --- EngineProtocol: the client's session rules ----------------------------------------

INFO = OpenInfo(sid="s", upgrades=("websocket",), ping_interval=25.0, ping_timeout=20.0, max_payload=1_000_000)


def test_messages_are_returned_and_control_packets_are_not() -> None:
    proto = EngineProtocol(INFO, now=0.0)
    assert proto.receive_frame('42["x"]', 1.0) == '2["x"]'
    assert proto.receive_frame(b"\x01", 1.0) == b"\x01"
    assert type(proto.receive_frame(bytearray(b"\x02"), 1.0)) is bytes
    assert proto.receive_frame("6", 1.0) is None
    assert proto.receive_frame("2", 1.0) is None
    assert proto.data_to_send() == ["3"]


@pytest.mark.parametrize(("ping", "pong"), [("2", "3"), ("2probe", "3probe"), ("2€", "3€")])
def test_pong_answers_ping_with_its_data(ping: str, pong: str) -> None:
    proto = EngineProtocol(INFO, now=0.0)
    assert proto.data_to_send() == []
    assert proto.receive_frame(ping, 1.0) is None
    assert proto.data_to_send() == [pong]
    assert proto.data_to_send() == []  # cleared


def test_every_ping_gets_its_pong_in_order() -> None:
    proto = EngineProtocol(INFO, now=0.0)
    for i, frame in enumerate(["2a", "2b", "2c"]):
        proto.receive_frame(frame, float(i))
    assert proto.data_to_send() == ["3a", "3b", "3c"]


def test_deadline_starts_at_the_handshake() -> None:
    proto = EngineProtocol(INFO, now=100.0)
    assert proto.deadline == 145.0
    assert proto.last_ping == 100.0


def test_expired_exactly_at_the_boundary() -> None:
    """Dead only once ``now`` is past pingInterval + pingTimeout (JS: Date.now() > expiry)."""
    proto = EngineProtocol(INFO, now=100.0)
    assert not proto.expired(100.0)
    assert not proto.expired(145.0)
    assert proto.expired(math.nextafter(145.0, math.inf))
    assert proto.expired(1e9)


def test_deadline_is_re_armed_by_pings_only() -> None:
    proto = EngineProtocol(INFO, now=100.0)
    for frame in ['42["busy"]', b"\x00", "6"]:
        proto.receive_frame(frame, 140.0)
    assert proto.deadline == 145.0  # messages and noops do not move it (engine.io-client >= 6.6.1)
    assert proto.expired(146.0)
    proto.receive_frame("2", 140.0)
    assert proto.deadline == 185.0
    assert proto.last_ping == 140.0
    assert not proto.expired(146.0)
    assert not proto.expired(185.0)
    assert proto.expired(185.5)


def test_noop_is_ignored() -> None:
    proto = EngineProtocol(INFO, now=0.0)
    assert proto.receive_frame("6", 5.0) is None
    assert proto.data_to_send() == []
    assert proto.close_reason is None
    assert proto.deadline == 45.0


def test_close_packet_sets_transport_close() -> None:
    proto = EngineProtocol(INFO, now=0.0)
    assert proto.close_reason is None
    assert proto.receive_frame("1", 1.0) is None
    assert proto.close_reason == "transport close"
    assert proto.data_to_send() == []


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        ('0{"sid":"again"}', "unexpected Engine.IO packet"),
        ("3", "unexpected Engine.IO packet"),
        ("3probe", "unexpected Engine.IO packet"),
        ("5", "unexpected Engine.IO packet"),
        ("", "empty Engine.IO packet"),
        ("7", "unknown Engine.IO packet type"),
        ("x", "unknown Engine.IO packet type"),
        ("bAQID", "unknown Engine.IO packet type"),
    ],
)
def test_unexpected_packets_raise(frame: str, problem: str) -> None:
    proto = EngineProtocol(INFO, now=0.0)
    with pytest.raises(RemoteProtocolError, match=re.escape(problem)):
        proto.receive_frame(frame, 1.0)
    assert proto.data_to_send() == []


def test_protocol_from_a_real_open_packet() -> None:
    proto = EngineProtocol(engineio.parse_open(REAL_OPEN), now=10.0)
    assert proto.deadline == pytest.approx(10.5)
    assert not proto.expired(10.4)
    assert proto.expired(10.6)


def test_a_polling_body_through_the_protocol() -> None:
    """A GET body: decode the payload, feed each frame; messages out, pongs queued."""
    body = '2\x1e42["a"]\x1ebAQ==\x1e6\x1e42["b"]'
    proto = EngineProtocol(INFO, now=0.0)
    out = [proto.receive_frame(frame, 3.0) for frame in engineio.decode_payload(body)]
    assert [m for m in out if m is not None] == ['2["a"]', b"\x01", '2["b"]']
    pongs = proto.data_to_send()
    assert pongs == [engineio.PONG]
    assert engineio.encode_payload(pongs + ['42["reply"]']) == "3" + SEP + '42["reply"]'
