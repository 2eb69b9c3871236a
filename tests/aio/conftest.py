"""Fixtures for the AsyncClient behaviour tests (tests/aio/test_client.py).

* ``make_client(**options)``: AsyncClients with fast reconnection; all disconnected at teardown.
* ``peer_kind``: ``node`` / ``python``, for tests that start private servers with ``server_factory``.
* ``big_server``: a module-scoped server of each kind with maxHttpBufferSize 10 MB.
* ``closed_port``: a TCP port on 127.0.0.1 that nothing listens on.
* ``plain_http_server(status)``: an in-process aiohttp server that is not Socket.IO.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from aiohttp import web
from peers.launcher import ServerHandle, start_server

from sio_notebook.aio import AsyncClient

#: Reconnection fast enough for tests (python-socketio's option names, seconds).
FAST_RECONNECTION: dict[str, Any] = {"reconnection_delay": 0.05, "reconnection_delay_max": 0.2}


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., AsyncClient]]:
    clients: list[AsyncClient] = []

    def make(**options: Any) -> AsyncClient:
        for key, value in FAST_RECONNECTION.items():
            options.setdefault(key, value)
        client = AsyncClient(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await asyncio.wait_for(client.disconnect(), 10)


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
async def plain_http_server() -> AsyncIterator[Callable[..., Any]]:
    """``await plain_http_server(status)``: the URL of an HTTP server answering every path with ``status``."""
    runners: list[web.AppRunner] = []

    async def start(status: int) -> str:
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

    yield start
    for runner in runners:
        await runner.cleanup()
