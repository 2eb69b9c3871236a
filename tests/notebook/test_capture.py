"""The capture ring buffer and its DataFrame (no kernel, no server)."""

from __future__ import annotations

import asyncio
import time

import pandas as pd
import pytest

from sio_notebook.notebook import Capture, CapturedEvent, capture

from .fakes import FakeClient


def test_ring_buffer_keeps_the_newest_rows_and_counts_drops() -> None:
    client = FakeClient()
    cap = capture(client, "tick", max_rows=3)
    for i in range(5):
        client.feed("/", "tick", {"i": i})
    assert len(cap) == 3
    assert cap.count == 5
    assert cap.dropped == 2
    assert [row.args[0]["i"] for row in cap] == [2, 3, 4]
    assert [row.seq for row in cap] == [3, 4, 5]
    assert cap.tail(2) == list(cap)[-2:]
    assert cap.tail(10) == list(cap)


def test_filters_by_event_and_namespace() -> None:
    client = FakeClient()
    ticks = capture(client, "tick", "tock")
    custom = capture(client, "*", namespace="/custom")
    everything = capture(client)
    client.feed("/", "tick", 1)
    client.feed("/", "other", 2)
    client.feed("/custom", "tock", 3)
    client.feed("/custom", "other", 4)
    assert [(r.namespace, r.event) for r in ticks] == [("/", "tick"), ("/custom", "tock")]
    assert [r.args for r in custom] == [(3,), (4,)]
    assert len(everything) == 4
    assert everything.events == ("*",)


def test_clear_stop_and_start() -> None:
    client = FakeClient()
    cap = capture(client, "tick", max_rows=2)
    for i in range(3):
        client.feed("/", "tick", i)
    cap.clear()
    assert (len(cap), cap.count, cap.dropped) == (0, 0, 0)
    cap.stop()
    assert not cap.active
    assert client._any == []
    client.feed("/", "tick", 9)
    assert len(cap) == 0
    cap.start()
    cap.start()  # idempotent
    assert len(client._any) == 1
    client.feed("/", "tick", 10)
    assert [r.args for r in cap] == [(10,)]
    assert [r.seq for r in cap] == [1]


def test_rows_are_small_tuples() -> None:
    client = FakeClient()
    cap = capture(client, "tick")
    client.feed("/", "tick", {"i": 1})
    (row,) = list(cap)
    assert isinstance(row, CapturedEvent)
    assert type(cap._rows[0]) is tuple  # stored plain; CapturedEvent is made on read
    assert row.event == "tick" and row.namespace == "/" and row.args == ({"i": 1},)


def test_max_rows_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Capture(FakeClient(), "tick", max_rows=0)


def test_dataframe_columns_and_flattening() -> None:
    client = FakeClient()
    cap = capture(client)
    client.feed("/", "tick", {"i": 1, "nested": {"a": 2, "b": {"c": 3}}, "time": "clash"})
    client.feed("/chat", "msg", "hello")
    client.feed("/", "pair", 1, 2)
    client.feed("/", "nothing")
    client.feed("/", "list", [1, 2])
    df = cap.df
    assert list(df.columns[:3]) == ["time", "namespace", "event"]
    assert str(df["time"].dt.tz) == "UTC"
    assert df["event"].tolist() == ["tick", "msg", "pair", "nothing", "list"]
    assert df["namespace"].tolist() == ["/", "/chat", "/", "/", "/"]
    assert df.loc[0, "i"] == 1
    assert df.loc[0, "nested.a"] == 2
    assert df.loc[0, "nested.b.c"] == 3
    assert df.loc[0, "data.time"] == "clash"  # payload keys never overwrite the metadata
    assert pd.isna(df.loc[1, "i"])
    assert df["data"].tolist() == [None, "hello", [1, 2], None, [1, 2]]


def test_dataframe_matches_json_normalize_for_dict_payloads() -> None:
    client = FakeClient()
    cap = capture(client, "e")
    payloads = [{"a": i, "b": {"c": i * 2}} for i in range(5)] + [{"a": 9, "z": "only here"}]
    for p in payloads:
        client.feed("/", "e", p)
    df = cap.df
    expected = pd.json_normalize(payloads)
    pd.testing.assert_frame_equal(df[list(expected.columns)], expected, check_dtype=False)
    assert "data" not in df.columns


def test_flat_dicts_take_the_fast_path_with_the_same_result() -> None:
    client = FakeClient()
    cap = capture(client, "e")
    payloads = [{"i": i, "s": str(i)} for i in range(100)]
    for p in payloads:
        client.feed("/", "e", p)
    pd.testing.assert_frame_equal(
        cap.df[["i", "s"]], pd.json_normalize(payloads), check_dtype=False
    )


def test_empty_dataframe_has_the_metadata_columns() -> None:
    df = capture(FakeClient(), "x").df
    assert list(df.columns) == ["time", "namespace", "event"]
    assert len(df) == 0


def test_dataframe_is_a_snapshot(tmp_path) -> None:
    client = FakeClient()
    cap = capture(client, "e")
    client.feed("/", "e", {"i": 0})
    df = cap.df
    client.feed("/", "e", {"i": 1})
    assert len(df) == 1 and len(cap.df) == 2
    cap.to_csv(tmp_path / "out.csv", index=False)
    assert pd.read_csv(tmp_path / "out.csv")["i"].tolist() == [0, 1]


async def test_df_async_builds_in_a_thread() -> None:
    client = FakeClient()
    cap = capture(client, "e")
    for i in range(10):
        client.feed("/", "e", {"i": i})
    df = await cap.df_async()
    assert df["i"].tolist() == list(range(10))


async def test_wait_for_counts_since_start() -> None:
    client = FakeClient()
    cap = capture(client, "tick", max_rows=2)

    async def produce() -> None:
        for i in range(5):
            await asyncio.sleep(0.01)
            client.feed("/", "tick", i)

    task = asyncio.create_task(produce())
    assert await cap.wait_for(5, timeout=5) is None  # counts evicted rows too; None: no second display
    await task
    assert cap.count == 5
    assert await cap.wait_for(1, timeout=0) is None  # already there
    with pytest.raises(TimeoutError, match="captured 5 of 6"):
        await cap.wait_for(6, timeout=0.05)
    assert cap._waiters == []


async def test_observers_are_told_once_per_loop_iteration() -> None:
    client = FakeClient()
    cap = capture(client, "tick")
    calls = []
    cap.add_observer(lambda: calls.append(cap.count))
    for i in range(1000):
        client.feed("/", "tick", i)
    assert calls == []  # nothing per event
    await asyncio.sleep(0)
    assert calls == [1000]
    client.feed("/", "tick", 1000)
    await asyncio.sleep(0)
    assert calls == [1000, 1001]


def test_repr() -> None:
    cap = capture(FakeClient(), "tick")
    assert repr(cap) == "<Capture tick active: 0 rows, 0 captured, 0 dropped>"


def test_start_and_stop_return_none_so_a_cell_shows_no_second_table() -> None:
    cap = capture(FakeClient(), "tick")
    assert cap.stop() is None and cap.start() is None and cap.pause() is None and cap.resume() is None


def test_pause_and_resume_act_on_the_data() -> None:
    client = FakeClient()
    cap = capture(client, "tick")
    client.feed("/", "tick", 1)
    cap.pause()
    assert cap.paused and cap.active
    client.feed("/", "tick", 2)
    cap.resume()
    client.feed("/", "tick", 3)
    assert [r.args for r in cap] == [(1,), (3,)] and cap.count == 2
    assert "paused" not in repr(cap)


def test_frames_give_one_frame_per_event_with_honest_dtypes() -> None:
    client = FakeClient()
    cap = capture(client)
    for seq in range(3):
        client.feed("/", "tick", {"symbol": "A", "price": 1.5 + seq, "seq": 7284 + seq, "ok": True})
    client.feed("/", "tick", {"symbol": "B", "price": 2.0, "ok": False})  # no seq here
    client.feed("/", "blob", {"seq": 1, "data": b"\xd8\x00"})
    client.feed("/chat", "chat", "hello")
    frames = cap.frames()
    assert list(frames) == ["tick", "blob", "chat"]
    tick = frames["tick"]
    assert list(tick.columns) == ["time", "namespace", "symbol", "price", "seq", "ok"]  # only tick's columns
    assert str(tick["seq"].dtype) == "Int64" and tick["seq"].tolist()[:3] == [7284, 7285, 7286]
    assert pd.isna(tick["seq"].iloc[3])
    assert str(tick["price"].dtype) == "float64" and str(tick["ok"].dtype) == "bool"
    blob = frames["blob"]
    assert str(blob["seq"].dtype) == "int64" and blob["data"].tolist() == [b"\xd8\x00"]
    assert frames["chat"]["data"].tolist() == ["hello"]
    assert str(tick["time"].dt.tz) == "UTC"


def test_csv_writes_bytes_as_base64_or_hex(tmp_path) -> None:
    client = FakeClient()
    cap = capture(client, "blob")
    client.feed("/", "blob", {"data": b"\xd8\x00\xff"})
    cap.to_csv(tmp_path / "b64.csv", index=False)
    cap.to_csv(tmp_path / "hex.csv", index=False, bytes_as="hex")
    assert pd.read_csv(tmp_path / "b64.csv")["data"].tolist() == ["2AD/"]
    assert pd.read_csv(tmp_path / "hex.csv")["data"].tolist() == ["d800ff"]


def test_sinks_see_every_row() -> None:
    client = FakeClient()
    cap = capture(client, "tick", max_rows=1)
    seen: list[CapturedEvent] = []
    cap.add_sink(seen.append)
    for i in range(3):
        client.feed("/", "tick", i)
    cap.remove_sink(seen.append)
    client.feed("/", "tick", 3)
    assert [r.args for r in seen] == [(0,), (1,), (2,)] and seen[0].event == "tick" and seen[0].direction == "in"


def test_outgoing_and_lifecycle_rows_are_opt_in() -> None:
    client = FakeClient()
    plain = capture(client)
    log = capture(client, outgoing=True, lifecycle=True)
    client.set_state("connected", sid="s1", transport="polling")
    client.feed_out("/", "add", {"a": 1})
    client.feed("/", "tick", 1)
    client.set_state("reconnecting", disconnect_reason="transport close")
    assert [r.event for r in plain] == ["tick"]
    assert [(r.direction, r.event) for r in log] == [
        ("life", "connect"), ("out", "add"), ("in", "tick"), ("life", "disconnect")
    ]
    assert log.tail(1)[0].args == ({"reason": "transport close"},)
    assert "direction" in log.df.columns and "direction" not in plain.df.columns


def test_record_adds_a_row_like_an_incoming_one_while_recording() -> None:
    client = FakeClient()
    cap = capture(client, "*")
    seen: list[CapturedEvent] = []
    cap.add_sink(seen.append)
    client.feed("/", "tick", 1)
    cap.record("/", "add", ({"a": 1},), direction="ack", rtt=0.25)
    cap.record("/", "upgrade", ({"transport": "websocket"},), direction="life")
    cap.pause()
    cap.record("/", "add", direction="out")  # paused: nothing recorded
    cap.resume()
    cap.stop()
    cap.record("/", "add", direction="out")  # stopped: nothing recorded
    rows = [(r.seq, r.event, r.direction, r.rtt) for r in cap]
    assert rows == [(1, "tick", "in", None), (2, "add", "ack", 0.25), (3, "upgrade", "life", None)]
    assert seen == list(cap) and cap.counts == {"tick": 1, "add": 1, "upgrade": 1}
    per_event = {e: sum(n) for e, n in cap.rates.series(now=time.time() + 2).items()}
    assert per_event == {"tick": 1, "add": 1}  # the rates count messages, not lifecycle rows


def test_attach_follows_a_new_client_and_keeps_counting() -> None:
    old, new = FakeClient(), FakeClient()
    cap = capture(old, "tick")
    old.feed("/", "tick", 1)
    cap.attach(new)
    old.feed("/", "tick", "lost")  # the old client is no longer followed
    new.feed("/", "tick", 2)
    assert [r.args for r in cap] == [(1,), (2,)] and cap.count == 2 and cap.client is new
    cap.mark_gone("connection 'sio' closed")
    new.feed("/", "tick", 3)
    assert cap.count == 2 and "closed" in repr(cap)


def test_parquet_stores_bytes_as_binary(tmp_path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    client = FakeClient()
    cap = capture(client, "blob")
    client.feed("/", "blob", {"seq": 1, "data": b"\xd8\x00"})
    cap.to_parquet(tmp_path / "b.parquet")
    schema = pq.read_schema(tmp_path / "b.parquet")
    assert str(schema.field("data").type) == "binary" and str(schema.field("seq").type) == "int64"
    assert pq.read_table(tmp_path / "b.parquet").column("data").to_pylist() == [b"\xd8\x00"]
