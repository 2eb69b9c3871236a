"""Fault 5: many connect/disconnect cycles leak nothing.

1,000 AsyncClient cycles over websocket against one server: after a warm-up of 50 cycles,
the number of asyncio tasks, threads and open file descriptors must come back to the same
value, and the resident memory may only grow by a small tolerance. Half of the cycles reuse
one long-lived client (its internal tables must not grow), half create a new client each
time (nothing global may pile up). Then 200 cycles of the thread Client (a new one each
time, as a script would): no thread growth.
"""

from __future__ import annotations

import threading
import time

import pytest

from sio_notebook import Client
from sio_notebook.aio import AsyncClient

from .helpers import eventually, eventually_sync, open_fds, other_tasks, rss_bytes, settle_gc, thread_names

ASYNC_CYCLES = 1000
THREAD_CYCLES = 200
WARMUP = 50
RSS_TOLERANCE = 4 * 1024 * 1024  # bytes

pytestmark = pytest.mark.timeout(240)


def _mib(n: int) -> str:
    return f"{n / 1048576:.1f} MiB"


async def _cycle(client: AsyncClient, url: str) -> None:
    await client.connect(url, transports=["websocket"])
    assert client.connected
    await client.disconnect()
    assert client.state == "disconnected"


async def test_async_connect_disconnect_cycles(node_server):
    url = node_server.url
    reused = AsyncClient()
    seen: list[str] = []
    reused.on("connect", lambda: seen.append("c"))
    reused.on("disconnect", lambda reason: seen.append("d"))
    for i in range(WARMUP):
        await _cycle(reused if i % 2 else AsyncClient(), url)
    settle_gc()
    tasks_before, threads_before, fds_before = len(other_tasks()), thread_names(), open_fds()
    rss_before = rss_bytes()
    started = time.monotonic()

    for i in range(ASYNC_CYCLES):
        await _cycle(reused if i % 2 else AsyncClient(), url)

    elapsed = time.monotonic() - started
    # Sockets closed by aiohttp may take a loop turn or two to be released.
    await eventually(lambda: open_fds() <= fds_before, timeout=5, what="file descriptors to be released")
    settle_gc()
    rss_after = rss_bytes()
    print(
        f"\n[cycles async] {ASYNC_CYCLES} connect/disconnect cycles in {elapsed:.1f} s "
        f"({elapsed / ASYNC_CYCLES * 1000:.1f} ms each); RSS before {_mib(rss_before)}, after {_mib(rss_after)} "
        f"(+{(rss_after - rss_before) / 1024:.0f} KiB); tasks {tasks_before}->{len(other_tasks())}; "
        f"threads {len(threads_before)}->{len(thread_names())}; fds {fds_before}->{open_fds()}"
    )
    assert len(other_tasks()) == tasks_before, other_tasks()
    assert thread_names() == threads_before
    assert open_fds() <= fds_before
    assert rss_after - rss_before < RSS_TOLERANCE
    # The long-lived client: every cycle seen once, and no state piling up inside.
    assert seen == ["c", "d"] * ((WARMUP + ASYNC_CYCLES) // 2)
    status = reused.status()
    assert status.state == "disconnected" and status.transport is None and status.queued == 0


def test_thread_client_cycles(node_server):
    url = node_server.url

    def cycle() -> None:
        client = Client()
        client.connect(url, transports=["websocket"])
        assert client.connected
        client.disconnect()
        assert client.state == "disconnected"

    for _ in range(10):
        cycle()
    settle_gc()
    threads_before = threading.active_count()
    names_before = thread_names()
    fds_before = open_fds()
    rss_before = rss_bytes()
    started = time.monotonic()
    for _ in range(THREAD_CYCLES):
        cycle()
    elapsed = time.monotonic() - started
    # A dispatcher thread ends right after its client's disconnect() returns.
    eventually_sync(lambda: threading.active_count() <= threads_before, timeout=5, what="handler threads to end")
    eventually_sync(lambda: open_fds() <= fds_before, timeout=5, what="file descriptors to be released")
    settle_gc()
    rss_after = rss_bytes()
    print(
        f"\n[cycles thread] {THREAD_CYCLES} Client cycles in {elapsed:.1f} s; threads {threads_before}->"
        f"{threading.active_count()}; RSS before {_mib(rss_before)}, after {_mib(rss_after)}"
    )
    assert thread_names() == names_before
    assert open_fds() <= fds_before
    assert rss_after - rss_before < RSS_TOLERANCE
