"""The recording the mock plays (pure: rows in, streams and acks out), its pacing and its bad input."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from sio_notebook import AsyncClient
from sio_notebook.mock import AckBook, MockServer, Recording, mock_server


def _row(seq: int, t: float, event: str, args: tuple[Any, ...], direction: str = "in",
         rtt: float | None = None, ns: str = "/") -> tuple[Any, ...]:
    return (seq, t, ns, event, args, direction, rtt)


def test_server_events_are_streams_per_namespace_in_time_order() -> None:
    rec = Recording.from_rows([
        _row(2, 2.0, "b", (2,)), _row(1, 1.0, "a", (1,)), _row(3, 1.5, "c", (), ns="/chat"),
        _row(4, 3.0, "connect", (), "life"), _row(5, 3.5, "sent", ("x",), "out", ns="/quiet"),
    ])
    assert rec.namespaces == ["/", "/chat", "/quiet"]  # a namespace the client only sent to counts
    assert [(e.event, e.args) for e in rec.streams["/"]] == [("a", (1,)), ("b", (2,))]
    assert [e.event for e in rec.streams["/chat"]] == ["c"] and rec.streams["/quiet"] == []
    assert rec.start == 1.0  # paced streams count from the first row of any namespace


def test_acks_pair_with_their_call_by_round_trip_time_in_memory() -> None:
    # two calls of one event in flight, answered out of order: the rtt says which is which
    rec = Recording.from_rows([
        _row(1, 10.0, "get", ({"id": 1},), "out"), _row(2, 10.1, "get", ({"id": 2},), "out"),
        _row(3, 10.2, "get", ("two",), "ack", rtt=0.1), _row(4, 10.5, "get", ("one",), "ack", rtt=0.5),
    ])
    book = AckBook(rec)
    assert book.answer("/", "get", ({"id": 1},)) == ("one",)
    assert book.answer("/", "get", ({"id": 2},)) == ("two",)


def test_without_round_trip_times_an_ack_pairs_with_the_latest_call_before_it() -> None:
    # a plain emit of the same event (no ack) before a call does not take the call's ack
    rec = Recording.from_rows([
        _row(1, 1.0, "echo", ("fire and forget",), "out"),
        _row(2, 2.0, "echo", ({"a": 1, "b": None},), "out"), _row(3, 2.1, "echo", ({"a": 1},), "ack"),
        _row(4, 3.0, "echo", ("x", 2), "out"), _row(5, 3.1, "echo", (["x", 2],), "ack"),
    ])
    assert [c.ack for c in rec.calls[("/", "echo")]] == [({"a": 1},), (["x", 2],)]
    book = AckBook(rec)
    # compared as JSON and Parquet leave them: None-valued keys absent, tuples as lists,
    # several arguments as the one list a dataset stores
    assert book.answer("/", "echo", ({"a": 1},)) == ({"a": 1},)
    assert book.answer("/", "echo", (["x", 2],)) == (["x", 2],)
    assert book.answer("/", "echo", ("x", 2)) == (["x", 2],)


def test_unmatched_calls_fall_back_to_the_next_recorded_ack_then_the_last() -> None:
    rec = Recording.from_rows([
        _row(1, 1.0, "n", (1,), "out"), _row(2, 1.1, "n", ("a",), "ack"),
        _row(3, 2.0, "n", (2,), "out"), _row(4, 2.1, "n", ("b",), "ack"),
        _row(5, 3.0, "n", (3,), "out"), _row(6, 3.1, "n", ("c",), "ack"),
        _row(7, 4.0, "lost", ("no call recorded",), "ack"),
    ])
    book = AckBook(rec)
    assert book.answer("/", "n", (2,)) == ("b",)          # exact
    assert book.answer("/", "n", (99,)) == ("c",)         # the next one after it
    assert book.answer("/", "n", (99,)) == ("c",)         # the last one again
    assert book.answer("/", "n", (2,)) == ("b",)          # exact, used: the last exact again
    assert book.answer("/", "lost", ("anything",)) == ("no call recorded",)
    assert book.answer("/", "never", ()) is None          # no ack for an event never acked
    assert book.answer("/other", "n", (1,)) is None
    fresh = AckBook(rec)                                  # every client starts from the top
    assert fresh.answer("/", "n", (99,)) == ("a",)


def test_bad_sources_and_options_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nothing to serve"):
        Recording.load([])
    with pytest.raises(FileNotFoundError, match="no Parquet capture"):
        Recording.load(tmp_path / "missing.parquet")
    rows = [_row(1, 1.0, "a", ())]
    with pytest.raises(ValueError, match="speed must be a positive number"):
        MockServer(rows, speed=0)
    with pytest.raises(ValueError, match="speed must be a positive number"):
        MockServer(rows, speed=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="port must be"):
        MockServer(rows, port=70000)
    with pytest.raises(ValueError, match="port must be"):
        MockServer(rows, port="5055")  # type: ignore[arg-type]


async def _tick_times(speed: float | None) -> list[float]:
    """When a client gets three ticks recorded 0.4 s apart, served at ``speed``."""
    rows = [_row(i + 1, 100.0 + 0.4 * i, "tick", ({"i": i},)) for i in range(3)]
    times: list[float] = []
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_tick(data: Any) -> None:
        times.append(loop.time())
        if data["i"] == 2:
            done.set()

    async with await mock_server(rows, speed=speed) as server:
        assert server.url
        client = AsyncClient()
        client.on("tick", on_tick)
        await client.connect(server.url, transports=["websocket"])
        try:
            await asyncio.wait_for(done.wait(), 10)
        finally:
            await client.disconnect()
    return [t - times[0] for t in times]


async def test_speed_scales_the_recorded_gaps() -> None:
    # speed=2: at 0.2 and 0.4 s, never earlier (a late tick is sent at once, so a loaded
    # machine can only make them later), and well before the recorded 0.8 s
    offsets = await _tick_times(2.0)
    assert len(offsets) == 3 and offsets[1] >= 0.2 - 0.05 and offsets[2] >= 0.4 - 0.05, offsets
    assert offsets[2] < 0.75, offsets


async def test_without_a_speed_the_events_go_at_once() -> None:
    offsets = await _tick_times(None)
    assert len(offsets) == 3 and offsets[2] < 0.3, offsets  # a speed-2 replay would take 0.4 s


async def test_paced_namespaces_keep_their_recorded_interleaving() -> None:
    # "/" at 0.0 and 0.6 s, "/chat" at 0.3 s: at speed 2, a client of both gets a, c, b
    rows = [_row(1, 50.0, "a", ()), _row(2, 50.3, "c", (), ns="/chat"), _row(3, 50.6, "b", ())]
    order: list[str] = []
    done = asyncio.Event()

    def on_any(namespace: str, event: str, args: tuple[Any, ...]) -> None:
        order.append(event)
        if len(order) == 3:
            done.set()

    async with await mock_server(rows, speed=2.0) as server:
        assert server.url
        client = AsyncClient()
        client.on_any(on_any)
        await client.connect(server.url, namespaces=["/", "/chat"], transports=["websocket"])
        try:
            await asyncio.wait_for(done.wait(), 10)
        finally:
            await client.disconnect()
    assert order == ["a", "c", "b"]


async def test_binary_payloads_and_several_arguments_round_trip() -> None:
    rows = [_row(1, 1.0, "blob", ({"data": b"\x00\xff" * 10, "n": 1},)), _row(2, 1.1, "raw", (b"\x01\x02", "two"))]
    async with await mock_server(rows) as server:
        assert server.url
        client = AsyncClient()
        got: list[tuple[str, tuple[Any, ...]]] = []
        done = asyncio.Event()

        def on_any(namespace: str, event: str, args: tuple[Any, ...]) -> None:
            got.append((event, args))
            if event == "raw":
                done.set()

        client.on_any(on_any)
        await client.connect(server.url)
        try:
            await asyncio.wait_for(done.wait(), 10)
        finally:
            await client.disconnect()
    assert got == [("blob", ({"data": b"\x00\xff" * 10, "n": 1},)), ("raw", (b"\x01\x02", "two"))]
