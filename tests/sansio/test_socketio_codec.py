"""The default Socket.IO parser against the golden vectors of docs/protocol.md §3.

Every vector is two-way: ``encode(packet)`` gives the exact text (and the exact
attachment bytes), and decoding that text plus attachments gives the packet back.
Binary packets are also fed split: the header first, then one attachment per feed.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re

import pytest

from sio_notebook.exceptions import LocalProtocolError, ProtocolError, RemoteProtocolError
from sio_notebook.sansio import engineio, socketio
from sio_notebook.sansio.nesting import MAX_DEPTH, json_depth_exceeds
from sio_notebook.sansio.socketio import RESERVED_EVENTS, JsonSerializer, Packet, PacketType

from .helpers import feed_all, tr, two_way

CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR, BINARY_EVENT, BINARY_ACK = PacketType


def ph(num: int) -> str:
    return f'{{"_placeholder":true,"num":{num}}}'


# --- §3.2: the parser-test vectors (socket.io-parser 4.2.7 output) ---------------------

VECTORS = [
    pytest.param(Packet(CONNECT, "/"), ["0"], id="connect"),
    pytest.param(Packet(CONNECT, "/woot", {"token": "123"}), ['0/woot,{"token":"123"}'], id="connect-auth"),
    pytest.param(Packet(CONNECT, "/admin"), ["0/admin,"], id="connect-nsp"),
    pytest.param(Packet(DISCONNECT, "/woot"), ["1/woot,"], id="disconnect-nsp"),
    pytest.param(Packet(DISCONNECT, "/"), ["1"], id="disconnect"),
    pytest.param(Packet(EVENT, "/", ["a", 1, {}]), ['2["a",1,{}]'], id="event"),
    pytest.param(Packet(EVENT, "/", [1, "a", {}]), ['2[1,"a",{}]'], id="event-numeric-name"),
    pytest.param(Packet(EVENT, "/test", ["a", 1, {}], 1), ['2/test,1["a",1,{}]'], id="event-nsp-id"),
    pytest.param(Packet(ACK, "/", ["a", 1, {}], 123), ['3123["a",1,{}]'], id="ack"),
    pytest.param(Packet(ACK, "/", [], 0), ["30[]"], id="ack-empty"),
    pytest.param(Packet(CONNECT_ERROR, "/", "Unauthorized"), ['4"Unauthorized"'], id="connect-error-str"),
    pytest.param(
        Packet(CONNECT_ERROR, "/", {"message": "Unauthorized"}), ['4{"message":"Unauthorized"}'], id="connect-error"
    ),
    pytest.param(
        Packet(BINARY_EVENT, "/cool", ["a", b"abc"], 23),
        [f'51-/cool,23["a",{ph(0)}]', b"abc"],
        id="binary-event",
    ),
    pytest.param(
        Packet(BINARY_EVENT, "/cool", ["a", {"b": ["c", b"abc"]}], 23),
        [f'51-/cool,23["a",{{"b":["c",{ph(0)}]}}]', b"abc"],
        id="binary-event-nested",
    ),
    pytest.param(
        Packet(BINARY_ACK, "/back", ["a", b"xxx", {}], 127),
        [f'61-/back,127["a",{ph(0)},{{}}]', b"xxx"],
        id="binary-ack",
    ),
    pytest.param(
        Packet(BINARY_EVENT, "/admin", ["baz", b"\x01\x02", b"\x03\x04"]),
        [f'52-/admin,["baz",{ph(0)},{ph(1)}]', b"\x01\x02", b"\x03\x04"],
        id="binary-event-spec",
    ),
    pytest.param(
        Packet(EVENT, "/", ["d", "1970-01-01T00:00:00.000Z"]), ['2["d","1970-01-01T00:00:00.000Z"]'], id="date"
    ),
    pytest.param(Packet(EVENT, "/", ["takeUtf8", "てすと", "€"]), ['2["takeUtf8","てすと","€"]'], id="utf8"),
]


@pytest.mark.parametrize(("packet", "frames"), VECTORS)
def test_parser_vectors_two_way(packet: Packet, frames: list) -> None:
    two_way(frames, packet)


@pytest.mark.parametrize(
    ("packet", "frames"),
    [
        pytest.param(
            Packet(EVENT, "/cool", ["a", b"abc"], 23), [f'51-/cool,23["a",{ph(0)}]', b"abc"], id="event->binary"
        ),
        pytest.param(
            Packet(ACK, "/back", ["a", b"xxx", {}], 127), [f'61-/back,127["a",{ph(0)},{{}}]', b"xxx"], id="ack->binary"
        ),
        pytest.param(Packet(BINARY_EVENT, "/", ["a", 1]), ['2["a",1]'], id="binary-event-without-bytes"),
        pytest.param(Packet(BINARY_ACK, "/", [1], 4), ["34[1]"], id="binary-ack-without-bytes"),
    ],
)
def test_packets_are_retyped_by_their_content(packet: Packet, frames: list) -> None:
    """§2.2: EVENT/ACK with binary become types 5/6, and 5/6 without binary become 2/3."""
    assert JsonSerializer().encode(packet) == frames


def test_utf8_is_written_raw_not_escaped() -> None:
    (text,) = JsonSerializer().encode(Packet(EVENT, "/", ["takeUtf8", "てすと", "€"]))
    assert "\\u" not in text
    assert "てすと" in text
    assert text.encode("utf-8") == '2["takeUtf8","てすと","€"]'.encode()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc), id="utc"),
        pytest.param(dt.datetime(1970, 1, 1, 2, tzinfo=dt.timezone(dt.timedelta(hours=2))), id="utc+2"),
    ],
)
def test_datetime_is_written_as_js_date_json(value: dt.datetime) -> None:
    """A JS Date serialises as ISO 8601 UTC with milliseconds and Z (Date.toJSON)."""
    assert JsonSerializer().encode(Packet(EVENT, "/", ["d", value])) == ['2["d","1970-01-01T00:00:00.000Z"]']


def test_datetime_milliseconds_are_truncated_like_js() -> None:
    value = dt.datetime(2024, 5, 6, 7, 8, 9, 123999, tzinfo=dt.timezone.utc)
    assert JsonSerializer().encode(Packet(EVENT, "/", ["d", value])) == ['2["d","2024-05-06T07:08:09.123Z"]']


def test_naive_datetime_raises_type_error() -> None:
    """A naive datetime names no instant; it used to go out as if it were UTC."""
    with pytest.raises(TypeError, match=r"naive datetime '2024-05-06T07:08:09'.*astimezone"):
        JsonSerializer().encode(Packet(EVENT, "/", ["d", {"at": dt.datetime(2024, 5, 6, 7, 8, 9)}]))
    # A date (no time of day) is not ambiguous: ISO date, as before.
    assert JsonSerializer().encode(Packet(EVENT, "/", ["d", dt.date(2024, 5, 6)])) == ['2["d","2024-05-06"]']


@pytest.mark.parametrize(
    "value, wire",
    [
        pytest.param("\ud83d", '"\\ud83d"', id="lone-high"),
        pytest.param("x\udc00y", '"x\\udc00y"', id="lone-low"),
        pytest.param("\ud83d\ude00", '"\U0001f600"', id="split-pair-is-joined"),
        pytest.param("é\ud83d€", '"é\\ud83d€"', id="among-non-ascii"),
    ],
)
def test_lone_surrogates_are_escaped_like_json_stringify(value: str, wire: str) -> None:
    r"""JS ``JSON.stringify("\ud83d")`` is ``"\ud83d"`` (escaped); raw, the text cannot be UTF-8 encoded.

    Before the fix the codec wrote the surrogate raw and the writer task died encoding it.
    """
    serializer = JsonSerializer()
    (text,) = serializer.encode(Packet(EVENT, "/", ["cut", value]))
    assert text == f'2["cut",{wire}]'
    text.encode("utf-8")  # what the transports do: must not raise
    expected = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    assert feed_all([text]).data == ["cut", expected]
    # Acks and CONNECT auth go through the same codec.
    (ack,) = serializer.encode(Packet(ACK, "/", [value], 7))
    ack.encode("utf-8")


# --- nesting depth: one explicit limit on every Python version -------------------------


def _nested(depth: int, inner: str = "1") -> str:
    """An EVENT whose payload nests ``depth`` arrays in all (its argument list included)."""
    return '2["x",' + "[" * (depth - 1) + inner + "]" * (depth - 1) + "]"


def test_max_depth_payload_decodes() -> None:
    packet = feed_all([_nested(socketio.MAX_DEPTH)])
    assert packet.data[0] == "x"


@pytest.mark.parametrize("depth", [socketio.MAX_DEPTH + 1, 700, 950, 1400, 5000, 50_000])
def test_deeper_than_max_depth_is_a_protocol_error(depth: int) -> None:
    """The same answer on 3.10-3.13: the scanner's own limit differs (about 900 to 8000)."""
    with pytest.raises(RemoteProtocolError, match=f"nested deeper than MAX_DEPTH={socketio.MAX_DEPTH}"):
        feed_all([_nested(depth)])


def test_depth_counts_objects_and_ignores_brackets_in_strings() -> None:
    deep_objects = '2["x",' + '{"a":' * (socketio.MAX_DEPTH) + "1" + "}" * (socketio.MAX_DEPTH) + "]"
    with pytest.raises(RemoteProtocolError, match="MAX_DEPTH"):
        feed_all([deep_objects])
    brackets = "[" * 5000
    assert feed_all([f'2["x","{brackets}"]']).data == ["x", brackets]
    wide = "[" + ",".join(["[[1]]"] * 2000) + "]"  # many brackets, depth 4
    assert len(feed_all([f'2["x",{wide}]']).data[1]) == 2000


def test_depth_is_checked_before_parsing_even_when_the_json_is_invalid() -> None:
    """Unclosed brackets recurse in the scanner before it finds the error: refused first.

    In WebAssembly a scanner recursing 50,000 levels overflows the stack and kills the
    interpreter (nesting.py), so the depth check must not wait for a successful parse.
    """
    with pytest.raises(RemoteProtocolError, match="MAX_DEPTH"):
        feed_all(['2["x",' + "[" * 50_000])


def test_depth_scan_skips_strings_with_escaped_quotes() -> None:
    r"""A ``\"`` inside a string does not end it: the brackets after it are still text."""
    text = 'a\"' + "[" * 3000 + "\\"
    packet = feed_all(['2["x",' + json.dumps(text) + "," + _nested(MAX_DEPTH - 1)[6:]])
    assert packet.data[1] == text
    assert json_depth_exceeds("[" + json.dumps(text) + "]") is False
    assert json_depth_exceeds("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)) is True


def _depth(value: object) -> int:
    """The nesting of parsed JSON, walked without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item if isinstance(item, list) else list(item.values()) if isinstance(item, dict) else None
        if children is not None:
            deepest = max(deepest, level)
            stack += [(child, level + 1) for child in children]
    return deepest


@pytest.mark.parametrize("seed", range(4))
def test_depth_scan_agrees_with_the_parsed_depth(seed: int) -> None:
    """Wide payloads with brackets, quotes and escapes in strings, around the limit."""
    rng = random.Random(seed)
    texts = ["a[b", 'q"[{', "\\[[", "é😀]}", "x"]

    def small() -> object:
        return rng.choice([[rng.choice(texts)], {"k[": rng.choice(texts)}, rng.choice(texts), [], {}])  # depth <= 1

    for depth in (2, 40, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 30):
        value: object = [rng.choice(texts)]
        for level in range(depth - 2):  # a chain of depth - 1 levels, siblings along the way
            kids = [value, *(small() for _ in range(rng.randint(0, 2)))]
            value = kids if level % 2 else {f"{i}{{": kid for i, kid in enumerate(kids)}
        payload = [value, texts * 100]  # long, with hundreds of brackets inside strings
        text = json.dumps(payload, ensure_ascii=bool(seed % 2))
        assert _depth(json.loads(text)) == depth
        assert json_depth_exceeds(text) is (depth > MAX_DEPTH), depth


def test_attachment_nested_700_deep_is_a_protocol_error() -> None:
    """3.11 refused it (a RecursionError restoring the attachment), 3.12 decoded it."""
    header = '51-["x",' + "[" * 700 + '{"_placeholder":true,"num":0}' + "]" * 700 + "]"
    with pytest.raises(RemoteProtocolError, match="MAX_DEPTH"):
        feed_all([header, b"\x00"])


def test_attachment_at_max_depth_is_restored() -> None:
    inner = '{"_placeholder":true,"num":0}'
    header = "51-" + _nested(socketio.MAX_DEPTH - 1, inner)
    packet = feed_all([header, b"\x07"])
    value = packet.data[1]
    for _ in range(socketio.MAX_DEPTH - 2):  # the placeholder object is level MAX_DEPTH
        value = value[0]
    assert value == b"\x07"


def test_tuples_are_written_as_arrays() -> None:
    packet = Packet(EVENT, "/", ("a", (1, 2), {"t": ("x",)}))
    assert JsonSerializer().encode(packet) == ['2["a",[1,2],{"t":["x"]}]']
    assert feed_all(['2["a",[1,2],{"t":["x"]}]']) == Packet(EVENT, "/", ["a", [1, 2], {"t": ["x"]}])


def test_bytes_like_attachments_become_bytes_in_order() -> None:
    packet = Packet(EVENT, "/", ["m", bytearray(b"ab"), {"k": memoryview(b"cd")}, [b"ef"]])
    frames = JsonSerializer().encode(packet)
    assert frames == [f'53-["m",{ph(0)},{{"k":{ph(1)}}},[{ph(2)}]]', b"ab", b"cd", b"ef"]
    assert all(type(f) is bytes for f in frames[1:])
    assert feed_all(frames) == Packet(BINARY_EVENT, "/", ["m", b"ab", {"k": b"cd"}, [b"ef"]])


@pytest.mark.parametrize(
    ("name", "frame"),
    [(1, '2[1,"a"]'), (0, '2[0,"a"]'), (-3, '2[-3,"a"]'), (1.5, '2[1.5,"a"]')],
)
def test_numeric_event_names(name: float, frame: str) -> None:
    two_way([frame], Packet(EVENT, "/", [name, "a"]))


# --- §3.2: "decoding must succeed" ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "packet"),
    [
        ("0", Packet(CONNECT, "/")),
        ("0/admin", Packet(CONNECT, "/admin")),  # no trailing comma: accepted
        ("0/admin,", Packet(CONNECT, "/admin")),
        ('0{"sid":"abc"}', Packet(CONNECT, "/", {"sid": "abc"})),
        ('0/admin,{"sid":"abc","pid":"p"}', Packet(CONNECT, "/admin", {"sid": "abc", "pid": "p"})),
        ("1/admin", Packet(DISCONNECT, "/admin")),
        (
            '4{"message":"not authorized","data":{"reason":"bad token"}}',
            Packet(CONNECT_ERROR, "/", {"message": "not authorized", "data": {"reason": "bad token"}}),
        ),
        ('4"string"', Packet(CONNECT_ERROR, "/", "string")),
        ('4/admin,"Not authorized"', Packet(CONNECT_ERROR, "/admin", "Not authorized")),
        ("3/admin,13[]", Packet(ACK, "/admin", [], 13)),
        ('2["x",null,true,false,1.5,{"a":[]}]', Packet(EVENT, "/", ["x", None, True, False, 1.5, {"a": []}])),
        ('2["x","NaN"]', Packet(EVENT, "/", ["x", "NaN"])),
    ],
)
def test_decoding_succeeds(text: str, packet: Packet) -> None:
    tr([text], packet)


def test_binary_packet_without_namespace_or_id() -> None:
    frames = [f'51-["a",{ph(0)}]', b"\x00\xff"]
    tr(frames, Packet(BINARY_EVENT, "/", ["a", b"\x00\xff"]))
    assert JsonSerializer().encode(Packet(EVENT, "/", ["a", b"\x00\xff"])) == frames


def test_nothing_is_emitted_until_the_last_attachment() -> None:
    decoder = JsonSerializer().decoder()
    assert decoder.feed(f'53-/x,7["a",{ph(2)},{ph(0)},{ph(1)}]') is None
    assert decoder.feed(b"zero") is None
    assert decoder.feed(b"one") is None
    assert decoder.feed(b"two") == Packet(BINARY_EVENT, "/x", ["a", b"two", b"zero", b"one"], 7)


def test_same_buffer_may_be_referenced_twice() -> None:
    assert feed_all([f'52-["a",{ph(1)},{ph(1)}]', b"0", b"1"]).data == ["a", b"1", b"1"]


def test_ten_attachments_are_allowed_by_default() -> None:
    placeholders = ",".join(ph(i) for i in range(10))
    frames = [f"510-[\"a\",{placeholders}]", *(bytes([i]) for i in range(10))]
    assert feed_all(frames).data == ["a", *(bytes([i]) for i in range(10))]


def test_a_placeholder_in_a_text_packet_is_left_alone() -> None:
    """Only binary packets are reconstructed (socket.io-parser does the same)."""
    assert feed_all([f'2["a",{ph(0)}]']).data == ["a", {"_placeholder": True, "num": 0}]


# --- §3: frames of the socket.io-protocol test-suite -----------------------------------

SUITE = [
    ("40", [], Packet(CONNECT, "/")),
    ('40{"token":"123"}', [], Packet(CONNECT, "/", {"token": "123"})),
    ("40/custom,", [], Packet(CONNECT, "/custom")),
    ('40{"sid":"MBrTDJ3qrsHpdVWGAAAC","pid":"gHaPMq0COCY1yySUAAAD"}', [],
     Packet(CONNECT, "/", {"sid": "MBrTDJ3qrsHpdVWGAAAC", "pid": "gHaPMq0COCY1yySUAAAD"})),
    ('40/custom,{"sid":"x1"}', [], Packet(CONNECT, "/custom", {"sid": "x1"})),
    ('42["auth",{}]', [], Packet(EVENT, "/", ["auth", {}])),
    ('42["auth",{"token":"123"}]', [], Packet(EVENT, "/", ["auth", {"token": "123"}])),
    ('42/custom,["auth",{}]', [], Packet(EVENT, "/custom", ["auth", {}])),
    ('44/random,{"message":"Invalid namespace"}', [],
     Packet(CONNECT_ERROR, "/random", {"message": "Invalid namespace"})),
    ('44/private,{"message":"not authorized","data":{"reason":"bad token"}}', [],
     Packet(CONNECT_ERROR, "/private", {"message": "not authorized", "data": {"reason": "bad token"}})),
    ("41", [], Packet(DISCONNECT, "/")),
    ("41/custom,", [], Packet(DISCONNECT, "/custom")),
    ('42["message",1,"2",{"3":[true]}]', [], Packet(EVENT, "/", ["message", 1, "2", {"3": [True]}])),
    ('42["message-back",1,"2",{"3":[true]}]', [], Packet(EVENT, "/", ["message-back", 1, "2", {"3": [True]}])),
    (f'452-["message",{ph(0)},{ph(1)}]', [b"\x01\x02\x03", b"\x04\x05\x06"],
     Packet(BINARY_EVENT, "/", ["message", b"\x01\x02\x03", b"\x04\x05\x06"])),
    (f'452-["message-back",{ph(0)},{ph(1)}]', [b"\x01\x02\x03", b"\x04\x05\x06"],
     Packet(BINARY_EVENT, "/", ["message-back", b"\x01\x02\x03", b"\x04\x05\x06"])),
    ('42456["message-with-ack",1,"2",{"3":[false]}]', [],
     Packet(EVENT, "/", ["message-with-ack", 1, "2", {"3": [False]}], 456)),
    ('43456[1,"2",{"3":[false]}]', [], Packet(ACK, "/", [1, "2", {"3": [False]}], 456)),
    (f'452-789["message-with-ack",{ph(0)},{ph(1)}]', [b"\x01\x02\x03", b"\x04\x05\x06"],
     Packet(BINARY_EVENT, "/", ["message-with-ack", b"\x01\x02\x03", b"\x04\x05\x06"], 789)),
    (f"462-789[{ph(0)},{ph(1)}]", [b"\x01\x02\x03", b"\x04\x05\x06"],
     Packet(BINARY_ACK, "/", [b"\x01\x02\x03", b"\x04\x05\x06"], 789)),
    # §2.2 / §2.6: spec samples and a recorded JS 4.8.4 session
    ('420["ask",1]', [], Packet(EVENT, "/", ["ask", 1], 0)),
    ("430[42]", [], Packet(ACK, "/", [42], 0)),
    ('42/admin,1["tellme"]', [], Packet(EVENT, "/admin", ["tellme"], 1)),
    (f'461-/admin,1[{ph(0)}]', [b"\xde\xad"], Packet(BINARY_ACK, "/admin", [b"\xde\xad"], 1)),
    (f'461-15["bar",{ph(0)}]', [b"buf"], Packet(BINARY_ACK, "/", ["bar", b"buf"], 15)),
    (f'451-0["message-with-ack",1,{ph(0)}]', [b"\x01"], Packet(BINARY_EVENT, "/", ["message-with-ack", 1, b"\x01"], 0)),
    (f"461-0[1,{ph(0)}]", [b"\x01"], Packet(BINARY_ACK, "/", [1, b"\x01"], 0)),
    ('42["auth",{"token":"abc"},false,"Q8Ff_ao"]', [], Packet(EVENT, "/", ["auth", {"token": "abc"}, False, "Q8Ff_ao"])),
]


@pytest.mark.parametrize(("text", "attachments", "packet"), SUITE, ids=[s[0][:40] for s in SUITE])
def test_protocol_suite_frames(text: str, attachments: list[bytes], packet: Packet) -> None:
    """Engine.IO message (``4`` prefix) carrying a Socket.IO packet, both ways.

    The attachments travel as binary Engine.IO messages (raw WS frames).
    """
    eio = engineio.decode_packet(text)
    assert eio == engineio.Packet(engineio.PacketType.MESSAGE, text[1:])
    sio_frames = [text[1:], *attachments]
    two_way(sio_frames, packet)
    wire = [engineio.encode_packet(engineio.Packet(engineio.PacketType.MESSAGE, f)) for f in sio_frames]
    assert wire == [text, *attachments]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("4abc", "unknown packet type"),
        ("42{}", "invalid payload"),
        ('42abc["message"]', "invalid payload"),
    ],
)
def test_protocol_suite_frames_that_close_the_connection(text: str, problem: str) -> None:
    message = engineio.decode_packet(text).data
    assert isinstance(message, str)
    with pytest.raises(RemoteProtocolError, match=re.escape(problem)):
        JsonSerializer().decoder().feed(message)


# --- §3.2: "decoding must raise" -------------------------------------------------------

INVALID_TEXT = [
    # invalid payload
    ('442["some","data"', "invalid payload"),
    ('0/admin,"invalid"', "invalid payload"),
    ("0[]", "invalid payload"),
    ("1/admin,{}", "invalid payload"),
    ('2/admin,"invalid', "invalid payload"),
    ("2/admin,{}", "invalid payload"),
    ('2[{"toString":"foo"}]', "invalid payload"),
    ('2[true,"foo"]', "invalid payload"),
    ('2[null,"bar"]', "invalid payload"),
    ('2["connect"]', "invalid payload"),
    ('2["disconnect","123"]', "invalid payload"),
    ("2[]", "invalid payload"),
    ('2["x"]garbage', "invalid payload"),
    ("2", "invalid payload"),
    ('2"x"', "invalid payload"),
    ("3[1]", "invalid payload"),  # ACK without an id
    ("31{}", "invalid payload"),
    ('2["x",NaN]', "invalid payload"),  # not JSON (JSON.parse rejects it)
    ('2["x",Infinity]', "invalid payload"),
    # Illegal attachments (header)
    ("5", "Illegal attachments"),
    ("51", "Illegal attachments"),
    ("5a-", "Illegal attachments"),
    ("51.23-", "Illegal attachments"),
    ('50-["a"]', "Illegal attachments"),  # socket.io-parser 4.2.7 rejects 0
    ('6-1[]', "Illegal attachments"),
    # unknown packet type
    ("999", "unknown packet type"),
    ("7", "unknown packet type"),
    ("a", "unknown packet type"),
    # too many attachments (default maxAttachments 10)
    (f'511-["a",{ph(0)}]', "too many attachments"),
]


@pytest.mark.parametrize(("text", "problem"), INVALID_TEXT, ids=[t for t, _ in INVALID_TEXT])
def test_invalid_text_raises(text: str, problem: str) -> None:
    decoder = JsonSerializer().decoder()
    with pytest.raises(RemoteProtocolError, match=re.escape(problem)) as info:
        decoder.feed(text)
    assert isinstance(info.value, ProtocolError)
    assert isinstance(info.value, ValueError)
    # The decoder is still usable.
    assert decoder.feed('2["ok"]') == Packet(EVENT, "/", ["ok"])


@pytest.mark.parametrize("name", sorted(RESERVED_EVENTS))
def test_reserved_event_names_are_rejected_on_receive(name: str) -> None:
    with pytest.raises(RemoteProtocolError, match="invalid payload"):
        JsonSerializer().decoder().feed(f'2["{name}",1]')


def test_too_many_attachments_with_a_lower_limit() -> None:
    decoder = JsonSerializer(max_attachments=2).decoder()
    with pytest.raises(RemoteProtocolError, match="too many attachments"):
        decoder.feed(f'53-["a",{ph(0)},{ph(1)},{ph(2)}]')
    assert decoder.feed(f'52-["a",{ph(0)},{ph(1)}]') is None
    assert decoder.feed(b"0") is None
    assert decoder.feed(b"1") == Packet(BINARY_EVENT, "/", ["a", b"0", b"1"])


@pytest.mark.parametrize(
    "placeholder",
    [
        '{"_placeholder":true,"num":"0"}',
        '{"_placeholder":true,"num":1}',
        '{"_placeholder":true,"num":-1}',
        '{"_placeholder":true,"num":0.5}',
        '{"_placeholder":true,"num":true}',
        '{"_placeholder":true,"num":null}',
    ],
)
def test_illegal_placeholder_raises_on_the_last_attachment(placeholder: str) -> None:
    decoder = JsonSerializer().decoder()
    assert decoder.feed(f'51-["a",{placeholder}]') is None
    with pytest.raises(RemoteProtocolError, match="illegal attachments"):
        decoder.feed(b"x")
    # State was dropped: the next binary frame is unexpected, the next text is fine.
    with pytest.raises(RemoteProtocolError, match="got binary data when not reconstructing a packet"):
        decoder.feed(b"y")
    assert decoder.feed('2["ok"]') == Packet(EVENT, "/", ["ok"])


@pytest.mark.parametrize("data", [b"abc", bytearray(b"abc"), b""])
def test_binary_data_without_a_header_raises(data: bytes) -> None:
    with pytest.raises(RemoteProtocolError, match="got binary data when not reconstructing a packet"):
        JsonSerializer().decoder().feed(data)


def test_binary_data_after_a_complete_binary_packet_raises() -> None:
    decoder = JsonSerializer().decoder()
    assert decoder.feed(f'51-["a",{ph(0)}]') is None
    assert decoder.feed(b"1") == Packet(BINARY_EVENT, "/", ["a", b"1"])
    with pytest.raises(RemoteProtocolError, match="got binary data when not reconstructing a packet"):
        decoder.feed(b"2")


def test_plaintext_while_reconstructing_raises_then_decoding_resumes() -> None:
    decoder = JsonSerializer().decoder()
    assert decoder.feed(f'52-["a",{ph(0)},{ph(1)}]') is None
    assert decoder.feed(b"first") is None
    with pytest.raises(RemoteProtocolError, match="got plaintext data when reconstructing a packet") as info:
        decoder.feed('2["interloper"]')
    assert isinstance(info.value, ProtocolError)
    # The half-built packet is gone: a late attachment is now an error ...
    with pytest.raises(RemoteProtocolError, match="got binary data when not reconstructing a packet"):
        decoder.feed(b"second")
    # ... and text and binary packets decode normally again.
    assert decoder.feed('2["next"]') == Packet(EVENT, "/", ["next"])
    assert decoder.feed(f'51-["b",{ph(0)}]') is None
    assert decoder.feed(b"x") == Packet(BINARY_EVENT, "/", ["b", b"x"])


def test_reset_forgets_a_half_received_packet() -> None:
    decoder = JsonSerializer().decoder()
    assert decoder.feed(f'51-["a",{ph(0)}]') is None
    decoder.reset()
    assert decoder.feed('2["fresh"]') == Packet(EVENT, "/", ["fresh"])


def test_decoders_are_independent() -> None:
    serializer = JsonSerializer()
    first, second = serializer.decoder(), serializer.decoder()
    assert first.feed(f'51-["a",{ph(0)}]') is None
    assert second.feed('2["b"]') == Packet(EVENT, "/", ["b"])
    assert first.feed(b"1") == Packet(BINARY_EVENT, "/", ["a", b"1"])


# --- outgoing checks (isPacketValid) ---------------------------------------------------


@pytest.mark.parametrize("name", sorted(RESERVED_EVENTS))
def test_reserved_event_names_cannot_be_emitted(name: str) -> None:
    with pytest.raises(LocalProtocolError, match="reserved") as info:
        JsonSerializer().encode(Packet(EVENT, "/", [name, 1]))
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, ProtocolError)


@pytest.mark.parametrize("data", [[], (), None, "message", {"a": 1}], ids=repr)
def test_event_needs_a_non_empty_list(data: object) -> None:
    with pytest.raises(LocalProtocolError, match="non-empty list"):
        JsonSerializer().encode(Packet(EVENT, "/", data))


@pytest.mark.parametrize("name", [None, True, False, {"n": 1}, ["a"], b"bytes"], ids=repr)
def test_event_name_must_be_a_string_or_number(name: object) -> None:
    with pytest.raises(LocalProtocolError, match="event name must be a string"):
        JsonSerializer().encode(Packet(EVENT, "/", [name, 1]))


@pytest.mark.parametrize("namespace", ["admin", "", None, 5, b"/admin", "/a,b"], ids=repr)
def test_bad_namespace(namespace: object) -> None:
    with pytest.raises(LocalProtocolError, match="namespace"):
        JsonSerializer().encode(Packet(EVENT, namespace, ["x"]))  # type: ignore[arg-type]


@pytest.mark.parametrize("ack_id", [-1, True, "1", 1.0, 2**53, 2**64], ids=repr)
def test_bad_ack_id(ack_id: object) -> None:
    with pytest.raises(LocalProtocolError, match="invalid ack id"):
        JsonSerializer().encode(Packet(EVENT, "/", ["x"], ack_id))  # type: ignore[arg-type]


def test_largest_ack_id_is_accepted() -> None:
    two_way([f'2{2**53 - 1}["x"]'], Packet(EVENT, "/", ["x"], 2**53 - 1))


def test_ack_needs_an_id_and_a_list() -> None:
    with pytest.raises(LocalProtocolError, match="ack id"):
        JsonSerializer().encode(Packet(ACK, "/", [1]))
    with pytest.raises(LocalProtocolError, match="list"):
        JsonSerializer().encode(Packet(ACK, "/", {"a": 1}, 3))


class _Opaque:
    pass


def _circular() -> list:
    data: list = ["loop"]
    data.append(data)
    return data


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({1, 2}, id="set"),
        pytest.param(_Opaque(), id="object"),
        pytest.param(float("nan"), id="nan"),
        pytest.param(float("inf"), id="inf"),
        pytest.param(-math.inf, id="-inf"),
        pytest.param(_circular(), id="circular"),
        pytest.param({"k": {1j}}, id="nested-complex"),
    ],
)
def test_unserialisable_data_raises_type_error(value: object) -> None:
    serializer = JsonSerializer()
    with pytest.raises(TypeError, match="cannot be sent"):
        serializer.encode(Packet(EVENT, "/", ["x", b"attachment", value], 1))
    # Nothing leaked into the next packet (attachments numbered from 0 again).
    assert serializer.encode(Packet(EVENT, "/", ["x", b"a"])) == [f'51-["x",{ph(0)}]', b"a"]


def test_unserialisable_auth_raises_type_error() -> None:
    with pytest.raises(TypeError, match="cannot be sent"):
        JsonSerializer().encode(Packet(CONNECT, "/", {"token": {1, 2}}))


def test_type_error_names_the_type() -> None:
    with pytest.raises(TypeError, match="Object of type set"):
        JsonSerializer().encode(Packet(EVENT, "/", ["x", {1}]))
