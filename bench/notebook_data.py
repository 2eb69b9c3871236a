"""Benchmark scenarios of the notebook data layer (issue 11), run by bench/worker.py.

* ``parquet``: a capture with ``max_rows=1000`` and a Parquet sink ingests N events (the
  capture's ``on_any`` listener called in a loop inside a running event loop, as row 8 does,
  with realistic ``{"i", "symbol", "price"}`` payloads); the clock stops when ``close()`` has
  written the last file, so the rate includes every conversion and write. VmRSS is sampled
  every 20,000 events; the peak above the start (after a warm-up run in the same process, so
  pyarrow is loaded) is the memory the capture and its writer needed.
* ``chart_answer``: a real ipykernel (jupyter_client) connected to bench/server.js follows
  a 50,000 events/s flood (bursts of 5,000 every 100 ms) with a live chart displayed; the
  benchmark meanwhile sends trivial cells (``1 + 1``) one after another and measures each
  answer time (execute_request to execute_reply).
* ``replay``: N rows replayed with ``speed=None`` as ``inc`` events to the server, whose
  ``get-count`` must then answer N; the rate is N over the time to that answer.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import tempfile
import time
from typing import Any


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Failed(Exception):
    def __init__(self, reason: str, **info: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.info = info


async def parquet_once(n: int) -> dict[str, Any]:
    import sio_notebook
    from sio_notebook.notebook import capture
    from sio_notebook.notebook.recording.store import ParquetSink

    client = sio_notebook.AsyncClient()
    cap = capture(client, "tick", max_rows=1000)
    listeners = getattr(client, "_any_in", None)
    if not listeners:
        raise Failed("n/a: cannot find the capture's on_any listener")
    listener = listeners[-1]
    folder = tempfile.mkdtemp(prefix="sio-bench-parquet-")
    try:
        sink = ParquetSink(os.path.join(folder, "ticks.parquet"))
        cap.add_sink(sink)
        symbols = ("ACME", "GLOBX", "INITech", "UMBR", "WAYNE")
        payloads = [({"i": i, "symbol": symbols[i % 5], "price": 100.0 + (i % 997) / 10},) for i in range(1000)]
        rss0 = peak = _rss_kib()
        t0 = time.perf_counter()
        for i in range(n):
            listener("/", "tick", payloads[i % 1000])
            if i % 20_000 == 0:
                peak = max(peak, _rss_kib())
                await asyncio.sleep(0)  # a flood arrives in reads: the loop turns between them
        t1 = time.perf_counter()
        sink.close()
        t2 = time.perf_counter()
        peak = max(peak, _rss_kib())
        if sink.rows_written != n:
            raise Failed(f"wrote {sink.rows_written} of {n} rows")
        cap.stop()
        return {
            "ingest_rate": n / (t2 - t0),
            "listener_rate": n / (t1 - t0),
            "close_seconds": t2 - t1,
            "rss_start_mib": rss0 / 1024,
            "rss_peak_delta_mib": (peak - rss0) / 1024,
            "files": sink.files_written,
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def chart_answer_once(url: str, seconds: float, cells: int, rate: int) -> dict[str, Any]:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", startup_timeout=120)

    def run(code: str, timeout: float = 60.0) -> tuple[dict[str, Any], float]:
        sent = time.perf_counter()
        msg_id = kc.execute(code)
        deadline = time.monotonic() + timeout
        while True:
            msg = kc.get_shell_msg(timeout=max(deadline - time.monotonic(), 0.01))
            if msg["parent_header"].get("msg_id") == msg_id:
                if msg["content"]["status"] != "ok":
                    raise Failed(f"cell failed: {msg['content'].get('ename')}: {msg['content'].get('evalue')}")
                return msg["content"], time.perf_counter() - sent

    try:
        run(
            "import asyncio\n"
            "import sio_notebook as socketio\n"
            "from sio_notebook.notebook import capture\n"
            "from sio_notebook.notebook.views.chart import plot\n"
            "sio = socketio.AsyncClient(reconnection=False)\n"
            f"await sio.connect({url!r}, transports=['websocket'])\n"
            "cap = capture(sio, 'tick', max_rows=1000)\n"
            "chart = plot(cap, 'i')\n"
            "display(chart)\n"
            f"async def paced(seconds={seconds}, rate={rate}, step=0.1):\n"
            "    loop = asyncio.get_running_loop(); t = loop.time()\n"
            "    for _ in range(int(seconds / step)):\n"
            "        await sio.emit('flood', {'count': int(rate * step)})\n"
            "        t += step\n"
            "        await asyncio.sleep(max(0.0, t - loop.time()))\n"
            "flood = asyncio.ensure_future(paced())"
        )
        times = []
        t0 = time.perf_counter()
        while len(times) < cells and time.perf_counter() - t0 < seconds:
            times.append(run("1 + 1")[1])
        run(f"await flood\nawait cap.wait_for({int(seconds * rate)}, timeout=120)")
        msg_id = kc.execute("", user_expressions={"x": "(cap.count, chart.frames, chart.points)"})
        while True:
            reply = kc.get_shell_msg(timeout=30)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        count, frames, points = eval(reply["content"]["user_expressions"]["x"]["data"]["text/plain"])  # noqa: S307
        return {
            "answer_p50_ms": statistics.median(times) * 1e3,
            "answer_p90_ms": sorted(times)[int(len(times) * 0.9)] * 1e3,
            "answer_max_ms": max(times) * 1e3,
            "cells": len(times),
            "events": count,
            "frames": frames,
            "points": points,
            "offered_rate": rate,
        }
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


async def replay_once(url: str, n: int) -> dict[str, Any]:
    import sio_notebook
    from sio_notebook.notebook.recording.replay import replay

    client = sio_notebook.AsyncClient(reconnection=False)
    await client.connect(url, transports=["websocket"], wait_timeout=30)
    try:
        await client.call("reset-count", timeout=30)
        rows = [(i + 1, 1000.0 + i * 1e-5, "/", "inc", ()) for i in range(n)]
        t0 = time.perf_counter()
        sent = await replay(rows, client, progress=False)
        count = await client.call("get-count", timeout=120)  # after every inc on this connection
        t1 = time.perf_counter()
        if sent != n or count != n:
            raise Failed(f"replayed {sent}, server counted {count}, expected {n}")
        return {"rate": n / (t1 - t0), "seconds": t1 - t0}
    finally:
        await client.disconnect()
