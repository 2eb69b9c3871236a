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
  stay buffered and go out after the reconnect, JS 4.7.5 rules, §4.4), with which error;
* the offline buffer: an emit while a wanted namespace is not connected is kept
  (bounded) and flushed in order when it connects, before the ``connect`` handlers run;
* the receive buffer: events that arrive before a namespace's CONNECT reply (the
  recovery replay, §2.4) are delivered right after its ``connect``;
* connection state recovery offsets (§2.4): with a ``pid`` held, the server appends an
  opaque offset string as the last argument of every ack-less event. We record it and
  strip it, so handlers written for the event's real arguments keep working;
* when the connection must end (:class:`~.events.CloseConnection`).

The contract is the one of websockets' ``Protocol``: inputs are method calls that return
nothing but a yes/no (the application's intents ``want``/``emit``/``answer``/``withdraw``/
``leave``/``give_up``, and what happens underneath: ``engine_opened``, ``receive_data``,
``engine_lost``); the outputs wait in two queues, drained by the I/O layer after each
input: :meth:`~ClientSession.data_to_send` (frames to write, in order) and
:meth:`~ClientSession.events_received` (:mod:`events <.events>` for the application, in
order). Nothing raises out of ``receive_data``: malformed data becomes a close decision.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import BadNamespaceError, BufferFullError, ConnectionError, DisconnectedError, RemoteProtocolError
from .acks import answer_args, loss_error
from .engineio import Frame
from .events import (
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


@dataclass(slots=True)
class _BufferedEmit:
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
        self._buffer: deque[_BufferedEmit] = deque()
        #: The two output queues (see data_to_send and events_received).
        self._frames: list[Frame] = []
        self._events: list[SessionEvent] = []
        #: Whether an Engine.IO connection is open underneath.
        self.engine_open = False
        #: Which Engine.IO connection this is (counts engine_opened calls): the server
        #: numbers its ack requests per connection.
        self.connection = 0

    # --- outputs ---------------------------------------------------------------------

    def data_to_send(self) -> list[Frame]:
        """The frames to write, in order, since the last call (and forget them)."""
        frames, self._frames = self._frames, []
        return frames

    def events_received(self) -> list[SessionEvent]:
        """The events for the application, in order, since the last call (and forget them)."""
        events, self._events = self._events, []
        return events

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

    # --- inputs: the application's intents ------------------------------------------

    def want(self, namespace: str, auth: Any = None) -> None:
        """Register a namespace to connect when the engine opens (its CONNECT goes then)."""
        ns = self._namespaces.get(namespace)
        if ns is None or ns.state in (NamespaceState.FAILED, NamespaceState.CLOSED):
            ns = self._namespaces[namespace] = _Namespace(namespace)
        ns.auth = auth

    def leave(self, namespace: str) -> None:
        """Leave a namespace: its DISCONNECT (§2.7) if its CONNECT went out, and
        :class:`AcksLost` for its pending and buffered acks."""
        ns = self._namespaces.get(namespace)
        if ns is None:
            return
        was_sent = ns.connect_sent and self.engine_open
        ns.move(NamespaceEvent.LEAVE)
        ns.pid = None
        self._lose_acks(ns, DisconnectedError("the client disconnected before the ack arrived"))
        if was_sent:
            self._frames += self.serializer.encode(Packet(DISCONNECT, namespace))

    def emit(
        self,
        namespace: str,
        args: list[Any],
        token: Any = None,
        *,
        volatile: bool = False,
        buffer: bool | None = None,
        writable: bool = True,
    ) -> bool:
        """An EVENT: True when its frames are queued in :meth:`data_to_send`; False when
        it was buffered for the next connection or dropped (volatile, or by the overflow
        policy, then with :class:`AcksLost` for its ack).

        ``args`` is ``[event_name, *arguments]``. ``token`` (any object) asks for an ack;
        it comes back in :class:`AckReceived`. Encoding errors (TypeError, ValueError)
        are raised before any state changes, so a bad emit leaves the session intact.
        ``writable`` is the transport's state (nothing queued or being written): a
        volatile emit is dropped when it is False, as socket.io-client drops a volatile
        packet whenever ``transport.writable`` is false. ``buffer`` overrides the
        ``buffer_emits`` option for this emit.
        """
        if volatile and not writable:
            return False
        ns = self._namespaces.get(namespace)
        if ns is not None and ns.state is _CONNECTED and self.engine_open:
            ack_id = None
            if token is not None:
                ack_id = ns.next_ack_id
            self._frames += self._encode_event(namespace, args, ack_id)
            if token is not None:
                ns.next_ack_id += 1
                ns.pending_acks[ack_id] = token  # type: ignore[index]
            return True
        if volatile:
            return False
        if ns is None or ns.state in (NamespaceState.FAILED, NamespaceState.CLOSED):
            raise BadNamespaceError(f"{namespace} is not a connected namespace")
        if not (self.buffer_emits if buffer is None else buffer):
            raise BadNamespaceError(f"{namespace} is not a connected namespace (it is {ns.state.value})")
        # Validate now, so the error reaches the caller and not the flush on reconnect.
        packet = Packet(EVENT, namespace, args)
        self.serializer.encode(packet)
        self._push_buffer(_BufferedEmit(packet, token))
        return False

    def answer(self, namespace: str, ack_id: int, result: Any, connection: int) -> bool:
        """Answer the server's ack request ``ack_id`` with a handler's ``result`` (§2.6).

        False, and nothing sent, when the request came on an earlier connection (the
        handler outlived a reconnection): ack ids are numbered per connection, so the
        server would take the answer for another request. TypeError/ValueError if
        ``result`` cannot be encoded (nothing queued then).
        """
        if connection != self.connection or not self.engine_open:
            return False
        self._frames += self.serializer.encode(Packet(ACK, namespace, answer_args(result), ack_id))
        return True

    def withdraw(self, namespace: str, token: Any) -> None:
        """Stop waiting for ``token``'s ack (its timeout fired): an emit still buffered is
        not sent at all, and a late answer is ignored."""
        for item in self._buffer:
            if item.token is token:
                self._buffer.remove(item)
                break
        ns = self._namespaces.get(namespace)
        if ns:
            for ack_id, value in list(ns.pending_acks.items()):
                if value is token:
                    del ns.pending_acks[ack_id]

    def give_up(self) -> None:
        """No more reconnection: forget every namespace; :class:`AcksLost` for every ack left."""
        lost: list[Any] = []
        for ns in self._namespaces.values():
            lost.extend(ns.pending_acks.values())
            ns.pending_acks.clear()
            ns.move(NamespaceEvent.GIVE_UP)
        lost.extend(item.token for item in self._buffer if item.token is not None)
        self._buffer.clear()
        self.engine_open = False
        self._frames = []
        if lost:
            self._events.append(AcksLost(tuple(lost), DisconnectedError("the connection is closed; the ack will not arrive")))

    # --- inputs: the connection underneath -------------------------------------------

    def engine_opened(self) -> None:
        """A new Engine.IO connection is open: the CONNECTs for every wanted namespace."""
        self.engine_open = True
        self.connection += 1
        self.decoder.reset()
        self._frames = []  # nothing meant for an earlier connection goes on this one
        for ns in self._namespaces.values():
            if ns.state in (NamespaceState.CONNECTING, NamespaceState.CONNECTED):
                self._frames += self._connect_frames(ns)

    def engine_lost(self, reason: str, error: BaseException | None = None) -> None:
        """The Engine.IO connection is gone (not by our or the server's DISCONNECT).

        Queues :class:`AcksLost` for the acks that cannot be answered any more (with the
        error :func:`~.acks.loss_error` gives for ``reason``), then one
        :class:`NamespaceLost` per namespace that was connected (they are reconnected
        with the next connection). Frames not yet drained are dropped with it.
        """
        self.engine_open = False
        self.decoder.reset()
        self._frames = []
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
        events = self._events
        if lost:
            events.append(AcksLost(tuple(lost), loss_error(reason, error)))
        events.extend(NamespaceLost(name, reason) for name in was_connected)

    def receive_data(self, message: Frame) -> None:
        """One Engine.IO MESSAGE payload (the ``4`` removed): never raises.

        Malformed data (RemoteProtocolError, or a custom parser's ValueError) gives
        ``CloseConnection("parse error", error, reconnect=True)``; a refusal or a server
        DISCONNECT that leaves no namespace wanted, ``CloseConnection("server
        disconnect")`` (no reconnection: JS closes the Manager with its last socket).
        """
        try:
            self._receive(message)
        except ValueError as exc:
            self._events.append(CloseConnection(PARSE_ERROR, exc, reconnect=True))

    # --- internals -------------------------------------------------------------------

    def _receive(self, message: Frame) -> None:
        packet = self.decoder.feed(message)
        if packet is None:
            return
        ptype = packet.type
        ns = self._namespaces.get(packet.namespace)
        if ptype is EVENT or ptype is BINARY_EVENT:
            state = ns.state if ns is not None else None
            if state is not _CONNECTED and state is not _CONNECTING:
                return  # a namespace we are not in: ignore, as the JS client does
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
            else:
                self._events.append(event)
            return
        if ptype is ACK or ptype is BINARY_ACK:
            if ns is not None:
                token = ns.pending_acks.pop(packet.id, None)  # type: ignore[arg-type]
                if token is not None:
                    self._events.append(AckReceived(packet.namespace, token, packet.data))
            return
        if ptype is CONNECT:
            self._receive_connect(packet, ns)
            return
        if ptype is CONNECT_ERROR:
            if ns is None:
                return
            data = packet.data
            if isinstance(data, dict):
                message_text, extra = str(data.get("message", "")), data.get("data")
            else:
                message_text, extra = str(data), None
            self._refused(ns, message_text, extra)
            return
        if ptype is DISCONNECT:
            if ns is None or ns.state not in (NamespaceState.CONNECTED, NamespaceState.CONNECTING):
                return
            ns.move(NamespaceEvent.KICKED)
            ns.pid = None
            self._lose_acks(ns, DisconnectedError(f"the server disconnected {ns.name}"))
            self._events.append(ServerDisconnected(ns.name))
            self._close_if_none_left()
            return
        raise RemoteProtocolError(f"unexpected packet type {ptype!r}")  # pragma: no cover

    def _connect_frames(self, ns: _Namespace) -> list[Frame]:
        """The CONNECT for ``ns`` (§2.4), with recovery fields when a pid is held."""
        auth = ns.auth
        payload: Any = auth
        if ns.pid is not None:
            # JS: {pid, offset, ...auth}: the auth keys are merged over pid and offset.
            # Before any offset, JS's offset is undefined, so JSON leaves the key out.
            payload = {"pid": ns.pid} if ns.offset is None else {"pid": ns.pid, "offset": ns.offset}
            if isinstance(auth, dict):
                payload.update(auth)
        if payload is not None and not isinstance(payload, dict):
            raise TypeError(f"auth must be a dict (a JSON object), not {type(payload).__name__}")
        frames = self.serializer.encode(Packet(CONNECT, ns.name, payload))
        ns.move(NamespaceEvent.SEND_CONNECT)
        ns.connect_sent = True
        ns.early_events = []
        ns.early_offset = None
        return frames

    def _receive_connect(self, packet: Packet, ns: _Namespace | None) -> None:
        if ns is None or ns.state is not NamespaceState.CONNECTING:
            return
        data = packet.data or {}
        sid = data.get("sid")
        if not isinstance(sid, str):
            self._refused(ns, V2_SERVER_MESSAGE, None)
            return
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
        flushed = self._take_buffered(ns)
        for packet in flushed:  # before the connect handlers run (JS emitBuffered)
            self._frames += self.serializer.encode(packet)
        self._events.append(Connected(ns.name, sid, ns.recovered, tuple(flushed)))
        self._events.extend(ns.early_events)
        ns.early_events = []

    def _refused(self, ns: _Namespace, message: str, data: Any) -> None:
        ns.move(NamespaceEvent.REFUSED)
        ns.pid = None
        self._lose_acks(ns, ConnectionError(f"{ns.name} refused: {message}"))
        self._events.append(ConnectError(ns.name, message, data))
        self._close_if_none_left()

    def _close_if_none_left(self) -> None:
        if not self.wanted_namespaces():
            self._events.append(CloseConnection(SERVER_DISCONNECT))

    def _lose_acks(self, ns: _Namespace, error: BaseException) -> None:
        """:class:`AcksLost` for ``ns``'s pending acks and its buffered emits' acks."""
        lost = (*ns.pending_acks.values(), *self._drop_buffered(ns.name))
        ns.pending_acks.clear()
        if lost:
            self._events.append(AcksLost(lost, error))

    def _take_buffered(self, ns: _Namespace) -> list[Packet]:
        """The buffered emits of ``ns``, numbered for acks now that it is connected."""
        taken: list[Packet] = []
        kept: deque[_BufferedEmit] = deque()
        for item in self._buffer:
            packet = item.packet
            if packet.namespace != ns.name:
                kept.append(item)
                continue
            if item.token is not None:
                ack_id = ns.next_ack_id
                ns.next_ack_id += 1
                ns.pending_acks[ack_id] = item.token
                packet = Packet(EVENT, ns.name, packet.data, ack_id)
            taken.append(packet)
        self._buffer = kept
        return taken

    def _drop_buffered(self, namespace: str) -> tuple[Any, ...]:
        lost = tuple(i.token for i in self._buffer if i.packet.namespace == namespace and i.token is not None)
        self._buffer = deque(i for i in self._buffer if i.packet.namespace != namespace)
        return lost

    def _push_buffer(self, item: _BufferedEmit) -> None:
        limit = self.max_buffered_emits
        if limit is not None and len(self._buffer) >= limit:
            if self.buffer_overflow == "error":
                raise BufferFullError(
                    f"{len(self._buffer)} emits already wait for the connection (max_buffered_emits={limit})"
                )
            if self.buffer_overflow == "drop_newest" or not self._buffer:  # limit 0: nothing older
                self._report_dropped(item)
                return
            self._report_dropped(self._buffer.popleft())
        self._buffer.append(item)

    def _report_dropped(self, item: _BufferedEmit) -> None:
        """An emit the overflow policy dropped: its ack (if any) will never come."""
        if item.token is not None:
            self._events.append(AcksLost((item.token,), DisconnectedError("dropped: the offline emit buffer is full")))
