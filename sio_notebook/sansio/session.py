"""The Socket.IO 5 client session, without I/O: every rule above the codec.

One :class:`ClientSession` lives as long as a client object; Engine.IO connections come
and go underneath it (reconnection). It decides:

* which namespaces are wanted, and what CONNECT to send for each (§2.4: one CONNECT per
  namespace, ``/`` included; auth as the payload; ``pid``/``offset`` merged in for
  connection state recovery, the user's auth keys winning, as the JS client does);
* what a CONNECT reply, a CONNECT_ERROR (``{message, data}`` or a legacy string, §2.5)
  and a server DISCONNECT (§2.7) mean for each namespace;
* ack ids, one counter per namespace from 0 (§2.2), and which pending acks can no
  longer arrive after a loss (sent but unanswered: they fail at once; never sent: they
  stay buffered and go out after the reconnect, JS 4.7.5 rules, §4.4);
* the offline buffer: an emit while a wanted namespace is not connected is kept
  (bounded) and flushed in order when it connects, before the ``connect`` handlers run;
* the receive buffer: events that arrive before a namespace's CONNECT reply (the
  recovery replay, §2.4) are delivered right after its ``connect``;
* connection state recovery offsets (§2.4): with a ``pid`` held, the server appends an
  opaque offset string as the last argument of every ack-less event. We record it and
  strip it, so handlers written for the event's real arguments keep working.

Inputs are method calls; outputs are return values: frames to write (``Frame`` list)
and :mod:`events <.events>` for the application. Callbacks for acks are opaque tokens
the I/O layer gives us and gets back.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import BadNamespaceError, BufferFullError, RemoteProtocolError
from .acks import answer_args
from .engineio import Frame
from .reasons import PARSE_ERROR, SERVER_DISCONNECT
from .socketio import (
    ACK,
    BINARY_ACK,
    BINARY_EVENT,
    CONNECT,
    CONNECT_ERROR,
    DISCONNECT,
    EVENT,
    Packet,
    Serializer,
)
from .state import NamespaceEvent, NamespaceState, next_namespace_state

__all__ = [
    "ClientSession",
    "NamespaceState",
    "Connected",
    "ConnectError",
    "ServerDisconnected",
    "EventReceived",
    "AckReceived",
    "CloseConnection",
    "BufferedEmit",
    "OVERFLOW_POLICIES",
]

V2_SERVER_MESSAGE = (
    "It seems you are trying to reach a Socket.IO server in v2.x with a v3.x client, "
    "but they are not compatible (the CONNECT reply has no sid)"
)

#: What to do when the offline buffer is full: raise BufferFullError, or drop.
OVERFLOW_POLICIES = ("error", "drop_oldest", "drop_newest")


_CONNECTED = NamespaceState.CONNECTED
_CONNECTING = NamespaceState.CONNECTING


# --- events for the application -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Connected:
    namespace: str
    sid: str
    recovered: bool
    #: Emits buffered while offline, now written (for outgoing hooks), in order.
    flushed: tuple[Packet, ...] = ()


@dataclass(frozen=True, slots=True)
class ConnectError:
    namespace: str
    message: str
    data: Any
    #: Ack tokens of buffered emits that will now never be sent.
    lost_acks: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class ServerDisconnected:
    namespace: str
    lost_acks: tuple[Any, ...] = ()


# EventReceived and AckReceived are built once per packet: plain slotted dataclasses
# (a frozen one costs three times as much to build). Treat them as immutable.


@dataclass(slots=True)
class EventReceived:
    namespace: str
    name: Any
    args: list[Any]
    ack_id: int | None


@dataclass(slots=True)
class AckReceived:
    namespace: str
    token: Any
    args: list[Any]


@dataclass(frozen=True, slots=True)
class CloseConnection:
    """The session's decision that the Engine.IO connection must end (from :meth:`feed`).

    ``reconnect=True``: the server broke the protocol (``reason`` "parse error", the
    ``error`` says how): fail the connection; reconnection follows as for any loss.
    ``reconnect=False``: no namespace is left (JS: the Manager closes the engine when
    its last socket leaves), so close for good, no reconnection.
    """

    reason: str
    error: BaseException | None = None
    reconnect: bool = False


_NAMESPACE_LOSSES = (ConnectError, ServerDisconnected)


@dataclass(slots=True)
class BufferedEmit:
    packet: Packet
    token: Any  # ack token, or None


@dataclass(slots=True)
class _Namespace:
    name: str
    auth: Any = None
    state: NamespaceState = NamespaceState.CONNECTING
    sid: str | None = None
    pid: str | None = None  # recovery: private session id from the CONNECT reply
    offset: str | None = None  # recovery: last offset seen
    recovered: bool = False
    next_ack_id: int = 0
    pending_acks: dict[int, Any] = field(default_factory=dict)
    early_events: list[EventReceived] = field(default_factory=list)
    connect_sent: bool = False
    # recovery: offset of the last early event; it becomes ``offset`` only when the
    # CONNECT reply comes and the early events are delivered. Committed earlier, a loss
    # of the connection between the replay and the reply would skip the replayed
    # events: they are dropped with the connection, and the next recovery would start
    # after them.
    early_offset: str | None = None

    def move(self, event: NamespaceEvent) -> None:
        """Apply ``event`` through the transition table (sansio/state.py)."""
        self.state = next_namespace_state(self.state, event)


class ClientSession:
    """Socket.IO client state across Engine.IO connections (see the module docstring)."""

    def __init__(
        self,
        serializer: Serializer,
        *,
        buffer_emits: bool = True,
        max_buffered_emits: int | None = 1000,
        buffer_overflow: str = "error",
    ) -> None:
        if buffer_overflow not in OVERFLOW_POLICIES:
            raise ValueError(f"buffer_overflow must be one of {OVERFLOW_POLICIES}, not {buffer_overflow!r}")
        self.serializer = serializer
        self.decoder = serializer.decoder()
        encode_event = getattr(serializer, "encode_event", None)
        self._encode_event = encode_event or (lambda ns, args, ack_id: serializer.encode(Packet(EVENT, ns, args, ack_id)))
        self.buffer_emits = buffer_emits
        self.max_buffered_emits = max_buffered_emits
        self.buffer_overflow = buffer_overflow
        self._namespaces: dict[str, _Namespace] = {}
        self._buffer: deque[BufferedEmit] = deque()
        #: Ack tokens of emits the overflow policy dropped; the I/O layer fails them
        #: (take_dropped) so no callback or call() waits for an ack that cannot come.
        self._dropped: list[Any] = []
        #: Whether an Engine.IO connection is open underneath.
        self.engine_open = False
        #: Which Engine.IO connection this is (counts engine_opened calls): the server
        #: numbers its ack requests per connection.
        self.connection = 0

    # --- queries ---------------------------------------------------------------------

    def connected_namespaces(self) -> dict[str, str]:
        """Namespace -> Socket.IO sid, for connected namespaces (python-socketio's ``namespaces``)."""
        return {n.name: n.sid for n in self._namespaces.values() if n.state is NamespaceState.CONNECTED and n.sid}

    def wanted_namespaces(self) -> list[str]:
        """Namespaces that are connected or should be (re)connected."""
        return [
            n.name
            for n in self._namespaces.values()
            if n.state in (NamespaceState.CONNECTING, NamespaceState.CONNECTED)
        ]

    def state(self, namespace: str) -> NamespaceState | None:
        ns = self._namespaces.get(namespace)
        return ns.state if ns else None

    def sid(self, namespace: str) -> str | None:
        ns = self._namespaces.get(namespace)
        return ns.sid if ns and ns.state is NamespaceState.CONNECTED else None

    def recovered(self, namespace: str) -> bool:
        ns = self._namespaces.get(namespace)
        return bool(ns and ns.recovered)

    def pid(self, namespace: str) -> str | None:
        ns = self._namespaces.get(namespace)
        return ns.pid if ns else None

    @property
    def buffered(self) -> int:
        """How many emits wait for a connection."""
        return len(self._buffer)

    # --- commands --------------------------------------------------------------------

    def want(self, namespace: str, auth: Any = None) -> None:
        """Register a namespace to connect (now, or when the engine opens)."""
        ns = self._namespaces.get(namespace)
        if ns is None or ns.state in (NamespaceState.FAILED, NamespaceState.CLOSED):
            ns = self._namespaces[namespace] = _Namespace(namespace)
        ns.auth = auth

    def connect_frames(self, namespace: str, auth: Any = None) -> list[Frame]:
        """The CONNECT for ``namespace`` (§2.4), with recovery fields when a pid is held."""
        ns = self._namespaces[namespace]
        ns.auth = auth
        ns.move(NamespaceEvent.SEND_CONNECT)
        ns.connect_sent = True
        ns.early_events = []
        ns.early_offset = None
        payload: Any = auth
        if ns.pid is not None:
            # JS: {pid, offset, ...auth}: the auth keys are merged over pid and offset.
            # Before any offset, JS's offset is undefined, so JSON leaves the key out.
            payload = {"pid": ns.pid} if ns.offset is None else {"pid": ns.pid, "offset": ns.offset}
            if isinstance(auth, dict):
                payload.update(auth)
        if payload is not None and not isinstance(payload, dict):
            raise TypeError(f"auth must be a dict (a JSON object), not {type(payload).__name__}")
        return self.serializer.encode(Packet(CONNECT, namespace, payload))

    def disconnect_frames(self, namespace: str) -> tuple[list[Frame], tuple[Any, ...]]:
        """Leave a namespace: the DISCONNECT to send and the acks that can no longer arrive."""
        ns = self._namespaces.get(namespace)
        if ns is None:
            return [], ()
        was_sent = ns.connect_sent and self.engine_open
        ns.move(NamespaceEvent.LEAVE)
        ns.pid = None
        lost = tuple(ns.pending_acks.values()) + self._drop_buffered(namespace)
        ns.pending_acks.clear()
        frames = self.serializer.encode(Packet(DISCONNECT, namespace)) if was_sent else []
        return frames, lost

    def emit(
        self,
        namespace: str,
        args: list[Any],
        token: Any = None,
        *,
        volatile: bool = False,
        buffer: bool | None = None,
        writable: bool = True,
    ) -> list[Frame] | None:
        """Frames for an EVENT now, or None when it was buffered (or dropped, if volatile).

        ``args`` is ``[event_name, *arguments]``. ``token`` (any object) asks for an ack;
        it comes back in :class:`AckReceived`. Encoding errors (TypeError, ValueError)
        are raised before any state changes, so a bad emit leaves the session intact.
        ``writable`` is the transport's state (nothing queued or being written): a
        volatile emit is dropped when it is False, as socket.io-client drops a volatile
        packet whenever ``transport.writable`` is false.
        """
        if volatile and not writable:
            return None
        ns = self._namespaces.get(namespace)
        if ns is not None and ns.state is NamespaceState.CONNECTED and self.engine_open:
            ack_id = None
            if token is not None:
                ack_id = ns.next_ack_id
            frames = self._encode_event(namespace, args, ack_id)
            if token is not None:
                ns.next_ack_id += 1
                ns.pending_acks[ack_id] = token  # type: ignore[index]
            return frames
        if volatile:
            return None
        if ns is None or ns.state in (NamespaceState.FAILED, NamespaceState.CLOSED):
            raise BadNamespaceError(f"{namespace} is not a connected namespace")
        if not (self.buffer_emits if buffer is None else buffer):
            raise BadNamespaceError(f"{namespace} is not a connected namespace (it is {ns.state.value})")
        # Validate now, so the error reaches the caller and not the flush on reconnect.
        packet = Packet(EVENT, namespace, args)
        self.serializer.encode(packet)
        self._push_buffer(BufferedEmit(packet, token))
        return None

    def ack_frames(self, namespace: str, ack_id: int, args: list[Any]) -> list[Frame]:
        """Answer the server's ack request ``ack_id`` (§2.6)."""
        return self.serializer.encode(Packet(ACK, namespace, args, ack_id))

    def answer_frames(self, namespace: str, ack_id: int, result: Any, connection: int) -> list[Frame] | None:
        """The ACK answering request ``ack_id`` with a handler's ``result`` (§2.6), or None.

        None when the request came on an earlier connection (the handler outlived a
        reconnection): ack ids are numbered per connection, so the server would take the
        answer for another request. TypeError/ValueError if ``result`` cannot be encoded.
        """
        if connection != self.connection or not self.engine_open:
            return None
        return self.serializer.encode(Packet(ACK, namespace, answer_args(result), ack_id))

    def cancel_buffered(self, token: Any) -> bool:
        """Remove a buffered emit by its ack token (its timeout fired before it was sent)."""
        for item in self._buffer:
            if item.token is token:
                self._buffer.remove(item)
                return True
        return False

    def forget_ack(self, namespace: str, token: Any) -> None:
        """Stop waiting for an ack (timed out): a late answer will be ignored."""
        ns = self._namespaces.get(namespace)
        if ns:
            for ack_id, value in list(ns.pending_acks.items()):
                if value is token:
                    del ns.pending_acks[ack_id]

    # --- inputs ----------------------------------------------------------------------

    def engine_opened(self) -> list[Frame]:
        """A new Engine.IO connection is open: the CONNECTs for every wanted namespace."""
        self.engine_open = True
        self.connection += 1
        self.decoder.reset()
        frames: list[Frame] = []
        for ns in self._namespaces.values():
            if ns.state in (NamespaceState.CONNECTING, NamespaceState.CONNECTED):
                frames += self.connect_frames(ns.name, ns.auth)
        return frames

    def engine_lost(self) -> tuple[list[str], tuple[Any, ...]]:
        """The Engine.IO connection is gone (not by our or the server's DISCONNECT).

        Returns the namespaces that were connected (they get ``disconnect`` events and
        are reconnected later) and the ack tokens that cannot be answered any more.
        """
        self.engine_open = False
        self.decoder.reset()
        was_connected = []
        lost: list[Any] = []
        for ns in self._namespaces.values():
            if ns.state is NamespaceState.CONNECTED:
                was_connected.append(ns.name)
            ns.move(NamespaceEvent.ENGINE_LOST)  # connected or connecting: to reconnect
            ns.sid = None
            ns.connect_sent = False
            lost.extend(ns.pending_acks.values())
            ns.pending_acks.clear()
        return was_connected, tuple(lost)

    def give_up(self) -> tuple[Any, ...]:
        """No more reconnection: forget every namespace; return every ack token left."""
        lost: list[Any] = []
        for ns in self._namespaces.values():
            lost.extend(ns.pending_acks.values())
            ns.pending_acks.clear()
            ns.move(NamespaceEvent.GIVE_UP)
        lost.extend(item.token for item in self._buffer if item.token is not None)
        self._buffer.clear()
        self.engine_open = False
        return tuple(lost)

    def feed(self, message: Frame) -> list[Any]:
        """The I/O layer's entry point for one Engine.IO message: events, never an exception.

        Like :meth:`receive`, plus the close decisions: malformed data ends with
        ``CloseConnection("parse error", error, reconnect=True)``; a refusal or a server
        DISCONNECT that leaves no namespace wanted, with ``CloseConnection("server
        disconnect")`` (no reconnection).
        """
        try:
            events = self.receive(message)
        except ValueError as exc:  # RemoteProtocolError, or a custom parser's ValueError
            return [CloseConnection(PARSE_ERROR, exc, reconnect=True)]
        if events and type(events[0]) in _NAMESPACE_LOSSES and not self.wanted_namespaces():
            events.append(CloseConnection(SERVER_DISCONNECT))
        return events

    def receive(self, message: Frame) -> list[Any]:
        """Apply one Engine.IO message; return the events for the application.

        Raises RemoteProtocolError for malformed data (the caller closes the transport
        with reason "parse error").
        """
        packet = self.decoder.feed(message)
        if packet is None:
            return []
        ptype = packet.type
        ns = self._namespaces.get(packet.namespace)
        if ptype is EVENT or ptype is BINARY_EVENT:
            state = ns.state if ns is not None else None
            if state is not _CONNECTED and state is not _CONNECTING:
                return []  # a namespace we are not in: ignore, as the JS client does
            assert ns is not None
            args = packet.data
            early = state is _CONNECTING
            if ns.pid is not None and packet.id is None and len(args) > 1 and type(args[-1]) is str:
                if early:
                    ns.early_offset = args[-1]
                else:
                    ns.offset = args[-1]
                args = args[:-1]
            event = EventReceived(packet.namespace, args[0], args[1:], packet.id)
            if early:
                ns.early_events.append(event)  # delivered after this namespace's connect
                return []
            return [event]
        if ptype is ACK or ptype is BINARY_ACK:
            if ns is None:
                return []
            token = ns.pending_acks.pop(packet.id, None)  # type: ignore[arg-type]
            return [] if token is None else [AckReceived(packet.namespace, token, packet.data)]
        if ptype is CONNECT:
            return self._receive_connect(packet, ns)
        if ptype is CONNECT_ERROR:
            if ns is None:
                return []
            data = packet.data
            if isinstance(data, dict):
                message_text, extra = str(data.get("message", "")), data.get("data")
            else:
                message_text, extra = str(data), None
            ns.move(NamespaceEvent.REFUSED)
            ns.pid = None
            lost = tuple(ns.pending_acks.values()) + self._drop_buffered(ns.name)
            ns.pending_acks.clear()
            return [ConnectError(ns.name, message_text, extra, lost)]
        if ptype is DISCONNECT:
            if ns is None or ns.state not in (NamespaceState.CONNECTED, NamespaceState.CONNECTING):
                return []
            ns.move(NamespaceEvent.KICKED)
            ns.pid = None
            lost = tuple(ns.pending_acks.values()) + self._drop_buffered(ns.name)
            ns.pending_acks.clear()
            return [ServerDisconnected(ns.name, lost)]
        raise RemoteProtocolError(f"unexpected packet type {ptype!r}")  # pragma: no cover

    # --- internals -------------------------------------------------------------------

    def _receive_connect(self, packet: Packet, ns: _Namespace | None) -> list[Any]:
        if ns is None or ns.state is not NamespaceState.CONNECTING:
            return []
        data = packet.data or {}
        sid = data.get("sid")
        if not isinstance(sid, str):
            ns.move(NamespaceEvent.REFUSED)
            ns.pid = None
            lost = tuple(ns.pending_acks.values()) + self._drop_buffered(ns.name)
            ns.pending_acks.clear()
            return [ConnectError(ns.name, V2_SERVER_MESSAGE, None, lost)]
        pid = data.get("pid")
        ns.recovered = pid is not None and pid == ns.pid
        ns.pid = pid if isinstance(pid, str) else None
        if not ns.recovered:
            ns.offset = None
        elif ns.early_offset is not None:
            ns.offset = ns.early_offset  # the replay is delivered now, with the connect
        ns.early_offset = None
        ns.sid = sid
        ns.move(NamespaceEvent.ACCEPTED)
        ns.next_ack_id = 0 if not ns.recovered else ns.next_ack_id
        flushed = self._take_buffered(ns.name)
        events: list[Any] = [Connected(ns.name, sid, ns.recovered, tuple(item.packet for item in flushed))]
        events.extend(ns.early_events)
        ns.early_events = []
        return events

    def flush_frames(self, connected: Connected) -> list[Frame]:
        """Frames for the emits buffered for a namespace that just connected."""
        frames: list[Frame] = []
        for packet in connected.flushed:
            frames += self.serializer.encode(packet)
        return frames

    def _take_buffered(self, namespace: str) -> list[BufferedEmit]:
        ns = self._namespaces[namespace]
        taken: list[BufferedEmit] = []
        kept: deque[BufferedEmit] = deque()
        for item in self._buffer:
            if item.packet.namespace != namespace:
                kept.append(item)
                continue
            if item.token is not None:
                ack_id = ns.next_ack_id
                ns.next_ack_id += 1
                ns.pending_acks[ack_id] = item.token
                item.packet = Packet(EVENT, namespace, item.packet.data, ack_id)
            taken.append(item)
        self._buffer = kept
        return taken

    def _drop_buffered(self, namespace: str) -> tuple[Any, ...]:
        lost = tuple(i.token for i in self._buffer if i.packet.namespace == namespace and i.token is not None)
        self._buffer = deque(i for i in self._buffer if i.packet.namespace != namespace)
        return lost

    def take_dropped(self) -> list[Any]:
        """Return and clear the ack tokens of emits dropped by the overflow policy."""
        dropped, self._dropped = self._dropped, []
        return dropped

    def _push_buffer(self, item: BufferedEmit) -> None:
        limit = self.max_buffered_emits
        if limit is not None and len(self._buffer) >= limit:
            if self.buffer_overflow == "error":
                raise BufferFullError(
                    f"{len(self._buffer)} emits already wait for the connection (max_buffered_emits={limit})"
                )
            if self.buffer_overflow == "drop_newest" or not self._buffer:  # limit 0: nothing older
                if item.token is not None:
                    self._dropped.append(item.token)
                return
            oldest = self._buffer.popleft()
            if oldest.token is not None:
                self._dropped.append(oldest.token)
        self._buffer.append(item)
