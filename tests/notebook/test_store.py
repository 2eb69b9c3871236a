"""The Parquet store: a capture's every row to a dataset, read back by us, pandas and DuckDB.

These run without a kernel (the fake client feeds the capture as the real client's
``on_any`` does); tests/notebook/test_store_kernel.py does the same against a real kernel
and server, and kills the kernel mid-capture.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from sio_notebook.notebook import Capture, capture  # noqa: E402
from sio_notebook.notebook.recording.frames import rows_to_frames  # noqa: E402
from sio_notebook.notebook.recording.store import (  # noqa: E402
    JSON_FIELD,
    ParquetSink,
    StoreError,
    _frame_rows_to_table,
    read_rows,
    rows_to_table,
)

from .fakes import FakeClient  # noqa: E402


def _feed_flood(client: FakeClient, n: int) -> None:
    for i in range(n):
        client.feed("/", "tick", {"i": i, "symbol": "ABC"[i % 3], "price": {"bid": i * 0.5, "ask": i * 0.5 + 1}})
        if i % 1000 == 0:
            client.feed("/custom", "news", f"headline {i}")


def test_50000_events_with_max_rows_1000_read_back_complete_and_in_order(tmp_path: Path) -> None:
    client = FakeClient()
    cap = capture(client, "*", max_rows=1000)
    sink = ParquetSink(tmp_path / "ticks.parquet", flush_rows=5000)
    cap.add_sink(sink)
    _feed_flood(client, 50_000)
    sink.close()
    assert len(cap) == 1000  # the ring buffer stayed bounded ...
    rows = read_rows(tmp_path / "ticks.parquet")  # ... and the dataset has everything
    assert len(rows) == 50_050 == sink.rows_written
    assert [r.args[0]["i"] for r in rows if r.event == "tick"] == list(range(50_000))
    assert [r.seq for r in rows] == list(range(1, 50_051))
    news = [r for r in rows if r.event == "news"]
    assert [r.args for r in news[:2]] == [("headline 0",), ("headline 1000",)]
    assert {r.namespace for r in news} == {"/custom"}
    # arrival order across events: news 1000 came right after tick 1000
    at = next(i for i, r in enumerate(rows) if r.event == "news" and r.args == ("headline 1000",))
    assert rows[at - 1].args[0]["i"] == 1000 and rows[at + 1].args[0]["i"] == 1001
    assert rows[2].args[0] == {"i": 1, "symbol": "B", "price": {"bid": 0.5, "ask": 1.5}}


def test_pandas_and_duckdb_read_the_dataset(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    pd = pytest.importorskip("pandas")
    path = tmp_path / "ticks.parquet"
    client = FakeClient()
    cap = capture(client, "*", max_rows=10)
    sink = ParquetSink(path, flush_rows=300)
    cap.add_sink(sink)
    _feed_flood(client, 2000)
    sink.close()

    ticks = pd.read_parquet(path / "event=tick").sort_values("seq")
    assert list(ticks.columns) == ["seq", "time", "namespace", "i", "symbol", "price.bid", "price.ask"]
    assert str(ticks["i"].dtype) == "int64" and ticks["i"].tolist() == list(range(2000))
    assert str(ticks["time"].dtype) == "datetime64[us, UTC]"

    everything = pd.read_parquet(path)  # pyarrow's Hive partitioning gives the event column
    assert sorted(everything["event"].astype(str).unique()) == ["news", "tick"]

    by_symbol = duckdb.sql(
        f"select symbol, count(*) as n, max(i) as last from '{path}/event=tick/*.parquet' group by 1 order by 1"
    ).fetchall()
    assert by_symbol == [("A", 667, 1998), ("B", 667, 1999), ("C", 666, 1997)]
    per_event = duckdb.sql(
        f"select event, count(*) from read_parquet('{path}/**/*.parquet', union_by_name = true) group by 1 order by 1"
    ).fetchall()
    assert per_event == [("news", 2), ("tick", 2000)]


def test_rows_wait_at_most_flush_seconds(tmp_path: Path) -> None:
    path = tmp_path / "slow.parquet"
    sink = ParquetSink(path, flush_rows=1000, flush_seconds=0.2)
    try:
        sink((1, time.time(), "/", "tick", ({"i": 1},)))
        deadline = time.monotonic() + 10
        while sink.rows_written < 1:  # the writer thread's timer, not close(), writes it
            assert time.monotonic() < deadline, "the waiting row was not flushed by the timer"
            time.sleep(0.02)
        assert [r.args for r in read_rows(path)] == [({"i": 1},)]  # a running capture reads back
    finally:
        sink.close()


def test_mixed_types_bytes_and_clashing_keys_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "odd.parquet"
    sink = ParquetSink(path, flush_rows=10_000)
    payloads = [
        {"v": 1, "blob": b"\x00\xff", "time": "payload's own time", "seq": 5},
        {"v": "one", "blob": b"\x01", "time": "t2", "seq": 6},  # v: int then str
        {"v": [1, "x"], "blob": None, "time": "t3", "seq": 7},
    ]
    for i, p in enumerate(payloads):
        sink((i + 1, 1000.0 + i, "/", "odd", (p,)))
    sink((4, 1003.0, "/", "pair", (1, "two")))  # several arguments: stored as one list
    sink.close()
    table = pq.read_table(next((path / "event=odd").glob("*.parquet")))
    assert table.schema.field("v").metadata == {JSON_FIELD: b"1"}
    assert table.schema.field("blob").type == pa.binary()
    rows = read_rows(path)
    assert [r.args[0] for r in rows[:3]] == [
        payloads[0],
        payloads[1],
        {"v": [1, "x"], "time": "t3", "seq": 7},  # a missing value is left out
    ]
    assert rows[3].event == "pair" and rows[3].args == ([1, "two"],)


def test_empty_dicts_inside_a_payload_are_written_and_read_back(tmp_path: Path) -> None:
    # The Node socket.io peer's "handshake" event is {"auth": {}, "headers": {}, "query": {}}:
    # pyarrow types {} as a struct without fields, which Parquet cannot store (the write
    # failed, and was retried forever). Such a column is stored as JSON text instead.
    path = tmp_path / "empty.parquet"
    sink = ParquetSink(path)
    payloads = [{"auth": {}, "headers": {}, "query": {"q": "1"}}, {"auth": {}, "headers": {}, "query": {}},
                {"auth": {}, "list": [{}], "headers": {"x": {}}, "query": {}}]
    for i, p in enumerate(payloads):
        sink((i + 1, 1000.0 + i, "/", "handshake", (p,)))
    sink.close()
    assert sink.error is None and sink.rows_written == 3
    assert [r.args for r in read_rows(path)] == [(p,) for p in payloads]


@pytest.mark.parametrize(
    "payloads",
    [
        [{"i": 1, "s": "a"}, {"i": 2, "s": "b", "extra": True}],
        [{"a": {"b": 1, "c": {"d": 2.5}}}, {"a": {"b": 3, "c": {"d": 4.0}}}],
        [{"x": None}, {"x": None}],
        [{"n": 1}, {"n": None}, {"n": 3}],
        [{"blob": b"\x00"}, {"blob": b"\x01\x02"}],
        [{"event": "clash", "namespace": "n", "time": 1}],
    ],
)
def test_fast_path_gives_the_same_table_as_the_frames_path(payloads: list[dict[str, object]]) -> None:
    rows = [(i + 1, 1000.0 + i / 3, "/", "e", (p,)) for i, p in enumerate(payloads)]
    fast, general = rows_to_table(rows), _frame_rows_to_table(rows)
    assert fast.schema.names == general.schema.names
    assert fast.schema.types == general.schema.types
    assert fast.to_pylist() == general.to_pylist()
    # and the columns are those of cap.frames()
    frame = rows_to_frames(rows)["e"]
    assert fast.schema.names == ["seq", *frame.columns]


def test_a_failed_write_keeps_the_rows_and_the_next_flush_writes_them(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    sink = ParquetSink(path, flush_rows=10_000, flush_seconds=60)
    (path / "event=tick").write_text("a file where the event directory should be")
    sink((1, 1000.0, "/", "tick", ({"i": 1},)))
    with pytest.raises(StoreError, match="writing .*t.parquet failed"):
        sink.flush()
    assert sink.pending == 1 and sink.rows_written == 0
    (path / "event=tick").unlink()
    sink((2, 1001.0, "/", "tick", ({"i": 2},)))
    sink.close()
    assert [r.args[0]["i"] for r in read_rows(path)] == [1, 2]


def test_load_gives_a_stopped_capture_of_every_row(tmp_path: Path) -> None:
    path = tmp_path / "ticks.parquet"
    client = FakeClient()
    cap = capture(client, "tick", max_rows=5)
    sink = ParquetSink(path)
    cap.add_sink(sink)
    for i in range(20):
        client.feed("/", "tick", {"i": i})
    sink.close()
    loaded = Capture.load(path)
    assert not loaded.active and len(loaded) == 20 and loaded.count == 20 and loaded.dropped == 0
    assert loaded.df["i"].tolist() == list(range(20))


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError, match="not a Parquet dataset directory"):
        ParquetSink(tmp_path / "file")
    with pytest.raises(ValueError, match="flush_rows"):
        ParquetSink(tmp_path / "a", flush_rows=0)
    with pytest.raises(FileNotFoundError, match="no Parquet capture"):
        read_rows(tmp_path / "missing")


def test_capture_with_a_path_writes_every_row_and_stop_flushes(tmp_path: Path) -> None:
    path = tmp_path / "ticks.parquet"
    client = FakeClient()
    cap = capture(client, "tick", max_rows=10, path=path, flush_rows=1000, flush_seconds=60)
    for i in range(25):
        client.feed("/", "tick", {"i": i})
    assert cap.store.rows_written == 0  # neither 1,000 rows nor 60 s yet ...
    cap.stop()  # ... stop() writes them
    assert cap.store.rows_written == 25
    loaded = Capture.load(path)
    assert [r.args[0]["i"] for r in loaded] == list(range(25)) and loaded.counts == {"tick": 25}
    cap.start()  # restarted: the same store goes on
    client.feed("/", "tick", {"i": 25})
    cap.stop()
    assert len(Capture.load(path)) == 26
    with pytest.raises(ValueError, match="already writes to"):
        cap.write_to(tmp_path / "other.parquet")


def test_capture_with_a_bad_path_is_not_left_running(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    client = FakeClient()
    with pytest.raises(FileExistsError):
        capture(client, "tick", path=tmp_path / "taken")
    assert client._any == []  # the listener was removed again


def test_a_closed_sink_refuses_rows_loudly(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    client = FakeClient()
    cap = capture(client, "tick", path=tmp_path / "t.parquet")
    cap.store.close()
    client.feed("/", "tick", {"i": 1})  # the capture goes on; the sink is logged and removed
    assert len(cap) == 1 and "is closed" in caplog.text
    with pytest.raises(StoreError, match="is closed"):
        cap.store((1, 1.0, "/", "tick", ({"i": 1},)))


def test_a_backlog_is_converted_in_slices_with_merged_types(tmp_path: Path) -> None:
    sink = ParquetSink(tmp_path / "s.parquet", flush_rows=10, flush_seconds=60)
    try:
        rows = [(i + 1, 1000.0 + i, "/", "e", ({"n": i} if i < 10 else {"n": float(i), "extra": "x"},)) for i in range(25)]
        table = sink._table_in_slices(rows)  # 3 slices: int n, then float n and a new column
        assert table.num_rows == 25 and table.schema.field("n").type == pa.float64()
        assert table.column("extra").to_pylist()[:10] == [None] * 10
    finally:
        sink.close()


def test_the_dataset_keeps_the_server_url_without_its_password(tmp_path: Path) -> None:
    import sio_notebook.notebook as nb

    client = FakeClient(url="http://ada:secret@127.0.0.1:5055/")
    path = tmp_path / "ticks.parquet"
    cap = capture(client, "*", path=path)
    client.feed("/", "tick", {"i": 1})
    cap.stop()
    files = list(path.glob("event=*/*.parquet"))
    assert files and all(b"secret" not in f.read_bytes() for f in files)
    assert pq.read_schema(files[0]).metadata[b"sio_notebook.url"] == b"http://ada:***@127.0.0.1:5055/"
    loaded = Capture.load(path)
    assert loaded.server_url() == "http://ada:***@127.0.0.1:5055/"
    doc = nb.asyncapi(path)
    assert doc["servers"]["main"]["host"] == "127.0.0.1:5055" and doc["servers"]["main"]["protocol"] == "ws"
    nameless = tmp_path / "nameless.parquet"  # a client that never connected: no URL, and no servers
    cap = capture(FakeClient(url=""), "*", path=nameless)
    cap.record("/", "tick", ({"i": 2},), direction="out")
    cap.stop()
    assert Capture.load(nameless).server_url() is None and "servers" not in nb.asyncapi(nameless)
