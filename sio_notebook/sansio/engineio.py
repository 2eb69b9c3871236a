"""Engine.IO protocol 4, client side, without I/O.

What lives here (docs/protocol.md §1):

* the packet codec for both transports: one packet per WebSocket frame (§1.3), and the
  polling payload, packets joined by the record separator ``\\x1e`` with binary
  messages written as ``b`` + base64 (§1.3);
* the open packet (§1.4);
* the client's heartbeat role (§1.5): answer every server ``2`` (ping) with ``3``
  (pong), and declare the connection dead ``pingInterval + pingTimeout`` after the last
  ping. The deadline is re-armed by pings only (engine.io-client >= 6.6.1) and is
  checked by wall-clock comparison, so a blocked event loop or a suspended laptop is
  noticed before the next send, not only when a timer fires;
* the upgrade probe frames (§1.6).

Time is an input: every method that needs it takes ``now`` (seconds on a monotonic
clock). Nothing here imports asyncio, threading, socket or aiohttp; a test enforces it.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from ..exceptions import RemoteProtocolError
from .reasons import TRANSPORT_CLOSE

__all__ = [
    "PacketType",
    "Packet",
    "Frame",
    "OpenInfo",
    "EngineProtocol",
    "encode_packet",
    "encode_message",
    "encode_messages",
    "decode_packet",
    "encode_payload",
    "decode_payload",
    "parse_open",
    "PROBE",
    "PROBE_ANSWER",
    "UPGRADE",
    "CLOSE",
    "PONG",
]

#: What one WebSocket frame or one polling record carries: text or bytes.
Frame = str | bytes

SEPARATOR = "\x1e"  # §1.3: the polling payload record separator


class PacketType(IntEnum):
    """§1.2: one ASCII digit in front of every text packet."""

    OPEN = 0
    CLOSE = 1
    PING = 2
    PONG = 3
    MESSAGE = 4
    UPGRADE = 5
    NOOP = 6


@dataclass(frozen=True, slots=True)
class Packet:
    """One Engine.IO packet. ``data`` is bytes only for binary MESSAGE packets."""

    type: PacketType
    data: str | bytes | None = None


# Frames the client sends that never change (§1.5, §1.6).
PONG = "3"
PROBE = "2probe"
PROBE_ANSWER = "3probe"
UPGRADE = "5"
CLOSE = "1"

_TYPE_BY_CHAR = {str(t.value): t for t in PacketType}


# --- codec ---------------------------------------------------------------------------


def encode_packet(packet: Packet) -> Frame:
    """Encode one packet as a WebSocket frame (§1.3).

    A binary message is the raw bytes with no type byte (v4); everything else is the
    type digit followed by the text data.
    """
    if isinstance(packet.data, (bytes, bytearray, memoryview)):
        if packet.type is not PacketType.MESSAGE:
            raise ValueError("only MESSAGE packets can carry binary data")
        return bytes(packet.data)
    return f"{packet.type.value}{packet.data or ''}"


def encode_message(message: Frame) -> Frame:
    """One Socket.IO packet as an Engine.IO MESSAGE frame (§1.3); see encode_messages."""
    return _MESSAGE + message if type(message) is str else message


def encode_messages(messages: list[Frame]) -> list[Frame]:
    """Socket.IO packets as Engine.IO MESSAGE frames (§1.3), the emit fast path.

    The same as ``encode_packet(Packet(MESSAGE, m))`` for each: a text message gets the
    ``4`` type digit, a binary one is the bytes (v4 sends no type byte for binary).
    """
    return [_MESSAGE + message if type(message) is str else message for message in messages]


_MESSAGE = str(PacketType.MESSAGE.value)


def decode_packet(frame: Frame) -> Packet:
    """Decode one WebSocket frame (§1.3). Raises RemoteProtocolError on bad input."""
    if isinstance(frame, (bytes, bytearray, memoryview)):
        return Packet(PacketType.MESSAGE, bytes(frame))
    if not frame:
        raise RemoteProtocolError("empty Engine.IO packet")
    ptype = _TYPE_BY_CHAR.get(frame[0])
    if ptype is None:
        raise RemoteProtocolError(f"unknown Engine.IO packet type {frame[0]!r} in {frame[:20]!r}")
    return Packet(ptype, frame[1:] if len(frame) > 1 else None)


def encode_payload(packets: list[Packet] | list[Frame]) -> str:
    """Encode packets (or already encoded frames) as one polling body (§1.3).

    Binary messages become ``b`` + base64 with no ``4`` prefix; a v4 server rejects
    binary POST bodies, so the body is always text (§1.1).
    """
    parts = []
    for item in packets:
        frame = encode_packet(item) if isinstance(item, Packet) else item
        if isinstance(frame, (bytes, bytearray, memoryview)):
            parts.append("b" + base64.b64encode(frame).decode("ascii"))
        else:
            parts.append(frame)
    return SEPARATOR.join(parts)


def decode_payload(body: str) -> list[Frame]:
    """Split a polling body into WebSocket-style frames (text, or bytes for ``b…``).

    Unlike python-engineio there is no 16-packet cap: the Node server flushes its whole
    buffer into one response, so a burst of any size must decode (§1.7: the cap is
    python-engineio's, on what it accepts, not part of the protocol).
    """
    if not body:
        raise RemoteProtocolError("empty Engine.IO payload")
    frames: list[Frame] = []
    for record in body.split(SEPARATOR):
        if record[:1] == "b":
            try:
                frames.append(base64.b64decode(record[1:], validate=True))
            except (binascii.Error, ValueError) as exc:
                raise RemoteProtocolError(f"invalid base64 binary packet {record[:20]!r}") from exc
        elif not record:
            raise RemoteProtocolError("empty Engine.IO packet in payload")
        elif record[0] not in _TYPE_BY_CHAR:
            raise RemoteProtocolError(
                f"unknown Engine.IO packet type {record[0]!r} in payload record {record[:20]!r}"
            )
        else:
            frames.append(record)
    return frames


# --- handshake -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenInfo:
    """§1.4: the server's open packet. Intervals are converted to seconds."""

    sid: str
    upgrades: tuple[str, ...]
    ping_interval: float
    ping_timeout: float
    max_payload: int


def parse_open(frame: Frame) -> OpenInfo:
    """Parse the first packet of a session; it must be ``0{json}`` (§1.4)."""
    if not isinstance(frame, str) or frame[:1] != "0":
        raise RemoteProtocolError(
            f"expected the Engine.IO open packet, got {frame[:40]!r}: is this a Socket.IO 3+ server?"
        )
    try:
        info = json.loads(frame[1:])
        sid = info["sid"]
        if not isinstance(sid, str) or not sid:  # str(None) would become the sid "None"
            raise TypeError(f"'sid' must be a non-empty string, not {sid!r}")
        return OpenInfo(
            sid=sid,
            upgrades=tuple(info.get("upgrades", ())),
            ping_interval=_milliseconds(info, "pingInterval") / 1000.0,
            ping_timeout=_milliseconds(info, "pingTimeout") / 1000.0,
            # v3 servers have no maxPayload; the Node default is 1e6.
            max_payload=int(_milliseconds(info, "maxPayload", 1_000_000)),
        )
    except (ValueError, KeyError, TypeError) as exc:
        reason = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        raise RemoteProtocolError(f"invalid Engine.IO open packet {frame[:80]!r}: {reason}") from exc


def _milliseconds(info: dict[str, Any], key: str, default: float | None = None) -> float:
    """A number of the open packet (§1.4): finite and not negative, else ValueError.

    The stdlib's JSON accepts ``Infinity`` and ``NaN``; a timer or a deadline built
    from them would fail much later with an OverflowError far from the cause.
    """
    raw = info[key] if default is None else info.get(key, default)
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ValueError(f"{key!r} must be a number, not {raw!r}")
    value = float(raw)  # a numeric string was always accepted; others raise ValueError
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{key!r} must be a finite number >= 0, not {raw!r}")
    return value


# --- session rules -------------------------------------------------------------------


class EngineProtocol:
    """The client's Engine.IO session rules once the session is open.

    Feed it every received frame with :meth:`receive_frame`; it returns the Engine.IO
    message carried by the frame (what Socket.IO decodes) or ``None`` for control
    packets. Replies it owes the server (the pong) accumulate in :meth:`data_to_send`.
    When the server closes the session, :attr:`close_reason` is set.
    """

    __slots__ = ("info", "deadline", "close_reason", "_outgoing", "last_ping")

    def __init__(self, info: OpenInfo, now: float) -> None:
        self.info = info
        #: §1.5: the session is dead when ``now`` passes this (monotonic seconds).
        self.deadline = now + info.ping_interval + info.ping_timeout
        #: Monotonic time of the last server ping (the handshake counts as one).
        self.last_ping = now
        #: Set when the server closed the session ("transport close"), else None.
        self.close_reason: str | None = None
        self._outgoing: list[Frame] = []

    def receive_frame(self, frame: Frame, now: float) -> Frame | None:
        """Apply one received frame; return the message it carries, if any.

        The common case (a message) is checked first: this runs once per packet.
        """
        if isinstance(frame, str):
            if frame[:1] == "4":
                return frame[1:]
            self._receive_control(frame, now)
            return None
        return bytes(frame) if not isinstance(frame, bytes) else frame

    def _receive_control(self, frame: str, now: float) -> None:
        kind = frame[:1]
        if kind == "2":  # ping: answer and re-arm the deadline (§1.5)
            self._outgoing.append(PONG + frame[1:])
            self.last_ping = now
            self.deadline = now + self.info.ping_interval + self.info.ping_timeout
        elif kind == "6":  # noop: ends a pending GET (§1.6), nothing to do
            pass
        elif kind == "1":  # close from the server (§1.8)
            self.close_reason = TRANSPORT_CLOSE
        elif kind in ("0", "3", "5"):
            # open/pong/upgrade never arrive once the session is open; the pong to our
            # probe is consumed by the upgrade step, not here.
            raise RemoteProtocolError(f"unexpected Engine.IO packet {frame[:20]!r} from the server")
        elif not frame:
            raise RemoteProtocolError("empty Engine.IO packet")
        else:
            raise RemoteProtocolError(f"unknown Engine.IO packet type {kind!r} in {frame[:20]!r}")

    def expired(self, now: float) -> bool:
        """True when no ping came within pingInterval + pingTimeout (§1.5)."""
        return now > self.deadline

    def data_to_send(self) -> list[Frame]:
        """Return and clear the frames the protocol owes the server (pongs)."""
        out, self._outgoing = self._outgoing, []
        return out
