"""The live chart in a real kernel (jupyter_client) following a flood from the Node server:
updates are coalesced (bounded IOPub messages), the last frame has every point, and the
kernel keeps answering cells while the flood runs."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
from peers.launcher import ServerHandle

from .kernel import Kernel

pytestmark = pytest.mark.timeout(180)


def _updates(kernel: Kernel, display_id: str, since: float) -> list[tuple[float, dict[str, object]]]:
    return [
        (t, m)
        for t, m in kernel.messages(since, types=("update_display_data",))
        if m["content"].get("transient", {}).get("display_id") == display_id
    ]


def test_chart_follows_a_50000_event_flood_with_bounded_updates(kernel: Kernel, node_server: ServerHandle) -> None:
    kernel.ok(
        "import sio_notebook as socketio\n"
        "from sio_notebook.notebook.views.chart import plot\n"
        "fsio = socketio.AsyncClient(reconnection=False)\n"
        f"await fsio.connect({node_server.url!r}, transports=['websocket'])\n"
        "fcap = nb.capture(fsio, 'tick', max_rows=1000)\n"
        "chart = plot(fcap, 'i')\n"
        "chart"
    )
    display_id = kernel.ok("chart.display_id").result().strip("'")
    start = time.monotonic()
    reply = kernel.ok("await fsio.call('flood', {'count': 50_000}, timeout=60)\nawait fcap.wait_for(50_000, timeout=60)")
    # the last frame comes at most 1/max_fps after the last event: wait for it, not a fixed time
    deadline = time.monotonic() + 10
    while not any("50,000 points" in m["content"]["data"]["text/plain"] for _, m in _updates(kernel, display_id, start)):
        assert time.monotonic() < deadline, "the chart never showed all 50,000 points"
        time.sleep(0.05)
    elapsed = time.monotonic() - start
    updates = _updates(kernel, display_id, start)
    assert len(updates) >= 2, "the chart did not update during the flood"
    assert len(updates) <= 4 * elapsed + 3, f"{len(updates)} updates in {elapsed:.1f} s: not coalesced"
    biggest = max(len(str(m["content"]["data"]["text/html"])) for _, m in updates)
    assert biggest < 100_000, f"a frame of {biggest} bytes: points are not bounded"
    assert reply.ok
    kernel.ok("assert len(fcap) == 1000 and chart.points == 50_000")


def test_kernel_answers_a_trivial_cell_while_a_chart_follows_a_flood(kernel: Kernel, node_server: ServerHandle) -> None:
    kernel.ok(
        "import asyncio\n"
        "import sio_notebook as socketio\n"
        "from sio_notebook.notebook.views.chart import plot\n"
        "asio = socketio.AsyncClient(reconnection=False)\n"
        f"await asio.connect({node_server.url!r}, transports=['websocket'])\n"
        "acap = nb.capture(asio, 'tick', max_rows=1000)\n"
        "achart = plot(acap, 'i')\n"
        "display(achart)\n"
        "async def paced(seconds, rate=50_000, step=0.1):\n"
        "    # 50,000 events/s as bursts of 5,000 every 100 ms\n"
        "    loop = asyncio.get_running_loop(); t = loop.time()\n"
        "    for _ in range(int(seconds / step)):\n"
        "        await asio.emit('flood', {'count': int(rate * step)})\n"
        "        t += step\n"
        "        await asyncio.sleep(max(0.0, t - loop.time()))\n"
        "flood = asyncio.ensure_future(paced(4))"
    )
    times = [kernel.ok("1 + 1").elapsed for _ in range(25)]
    kernel.ok("await flood\nawait acap.wait_for(200_000 * 0.9, timeout=60)")
    median = statistics.median(times)
    print(f"answer times: median {median * 1e3:.1f} ms, max {max(times) * 1e3:.1f} ms")
    assert median < 0.25, f"median answer time {median * 1e3:.0f} ms while the chart follows the flood"
    kernel.ok("assert achart.frames >= 2 and achart.points >= 180_000, (achart.frames, achart.points)")


def test_sio_plot_and_capture_to_parquet_magics(kernel: Kernel, node_server: ServerHandle, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")  # the [parquet] extra (without it --to is a UsageError naming the extra)
    path = tmp_path / "m.parquet"
    kernel.ok(f"%sio connect {node_server.url} --name msio\nawait nb.wait_connected(msio, timeout=30)")
    shown = kernel.ok("mchart = %sio plot tick i --window 30 --name msio")
    assert any("<LiveChart i: 0 points>" in m["content"]["data"]["text/plain"] for m in shown.of_type("display_data"))
    kernel.ok(f"mcap = %sio capture tick --to {path} --max-rows 10 --name msio")
    kernel.ok(
        "await msio.call('flood', {'count': 3000}, timeout=30)\n"
        "await mcap.wait_for(3000, timeout=30)\n"
        "mcap.stop()\n"
        "assert mchart.points == 3000 and mchart.window == 30, mchart\n"
        "from sio_notebook.notebook import Capture\n"
        f"assert [r.args[0]['i'] for r in Capture.load({str(path)!r})] == list(range(3000))"
    )
    bad = kernel.run("%sio plot tick --name msio")
    assert bad.content["ename"] == "UsageError" and "plot needs EVENT FIELD" in bad.content["evalue"]
