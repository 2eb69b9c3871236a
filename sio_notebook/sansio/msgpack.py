"""The msgpack parser, wire-compatible with socket.io-msgpack-parser 3.0.2 (§2.10).

Each Socket.IO packet is ONE binary Engine.IO message: the packet object
``{type, data, nsp, id?}`` encoded as a msgpack map. Bytes stay inline (msgpack has a
binary type), so there are no BINARY_* packet types and no attachments. Incoming packets
get the same shape checks as the default parser. Needs the ``msgpack`` package
(``pip install sio-notebook[msgpack]``).
"""

from __future__ import annotations

import reprlib
from typing import Any

from ..exceptions import RemoteProtocolError
from .engineio import Frame
from .socketio import (
    ACK,
    BINARY_ACK,
    BINARY_EVENT,
    EVENT,
    Packet,
    PacketType,
    check_incoming,
    check_outgoing,
)

__all__ = ["MsgPackSerializer"]


def _msgpack() -> Any:
    try:
        import msgpack
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "serializer='msgpack' needs the msgpack package: pip install 'sio-notebook[msgpack]'"
        ) from exc
    return msgpack


class MsgPackSerializer:
    """socket.io-msgpack-parser compatible serializer (``serializer='msgpack'``)."""

    def __init__(self) -> None:
        self._msgpack = _msgpack()

    def encode(self, packet: Packet) -> list[Frame]:
        check_outgoing(packet)
        ptype = packet.type
        if ptype is BINARY_EVENT:
            ptype = EVENT
        elif ptype is BINARY_ACK:
            ptype = ACK
        obj: dict[str, Any] = {"type": int(ptype), "data": _plain(packet.data), "nsp": packet.namespace}
        if packet.data is None:
            del obj["data"]
        if packet.id is not None:
            obj["id"] = packet.id
        try:
            return [self._msgpack.packb(obj, use_bin_type=True, datetime=False)]
        except (TypeError, ValueError, OverflowError) as exc:
            raise TypeError(f"data cannot be sent with msgpack: {exc}") from exc

    def encode_event(self, namespace: str, args: list[Any], ack_id: int | None) -> list[Frame]:
        return self.encode(Packet(EVENT, namespace, args, ack_id))

    def decoder(self) -> MsgPackDecoder:
        return MsgPackDecoder(self._msgpack)


def _plain(data: Any) -> Any:
    """Tuples become lists and bytearray/memoryview become bytes, as JSON would."""
    if isinstance(data, (list, tuple)):
        return [_plain(item) for item in data]
    if isinstance(data, dict):
        return {key: _plain(value) for key, value in data.items()}
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    return data


class _Described:
    """The packet as ``check_incoming`` quotes it in an error, built only if it is needed."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __getitem__(self, key: Any) -> str:
        return reprlib.repr(self.obj)[key]


class MsgPackDecoder:
    __slots__ = ("_msgpack",)

    def __init__(self, msgpack: Any) -> None:
        self._msgpack = msgpack

    def reset(self) -> None:
        pass

    def feed(self, message: Frame) -> Packet:
        if isinstance(message, str):
            raise RemoteProtocolError("got text data with the msgpack parser (is the server using it too?)")
        try:
            obj = self._msgpack.unpackb(message, raw=False, strict_map_key=False)
        except Exception as exc:  # msgpack raises several unrelated types
            raise RemoteProtocolError(f"invalid msgpack packet: {exc}") from exc
        if not isinstance(obj, dict):
            raise RemoteProtocolError("invalid msgpack packet: not a map")
        ptype, nsp, packet_id = obj.get("type"), obj.get("nsp", "/"), obj.get("id")
        # reprlib: bounded work and no RecursionError, whatever the server nested in there
        # (repr() of the whole packet cost a full copy of every payload as text).
        if type(ptype) is not int or not 0 <= ptype <= 4:
            raise RemoteProtocolError(f"invalid msgpack packet type {reprlib.repr(ptype)}")
        if not isinstance(nsp, str) or not nsp.startswith("/"):
            raise RemoteProtocolError(f"invalid msgpack packet namespace {reprlib.repr(nsp)}")
        if packet_id is not None and (type(packet_id) is not int or packet_id < 0):
            raise RemoteProtocolError(f"invalid msgpack packet id {reprlib.repr(packet_id)}")
        kind = PacketType(ptype)
        data = obj.get("data")
        check_incoming(kind, nsp, data, packet_id, _Described(obj))
        return Packet(kind, nsp, data, packet_id)
