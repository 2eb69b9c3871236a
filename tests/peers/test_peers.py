"""Smoke tests for the test peers, written with raw aiohttp (never sio_notebook).

They replay the frames of the official protocol test-suite (docs/protocol.md §3) against both
peers, so the client's tests can rely on the peers behaving as those vectors assume, and they check
every event of the peer contract (tests/peers/node/server.js, tests/peers/python_server.py).
Where python-socketio differs from Node on the wire, the test asserts what each really sends.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

PATH = "/socket.io/"
BIN = bytes([1, 2, 3]), bytes([4, 5, 6])
PLACEHOLDERS = '{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}'


def pattern(n: int) -> bytes:
    return bytes(i % 256 for i in range(n))


class Closed(Exception):
    """The WebSocket was closed by the server."""


class RawWS:
    """An Engine.IO v4 WebSocket session: answers pings, returns every other frame as it came."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: list[str | bytes] = []  # everything received except pings
        self.open: dict[str, Any] = {}  # the Engine.IO open packet

    async def recv(self, timeout: float = 5.0) -> str | bytes:
        while True:
            msg = await self.ws.receive(timeout)
            if msg.type == aiohttp.WSMsgType.TEXT:
                if msg.data == "2":
                    await self.ws.send_str("3")
                    continue
                self.frames.append(msg.data)
                return msg.data
            if msg.type == aiohttp.WSMsgType.BINARY:
                self.frames.append(msg.data)
                return msg.data
            raise Closed(msg.type)

    async def send(self, *frames: str | bytes) -> None:
        for frame in frames:
            if isinstance(frame, bytes):
                await self.ws.send_bytes(frame)
            else:
                await self.ws.send_str(frame)

    async def until(self, prefix: str, timeout: float = 5.0) -> str:
        """Skip frames until a text frame starting with ``prefix``."""
        while True:
            frame = await self.recv(timeout)
            if isinstance(frame, str) and frame.startswith(prefix):
                return frame

    async def until_closed(self, timeout: float = 5.0) -> None:
        """Read until the server closes the transport: the WS closes, or an Engine.IO ``1`` arrives.

        python-engineio sends ``1`` and then leaves the WS open until the client closes it (or for
        pingInterval + pingTimeout), so on ``1`` we close our side as a real client does.
        """
        try:
            while await self.recv(timeout) != "1":
                pass
            await self.ws.close()
        except Closed:
            pass

    async def connect(self, nsp: str = "/", auth: dict | None = None) -> str:
        """CONNECT to ``nsp``, check the ``auth`` and ``handshake`` events, return the socket id."""
        prefix = "40" if nsp == "/" else f"40{nsp},"
        await self.send(prefix + ("" if auth is None else json.dumps(auth)))
        reply = await self.recv()
        assert reply.startswith(prefix + "{"), reply
        sid = json.loads(reply[len(prefix):])["sid"]
        event = "42" if nsp == "/" else f"42{nsp},"
        assert json.loads((await self.recv())[len(event):]) == ["auth", auth or {}]
        assert json.loads((await self.recv())[len(event):])[0] == "handshake"
        return sid

    async def call(self, event: str, *args: Any, ack_id: int = 1, nsp: str = "/") -> list:
        """Emit an event with an ack id and return the ack's arguments (text acks only)."""
        ns = "" if nsp == "/" else f"{nsp},"
        await self.send(f"42{ns}{ack_id}" + json.dumps([event, *args], separators=(",", ":")))
        reply = await self.until(f"43{ns}{ack_id}")
        return json.loads(reply[len(f"43{ns}{ack_id}"):])


async def open_ws(session: aiohttp.ClientSession, url: str, query: str = "", **kwargs: Any) -> RawWS:
    """A websocket-only Engine.IO session, its open packet already read."""
    ws = await session.ws_connect(f"{url}{PATH}?EIO=4&transport=websocket{query}", **kwargs)
    raw = RawWS(ws)
    handshake = await raw.recv()
    assert handshake.startswith("0{")
    raw.open = json.loads(handshake[1:])
    return raw


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as session:
        yield session


# ---------------------------------------------------------------------------------------------
# The protocol test-suite vectors, over a raw websocket


async def test_open_packet_and_connect(server, session):
    raw = await open_ws(session, server.url)
    assert raw.open["upgrades"] == [] and raw.open["maxPayload"] == 1_000_000
    assert (raw.open["pingInterval"], raw.open["pingTimeout"]) == (2000, 2000)
    await raw.send("40")
    reply = await raw.recv()
    assert reply.startswith("40{") and set(json.loads(reply[2:])) == {"sid"}
    assert await raw.recv() == '42["auth",{}]'
    assert (await raw.recv()).startswith('42["handshake",')


async def test_connect_with_auth_and_custom_namespace(server, session):
    raw = await open_ws(session, server.url)
    await raw.send('40{"token":"123"}')
    assert (await raw.recv()).startswith('40{"sid":')
    assert await raw.recv() == '42["auth",{"token":"123"}]'
    await raw.until('42["handshake",')
    await raw.send("40/custom,")
    assert (await raw.recv()).startswith('40/custom,{"sid":')
    assert await raw.recv() == '42/custom,["auth",{}]'


async def test_message_echo_and_ack_vectors(server, session):
    raw = await open_ws(session, server.url)
    await raw.connect()
    await raw.send('42["message",1,"2",{"3":[true]}]')
    assert await raw.recv() == '42["message-back",1,"2",{"3":[true]}]'
    await raw.send('42456["message-with-ack",1,"2",{"3":[false]}]')
    assert await raw.recv() == '43456[1,"2",{"3":[false]}]'


async def test_invalid_namespace(server, session):
    raw = await open_ws(session, server.url)
    await raw.send("40/random,")
    if server.kind == "node":
        assert await raw.recv() == '44/random,{"message":"Invalid namespace"}'
    else:
        # python-socketio still sends the legacy (Socket.IO v4-era) plain-string CONNECT_ERROR.
        assert await raw.recv() == '44/random,"Unable to connect"'


async def test_binary_echo_and_binary_ack(server, session):
    raw = await open_ws(session, server.url)
    await raw.connect()
    await raw.send(f'452-["message",{PLACEHOLDERS}]', *BIN)
    assert [await raw.recv() for _ in range(3)] == [f'452-["message-back",{PLACEHOLDERS}]', *BIN]
    await raw.send(f'452-789["message-with-ack",{PLACEHOLDERS}]', *BIN)
    assert [await raw.recv() for _ in range(3)] == [f"462-789[{PLACEHOLDERS}]", *BIN]


async def test_polling_handshake_connect_and_events(server, session):
    base = f"{server.url}{PATH}?EIO=4&transport=polling"
    async with session.get(f"{base}&t=a1") as resp:
        assert resp.status == 200
        body = await resp.text()
    assert body.startswith("0{")
    sid = json.loads(body[1:])["sid"]
    assert json.loads(body[1:])["upgrades"] == ["websocket"]
    async with session.post(f"{base}&sid={sid}&t=a2", data="40", headers={"Content-Type": "text/plain;charset=UTF-8"}) as resp:
        # Node answers "ok" (text/html); python-engineio answers "OK" (text/plain).
        assert resp.status == 200 and await resp.text() == ("ok" if server.kind == "node" else "OK")
    packets: list[str] = []
    while len(packets) < 3:  # the CONNECT reply, "auth" and "handshake", in one or more GETs
        async with session.get(f"{base}&sid={sid}&t=a3") as resp:
            packets += [p for p in (await resp.text()).split("\x1e") if p != "2"]
    assert packets[0].startswith('40{"sid":') and packets[1] == '42["auth",{}]'
    assert packets[2].startswith('42["handshake",')
    # message-with-ack over polling, answered in the next GET.
    async with session.post(f"{base}&sid={sid}&t=a4", data='421["message-with-ack","p"]') as resp:
        assert (await resp.text()).lower() == "ok"
    async with session.get(f"{base}&sid={sid}&t=a5") as resp:
        assert "431[\"p\"]" in (await resp.text()).split("\x1e")


# ---------------------------------------------------------------------------------------------
# The peer contract


async def test_contract_events(server, session):
    # handshake: auth, x- headers only, query without EIO/transport/t/sid
    raw = await open_ws(session, server.url, "&foo=bar", headers={"X-Test": "yes", "Y-Other": "no"})
    await raw.send('40{"token":"t"}')
    sid = json.loads((await raw.recv())[2:])["sid"]
    assert await raw.recv() == '42["auth",{"token":"t"}]'
    handshake = json.loads((await raw.recv())[2:])
    assert handshake == ["handshake", {"auth": {"token": "t"}, "headers": {"x-test": "yes"}, "query": {"foo": "bar"}}]

    assert await raw.call("echo", 1, "two", {"three": None}) == [1, "two", {"three": None}]
    assert await raw.call("echo") == []
    assert await raw.call("get-id") == [sid]
    assert await raw.call("get-recovered") == [False]
    assert (await raw.call("get-stats"))[0]["clients"] >= 1
    assert await raw.call("big", {"size": 10}) == ["x" * 10]
    assert await raw.call("utf8") == ["てすと€😀"]
    utf8_frame = raw.frames[-1]
    if server.kind == "node":
        assert utf8_frame == '431["てすと€😀"]'  # raw UTF-8
    else:
        assert utf8_frame == '431["\\u3066\\u3059\\u3068\\u20ac\\ud83d\\ude00"]'  # json.dumps ensure_ascii

    # per-socket counter
    await raw.send('42["inc"]', '42["inc"]', '42["inc",1]')
    assert await raw.call("get-count") == [3]
    assert await raw.call("reset-count") == []
    assert await raw.call("get-count") == [0]

    # binary ack of N bytes
    await raw.send('427["bin-big",{"size":300}]')
    assert await raw.until("461-7") == '461-7[{"_placeholder":true,"num":0}]'
    assert await raw.recv() == pattern(300)

    # flood: N ticks, then flood-done, then the ack
    await raw.send('423["flood",{"count":5}]')
    assert [await raw.recv() for _ in range(7)] == [
        *(f'42["tick",{{"i":{i}}}]' for i in range(5)), '42["flood-done",{"count":5}]', "433[5]"]
    await raw.send('42["flood",{"count":2,"binary":true,"size":4}]')
    for i in range(2):
        assert await raw.recv() == f'451-["tick",{{"i":{i},"blob":{{"_placeholder":true,"num":0}}}}]'
        assert await raw.recv() == pattern(4)
    assert await raw.recv() == '42["flood-done",{"count":2}]'

    # server -> client ack, answered with two values (one binary)
    await raw.send('42["ask",{"q":1}]')
    request = await raw.until('42')
    assert request.endswith('["ask",{"q":1}]')
    ask_id = request[2:request.index("[")]
    await raw.send(f"461-{ask_id}[42,{{\"_placeholder\":true,\"num\":0}}]", b"\x07")
    answer = await raw.until('45')  # binary EVENT: ["answer",[42,<bytes>]]
    assert answer == '451-["answer",[42,{"_placeholder":true,"num":0}]]'
    assert await raw.recv() == b"\x07"

    # broadcast-later to the namespace
    await raw.send('42["broadcast-later",{"delay":100,"event":"later","count":2}]')
    assert await raw.until('42["later"') == '42["later",{"i":0}]'
    assert await raw.recv() == '42["later",{"i":1}]'

    # subscribe: answered by a "subscribed" event, not an ack; "drop" is never answered
    await raw.send('42["subscribe",{"id":2,"drop":true}]', '42["subscribe",{"id":1,"topic":"t","delay":20}]')
    assert await raw.until('42["subscribed"') == '42["subscribed",{"id":1,"topic":"t"}]'
    assert await raw.call("echo", "after") == ["after"]
    assert not [f for f in raw.frames if isinstance(f, str) and '"subscribed",{"id":2' in f]


async def test_ask_timeout(server, session):
    raw = await open_ws(session, server.url)
    await raw.connect()
    await raw.send('42["ask","never answered"]')
    assert (await raw.until("42")).endswith('["ask","never answered"]')
    assert await raw.until('42["answer-error"', timeout=8) == '42["answer-error","operation has timed out"]'


async def test_namespaces(server, session):
    raw = await open_ws(session, server.url)
    await raw.connect()
    # dynamic namespace (python-socketio: accepted through python_server._Namespaces)
    await raw.connect("/dyn-abc")
    assert await raw.call("echo", "d", nsp="/dyn-abc") == ["d"]
    # middleware rejection with data, then acceptance with the right token
    await raw.send('40/private,{"token":"bad"}')
    assert await raw.recv() == '44/private,{"message":"not authorized","data":{"reason":"bad token"}}'
    await raw.connect("/private", {"token": "good"})
    # server-disconnect: 41 for that namespace only
    await raw.connect("/custom")
    await raw.send('42/custom,["server-disconnect"]')
    assert await raw.until("41") == "41/custom,"
    assert await raw.call("echo", "still here") == ["still here"]
    # server-disconnect-all: 41 for every namespace, then the transport closes
    await raw.send('42["server-disconnect-all"]')
    await raw.until_closed()
    disconnects = sorted(f for f in raw.frames if isinstance(f, str) and f.startswith("41"))
    assert disconnects == ["41", "41/custom,", "41/dyn-abc,", "41/private,"]
    # Node just closes the WS; python-socketio's eio.disconnect() first sends an Engine.IO "1" frame.
    assert (raw.frames[-1] == "1") == (server.kind == "python")


async def test_kill_transport(server, session):
    raw = await open_ws(session, server.url)
    await raw.connect()
    await raw.send('42["kill-transport"]')
    await raw.until_closed()
    assert not any(isinstance(f, str) and f.startswith("41") for f in raw.frames)
    # Node closes the WS without a frame; python-socketio sends an Engine.IO close packet first.
    assert (raw.frames[-1] == "1") == (server.kind == "python")


async def test_kill_transport_over_polling(server, session):
    base = f"{server.url}{PATH}?EIO=4&transport=polling"
    async with session.get(base) as resp:
        sid = json.loads((await resp.text())[1:])["sid"]
    await session.post(f"{base}&sid={sid}", data="40\x1e42[\"kill-transport\"]")
    packets: list[str] = []
    for _ in range(5):
        async with session.get(f"{base}&sid={sid}") as resp:
            if resp.status == 400:
                body = await resp.text()
                break
            packets += (await resp.text()).split("\x1e")
    assert not any(p.startswith("41") for p in packets)
    if server.kind == "node":
        # The pending GET ends with an Engine.IO close packet, later ones get "Session ID unknown".
        assert packets[-1] == "1" and json.loads(body) == {"code": 1, "message": "Session ID unknown"}
    else:
        # python-engineio drops the session (and its queued "1") at once: usually the next GET
        # already gets 400 with a JSON *string* body; with a GET pending it may see "1" first.
        assert json.loads(body) == f"Invalid session {sid}"


async def test_recovery_replays_missed_events(node_recovery_server, session):
    url = node_recovery_server.url
    raw = await open_ws(session, url)
    await raw.send("40")
    hello = json.loads((await raw.recv())[2:])
    assert set(hello) == {"sid", "pid"}
    auth = json.loads((await raw.recv())[2:])
    offset = auth[-1]  # every plain EVENT carries the offset as its last argument
    assert auth[:2] == ["auth", {}] and isinstance(offset, str)
    offset = json.loads((await raw.recv())[2:])[-1]  # "handshake" is newer
    await raw.send('42["broadcast-later",{"delay":300,"event":"missed","count":2}]', '42["kill-transport"]')
    await raw.until_closed()
    await asyncio.sleep(0.6)
    raw = await open_ws(session, url)
    await raw.send("40" + json.dumps({"pid": hello["pid"], "offset": offset}))
    # missed events first, then the CONNECT reply with the same sid and pid
    assert json.loads((await raw.recv())[2:])[:2] == ["missed", {"i": 0}]
    assert json.loads((await raw.recv())[2:])[:2] == ["missed", {"i": 1}]
    assert json.loads((await raw.recv())[2:]) == hello
    assert await raw.call("get-recovered") == [True]


async def test_msgpack_parser(server_factory, session):
    msgpack = pytest.importorskip("msgpack")
    handle = server_factory("node", parser="msgpack")
    raw = await open_ws(session, handle.url)
    await raw.send(msgpack.packb({"type": 0, "nsp": "/"}))
    reply = msgpack.unpackb(await raw.recv())
    assert reply["type"] == 0 and reply["nsp"] == "/" and "sid" in reply["data"]
    assert msgpack.unpackb(await raw.recv())["data"] == ["auth", {}]


# ---------------------------------------------------------------------------------------------
# The launcher


@pytest.mark.parametrize("kind", ["node", "python"])
async def test_launcher_restart_transports_and_stdin_eof(kind, server_factory, session):
    handle = server_factory(kind, transports=["websocket"], ping_interval=300, ping_timeout=200)
    async with session.get(f"{handle.url}{PATH}?EIO=4&transport=polling") as resp:
        assert resp.status == 400  # polling is disabled
    raw = await open_ws(session, handle.url)
    # python-engineio truncates the advertised pingInterval to whole seconds (it still pings every
    # 300 ms); see python_server.py.
    assert (raw.open["pingInterval"], raw.open["pingTimeout"]) == (300 if kind == "node" else 0, 200)
    port = handle.port
    handle.restart()
    assert handle.port == port
    await open_ws(session, handle.url)
    handle.process.stdin.close()  # what happens when the test runner dies
    start = time.monotonic()
    await asyncio.get_running_loop().run_in_executor(None, handle.process.wait, 10)
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("kind", ["node", "python"])
async def test_max_http_buffer_size(kind, server_factory, session):
    handle = server_factory(kind, max_http_buffer_size=1000)
    big = '42["x","' + "a" * 2000 + '"]'
    raw = await open_ws(session, handle.url)
    assert raw.open["maxPayload"] == 1000
    await raw.connect()
    await raw.send(big)
    await raw.until_closed()
    assert raw.ws.close_code == 1009  # both: "message too big"
    base = f"{handle.url}{PATH}?EIO=4&transport=polling"
    async with session.get(base) as resp:
        sid = json.loads((await resp.text())[1:])["sid"]

    async def request(method: str) -> tuple[int, str]:
        async with session.request(method, f"{base}&sid={sid}", data=big if method == "POST" else None) as resp:
            return resp.status, await resp.text()

    if kind == "node":
        assert await request("POST") == (413, "")
    else:
        # python-engineio closes the session and its POST only returns once a GET has drained the
        # queue, so a GET is pending here: it gets "1" and the POST gets 400 '"Bad Request"'.
        pending = asyncio.ensure_future(request("GET"))
        await asyncio.sleep(0.2)
        assert await request("POST") == (400, '"Bad Request"')
        assert await pending == (200, "1")


def test_python_peer_refuses_node_only_options():
    from peers.launcher import ServerStartError, start_server

    with pytest.raises(ServerStartError, match="recovery"):
        start_server("python", recovery=True)


# ---------------------------------------------------------------------------------------------
# The bundled demo server (sio_notebook/demo/server.py)


async def test_demo_server(session):
    pytest.importorskip("socketio")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sio_notebook.demo.server", "--port", "0", "--tick-interval", "0.05",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2])
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        assert line.startswith("demo server listening on http://127.0.0.1:"), (line, await process.stderr.read())
        raw = await open_ws(session, line.split()[-1])
        await raw.send("40")
        assert (await raw.recv()).startswith('40{"sid":')
        tick = json.loads((await raw.until('42["tick"'))[2:])[1]
        assert set(tick) == {"symbol", "price", "volume", "seq"}
        assert await raw.call("add", {"a": 1, "b": 2}) == [3]
        assert await raw.call("echo", 1, "2") == [1, "2"]
        assert (await raw.call("ask-server-time"))[0].endswith("+00:00")
        await raw.send('40/chat,')
        await raw.until('40/chat,{"sid":')
        await raw.send('42/chat,5["say",{"user":"me","text":"hi"}]')
        assert await raw.until('42/chat,["chat",{"user":"me"') == '42/chat,["chat",{"user":"me","text":"hi","room":"lobby"}]'
    finally:
        process.terminate()
        await process.wait()
