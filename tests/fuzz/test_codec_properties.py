"""Property-based tests of the codecs (hypothesis).

Round trips: any packet the client can encode, with arbitrary JSON and bytes anywhere in
the data, all namespaces and ack ids, decodes back to itself with both parsers (default
and msgpack), and Engine.IO packets and polling payloads round-trip too.

Robustness: every decoder fed arbitrary or damaged input (``decode_packet``,
``decode_payload``, ``parse_open``, ``EngineProtocol.receive_frame``, the Socket.IO
decoders fed sequences of str/bytes, ``ClientSession.receive``) either returns normally or
raises our ProtocolError; never anything else, and never slowly (a per-example deadline).
The number of examples run is printed in the terminal summary.
"""

from __future__ import annotations

import json
import math
import typing

import msgpack
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sio_notebook.exceptions import ProtocolError
from sio_notebook.sansio import engineio
from sio_notebook.sansio.engineio import EngineProtocol, OpenInfo
from sio_notebook.sansio.events import CloseConnection, SessionEvent
from sio_notebook.sansio.msgpack import MsgPackSerializer
from sio_notebook.sansio.reasons import PARSE_ERROR
from sio_notebook.sansio.session import ClientSession
from sio_notebook.sansio.socketio import JsonSerializer, Packet, PacketType

from .strategies import (
    FUZZ,
    count,
    count_bytes,
    json_values,
    mutations,
    namespaces,
    normalised,
    socketio_packets,
)

JSON = JsonSerializer()
MSGPACK = MsgPackSerializer()

BINARY_TYPE = {PacketType.EVENT: PacketType.BINARY_EVENT, PacketType.ACK: PacketType.BINARY_ACK}


def _expected(packet: Packet, binary_types: bool) -> Packet:
    ptype = packet.type
    if binary_types and count_bytes(packet.data):
        ptype = BINARY_TYPE.get(ptype, ptype)
    return Packet(ptype, packet.namespace, normalised(packet.data), packet.id)


def _decode(serializer, frames):
    decoder = serializer.decoder()
    for frame in frames[:-1]:
        assert decoder.feed(frame) is None
    return decoder.feed(frames[-1])


# --- round trips -------------------------------------------------------------------------


@FUZZ(300)
@given(socketio_packets(binary=True))
def test_default_parser_round_trip(packet):
    count("round trip: default parser")
    frames = JSON.encode(packet)
    assert isinstance(frames[0], str) and all(isinstance(f, bytes) for f in frames[1:])
    assert len(frames) == 1 + count_bytes(packet.data)
    if len(frames) - 1 > JSON.max_attachments:
        with pytest.raises(ProtocolError, match="too many attachments"):
            _decode(JSON, frames)
        return
    assert _decode(JSON, frames) == _expected(packet, binary_types=True)


@FUZZ(250)
@given(socketio_packets(binary=True, int64=True))
def test_msgpack_parser_round_trip(packet):
    count("round trip: msgpack parser")
    frames = MSGPACK.encode(packet)
    assert len(frames) == 1 and isinstance(frames[0], bytes)  # one binary message, bytes inline
    assert _decode(MSGPACK, frames) == _expected(packet, binary_types=False)


@FUZZ(60)
@given(st.lists(socketio_packets(binary=True), min_size=1, max_size=6))
def test_default_parser_stream_of_packets(packets):
    """One decoder, many packets in a row: no state leaks from one packet to the next."""
    count("round trip: packet streams")
    packets = [p for p in packets if count_bytes(p.data) <= JSON.max_attachments]
    decoder = JSON.decoder()
    out = []
    for packet in packets:
        for frame in JSON.encode(packet):
            result = decoder.feed(frame)
            if result is not None:
                out.append(result)
    assert out == [_expected(p, binary_types=True) for p in packets]


@FUZZ(100)
@given(json_values(binary=False), st.sampled_from([math.nan, math.inf, -math.inf]))
def test_unsendable_floats_raise_type_error(value, bad):
    count("encode: NaN/Infinity refused")
    for serializer in (JSON,):
        with pytest.raises(TypeError):
            serializer.encode(Packet(PacketType.EVENT, "/", ["x", value, bad]))


_EIO_TEXT = st.text(max_size=40).filter(lambda s: "\x1e" not in s)
_EIO_PACKETS = st.one_of(
    st.builds(lambda t, d: engineio.Packet(t, d), st.sampled_from(list(engineio.PacketType)), st.none() | _EIO_TEXT),
    st.builds(lambda b: engineio.Packet(engineio.PacketType.MESSAGE, b), st.binary(max_size=40)),
)


@FUZZ(300)
@given(st.lists(_EIO_PACKETS, min_size=1, max_size=8))
def test_engineio_packet_and_payload_round_trip(packets):
    count("round trip: Engine.IO packets and payloads")
    frames = [engineio.encode_packet(p) for p in packets]
    for packet, frame in zip(packets, frames, strict=True):
        decoded = engineio.decode_packet(frame)
        assert decoded.type is packet.type
        assert (decoded.data or None) == (packet.data or None)
    assume(all(f != "" for f in frames))
    assert engineio.decode_payload(engineio.encode_payload(packets)) == [
        bytes(f) if isinstance(f, bytes) else f for f in frames
    ]


# --- robustness: arbitrary input ---------------------------------------------------------

frames_any = st.text(max_size=200) | st.binary(max_size=200)


def _only_protocol_errors(call, *args):
    try:
        return call(*args)
    except ProtocolError:
        return None


@FUZZ(1200)
@given(frames_any)
def test_decode_packet_arbitrary(frame):
    count("arbitrary: decode_packet")
    _only_protocol_errors(engineio.decode_packet, frame)


@FUZZ(1200)
@given(st.text(max_size=300) | st.lists(st.text(max_size=30), max_size=8).map("\x1e".join))
def test_decode_payload_arbitrary(body):
    count("arbitrary: decode_payload")
    frames = _only_protocol_errors(engineio.decode_payload, body)
    if frames is not None:
        assert all(isinstance(f, (str, bytes)) for f in frames)


_OPEN_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "sid": json_values(binary=False, max_leaves=3),
        "upgrades": json_values(binary=False, max_leaves=3),
        "pingInterval": json_values(binary=False, max_leaves=2),
        "pingTimeout": json_values(binary=False, max_leaves=2),
        "maxPayload": json_values(binary=False, max_leaves=2),
    },
)
_NUMBER_TEXT = st.sampled_from(["1e400", "-1e400", "NaN", "Infinity", "-Infinity", "-1", "0", "1e-400", "25000"])


@st.composite
def open_packets(draw):
    fields = draw(_OPEN_FIELDS)
    text = json.dumps(fields)
    if draw(st.booleans()):  # numbers JSON.stringify never writes (overflow, NaN) in one field
        key = draw(st.sampled_from(["pingInterval", "pingTimeout", "maxPayload"]))
        fields[key] = "@@"
        text = json.dumps(fields).replace('"@@"', draw(_NUMBER_TEXT))
    return "0" + text


@FUZZ(800)
@given(frames_any | open_packets())
def test_parse_open_arbitrary(frame):
    count("arbitrary: parse_open")
    info = _only_protocol_errors(engineio.parse_open, frame)
    if info is not None:
        # Whatever it accepted, the client can use: a sid, and finite non-negative times.
        assert isinstance(info.sid, str) and info.sid
        assert math.isfinite(info.ping_interval) and info.ping_interval >= 0
        assert math.isfinite(info.ping_timeout) and info.ping_timeout >= 0
        assert isinstance(info.max_payload, int)


@FUZZ(800)
@given(st.lists(frames_any, max_size=10))
def test_engine_protocol_arbitrary(frames):
    count("arbitrary: EngineProtocol.receive_frame")
    protocol = EngineProtocol(OpenInfo("sid", (), 25.0, 20.0, 1_000_000), 0.0)
    for i, frame in enumerate(frames):
        message = _only_protocol_errors(protocol.receive_frame, frame, float(i))
        assert message is None or isinstance(message, (str, bytes))
    assert all(isinstance(f, str) for f in protocol.data_to_send())


@FUZZ(1200)
@given(st.lists(frames_any, max_size=10))
def test_default_decoder_arbitrary_sequences(frames):
    count("arbitrary: default decoder sequences")
    decoder = JSON.decoder()
    for frame in frames:
        packet = _only_protocol_errors(decoder.feed, frame)
        assert packet is None or isinstance(packet, Packet)


_MSGPACK_OBJECTS = st.fixed_dictionaries(
    {},
    optional={
        "type": st.integers(-3, 9) | json_values(max_leaves=2, int64=True),
        "nsp": namespaces | st.text(max_size=8) | st.integers(-1000, 1000),
        "data": json_values(int64=True),
        "id": st.integers(-5, 2**64 - 1) | json_values(max_leaves=2, int64=True),
    },
) | json_values(int64=True)


@FUZZ(400)
@given(
    st.lists(
        st.binary(max_size=100) | _MSGPACK_OBJECTS.map(lambda o: msgpack.packb(o, use_bin_type=True)) | st.text(max_size=20),
        max_size=6,
    )
)
def test_msgpack_decoder_arbitrary(messages):
    count("arbitrary: msgpack decoder")
    decoder = MSGPACK.decoder()
    for message in messages:
        packet = _only_protocol_errors(decoder.feed, message)
        assert packet is None or isinstance(packet, Packet)


@FUZZ(40)
@given(st.integers(min_value=500, max_value=200_000), st.sampled_from(["[", "{\"a\":"]))
def test_deeply_nested_payloads_are_protocol_errors(depth, opener):
    """A hostile server can nest JSON (and msgpack) arbitrarily deep: a clean ProtocolError."""
    count("arbitrary: deep nesting")
    closer = "]" if opener == "[" else "}"
    text = '2["x",' + opener * depth + "1" + closer * depth + "]"
    _only_protocol_errors(JSON.decoder().feed, text)
    # Deep enough for the JSON decoder, too deep to restore the attachment inside.
    decoder = JSON.decoder()
    header = '51-["x",' + opener * (depth % 1000) + '{"_placeholder":true,"num":0}' + closer * (depth % 1000) + "]"
    _only_protocol_errors(decoder.feed, header)
    _only_protocol_errors(decoder.feed, b"\x00")
    nested: object = 1
    for _ in range(min(depth, 5000)):
        nested = [nested]
    try:
        blob = msgpack.packb({"type": 2, "nsp": "/", "data": ["x", nested]})
    except (ValueError, OverflowError, RecursionError):
        return  # msgpack refuses to build it: nothing to feed
    _only_protocol_errors(MSGPACK.decoder().feed, blob)


# --- robustness: damaged valid input ------------------------------------------------------


@st.composite
def damaged_default_frames(draw):
    packet = draw(socketio_packets(binary=True))
    frames = JSON.encode(packet)
    i = draw(st.integers(0, len(frames) - 1))
    frames[i] = draw(mutations(frames[i]))
    if draw(st.booleans()):  # out of order: attachments moved, dropped or doubled
        frames = draw(st.permutations(frames))
    if len(frames) > 1 and draw(st.booleans()):
        frames = frames[: draw(st.integers(1, len(frames) - 1))] + frames
    return frames


@FUZZ(500)
@given(damaged_default_frames())
def test_default_decoder_damaged(frames):
    count("damaged: default decoder")
    decoder = JSON.decoder()
    for frame in frames:
        packet = _only_protocol_errors(decoder.feed, frame)
        assert packet is None or isinstance(packet, Packet)


@FUZZ(300)
@given(socketio_packets(binary=True, int64=True).flatmap(lambda p: mutations(MSGPACK.encode(p)[0])))
def test_msgpack_decoder_damaged(blob):
    count("damaged: msgpack decoder")
    _only_protocol_errors(MSGPACK.decoder().feed, blob)


@st.composite
def damaged_payloads(draw):
    packets = draw(st.lists(socketio_packets(binary=True), min_size=1, max_size=4))
    frames = []
    for packet in packets:
        encoded = JSON.encode(packet)
        frames += ["4" + encoded[0], *encoded[1:]]
    body = engineio.encode_payload(frames)
    return draw(mutations(body))


@FUZZ(200)
@given(damaged_payloads())
def test_decode_payload_damaged(body):
    count("damaged: decode_payload")
    _only_protocol_errors(engineio.decode_payload, body)


@FUZZ(300)
@given(st.builds(lambda d: "0" + json.dumps(d), st.fixed_dictionaries(
    {"sid": st.text(min_size=1, max_size=20), "upgrades": st.just(["websocket"]),
     "pingInterval": st.integers(0, 60000), "pingTimeout": st.integers(0, 60000), "maxPayload": st.integers(0, 10**7)}
)).flatmap(mutations))
def test_parse_open_damaged(frame):
    count("damaged: parse_open")
    _only_protocol_errors(engineio.parse_open, frame)


# --- the session: every state, any input --------------------------------------------------


SESSION_EVENTS = typing.get_args(SessionEvent)


def _session(serializer, recovering: bool) -> ClientSession:
    """A session with '/' connected (with a recovery pid when ``recovering``), '/admin'
    still connecting, and an ack pending on '/'."""
    session = ClientSession(serializer)
    session.want("/")
    session.want("/admin")
    session.engine_opened()
    reply = {"sid": "s1", "pid": "p1"} if recovering else {"sid": "s1"}
    for frame in serializer.encode(Packet(PacketType.CONNECT, "/", reply)):
        session.receive_data(frame)
    session.emit("/", ["ask"], token=object())
    session.data_to_send()
    session.events_received()
    return session


def _session_inputs(serializer):
    valid = socketio_packets(binary=True, int64=True).map(serializer.encode)
    damaged = valid.flatmap(lambda frames: st.lists(st.sampled_from(frames), min_size=1, max_size=4).flatmap(
        lambda picked: st.tuples(*[mutations(f) for f in picked])
    ).map(list))
    junk = st.lists(frames_any, min_size=1, max_size=3)
    return st.lists(valid | damaged | junk, max_size=6)


@pytest.mark.parametrize("recovering", [False, True], ids=["plain", "recovering"])
@pytest.mark.parametrize("parser", ["default", "msgpack"])
@FUZZ(100)
@given(data=st.data())
def test_session_receive_anything(parser, recovering, data):
    count(f"session: {parser} parser, {'with' if recovering else 'without'} recovery")
    serializer = JSON if parser == "default" else MSGPACK
    session = _session(serializer, recovering)
    for frames in data.draw(_session_inputs(serializer)):
        for frame in frames:
            session.receive_data(frame)  # never raises
            events = session.events_received()
            assert all(isinstance(e, SESSION_EVENTS) for e in events)
            if any(type(e) is CloseConnection and e.reconnect for e in events):
                (close,) = [e for e in events if type(e) is CloseConnection]
                assert isinstance(close.error, ProtocolError)  # only ours, never a bare ValueError
                session.engine_lost(PARSE_ERROR)  # what the client does: drop the connection,
                session.engine_opened()  # and start afresh
            session.data_to_send()
    # Whatever happened, the session still answers its queries consistently.
    assert set(session.connected_namespaces()) <= {"/", "/admin"}
    assert set(session.wanted_namespaces()) <= {"/", "/admin"}
