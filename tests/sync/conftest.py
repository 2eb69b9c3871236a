"""Fixtures for the thread ``Client`` behaviour tests (tests/sync/test_client.py).

* ``make_client(**options)``: Clients with fast reconnection; all disconnected at teardown
  (each disconnect bounded in time).
* ``peer_kind``: ``node`` / ``python``, for tests that start private servers with ``server_factory``.
* ``big_server``: a module-scoped server of each kind with maxHttpBufferSize 10 MB.
* ``closed_port``: a TCP port on 127.0.0.1 that nothing listens on.
* ``plain_http_server(status)``: an HTTP server that is not Socket.IO, on its own loop thread.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiohttp import web
from peers.launcher import ServerHandle, start_server

from sio_notebook import Client

from .helpers import bounded

#: Reconnection fast enough for tests (python-socketio's option names, seconds).
FAST_RECONNECTION: dict[str, Any] = {"reconnection_delay": 0.05, "reconnection_delay_max": 0.2}


@pytest.fixture
def make_client() -> Iterator[Callable[..., Client]]:
    clients: list[Client] = []

    def make(**options: Any) -> Client:
        for key, value in FAST_RECONNECTION.items():
            options.setdefault(key, value)
        client = Client(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        bounded(client.disconnect, timeout=10)


@pytest.fixture(params=["node", "python"])
def peer_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module", params=["node", "python"])
def big_server(request: pytest.FixtureRequest) -> Iterator[ServerHandle]:
    handle = start_server(request.param, ping_interval=2000, ping_timeout=2000, max_http_buffer_size=10_000_000)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def plain_http_server() -> Iterator[Callable[[int], str]]:
    """``plain_http_server(status)``: the URL of an HTTP server answering every path with ``status``.

    It runs on a loop thread of its own, so it shares nothing with the Client under test.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="plain-http-server", daemon=True)
    thread.start()
    runners: list[web.AppRunner] = []

    async def start_async(status: int) -> str:
        async def answer(request: web.Request) -> web.Response:
            return web.Response(status=status, text="<html><body>Hello, this is not Socket.IO</body></html>",
                                content_type="text/html")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", answer)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    def start(status: int) -> str:
        return asyncio.run_coroutine_threadsafe(start_async(status), loop).result(10)

    yield start

    async def cleanup() -> None:
        for runner in runners:
            await runner.cleanup()

    asyncio.run_coroutine_threadsafe(cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()
