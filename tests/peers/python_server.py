"""python-socketio's ``AsyncServer`` on aiohttp, used as a test peer by sio_notebook's test-suite.

    python tests/peers/python_server.py [--port=0] [--ping-interval=25000] [--ping-timeout=20000]
                                        [--max-http-buffer-size=1e6] [--transports=polling,websocket]

It implements the same contract as ``tests/peers/node/server.js`` (the official Node server). It binds
127.0.0.1, prints exactly one line ``listening <port>`` once ready, and exits on SIGTERM or when its
stdin reaches EOF. ``--recovery`` and ``--parser`` are Node-only and make it exit with status 2.

Where python-socketio behaves differently from Node (asserted in test_peers.py):

* An unknown namespace gets the legacy plain-string CONNECT_ERROR ``44/random,"Unable to connect"``
  (Node: ``44/random,{"message":"Invalid namespace"}``).
* python-socketio has no regex namespaces: ``/dyn-<word>`` is accepted through ``_Namespaces`` below,
  an object whose ``in`` test the server consults before refusing a namespace.
* ``kill-transport`` uses ``eio.disconnect()``: over websocket it sends an Engine.IO ``1`` (close)
  frame (Node closes the WS without a ``1``); over polling see below.
* Every event that carries an ack id is acked: python-socketio always acks with the handler's return
  value (``[]`` for ``None``). server.js does the same on purpose, except after a server-side
  disconnect: ``42/custom,5["server-disconnect"]`` gets ``41/custom,`` and then ``43/custom,5[]``
  from python-socketio, only ``41/custom,`` from Node.
* After the ``1`` frame of ``kill-transport`` python-engineio leaves the WS open until the client closes it (or for
  pingInterval + pingTimeout); the same goes for ``server-disconnect-all`` (41s, then ``1``).
* An oversized polling POST (``--max-http-buffer-size``) closes the session: a pending GET gets
  ``1`` and the POST then gets 400 ``"Bad Request"`` (with no GET pending the POST hangs until one
  comes). Node answers 413 with an empty body. An oversized WS frame: close code 1009 on both.
* ``kill-transport`` over polling: python-engineio marks the session closed at once, so the next
  GET usually gets HTTP 400 with the body ``"Invalid session <sid>"`` (a JSON string, not Node's
  ``{"code":1,...}``) instead of a payload ending in ``1``.
* The open packet truncates pingInterval to whole seconds (python-engineio computes
  ``int(seconds) * 1000``): ``--ping-interval=300`` advertises ``"pingInterval":0`` but pings every
  300 ms, and 2500 advertises 2000. Use whole seconds with this peer. pingTimeout is exact.
* A polling POST is answered ``OK`` (Node: ``ok``).
* Text is JSON-encoded with ``ensure_ascii``: ``"€"`` goes on the wire as ``"\\u20ac"`` (Node: raw UTF-8).
* ``get-recovered`` is always ``False`` (no connection state recovery in python-socketio).
* Events emitted inside a connect handler would reach the client *before* the ``40{"sid":...}``
  reply, so ``auth``/``handshake`` are emitted from a task that waits for the connection to be
  accepted, which gives the same order as Node.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import sys
import threading
from urllib.parse import parse_qsl

import socketio
from aiohttp import web

NAMESPACES = ("/", "/custom", "/private")
DYNAMIC = re.compile(r"^/dyn-\w+$")
IGNORED_QUERY = {"EIO", "transport", "t", "sid"}


class _Namespaces(list):
    """The accepted namespaces, plus any name matching ``DYNAMIC`` (python-socketio only does ``in``)."""

    def __contains__(self, namespace: object) -> bool:
        return super().__contains__(namespace) or bool(DYNAMIC.match(str(namespace)))


def pattern_bytes(n: int) -> bytes:
    """N bytes where byte i is i % 256 (same as server.js)."""
    return bytes(i % 256 for i in range(n))


def build_server(args: argparse.Namespace) -> socketio.AsyncServer:
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        cors_allowed_origins="*",
        namespaces=_Namespaces(NAMESPACES),
        ping_interval=args.ping_interval / 1000,
        ping_timeout=args.ping_timeout / 1000,
        max_http_buffer_size=int(args.max_http_buffer_size),
        transports=args.transports,
    )
    counters: dict[tuple[str, str], int] = {}
    tasks: set[asyncio.Task] = set()

    def spawn(coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def on(event: str):
        # Every handler is registered for all namespaces and gets (namespace, sid, *args); the
        # namespace itself was already filtered by _Namespaces.
        return sio.on(event, namespace="*")

    @on("connect")
    async def connect(ns, sid, environ, auth):
        auth = {} if auth is None else auth  # python-socketio passes None for "no auth" and for {}
        if ns == "/private" and not (isinstance(auth, dict) and auth.get("token") == "good"):
            raise socketio.exceptions.ConnectionRefusedError("not authorized", {"reason": "bad token"})
        request = environ["aiohttp.request"]
        headers = {k.lower(): v for k, v in request.headers.items() if k.lower().startswith("x-")}
        query: dict[str, object] = {}
        for key, value in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True):
            if key in IGNORED_QUERY:
                continue
            old = query.get(key)  # repeated keys become a list, like Node's querystring
            query[key] = value if old is None else [*old, value] if isinstance(old, list) else [old, value]
        counters[(ns, sid)] = 0

        async def greet():
            # The CONNECT reply is queued right after this handler returns; wait for it.
            for _ in range(1000):
                if not sio.manager.is_pre_connected(sid, ns):
                    break
                await asyncio.sleep(0.001)
            await sio.emit("auth", auth, to=sid, namespace=ns)
            await sio.emit("handshake", {"auth": auth, "headers": headers, "query": query}, to=sid, namespace=ns)

        spawn(greet())

    @on("disconnect")
    async def disconnect(ns, sid, reason=None):
        counters.pop((ns, sid), None)

    @on("message")
    async def message(ns, sid, *args):
        await sio.emit("message-back", args, to=sid, namespace=ns)

    @on("message-with-ack")
    async def message_with_ack(ns, sid, *args):
        return args  # a tuple: one ack argument per element

    @on("echo")
    async def echo(ns, sid, *args):
        return args

    @on("ask")
    async def ask(ns, sid, *args):
        # Server -> client ack; "answer" carries every value the client acked with.
        reply: asyncio.Future = asyncio.get_running_loop().create_future()

        def callback(*values):
            if not reply.done():
                reply.set_result(list(values))

        await sio.emit("ask", args, to=sid, namespace=ns, callback=callback)
        try:
            values = await asyncio.wait_for(reply, 5)
        except asyncio.TimeoutError:
            await sio.emit("answer-error", "operation has timed out", to=sid, namespace=ns)  # Node's text
        else:
            await sio.emit("answer", values, to=sid, namespace=ns)  # a list is sent as one argument

    @on("flood")
    async def flood(ns, sid, opts=None):
        opts = opts or {}
        count, size = opts.get("count", 0), opts.get("size", 16)
        for i in range(count):
            payload = {"i": i, "blob": pattern_bytes(size)} if opts.get("binary") else {"i": i}
            await sio.emit("tick", payload, to=sid, namespace=ns)
        await sio.emit("flood-done", {"count": count}, to=sid, namespace=ns)
        return count

    @on("inc")
    async def inc(ns, sid, *args):
        counters[(ns, sid)] = counters.get((ns, sid), 0) + 1

    @on("get-count")
    async def get_count(ns, sid, *args):
        return counters.get((ns, sid), 0)

    @on("reset-count")
    async def reset_count(ns, sid, *args):
        counters[(ns, sid)] = 0

    @on("big")
    async def big(ns, sid, opts=None):
        return "x" * (opts or {}).get("size", 0)

    @on("bin-big")
    async def bin_big(ns, sid, opts=None):
        return pattern_bytes((opts or {}).get("size", 0))

    @on("utf8")
    async def utf8(ns, sid, *args):
        return "てすと€😀"

    @on("server-disconnect")
    async def server_disconnect(ns, sid, *args):
        await sio.disconnect(sid, namespace=ns)  # 41 for this namespace only

    @on("server-disconnect-all")
    async def server_disconnect_all(ns, sid, *args):
        # Node's disconnect(true): 41 for every namespace of this client, then close the engine.
        eio_sid = sio.manager.eio_sid_from_sid(sid, ns)
        for other in list(sio.manager.get_namespaces()):
            other_sid = sio.manager.sid_from_eio_sid(eio_sid, other)
            if other_sid is not None and sio.manager.is_connected(other_sid, other):
                await sio.disconnect(other_sid, namespace=other)
        await sio.eio.disconnect(eio_sid)

    @on("kill-transport")
    async def kill_transport(ns, sid, *args):
        # No Socket.IO DISCONNECT: the Engine.IO socket sends "1" (close) and the transport closes.
        await sio.eio.disconnect(sio.manager.eio_sid_from_sid(sid, ns))

    @on("get-id")
    async def get_id(ns, sid, *args):
        return sid

    @on("get-recovered")
    async def get_recovered(ns, sid, *args):
        return False

    @on("get-stats")
    async def get_stats(ns, sid, *args):
        return {"clients": len(sio.eio.sockets)}

    @on("broadcast-later")
    async def broadcast_later(ns, sid, opts=None):
        opts = opts or {}

        async def later():
            await asyncio.sleep(opts.get("delay", 0) / 1000)
            for i in range(opts.get("count", 1)):
                await sio.emit(opts.get("event", "later"), {"i": i}, namespace=ns)

        spawn(later())

    @on("subscribe")
    async def subscribe(ns, sid, opts=None):
        # Answered by another event, not an ack: "subscribed" {id, topic} after `delay` ms,
        # or never with `drop` (request/reply latency pairing, nb.latency(..., reply=, match=)).
        opts = opts or {}
        if opts.get("drop"):
            return

        async def later():
            await asyncio.sleep(opts.get("delay", 0) / 1000)
            await sio.emit("subscribed", {"id": opts.get("id"), "topic": opts.get("topic")}, to=sid, namespace=ns)

        spawn(later())

    return sio


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python_server.py", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ping-interval", type=float, default=25000, help="ms")
    parser.add_argument("--ping-timeout", type=float, default=20000, help="ms")
    parser.add_argument("--max-http-buffer-size", type=float, default=1e6)
    parser.add_argument("--transports", type=lambda s: [t for t in s.split(",") if t],
                        default=["polling", "websocket"])
    parser.add_argument("--recovery", action="store_true", help="unsupported (Node only)")
    parser.add_argument("--parser", help="unsupported (Node only)")
    args = parser.parse_args(argv)
    if args.recovery:
        parser.error("--recovery: python-socketio has no connection state recovery")
    if args.parser is not None:
        parser.error("--parser: this peer only speaks the default parser")
    return args


async def main(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)

    def watch_stdin() -> None:  # a daemon thread: EOF on stdin means our parent is gone
        try:
            while os.read(0, 4096):  # the raw fd: a buffered read would hold stdin's lock at exit
                pass
        except (OSError, ValueError):
            pass
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()

    sio = build_server(args)
    app = web.Application()
    sio.attach(app)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port)
    await site.start()
    print(f"listening {runner.addresses[0][1]}", flush=True)

    await stop.wait()
    # like Node's io.close(): every client gets its Engine.IO connection closed ("1")
    with contextlib.suppress(Exception):  # exiting anyway
        await asyncio.wait_for(sio.eio.disconnect(), 0.5)
    os._exit(0)  # aiohttp's graceful cleanup would wait seconds for lingering connections


if __name__ == "__main__":
    asyncio.run(main(parse_args(sys.argv[1:])))
