"""Socket.IO protocol 5 packets and the default parser, without I/O.

Encoding (docs/protocol.md §2.2), in order: the type digit; for binary types the
attachment count and ``-``; the namespace and ``,`` unless it is ``/``; the ack id; the
payload as compact JSON with non-ASCII kept raw (what JS ``JSON.stringify`` writes).

Binary (§2.3): every bytes-like value anywhere in the data is replaced, depth first and
in order, by ``{"_placeholder": true, "num": N}``; the buffers follow the text header as
separate Engine.IO messages. EVENT/ACK packets with binary are re-typed BINARY_EVENT /
BINARY_ACK automatically.

Decoding is strict: every "must raise" vector of §3.2 raises RemoteProtocolError with
a message naming the problem. Payloads nested deeper than :data:`MAX_DEPTH` (500) arrays
and objects are refused too, on every Python version and in WebAssembly: the depth is
counted before the recursive JSON scanner runs (:mod:`.nesting` says why).

Outgoing packets get the same shape checks and raise LocalProtocolError (or TypeError
for data JSON cannot carry: sets, NaN, naive datetimes) before anything is sent. Lone
surrogates (a JS string cut in the middle of an emoji arrives as ``"\\ud83d"`` and
decodes to one) are written back the way JS ``JSON.stringify`` writes them, as the
escape ``\\ud83d``: raw, they cannot be encoded as UTF-8 at all.
"""

from __future__ import annotations

import datetime as _dt
import json as _stdlib_json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from json import encoder as _json_encoder
from typing import Any, Protocol

from ..exceptions import LocalProtocolError, RemoteProtocolError
from .engineio import Frame
from .nesting import MAX_DEPTH, SHALLOW_LENGTH, json_depth_exceeds

__all__ = [
    "PacketType",
    "Packet",
    "Serializer",
    "Decoder",
    "JsonSerializer",
    "RESERVED_EVENTS",
    "JsonCodec",
    "MAX_DEPTH",
    "escape_surrogates",
    "check_event_name",
    "check_outgoing",
    "check_incoming",
    "Quotable",
]


class PacketType(IntEnum):
    """§2.1."""

    CONNECT = 0
    DISCONNECT = 1
    EVENT = 2
    ACK = 3
    CONNECT_ERROR = 4
    BINARY_EVENT = 5
    BINARY_ACK = 6


CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR, BINARY_EVENT, BINARY_ACK = PacketType

#: §2.2: names that can be neither emitted nor received as events.
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)

_TYPE_OF_CHAR = {str(t.value): t for t in PacketType}
_CHAR_OF_TYPE = {t: str(t.value) for t in PacketType}
_DIGITS = re.compile("[0-9]*").match
_MAX_ACK_ID = 2**53  # JS integers are exact up to here; ids are counters from 0

#: A lone surrogate, or a pair of surrogates that only needs joining (§ "Lone surrogates").
_SURROGATES = re.compile("[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]")
_BYTES = (bytes, bytearray, memoryview)


@dataclass(slots=True)
class Packet:
    """One Socket.IO packet. ``data`` is the decoded payload, binary already restored.

    Treat it as immutable. It is not ``frozen=True`` only because a frozen dataclass
    costs about three times as much to build, and one is built per packet.
    """

    type: PacketType
    namespace: str = "/"
    data: Any = None
    id: int | None = None


class Decoder(Protocol):
    """Turns Engine.IO messages into packets; stateful because of binary attachments."""

    def feed(self, message: Frame) -> Packet | None:
        """Return the packet completed by this message, or None while attachments are due."""

    def reset(self) -> None:
        """Forget a half-received binary packet (after a transport loss)."""


class Serializer(Protocol):
    """A Socket.IO parser: the default JSON one, or msgpack (``serializer=`` option)."""

    def encode(self, packet: Packet) -> list[Frame]: ...

    def decoder(self) -> Decoder: ...


# --- JSON ----------------------------------------------------------------------------


class JsonCodec:
    """The JSON functions the default parser uses.

    ``json_module`` is python-socketio's ``json=`` option: any module with ``dumps`` and
    ``loads``. Unlike python-socketio it is applied per client, never process-wide.
    The output is what JS ``JSON.stringify`` writes: no spaces, raw UTF-8, dates as ISO
    strings; data JSON cannot carry (sets, objects, NaN, circular structures) raises
    TypeError.
    """

    __slots__ = ("loads", "scan", "_dumps", "_custom", "_encode", "_buffers", "_collect")

    def __init__(self, json_module: Any = None) -> None:
        self._custom = json_module is not None and json_module is not _stdlib_json
        module = json_module or _stdlib_json
        # JSON.parse rejects NaN/Infinity; the stdlib accepts them unless told not to.
        self.loads: Callable[[str], Any] = module.loads if self._custom else _STRICT_LOADS
        #: The stdlib's (C) scanner, ``scan(text, pos) -> (value, end)``: parses a payload
        #: where it starts in the packet text, without copying it out (None if custom).
        self.scan: Callable[[str, int], tuple[Any, int]] | None = None if self._custom else _STRICT_SCAN
        self._dumps = module.dumps
        self._encode = self._make_encoder()
        #: Attachments found by the current dumps() call (§2.3), or None.
        self._buffers: list[bytes] | None = None
        self._collect = False

    def _make_encoder(self) -> Callable[[Any], str]:
        """One encoder for the codec's life.

        json.dumps() with options builds a new JSONEncoder per call, and
        JSONEncoder.encode() a new C encoder per call: together two thirds of the cost of
        an emit. The stdlib's C encoder, built once, gives the same bytes (compact
        separators, raw UTF-8, NaN refused) at a third of the cost.
        """
        if _c_make_encoder is None:  # pragma: no cover - CPython always has it
            return _stdlib_json.JSONEncoder(
                separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=self._default
            ).encode
        one_shot = _c_make_encoder({}, self._default, _encode_basestring, None, ":", ",", False, False, False)
        join = "".join
        return lambda data: join(one_shot(data, 0))

    def _default(self, value: Any) -> Any:
        if self._collect and isinstance(value, _BYTES):
            # The JSON encoder walks the tree depth first in order, which is exactly the
            # placeholder numbering of §2.3, in a single C-speed pass.
            buffers = self._buffers
            if buffers is None:
                buffers = self._buffers = []
            buffers.append(bytes(value))
            return {"_placeholder": True, "num": len(buffers) - 1}
        return _json_default(value)

    def dumps(self, data: Any, collect_binary: bool = False) -> tuple[str, list[bytes] | None]:
        """JSON text of ``data``, and the bytes values it contained (if collecting), or None.

        Not reentrant: a codec serves one thread (the client's event loop).
        """
        self._collect = collect_binary
        self._buffers = None
        try:
            if self._custom:
                out = self._dumps(data, default=self._default)
                text = out.decode("utf-8") if isinstance(out, bytes) else out
            else:
                text = self._encode(data)
            if not text.isascii():  # O(1): ASCII text (the common case) skips the check
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    text = escape_surrogates(text)
        except (TypeError, ValueError, RecursionError) as exc:
            if not self._custom:
                self._encode = self._make_encoder()  # its circular-reference markers may be stale
            if isinstance(exc, TypeError):
                raise
            raise TypeError(f"data cannot be sent as JSON: {exc}") from exc  # NaN, circular data
        return text, self._buffers


#: The stdlib's C encoder factory (CPython's ``_json``; not in the type stubs), or None.
_c_make_encoder: Callable[..., Callable[[Any, int], Iterable[str]]] | None = getattr(
    _json_encoder, "c_make_encoder", None
)
_encode_basestring = _json_encoder.encode_basestring


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_STRICT_DECODER = _stdlib_json.JSONDecoder(parse_constant=_reject_constant)
_STRICT_LOADS = _STRICT_DECODER.decode
#: Its scanner, an instance attribute the type stubs do not declare.
_STRICT_SCAN: Callable[[str, int], tuple[Any, int]] = vars(_STRICT_DECODER)["scan_once"]


def escape_surrogates(text: str) -> str:
    """What JS ``JSON.stringify`` writes for a string with surrogates (ES2019).

    Only called when ``text`` cannot be encoded as UTF-8. A lone surrogate becomes the
    six-character escape ``\\udXXX`` (lower-case hex, as JS writes it); two surrogates
    that form a pair (a str built from UTF-16 halves) become the one character they encode.
    Surrogates only occur inside JSON strings (the JSON syntax is ASCII), so escaping
    them in the whole text is escaping them in the strings.
    """

    def fix(match: re.Match[str]) -> str:
        found = match.group()
        if len(found) == 2:
            return found.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        return f"\\u{ord(found):04x}"

    return _SURROGATES.sub(fix, text)


def _json_default(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        # JS Date.toJSON(): ISO 8601 in UTC with milliseconds. A naive datetime has no
        # instant: sending it as UTC would silently shift local times (python-socketio
        # refuses every datetime; we refuse the ambiguous ones).
        if value.tzinfo is None or value.utcoffset() is None:
            raise TypeError(
                f"cannot send the naive datetime {value.isoformat()!r}: it has no time zone; "
                "use an aware one, e.g. dt.replace(tzinfo=datetime.timezone.utc) or dt.astimezone()"
            )
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, _dt.date):
        return value.isoformat()
    raise TypeError(
        f"Object of type {type(value).__name__} cannot be sent: "
        "use JSON types (dict, list, str, int, float, bool, None) or bytes"
    )


# --- encoding ------------------------------------------------------------------------


def check_event_name(name: Any) -> None:
    """§2.2: the names a client may never emit (the lifecycle events); LocalProtocolError.

    The one place the reserved-name rule is written: the emit path calls it first, the
    codec's ``check_outgoing`` for every EVENT it encodes.
    """
    if name in RESERVED_EVENTS:
        raise LocalProtocolError(f"{name!r} is a reserved event name and cannot be emitted")


def check_outgoing(packet: Packet) -> None:
    """isPacketValid for packets we send (§3.2); raises LocalProtocolError."""
    ns = packet.namespace
    if not isinstance(ns, str) or not ns.startswith("/") or "," in ns:
        raise LocalProtocolError(f"namespace must be a string starting with '/' and without ',', not {ns!r}")
    if packet.id is not None and (
        not isinstance(packet.id, int) or isinstance(packet.id, bool) or not 0 <= packet.id < _MAX_ACK_ID
    ):
        raise LocalProtocolError(f"invalid ack id {packet.id!r}")
    if packet.type in (EVENT, BINARY_EVENT):
        data = packet.data
        if not isinstance(data, (list, tuple)) or not data:
            raise LocalProtocolError("an EVENT needs a non-empty list whose first item is the event name")
        name = data[0]
        if isinstance(name, bool) or not isinstance(name, (str, int, float)):
            raise LocalProtocolError(f"event name must be a string, not {type(name).__name__}")
        check_event_name(name)
    elif packet.type in (ACK, BINARY_ACK):
        if packet.id is None:
            raise LocalProtocolError("an ACK needs an ack id")
        if not isinstance(packet.data, (list, tuple)):
            raise LocalProtocolError("ACK data must be a list of arguments")


class JsonSerializer:
    """The default Socket.IO parser (socket.io-parser 4.2.x wire format)."""

    def __init__(self, json_module: Any = None, max_attachments: int = 10) -> None:
        self.json = JsonCodec(json_module)
        self.max_attachments = max_attachments

    def encode(self, packet: Packet) -> list[Frame]:
        """Encode a packet into its Engine.IO messages: the text header, then buffers."""
        check_outgoing(packet)
        return self._encode(packet.type, packet.namespace, packet.data, packet.id)

    def encode_event(self, namespace: str, args: list[Any], ack_id: int | None) -> list[Frame]:
        """Encode an EVENT whose namespace and ack id the session already vouches for.

        The emit fast path: only the event name needs checking (§2.2 reserved names).
        """
        name = args[0] if args else None
        if type(name) is not str or name in RESERVED_EVENTS:
            check_outgoing(Packet(EVENT, namespace, args, ack_id))
        return self._encode(EVENT, namespace, args, ack_id)

    def _encode(self, ptype: PacketType, ns: str, data: Any, packet_id: int | None) -> list[Frame]:
        buffers: list[bytes] | None = None
        payload = ""
        if data is not None:
            payload, buffers = self.json.dumps(data, ptype in (EVENT, ACK, BINARY_EVENT, BINARY_ACK))
        if buffers:
            ptype = BINARY_EVENT if ptype in (EVENT, BINARY_EVENT) else BINARY_ACK
            header = f"{_CHAR_OF_TYPE[ptype]}{len(buffers)}-"
        else:
            if ptype is BINARY_EVENT:
                ptype = EVENT
            elif ptype is BINARY_ACK:
                ptype = ACK
            header = _CHAR_OF_TYPE[ptype]
        if ns != "/":
            header += ns + ","
        if packet_id is not None:
            header += str(packet_id)
        if buffers:
            return [header + payload, *buffers]
        return [header + payload]

    def decoder(self) -> JsonDecoder:
        return JsonDecoder(self.json.loads, self.max_attachments, self.json.scan)


# --- decoding ------------------------------------------------------------------------


class JsonDecoder:
    """Decodes default-parser messages; reassembles binary packets (§2.3).

    Nothing is returned for a binary packet until its last attachment arrives.
    """

    __slots__ = ("_loads", "_scan", "max_attachments", "_pending", "_buffers", "_expected")

    def __init__(
        self,
        loads: Callable[[str], Any],
        max_attachments: int = 10,
        scan: Callable[[str, int], tuple[Any, int]] | None = None,
    ) -> None:
        self._loads = loads
        self._scan = scan
        self.max_attachments = max_attachments
        self._pending: Packet | None = None
        self._buffers: list[bytes] = []
        self._expected = 0

    def reset(self) -> None:
        self._pending = None
        self._buffers = []
        self._expected = 0

    def feed(self, message: Frame) -> Packet | None:
        if isinstance(message, str):
            if self._pending is not None:
                self.reset()
                raise RemoteProtocolError("got plaintext data when reconstructing a packet")
            packet, attachments = self._decode_text(message)
            if attachments:
                self._pending = packet
                self._expected = attachments
                self._buffers = []
                return None
            return packet
        if self._pending is None:
            raise RemoteProtocolError("got binary data when not reconstructing a packet")
        self._buffers.append(message)
        if len(self._buffers) < self._expected:
            return None
        pending, buffers = self._pending, self._buffers
        self.reset()
        # The header passed _parse's MAX_DEPTH check, so this recursion is bounded.
        data = _reconstruct(pending.data, buffers)
        return Packet(pending.type, pending.namespace, data, pending.id)

    def _decode_text(self, text: str) -> tuple[Packet, int]:
        ptype = _TYPE_OF_CHAR.get(text[:1])
        if ptype is None:
            if not text:
                raise RemoteProtocolError("empty Socket.IO packet")
            raise RemoteProtocolError(f"unknown packet type {text[0]!r} in {text[:40]!r}")
        if ptype is EVENT and text[1:2] == "[":
            # Fast path for the most common packet: an event on "/" without an ack id.
            data = self._parse(text, 1)
            if type(data) is not list or not data or type(data[0]) is not str or data[0] in RESERVED_EVENTS:
                check_incoming(EVENT, "/", data, None, text)
            return Packet(EVENT, "/", data, None), 0
        pos = 1
        end = len(text)
        attachments = 0
        if ptype is BINARY_EVENT or ptype is BINARY_ACK:
            dash = text.find("-", 1)
            count = text[1:dash] if dash > 0 else ""
            if not count.isdigit() or not count.isascii() or len(count) > 10:
                raise RemoteProtocolError(f"Illegal attachments in {text[:40]!r}")
            attachments = int(count)
            if attachments == 0:  # socket.io-parser 4.2.7 rejects 0 too
                raise RemoteProtocolError(f"Illegal attachments in {text[:40]!r}")
            if attachments > self.max_attachments:
                raise RemoteProtocolError(
                    f"too many attachments ({attachments} > max_attachments={self.max_attachments})"
                )
            pos = dash + 1
        namespace = "/"
        if pos < end and text[pos] == "/":
            comma = text.find(",", pos)
            if comma < 0:
                comma = end
            namespace = text[pos:comma]
            query = namespace.find("?")  # v4-era "/nsp?query" forms: the query is not ours
            if query >= 0:
                namespace = namespace[:query]
            pos = comma + 1
        ack_id = None
        start = pos
        digits = _DIGITS(text, pos)  # "[0-9]*" always matches, maybe empty
        pos = digits.end() if digits is not None else pos
        if pos > start:
            if pos - start > 16:
                raise RemoteProtocolError(f"ack id too long in {text[:40]!r}")
            ack_id = int(text[start:pos])
        data = None
        if pos < end:
            data = self._parse(text, pos)
        check_incoming(ptype, namespace, data, ack_id, text)
        return Packet(ptype, namespace, data, ack_id), attachments


    def _parse(self, text: str, pos: int) -> Any:
        """The JSON payload from ``pos`` to the end of ``text``; RemoteProtocolError if invalid.

        The depth is checked first, before any recursive parse (§2.2; in WebAssembly a
        deep payload would overflow the stack, see :mod:`.nesting`). The common case
        runs the C scanner in place; anything unusual (leading or trailing whitespace,
        errors) goes through ``loads`` for its exact rules and message.
        """
        if len(text) - pos > SHALLOW_LENGTH and json_depth_exceeds(text, pos):  # the length test inline: hot path
            raise _too_deep(text, pos)
        scan = self._scan
        if scan is not None:
            try:
                data, stop = scan(text, pos)
                if stop == len(text):
                    return data
            except (StopIteration, ValueError):
                pass
            except RecursionError as exc:  # pragma: no cover - the depth check came first
                raise _too_deep(text, pos) from exc
        try:
            data = self._loads(text[pos:])
        except ValueError as exc:
            raise RemoteProtocolError(f"invalid payload {text[pos:pos + 40]!r}: {exc}") from exc
        except RecursionError as exc:  # pragma: no cover - a custom json module's own limit
            raise _too_deep(text, pos) from exc
        return data


def _too_deep(text: str, pos: int) -> RemoteProtocolError:
    return RemoteProtocolError(
        f"payload nested deeper than MAX_DEPTH={MAX_DEPTH} arrays/objects: {text[pos:pos + 40]!r}"
    )


class Quotable(Protocol):
    """What an error message quotes the packet from: its text, or msgpack's lazy repr."""

    def __getitem__(self, key: slice, /) -> str: ...


def check_incoming(ptype: PacketType, namespace: str, data: Any, ack_id: int | None, text: Quotable) -> None:
    """Payload shape per type (socket.io-parser isPayloadValid), for every parser.

    Public because a parser of another wire format (``msgpack.py``) decodes its own way
    and must then hold the packet to the same rules; RemoteProtocolError quoting ``text``.
    """
    if ptype is EVENT or ptype is BINARY_EVENT:
        if type(data) is not list or not data:
            raise RemoteProtocolError(f"invalid payload for an EVENT: {text[:60]!r}")
        name = data[0]
        if type(name) is not str:
            if isinstance(name, bool) or not isinstance(name, (int, float)):
                raise RemoteProtocolError(f"invalid payload: event name must be a string in {text[:60]!r}")
        elif name in RESERVED_EVENTS:
            raise RemoteProtocolError(f"invalid payload: reserved event name {name!r}")
    elif ptype is ACK or ptype is BINARY_ACK:
        if type(data) is not list or ack_id is None:
            raise RemoteProtocolError(f"invalid payload for an ACK: {text[:60]!r}")
    elif ptype is CONNECT:
        if data is not None and type(data) is not dict:
            raise RemoteProtocolError(f"invalid payload for CONNECT: {text[:60]!r}")
    elif ptype is DISCONNECT:
        if data is not None:
            raise RemoteProtocolError(f"invalid payload: DISCONNECT carries no data: {text[:60]!r}")
    elif ptype is CONNECT_ERROR and type(data) is not dict and type(data) is not str:
        raise RemoteProtocolError(f"invalid payload for CONNECT_ERROR: {text[:60]!r}")


def _reconstruct(data: Any, buffers: list[bytes]) -> Any:
    """Replace placeholders with their buffers (§2.3), validating every ``num``.

    One Python frame per level (plain loops: a comprehension is a frame of its own
    before 3.12), so MAX_DEPTH levels stay far below the recursion limit everywhere.
    """
    if type(data) is dict:
        if data.get("_placeholder") is True and "num" in data:
            num = data["num"]
            if type(num) is not int or not 0 <= num < len(buffers):
                raise RemoteProtocolError(f"illegal attachments: placeholder num {num!r}")
            return buffers[num]
        restored = {}
        for key, value in data.items():
            restored[key] = _reconstruct(value, buffers)
        return restored
    if type(data) is list:
        items = []
        for item in data:
            items.append(_reconstruct(item, buffers))
        return items
    return data
