"""Shared helpers for the pure protocol tests, in the spirit of h11's ``tr()``.

Every golden vector is checked both ways (decode(x) == p and encode(p) == x), and the
input is fed whole, split at every boundary, and followed by trailing data, so that
the decoders are shown to keep no stray state between packets.
"""

from __future__ import annotations

from collections.abc import Sequence

from sio_notebook.sansio import engineio
from sio_notebook.sansio.engineio import Frame
from sio_notebook.sansio.socketio import JsonSerializer, Packet, PacketType

SEP = "\x1e"

#: A plain packet fed after a vector, to show the decoder is back to its idle state.
TRAILER = '2["after",1]'
TRAILER_PACKET = Packet(PacketType.EVENT, "/", ["after", 1])


def feed_all(frames: Sequence[Frame], serializer: JsonSerializer | None = None) -> Packet:
    """Decode one packet from its Engine.IO messages with a fresh decoder.

    Asserts that nothing comes out before the last message (binary packets are
    complete only once their last attachment arrives).
    """
    decoder = (serializer or JsonSerializer()).decoder()
    for frame in frames[:-1]:
        assert decoder.feed(frame) is None, f"a packet came out early, at {frame!r}"
    packet = decoder.feed(frames[-1])
    assert packet is not None, "no packet after the last message"
    return packet


def tr(frames: Sequence[Frame], expected: Packet, serializer: JsonSerializer | None = None) -> None:
    """Decode ``frames`` split (one feed per message: header, then each attachment),
    then again followed by trailing data and a repeat, and compare with ``expected``.

    A Socket.IO decoder consumes whole Engine.IO messages, so "split" here means at
    every message boundary; "whole" is the single header for text packets.
    """
    serializer = serializer or JsonSerializer()
    assert feed_all(frames, serializer) == expected
    # The same decoder, reused: the vector twice, then a plain packet.
    decoder = serializer.decoder()
    for _ in range(2):
        results = [decoder.feed(frame) for frame in frames]
        assert results[:-1] == [None] * (len(frames) - 1)
        assert results[-1] == expected
    assert decoder.feed(TRAILER) == TRAILER_PACKET


def two_way(frames: Sequence[Frame], packet: Packet, serializer: JsonSerializer | None = None) -> None:
    """encode(packet) gives exactly ``frames`` (text and bytes), and decoding gives ``packet``."""
    serializer = serializer or JsonSerializer()
    encoded = serializer.encode(packet)
    assert encoded == list(frames)
    assert [type(f) for f in encoded] == [type(f) for f in frames]  # str header, bytes buffers
    tr(frames, packet, serializer)


def tr_payload(body: str, expected: list[Frame]) -> None:
    """Polling payloads: decode whole, record by record, and with trailing records.

    ``decode_payload(body)`` must equal the concatenation of decoding each record on
    its own (no state crosses the separator), and must be followed correctly by more
    records appended to the body.
    """
    assert engineio.decode_payload(body) == expected
    one_by_one: list[Frame] = []
    for record in body.split(SEP):
        one_by_one += engineio.decode_payload(record)
    assert one_by_one == expected
    assert engineio.decode_payload(body + SEP + "6" + SEP + "4x") == [*expected, "6", "4x"]
    assert engineio.decode_payload("2" + SEP + body) == ["2", *expected]


def packets_of(frames: list[Frame]) -> list[engineio.Packet]:
    return [engineio.decode_packet(frame) for frame in frames]
