"""A hostile scripted server (tests/fuzz/scripted_server.py) against the AsyncClient.

After a valid handshake and CONNECT reply the server's first session sends malformed,
truncated, out-of-order and oversized packets, over websocket and over polling:

* malformed -> the client logs it, reports "parse error" as the disconnect reason,
  reconnects (the server behaves on the next session) and the application goes on;
* valid but unexpected (ack for an unknown id, events or CONNECT/DISCONNECT/CONNECT_ERROR
  for namespaces it never joined, a second CONNECT reply, noops) -> ignored, no disconnect;
* oversized but valid (5 MB text, 5 MB attachment) -> delivered whole;

and after ``disconnect()`` no task of the client is left on the loop. The last tests pin
down three reconnection bugs found by the fault tests (recovery offsets, aiohttp's silent
GET retry, the close POST) with exact, deterministic scripts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from dataclasses import dataclass

import pytest

from sio_notebook import Client
from sio_notebook.aio import AsyncClient
from sio_notebook.sansio import engineio

from .scripted_server import ScriptedServer, Session

pytestmark = pytest.mark.timeout(60)

TRANSPORTS = ["websocket", "polling"]


def _options() -> dict:
    return {"reconnection_delay": 0.02, "reconnection_delay_max": 0.05, "request_timeout": 3}


class Seen:
    """What the client's handlers saw, with an event to await changes."""

    def __init__(self) -> None:
        self.log: list[tuple] = []
        self._changed = asyncio.Event()

    def add(self, *entry) -> None:
        self.log.append(entry)
        self._changed.set()

    def of(self, name: str) -> list[tuple]:
        return [e[1:] for e in self.log if e[0] == name]

    async def until(self, predicate, timeout: float = 10, what: str = "") -> None:
        async def wait() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()
        try:
            await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"timed out waiting for {what}; saw {[repr(e)[:100] for e in self.log[-10:]]}") from None


def _client(seen: Seen, **options) -> AsyncClient:
    client = AsyncClient(**{**_options(), **options})
    client.on("connect", lambda: seen.add("connect", client.get_sid()))
    client.on("disconnect", lambda reason: seen.add("disconnect", reason))
    client.on_any(lambda ns, event, args: seen.add("event", ns, event, args))
    return client


def _client_tasks(baseline: set) -> set:
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current and t not in baseline}


@pytest.fixture
def scripted():
    servers: list[ScriptedServer] = []

    def start(script) -> ScriptedServer:
        server = ScriptedServer(script).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
        assert not server.errors, server.errors


# --- malformed packets -----------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    frames: tuple = ()  # Engine.IO packets (str) / binary messages (bytes)
    body: str | bytes | None = None  # polling only: a raw GET body
    transports: tuple = ("websocket", "polling")


DEEP = 50_000
MALFORMED = [
    # Engine.IO level
    Case("eio unknown packet type", ("9hello",)),
    Case("eio empty packet", ("",)),
    Case("eio open packet twice", ('0{"sid":"again","upgrades":[],"pingInterval":1000,"pingTimeout":1000}',)),
    Case("eio pong from the server", ("3",)),
    Case("eio upgrade from the server", ("5",)),
    # Socket.IO level
    Case("sio unknown packet type", ("47",)),
    Case("sio empty packet", ("4",)),
    Case("sio truncated json", ('42["x",{"a":',)),
    Case("sio event not an array", ('42{"a":1}',)),
    Case("sio event empty array", ("42[]",)),
    Case("sio event name an object", ('42[{"a":1}]',)),
    Case("sio reserved event name", ('42["disconnect"]',)),
    Case("sio NaN is not JSON", ('42["x",NaN]',)),
    Case("sio ack without id", ('43["x"]',)),
    Case("sio CONNECT payload not an object", ('40"hi"',)),
    Case("sio DISCONNECT with data", ('41{"a":1}',)),
    Case("sio CONNECT_ERROR payload a list", ("44[1,2]",)),
    Case("sio ack id too long", ("42" + "1" * 30 + '["x"]',)),
    Case("sio nesting 50k deep", ('42["x",' + "[" * DEEP + "]" * DEEP + "]",)),
    Case("attachment nested 700 deep", ('451-["x",' + "[" * 700 + '{"_placeholder":true,"num":0}' + "]" * 700 + "]", b"\x00")),
    # binary attachments out of order / inconsistent
    Case("attachment before its header", (b"\x01\x02\x03",)),
    Case("text where an attachment is due", ('451-["x",{"_placeholder":true,"num":0}]', '42["y"]')),
    Case("placeholder out of range", ('451-["x",{"_placeholder":true,"num":1}]', b"\x00")),
    Case("zero attachments", ('450-["x"]',)),
    Case("too many attachments", ('4511-["x"]',)),
    Case("attachment count overflow", ('4599999999999999999999-["x"]',)),
    # polling bodies
    Case("polling invalid base64", body="bAB!!!", transports=("polling",)),
    Case("polling empty body", body="", transports=("polling",)),
    Case("polling trailing separator", body='42["x"]\x1e', transports=("polling",)),
    Case("polling unknown record", body='42["x"]\x1e9zz', transports=("polling",)),
    # Was "unexpected error in the Engine.IO reader" with a traceback, reason "transport error".
    Case("polling body not utf-8", body=b'42["\xff\xfe"]', transports=("polling",)),
]
MALFORMED_PARAMS = [
    pytest.param(case, transport, id=f"{transport}-{case.name.replace(' ', '-')}")
    for case in MALFORMED
    for transport in case.transports
]


@pytest.mark.parametrize("case, transport", MALFORMED_PARAMS)
async def test_malformed_packet_is_a_parse_error(scripted, caplog, case, transport):
    async def script(session: Session) -> None:
        await session.accept()
        if session.index == 0:
            # Not before connect() has returned: when the connection is lost while
            # connect() still waits for its namespaces, connect() raises ConnectionError
            # ("/ (timed out)") and stops the reconnection, although "/" had connected.
            await session.expect('2["ready"]')
            await session.send('42["before",1]')
            if case.body is not None:
                await session.send_body(case.body)
            else:
                await session.send(*case.frames)
        else:
            await session.send('42["hello",2]')

    server = scripted(script)
    baseline = set(asyncio.all_tasks())
    seen = Seen()
    client = _client(seen)
    caplog.set_level(logging.WARNING, logger="sio_notebook")
    try:
        await client.connect(server.url, transports=[transport])
        await client.emit("ready")
        await seen.until(lambda: seen.of("event") and seen.of("event")[-1][1] == "hello", what="the second session")
        assert seen.of("disconnect") == [("parse error",)]
        assert [e[1] for e in seen.of("event")] == ["before", "hello"]
        assert [e[0] for e in seen.log if e[0] in ("connect", "disconnect")] == ["connect", "disconnect", "connect"]
        assert client.connected and len(server.sessions) == 2
        assert client.status().last_error, client.status()
        assert any(r.levelno >= logging.WARNING for r in caplog.records), "nothing was logged"
    finally:
        await client.disconnect()
    assert seen.of("disconnect")[-1] == ("client disconnect",)
    assert not _client_tasks(baseline), _client_tasks(baseline)


def test_thread_client_survives_a_malformed_packet(scripted):
    """The thread Client: the application thread never sees the bad packet, only the reconnect."""
    async def script(session: Session) -> None:
        await session.accept()
        if session.index == 0:
            await session.expect('2["ready"]')
            await session.send('42["x",{"a":')
        else:
            await session.send('42["hello"]')

    server = scripted(script)
    reasons, hellos, connected = [], [], []
    done = threading.Event()
    client = Client(**_options())
    client.on("connect", lambda: connected.append(1))
    client.on("disconnect", lambda reason: reasons.append(reason))

    def hello() -> None:
        hellos.append(1)
        done.set()

    client.on("hello", hello)
    try:
        client.connect(server.url, transports=["websocket"])
        client.emit("ready")
        assert done.wait(10), (reasons, connected)
        assert reasons == ["parse error"] and len(connected) == 2 and hellos == [1]
    finally:
        client.disconnect()


# --- valid but unexpected: ignored --------------------------------------------------------

UNEXPECTED = (
    '4399["late"]',  # ACK for an id we never used
    '43/never,5["late"]',  # ACK on a namespace we never joined
    '42/never,["x",1]',  # EVENT for a namespace we never joined
    '452-/never,["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', b"a", b"b",
    '40/unknown,{"sid":"zz"}',  # CONNECT reply for a namespace we never asked for
    '41/unknown,',  # DISCONNECT for it
    '44/unknown,{"message":"nope"}',  # CONNECT_ERROR for it
    '40{"sid":"duplicate"}',  # a second CONNECT reply for "/"
    "6",  # noop
)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_unexpected_but_valid_packets_are_ignored(scripted, transport):
    async def script(session: Session) -> None:
        await session.accept(sid="the-sid")
        await session.send(*UNEXPECTED)
        await session.send('42["after",1]')

    server = scripted(script)
    baseline = set(asyncio.all_tasks())
    seen = Seen()
    client = _client(seen)
    try:
        await client.connect(server.url, transports=[transport])
        await seen.until(lambda: any(e[1] == "after" for e in seen.of("event")), what='"after"')
        assert seen.of("event") == [("/", "after", (1,))]
        assert seen.of("disconnect") == [] and client.connected
        assert client.namespaces == {"/": "the-sid"}
        assert len(server.sessions) == 1
    finally:
        await client.disconnect()
    assert not _client_tasks(baseline)


# --- oversized but valid -------------------------------------------------------------------

BIG = 5 * 1024 * 1024


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_oversized_packets_are_delivered(scripted, transport):
    blob = bytes(range(256)) * (BIG // 256)

    async def script(session: Session) -> None:
        await session.accept()
        await session.send('42["text",' + json.dumps("é" * BIG) + "]")
        await session.send('451-["blob",{"_placeholder":true,"num":0}]', blob)

    server = scripted(script)
    seen = Seen()
    # The text packet is 31 MB on the wire (json.dumps escapes each "é" as \u00e9):
    # above the default max_inbound_size (16 MiB, tests/fuzz/test_inbound_limit.py).
    client = _client(seen, max_inbound_size=64 * 1024 * 1024)
    try:
        await client.connect(server.url, transports=[transport])
        await seen.until(lambda: len(seen.of("event")) == 2, timeout=30, what="both big packets")
        (_, text_event, (text,)), (_, blob_event, (data,)) = seen.of("event")
        assert (text_event, blob_event) == ("text", "blob")
        assert text == "é" * BIG and data == blob
        assert seen.of("disconnect") == []
    finally:
        await client.disconnect()
    assert len(server.sessions) == 1


# --- reconnection bugs, pinned down --------------------------------------------------------


async def test_recovery_offset_waits_for_the_connect_reply(scripted):
    """Events replayed before the CONNECT reply are only "seen" once the reply comes.

    Session 0 connects (pid P) and delivers one event with offset o1, then dies. Session 1
    gets the recovery CONNECT, replays the missed event (offset o2)... and dies before its
    CONNECT reply: the client drops the early event, so its next CONNECT must still say
    o1, or the server would never replay it. Session 2 replays it and answers: the event
    is delivered exactly once.
    """
    connects: list[dict] = []

    async def script(session: Session) -> None:
        frame = await session.expect("0")
        connects.append(json.loads(frame[1:] or "{}"))
        if session.index == 0:
            await session.send('40{"sid":"S","pid":"P"}', '42["ev",1,"o1"]')
            await session.ping()  # the pong comes after the event was handled
            await session.abort()
        elif session.index == 1:
            await session.send('42["ev",2,"o2"]')
            await session.ping()  # ... and here after the early event was buffered
            await session.abort()
        else:
            await session.send('42["ev",2,"o2"]', '40{"sid":"S","pid":"P"}', '42["ev",3,"o3"]')

    server = scripted(script)
    seen = Seen()
    client = _client(seen)
    try:
        await client.connect(server.url, transports=["websocket"])
        await seen.until(lambda: any(e[2] == (3,) for e in seen.of("event")), what="event 3")
        assert connects == [{}, {"pid": "P", "offset": "o1"}, {"pid": "P", "offset": "o1"}]
        assert [e[2] for e in seen.of("event")] == [(1,), (2,), (3,)]  # offsets stripped, once each
        assert client.recovered()
    finally:
        await client.disconnect()


async def test_a_lost_poll_response_is_a_transport_error(scripted):
    """A GET whose response is lost must fail, not be silently re-sent by aiohttp.

    The server dequeues "lost" into a GET and resets the connection without answering.
    aiohttp re-sends an idempotent GET once by itself on such a failure; the re-sent GET
    would get "after" and "lost" would be gone without a trace. The client must instead
    see a transport error (and reconnect, where recovery would replay what was lost).
    """
    async def script(session: Session) -> None:
        await session.accept()
        if session.index == 0:
            session.lose_next_get()
            await session.send('42["lost",1]')
            await session.send('42["after",2]')
        else:
            await session.send('42["fresh",3]')

    server = scripted(script)
    seen = Seen()
    client = _client(seen)
    try:
        await client.connect(server.url, transports=["polling"])
        await seen.until(lambda: any(e[1] == "fresh" for e in seen.of("event")), what="the second session")
        first = server.sessions[0]
        assert first.lost_frames == [engineio.encode_payload(['42["lost",1]'])]
        assert seen.of("disconnect") == [("transport error",)]
        assert [e[1] for e in seen.of("event")] == ["fresh"]  # never "after": no silent replay
        assert first.gets == 2  # the long poll that got the CONNECT reply, then the lost one
    finally:
        await client.disconnect()


async def test_close_post_is_retried_after_a_fault(scripted):
    """After a fault the client's close POST (``1``) may meet a dead connection; it is sent
    once more, because it is how the server learns the session is gone."""
    async def script(session: Session) -> None:
        await session.accept()
        if session.index == 0:
            session.lose_close_posts(1)
            session.lose_next_get()
            await session.send('42["lost",1]')
        else:
            await session.send('42["fresh",2]')

    server = scripted(script)
    seen = Seen()
    client = _client(seen)
    try:
        await client.connect(server.url, transports=["polling"])
        await seen.until(lambda: any(e[1] == "fresh" for e in seen.of("event")), what="the second session")
        first = server.sessions[0]
        assert first.close_posts == 2 and first.closed.is_set()
    finally:
        await client.disconnect()
