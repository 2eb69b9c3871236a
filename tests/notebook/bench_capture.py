"""Micro check of capture ingest, run by hand (not collected by pytest)::

    .venv/bin/python -m tests.notebook.bench_capture [N]

Feeds N events (default 1,000,000) to a capture's catch-all listener exactly as the
client calls it, on a running event loop, yielding to the loop every 1,000 events as a
network read would: (1) the capture alone, (2) with a live EventTable attached
(renders at <= 4/s). The requirement is >= 100,000 events/s into the buffer. It also times building
``.df`` from a full 100,000-row buffer.
"""

from __future__ import annotations

import asyncio
import sys
import time

from sio_notebook.notebook import EventTable, capture

from .fakes import FakeClient


async def ingest(n: int, live_table: bool) -> tuple[float, int]:
    client = FakeClient()
    cap = capture(client, "tick", max_rows=100_000)
    table = EventTable(cap) if live_table else None
    if table is not None:
        from IPython.core.interactiveshell import InteractiveShell

        InteractiveShell.instance().display_pub.publish = lambda *a, **k: None  # renders, sent nowhere
        table.show()
    listener = client._any[0]
    t0 = time.perf_counter()
    for start in range(0, n, 1000):
        for i in range(start, min(start + 1000, n)):
            listener("/", "tick", ({"i": i},))
        await asyncio.sleep(0)
    rate = n / (time.perf_counter() - t0)
    await asyncio.sleep(0.3)
    assert cap.count == n and len(cap) == min(n, 100_000)
    if table is None:
        return rate, 0
    assert f"{n:,} events</span> captured" in table.last_pushed["text/html"]
    return rate, table.pushes


def df_build() -> float:
    client = FakeClient()
    cap = capture(client, "tick", max_rows=100_000)
    for i in range(100_000):
        client.feed("/", "tick", {"i": i, "v": i * 0.5, "s": "x"})
    cap.tail(1)
    import pandas  # noqa: F401 - not part of the timing

    t0 = time.perf_counter()
    df = cap.df
    assert len(df) == 100_000
    return time.perf_counter() - t0


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rate, _ = asyncio.run(ingest(n, live_table=False))
    print(f"capture alone:        {rate:12,.0f} events/s")
    rate, renders = asyncio.run(ingest(n, live_table=True))
    print(f"with live EventTable: {rate:12,.0f} events/s ({renders} renders)")
    print(f".df of 100,000 rows:  {df_build() * 1000:12,.0f} ms")


if __name__ == "__main__":
    main()
