"""A demo Socket.IO server that streams realistic events, to try the client against.

Run it with::

    python -m sio_notebook.demo.server --host 127.0.0.1 --port 5055

It is python-socketio's ``AsyncServer`` on aiohttp (install ``sio-notebook[demo]``), speaks Socket.IO 5 /
Engine.IO 4 over polling and WebSocket at ``http://HOST:PORT`` (path ``/socket.io/``), and prints
``demo server listening on http://HOST:PORT`` when it is ready (with ``--port 0`` a free port is picked).

Events the server sends
    ``tick`` on ``/``, every ``--tick-interval`` seconds (default 0.2):
        ``{"symbol": "ACME", "price": 101.37, "volume": 420, "seq": 17}``. Prices do a random walk
        per symbol (ACME, GLOBX, INITech, UMBR, WAYNE); ``seq`` counts ticks from 0.
    ``chat`` on ``/chat``, about every 2 s, to everyone in the room:
        ``{"user": "ada", "text": "anyone tried the new build?", "room": "lobby"}``.
    ``blob`` on ``/``, every 5 s, a binary event with one argument:
        ``{"seq": 3, "size": 311, "sha256": "<hex digest of data>", "data": b"<random bytes>"}``.

Events the server answers (with an acknowledgement, on ``/``)
    ``echo`` (any arguments): acks the same arguments back.
    ``add`` ``{"a": 1, "b": 2}``: acks ``3``; anything else acks
    ``{"error": "add needs {\"a\": number, \"b\": number}, got ..."}``.
    ``ask-server-time``: acks the server's time as an ISO 8601 string in UTC.

On ``/chat``
    ``say`` ``{"user": "me", "text": "hello"}`` (or just ``"hello"``): broadcast to the room
    as a ``chat`` event; acks ``True``. Every client of ``/chat`` is in the room ``lobby``.

Options: ``--host`` (default 127.0.0.1), ``--port`` (default 5055), ``--tick-interval`` (seconds),
``--seed`` (makes the random data repeatable).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import hashlib
import random
from typing import Any

try:
    import socketio
    from aiohttp import web
except ImportError as exc:  # pragma: no cover
    raise SystemExit("the demo server needs python-socketio: pip install 'sio-notebook[demo]'") from exc

__all__ = ["create_app", "main", "serve"]

SYMBOLS = {"ACME": 101.0, "GLOBX": 54.2, "INITech": 12.75, "UMBR": 230.0, "WAYNE": 88.9}
USERS = ["ada", "grace", "linus", "margaret", "guido"]
LINES = [
    "anyone tried the new build?", "tests are green again", "coffee break, back in 5",
    "the websocket upgrade works behind the proxy now", "who broke the CI?", "shipping it",
    "I see ticks every 200 ms here", "reconnected after my laptop slept, nothing lost",
]
ROOM = "lobby"


def create_app(tick_interval: float = 0.2, seed: int | None = None) -> web.Application:
    """The aiohttp application with the Socket.IO server attached and its streams started."""
    rng = random.Random(seed)
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
    app = web.Application()
    sio.attach(app)

    async def echo(sid: str, *args: Any) -> Any:
        return args  # a tuple is acked as separate arguments

    async def add(sid: str, data: Any = None) -> Any:
        # Bad input gets an answer too: an error value, at once (not a traceback in the
        # server log and a client left waiting for its ack timeout).
        if isinstance(data, dict) and all(
            isinstance(data.get(k), (int, float)) and not isinstance(data.get(k), bool) for k in ("a", "b")
        ):
            return data["a"] + data["b"]
        return {"error": f'add needs {{"a": number, "b": number}}, got {data!r}'}

    async def ask_server_time(sid: str, *args: Any) -> str:
        return datetime.datetime.now(datetime.timezone.utc).isoformat()

    async def chat_connect(sid: str, environ: Any, auth: Any = None) -> None:
        await sio.enter_room(sid, ROOM, namespace="/chat")

    async def say(sid: str, data: Any) -> bool:
        if isinstance(data, dict):
            user, text = str(data.get("user", sid)), str(data.get("text", ""))
        else:
            user, text = sid, str(data)
        await sio.emit("chat", {"user": user, "text": text, "room": ROOM}, room=ROOM, namespace="/chat")
        return True

    # Plain calls, not decorators: python-socketio's decorators carry no types.
    handlers: list[tuple[str, Any, str]] = [
        ("echo", echo, "/"), ("add", add, "/"), ("ask-server-time", ask_server_time, "/"),
        ("connect", chat_connect, "/chat"), ("say", say, "/chat"),
    ]
    for event, handler, namespace in handlers:
        sio.on(event, handler, namespace=namespace)

    async def ticks() -> None:
        prices, seq = dict(SYMBOLS), 0
        while True:
            symbol = rng.choice(list(prices))
            prices[symbol] = round(max(0.01, prices[symbol] * (1 + rng.gauss(0, 0.002))), 2)
            await sio.emit("tick", {"symbol": symbol, "price": prices[symbol],
                                    "volume": rng.randint(1, 50) * 10, "seq": seq})
            seq += 1
            await asyncio.sleep(tick_interval)

    async def chats() -> None:
        while True:
            await asyncio.sleep(rng.uniform(1.5, 2.5))
            message = {"user": rng.choice(USERS), "text": rng.choice(LINES), "room": ROOM}
            await sio.emit("chat", message, room=ROOM, namespace="/chat")

    async def blobs() -> None:
        seq = 0
        while True:
            await asyncio.sleep(5)
            data = rng.randbytes(rng.randint(200, 600))
            await sio.emit("blob", {"seq": seq, "size": len(data),
                                    "sha256": hashlib.sha256(data).hexdigest(), "data": data})
            seq += 1

    streams: list[asyncio.Task[None]] = []

    async def start_streams(app: web.Application) -> None:
        streams.extend(asyncio.create_task(job()) for job in (ticks, chats, blobs))

    async def stop_streams(app: web.Application) -> None:
        for task in streams:
            task.cancel()
        await asyncio.gather(*streams, return_exceptions=True)

    app.on_startup.append(start_streams)
    app.on_cleanup.append(stop_streams)
    return app


async def serve(host: str = "127.0.0.1", port: int = 5055, tick_interval: float = 0.2,
                seed: int | None = None) -> None:
    """Run the demo server until cancelled."""
    runner = web.AppRunner(create_app(tick_interval, seed))
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host  # IPv6
        print(f"demo server listening on http://{shown}:{bound_port}", flush=True)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sio_notebook.demo.server",
                                     description="A demo Socket.IO server that streams events.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--tick-interval", type=float, default=0.2, help="seconds between ticks")
    parser.add_argument("--seed", type=int, default=None, help="seed for repeatable random data")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.tick_interval, args.seed))


if __name__ == "__main__":
    main()
