"""Replay a capture to the real Node server: everything arrives, in order, on its namespace,
at the requested speed; also from a Parquet dataset that was loaded back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from peers.launcher import ServerHandle

import sio_notebook as socketio
from sio_notebook.exceptions import BadNamespaceError
from sio_notebook.notebook import capture
from sio_notebook.notebook.recording.replay import replay

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
async def client(node_server: ServerHandle) -> AsyncIterator[socketio.AsyncClient]:
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(node_server.url, namespaces=["/", "/custom"], transports=["websocket"])
    try:
        yield sio
    finally:
        await asyncio.wait_for(sio.disconnect(), 10)


async def test_replay_of_a_flood_arrives_complete_and_in_order(client: socketio.AsyncClient, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    from sio_notebook.notebook import Capture

    # 1. capture 5,000 ticks on "/" and 2,000 on "/custom" from the server, to Parquet
    source = capture(client, "tick", max_rows=100, path=tmp_path / "ticks.parquet", flush_rows=1000)
    await client.call("flood", {"count": 5000}, timeout=30)
    await client.call("flood", {"count": 2000}, namespace="/custom", timeout=30)
    await source.wait_for(7000, timeout=30)
    source.stop()  # writes the last rows
    loaded = Capture.load(tmp_path / "ticks.parquet")
    assert len(loaded) == 7000

    # 2. replay it as `message`, which the server echoes back as `message-back`
    echoes = capture(client, "message-back", max_rows=10_000)
    sent = await loaded.replay(client, rename={"tick": "message"}, progress=False)
    assert sent == 7000
    await echoes.wait_for(7000, timeout=30)
    got = {ns: [r.args[0]["i"] for r in echoes if r.namespace == ns] for ns in ("/", "/custom")}
    assert got["/"] == list(range(5000))
    assert got["/custom"] == list(range(2000))


async def test_speed_keeps_or_scales_the_inter_arrival_times(client: socketio.AsyncClient) -> None:
    rows = [(i + 1, 1000.0 + 0.05 * i, "/", "message", ({"i": i},)) for i in range(11)]  # 0.5 s of events
    echoes = capture(client, "message-back")
    t = time.monotonic()
    assert await replay(rows, client, speed=1.0, progress=False) == 11
    original = time.monotonic() - t
    t = time.monotonic()
    assert await replay(rows, client, speed=2.0, progress=False) == 11
    doubled = time.monotonic() - t
    t = time.monotonic()
    assert await replay(rows, client, progress=False) == 11
    fastest = time.monotonic() - t
    assert 0.5 <= original < 1.5, original
    assert 0.25 <= doubled < 0.5 + 0.5, doubled
    assert fastest < 0.25, fastest
    await echoes.wait_for(33, timeout=10)
    assert [r.args[0]["i"] for r in echoes] == list(range(11)) * 3


async def test_unconnected_namespace_is_refused_before_sending(client: socketio.AsyncClient) -> None:
    rows = [(1, 1.0, "/", "message", (1,)), (2, 2.0, "/elsewhere", "message", (2,))]
    with pytest.raises(BadNamespaceError, match="/elsewhere is not connected on this client"):
        await replay(rows, client, progress=False)
    with pytest.raises(ValueError, match="speed must be a positive number"):
        await replay(rows, client, speed=0)


async def test_outgoing_and_lifecycle_rows_are_not_replayed(client: socketio.AsyncClient) -> None:
    rows = [
        (1, 1.0, "/", "message", ({"i": 0},), "in"),
        (2, 1.1, "/", "message", ({"i": 1},), "out"),
        (3, 1.2, "/", "connect", (), "life"),
        (4, 1.3, "/", "message", ({"i": 2},), "in"),
    ]
    echoes = capture(client, "message-back")
    assert await replay(rows, client, progress=False) == 2
    await echoes.wait_for(2, timeout=10)
    assert [r.args[0]["i"] for r in echoes] == [0, 2]


async def test_replay_from_a_dataset_path(client: socketio.AsyncClient, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    from sio_notebook.notebook.recording.store import ParquetSink

    sink = ParquetSink(tmp_path / "m.parquet")
    for i in range(50):
        sink((i + 1, 1000.0 + i, "/custom" if i % 2 else "/", "message", ({"i": i},)))
    sink.close()
    echoes = capture(client, "message-back")
    assert await replay(tmp_path / "m.parquet", client, events="message", progress=False) == 50
    await echoes.wait_for(50, timeout=10)
    assert sorted(r.args[0]["i"] for r in echoes) == list(range(50))
    assert [r.args[0]["i"] for r in echoes if r.namespace == "/custom"] == list(range(1, 50, 2))
