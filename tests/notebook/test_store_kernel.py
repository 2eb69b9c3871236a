"""The Parquet store in a real kernel capturing from the Node server: a 50,000-event flood
with ``max_rows=1000`` reads back complete and in order, and a kernel killed mid-capture
leaves a readable dataset that lost at most what was not flushed yet."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from peers.launcher import ServerHandle

from .kernel import Kernel

pa = pytest.importorskip("pyarrow")
duckdb = pytest.importorskip("duckdb")

from sio_notebook.notebook.recording.store import read_rows  # noqa: E402

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def own_kernel(tmp_path: Path) -> Iterator[Kernel]:
    """A kernel of this test alone (one test kills it)."""
    k = Kernel(cwd=tmp_path, env=dict(os.environ))
    try:
        yield k
    finally:
        k.shutdown()


def _connect(kernel: Kernel, url: str, path: Path, **sink: int | float) -> None:
    options = ", ".join(f"{k}={v!r}" for k, v in sink.items())
    kernel.ok(
        "import asyncio\n"
        "import sio_notebook as socketio\n"
        "from sio_notebook.notebook import capture\n"
        "from sio_notebook.notebook.recording.store import ParquetSink\n"
        "sio = socketio.AsyncClient(reconnection=False)\n"
        f"await sio.connect({url!r}, transports=['websocket'])\n"
        "cap = capture(sio, 'tick', max_rows=1000)\n"
        f"sink = ParquetSink({str(path)!r}, {options})\n"
        "cap.add_sink(sink)"
    )


def test_a_50000_event_flood_reads_back_complete_and_in_order(own_kernel: Kernel, node_server: ServerHandle,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "ticks.parquet"
    _connect(own_kernel, node_server.url, path, flush_rows=10_000)
    own_kernel.ok(
        "await sio.call('flood', {'count': 50_000}, timeout=60)\n"
        "await cap.wait_for(50_000, timeout=60)\n"
        "cap.stop(); sink.close()\n"
        "assert len(cap) == 1000 and sink.rows_written == 50_000, (len(cap), sink)"
    )
    rows = read_rows(path)
    assert [r.args[0]["i"] for r in rows] == list(range(50_000))
    assert [r.seq for r in rows] == list(range(1, 50_001))
    (count, first, last), = duckdb.sql(
        f"select count(*), min(i), max(i) from '{path}/event=tick/*.parquet'"
    ).fetchall()
    assert (count, first, last) == (50_000, 0, 49_999)
    import pandas as pd

    frame = pd.read_parquet(path / "event=tick").sort_values("seq")
    assert frame["i"].tolist() == list(range(50_000))


def test_a_killed_kernel_loses_at_most_the_unflushed_group(own_kernel: Kernel, node_server: ServerHandle,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "ticks.parquet"
    _connect(own_kernel, node_server.url, path, flush_rows=2000, flush_seconds=0.2)
    own_kernel.ok(
        "async def forever():\n"
        "    while True:\n"
        "        await sio.emit('flood', {'count': 1000})\n"
        "        await asyncio.sleep(0.02)\n"
        "flooding = asyncio.ensure_future(forever())"
    )
    deadline = time.monotonic() + 60
    while len(list(path.glob("event=tick/*.parquet"))) < 5:  # a few groups are on disk
        assert time.monotonic() < deadline, "no Parquet files appeared"
        time.sleep(0.05)
    written = int(own_kernel.ok("sink.rows_written").result())
    pid = own_kernel.km.provisioner.pid  # type: ignore[union-attr]
    os.kill(pid, signal.SIGKILL)  # no stop(), no close(), no atexit
    deadline = time.monotonic() + 10
    while own_kernel.km.is_alive():
        assert time.monotonic() < deadline, "the kernel survived SIGKILL"
        time.sleep(0.05)
    rows = read_rows(path)  # every file on disk is complete (written aside, then renamed)
    assert len(rows) >= written >= 2000
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1)), "a flushed row is missing"
    # each flood counts i from 0 to 999: the rows on disk are whole floods, in order, then a prefix
    ticks = [r.args[0]["i"] for r in rows]
    assert ticks[: len(ticks) // 1000 * 1000] == list(range(1000)) * (len(ticks) // 1000)
