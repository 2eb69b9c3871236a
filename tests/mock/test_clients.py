"""The reference clients, and ours, against the mock server serving a session recorded from
the Node peer (tests/mock/conftest.py), with that peer already stopped.

Each client must get the recorded server events of its namespace in order (binary
attachments intact) and the recorded acks: the ack recorded for the same event and arguments,
else the next recorded ack of that event; an event never acked gets no ack; a namespace that
was not recorded gets a CONNECT error.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import socketio

from sio_notebook import AsyncClient
from sio_notebook import exceptions as sio_errors
from sio_notebook.mock import mock_server
from sio_notebook.notebook import Capture

from .conftest import expected_events

# Whole programs end to end, run once on the full tier's Python (scripts/test-matrix).
pytestmark = pytest.mark.once

# Calls a client makes against the mock, with the acks the recording must give:
#   echo {"x": 2, ...}  -> the ack recorded for exactly that call (the second echo), not the first
#   echo {"x": 1}       -> its own recorded ack
#   echo b"..."         -> the recorded binary ack
#   echo {"x": 99}      -> never recorded: the next recorded echo ack after the last one used
#                          (the third echo, the binary one, was used: the fourth, ["two", 2])
#   flood {...}         -> 5
TAGS = {"x": 2, "tags": ["a", "b"]}
CALLS: list[tuple[str, Any, tuple[Any, ...]]] = [
    ("echo", TAGS, (TAGS,)),
    ("echo", {"x": 1}, ({"x": 1},)),
    ("echo", b"\x00\x01\xfe\xff", (b"\x00\x01\xfe\xff",)),
    ("echo", {"x": 99}, (["two", 2],)),
    ("flood", {"count": 5, "binary": True, "size": 8}, (5,)),
]


def test_the_recording_has_what_the_tests_expect(recorded_capture: Capture) -> None:
    names = [event for event, _ in expected_events(recorded_capture)]
    assert names[:3] == ["auth", "handshake", "message-back"]
    assert names[3:] == ["tick"] * 5 + ["flood-done"]
    ticks = [args[0] for event, args in expected_events(recorded_capture) if event == "tick"]
    assert [t["i"] for t in ticks] == [0, 1, 2, 3, 4] and all(t["blob"] == bytes(range(8)) for t in ticks)
    acks = [(r.event, r.args) for r in recorded_capture if r.direction == "ack" and r.namespace == "/"]
    assert len(acks) == 5


async def test_python_socketio_client_gets_the_events_in_order_and_the_acks(recorded: Path, recorded_capture: Capture) -> None:
    async with await mock_server(recorded) as server:
        assert server.url and server.url.startswith("http://127.0.0.1:")
        client = socketio.AsyncClient()
        got: list[tuple[str, tuple[Any, ...]]] = []
        done = asyncio.Event()

        async def on_any(event: str, *args: Any) -> None:
            got.append((event, args))
            if event == "flood-done":
                done.set()

        client.on("*", on_any)
        await client.connect(server.url, transports=["websocket"])
        try:
            await asyncio.wait_for(done.wait(), 10)
            assert got == expected_events(recorded_capture)
            for event, data, ack in CALLS:
                value = await client.call(event, data, timeout=5)
                assert (value if isinstance(value, tuple) else (value,)) == ack, event
            with pytest.raises(socketio.exceptions.TimeoutError):  # never acked: no ack
                await client.call("message", "hi", timeout=0.5)
            with pytest.raises(socketio.exceptions.TimeoutError):  # unknown event: no ack
                await client.call("no-such-event", 1, timeout=0.5)
        finally:
            await client.disconnect()

        refused = socketio.AsyncClient()
        with pytest.raises(socketio.exceptions.ConnectionError, match="/nowhere"):
            await refused.connect(server.url, namespaces=["/nowhere"], wait_timeout=5)


@pytest.mark.parametrize("transports", [["websocket"], ["polling"]], ids=["websocket", "polling"])
def test_js_socket_io_client_gets_the_events_in_order_and_the_acks(
    recorded: Path, recorded_capture: Capture, js_client: Any, transports: list[str]
) -> None:
    from sio_notebook.mock.background import BackgroundMockServer

    calls = [{"event": e, "args": [_to_js(d)], "timeout": 3000} for e, d, _ in CALLS]
    calls.append({"event": "no-such-event", "args": [1], "timeout": 500})
    with BackgroundMockServer(recorded) as server:
        result = js_client({"url": server.url, "namespace": "/", "until": "flood-done", "calls": calls,
                            "transports": transports})
        custom = js_client({"url": server.url, "namespace": "/custom", "until": "handshake",
                            "calls": [{"event": "echo", "args": [{"where": "custom"}]}]})
        refused = js_client({"url": server.url, "namespace": "/nowhere"})
    assert result["connect_error"] is None
    # JS has no tuples: each event is [name, ...args]
    assert result["events"] == [[e, *map(_listed, args)] for e, args in expected_events(recorded_capture)]
    assert result["acks"] == [[_listed(v) for v in ack] for _, _, ack in CALLS] + [{"error": "operation has timed out"}]
    assert custom["events"] == [[e, *args] for e, args in expected_events(recorded_capture, "/custom")]
    assert custom["acks"] == [[{"where": "custom"}]]
    # python-socketio's CONNECT_ERROR carries the text "Unable to connect" where Node sends
    # {"message": ...}: socket.io-client raises connect_error, with an empty message
    assert refused["connect_error"] == "" and refused["events"] == []


async def test_our_async_client_gets_the_events_in_order_and_the_acks(recorded: Path, recorded_capture: Capture) -> None:
    async with await mock_server(recorded) as server:
        assert server.url
        client = AsyncClient()
        got: list[tuple[str, str, tuple[Any, ...]]] = []
        done = asyncio.Event()

        def on_any(namespace: str, event: str, args: tuple[Any, ...]) -> None:
            got.append((namespace, event, args))
            if event == "flood-done":
                done.set()

        client.on_any(on_any)
        await client.connect(server.url, namespaces=["/", "/custom"])
        try:
            await asyncio.wait_for(done.wait(), 10)
            for namespace in ("/", "/custom"):
                mine = [(e, a) for ns, e, a in got if ns == namespace]
                assert mine == expected_events(recorded_capture, namespace)
            for event, data, ack in CALLS:
                value = await client.call(event, data, timeout=5)
                assert (value if isinstance(value, tuple) else (value,)) == ack, event
            assert await client.call("echo", {"where": "custom"}, namespace="/custom", timeout=5) == {"where": "custom"}
            with pytest.raises(sio_errors.TimeoutError):
                await client.call("no-such-event", timeout=0.5)
        finally:
            await client.disconnect()
        refused = AsyncClient()
        with pytest.raises(sio_errors.ConnectionError):
            await refused.connect(server.url, namespaces=["/nowhere"], wait_timeout=5)


async def test_each_client_gets_the_whole_stream_and_stop_closes_them(recorded_capture: Capture) -> None:
    server = await mock_server(recorded_capture)  # a Capture in memory serves as its dataset does
    clients = [AsyncClient() for _ in range(3)]
    counts = [0, 0, 0]
    done = [asyncio.Event() for _ in clients]
    for i, client in enumerate(clients):
        def on_any(namespace: str, event: str, args: tuple[Any, ...], i: int = i) -> None:
            counts[i] += 1
            if event == "flood-done":
                done[i].set()

        client.on_any(on_any)
    try:
        assert server.url
        await asyncio.gather(*(c.connect(server.url) for c in clients))
        await asyncio.wait_for(asyncio.gather(*(d.wait() for d in done)), 10)
        assert counts == [len(expected_events(recorded_capture))] * 3
        assert server.clients == 3
        gone = [asyncio.Event() for _ in clients]
        for client, event in zip(clients, gone, strict=True):
            client.on("disconnect", lambda *a, event=event: event.set())
    finally:
        await server.stop()
    assert server.url is None
    await asyncio.wait_for(asyncio.gather(*(g.wait() for g in gone)), 10)
    for client in clients:
        await client.disconnect()


def _to_js(value: Any) -> Any:
    return {"$bytes": value.hex()} if isinstance(value, bytes) else value


def _listed(value: Any) -> Any:
    """A Python payload as JSON gives it to JS and back: tuples become lists."""
    if isinstance(value, (list, tuple)):
        return [_listed(v) for v in value]
    if isinstance(value, dict):
        return {k: _listed(v) for k, v in value.items()}
    return value
