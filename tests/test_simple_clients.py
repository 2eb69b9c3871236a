"""SimpleClient and AsyncSimpleClient against the real Node server: the parts the documentation
examples (tests/test_docs_examples.py) do not reach: timeouts, and what happens once disconnected."""

from __future__ import annotations

import pytest

from sio_notebook import AsyncSimpleClient, SimpleClient
from sio_notebook.exceptions import DisconnectedError, TimeoutError

pytestmark = pytest.mark.timeout(60)


def test_simple_client_receive_times_out_then_reports_the_disconnect(node_server) -> None:
    with SimpleClient() as sio:
        sio.connect(node_server.url, transports=["websocket"])
        assert sio.sid and sio.transport == "websocket"
        # the Node peer greets every connection with these two, in this order
        assert [sio.receive(timeout=5)[0] for _ in range(2)] == ["auth", "handshake"]
        with pytest.raises(TimeoutError):
            sio.receive(timeout=0.2)
        assert sio.call("echo", 42) == 42
        sio.disconnect()
        for _ in range(2):  # every later receive() says so too
            with pytest.raises(DisconnectedError):
                sio.receive(timeout=5)
        with pytest.raises(DisconnectedError):
            sio.emit("echo", 1)


async def test_async_simple_client_receive_times_out_then_reports_the_disconnect(node_server) -> None:
    async with AsyncSimpleClient() as sio:
        with pytest.raises(DisconnectedError):
            await sio.receive(timeout=0.1)  # not connected yet
        await sio.connect(node_server.url)
        assert sio.sid
        assert [(await sio.receive(timeout=5))[0] for _ in range(2)] == ["auth", "handshake"]
        with pytest.raises(TimeoutError):
            await sio.receive(timeout=0.2)
        assert await sio.call("echo", 42) == 42
        await sio.disconnect()
        with pytest.raises(DisconnectedError):
            await sio.receive(timeout=5)
        with pytest.raises(DisconnectedError):
            await sio.call("echo", 1)
