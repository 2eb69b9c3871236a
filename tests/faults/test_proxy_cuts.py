"""Fault 3: 100 connection cuts during a sustained two-way stream, with connection state recovery.

Topology: AsyncClient -> tests/faults/proxy.py -> tests/faults/stream_server.js (Node socket.io
4.8.4, recovery on). While the test runs:

* server -> client: the server emits ``seq`` n (n = 0, 1, 2, ...) every 4 ms to the stream's
  socket id. With recovery on, the adapter stores each emit and replays what the client
  missed (after the offset the client reports on reconnect);
* client -> server: the client emits ``up`` n every few ms with ``retries`` and
  ``ack_timeout`` (at-least-once). The server counts raw arrivals, deduplicates by n and
  checks the order of first arrivals;
* the proxy cuts every connection (TCP RST on both sides; in-flight data is lost) until
  100 cuts have broken the client's connection. Some cuts are followed by a refusal
  window (the first reconnection attempts are reset), and between cuts the proxy
  sometimes stalls longer than the ack timeout (the client re-sends: raw duplicates that
  the server absorbs).

Asserted: zero loss and the same order in both directions; server -> client exactly once
(recovery, no duplicates); client -> server exactly once after the server's dedup (raw
duplicates reported); every reconnection recovered (``client.recovered()`` true, and the
server saw ``socket.recovered`` each time).

Over polling, a cut that falls between two requests leaves the server with nothing to
lose, so it cannot notice; only the client's close POST (``1``) tells it the session is
gone. If that POST cannot get through either (a refusal window), the Node server
(socket.io 4.8.4, issue #4880) restores the persisted session for the reconnecting client
while the older socket with the same id is still registered, and when that one times out
it unregisters the shared id and room and persists an empty room list: the server stops
delivering, and the next recovery replays nothing. No client can prevent that; the
stream server works around it (it closes the older socket at once) and counts such
"stale restores", which the test reports. Over websocket the server always notices a cut,
so there must be none.

Set STREAM_DEBUG=1 to have the stream server log engine/socket opens and closes; a failed
wait then shows the tail of that log with the client's, the proxy's and the server's state.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid

import pytest

from sio_notebook.aio import AsyncClient

from .helpers import Recorder

CUTS = 100
ACK_TIMEOUT = 0.3
STALL = 0.45  # > ACK_TIMEOUT: the client re-sends during it; both copies arrive after it
#: client -> server pacing (s). The retry queue sends one event at a time and waits for its
#: ack; over polling that is a POST plus a GET per event (~10 ms here), so it gets a slower
#: pace, or the backlog built up while disconnected would take minutes to drain.
EMIT_EVERY = {"websocket": 0.004, "polling": 0.02}
SEQ_EVERY_MS = 4  # server -> client pacing (ms)

# ~20 s per transport: the quick tier of scripts/test-matrix (3.10, 3.12) leaves these out.
pytestmark = [pytest.mark.timeout(150), pytest.mark.slow]


async def _server_view(url: str) -> dict:
    """The server's own account (engine clients, sockets, streams), for failure messages."""
    probe = AsyncClient()
    try:
        await probe.connect(url, transports=["websocket"])
        return await probe.call("debug", timeout=5)
    finally:
        await probe.disconnect()


def _ranges(numbers: list[int]) -> list[tuple[int, int]]:
    """[1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    out: list[tuple[int, int]] = []
    for n in numbers:
        if out and out[-1][1] == n - 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_two_way_stream_survives_100_cuts(stream_server, proxy_to, transport):
    proxy = proxy_to(stream_server.port)
    rng = random.Random(f"cuts-{transport}")  # a reproducible fault schedule
    rec = Recorder()
    received: list[int] = []
    acked: list[int] = []
    ack_errors: list[BaseException] = []
    recovered_flags: list[bool] = []

    client = AsyncClient(
        reconnection_delay=0.05,
        reconnection_delay_max=0.2,
        request_timeout=2,
        ack_timeout=ACK_TIMEOUT,
        retries=1000,  # a head may be cut many times; it must never be given up
    )

    def on_seq(n: int) -> None:
        received.append(n)
        rec.poke()

    def on_connect() -> None:
        recovered_flags.append(client.recovered())
        rec.add("connect")

    def on_up_ack(err: BaseException | None, *args: int) -> None:
        if err is not None:
            ack_errors.append(err)
        else:
            acked.append(args[0])
        rec.poke()

    client.on("seq", on_seq)
    client.on("connect", on_connect)
    client.on("disconnect", rec.handler("disconnect"))
    client.on_lifecycle("reconnect_error", rec.handler("reconnect_error"))

    stop_emitting = asyncio.Event()
    emitted = 0

    async def emitter() -> None:
        nonlocal emitted
        while not stop_emitting.is_set() and emitted < 100_000:
            await client.emit("up", emitted, callback=on_up_ack)
            emitted += 1
            await asyncio.sleep(EMIT_EVERY[transport])  # pacing, not synchronisation

    async def until(predicate, what: str, timeout: float = 20) -> None:
        """rec.until, with the client's and the server's view in the failure message."""
        try:
            await rec.until(predicate, timeout=timeout, what=what)
        except AssertionError as exc:
            view = await _server_view(stream_server.url)
            log = stream_server.stderr_text()[-4000:]
            got = set(received)
            gaps = [n for n in range(max(got, default=0)) if n not in got]
            raise AssertionError(
                f"{exc}\nclient: {client.status()}\nproxy: {proxy.describe()}\nserver: {view}\n"
                f"seq received {len(received)} (max {max(got, default=None)}), gaps {_ranges(gaps)}, "
                f"out of order {sum(1 for a, b in zip(received, received[1:], strict=False) if b != a + 1)}, "
                f"not recovered {[i for i, f in enumerate(recovered_flags) if not f][1:]}\nserver log tail:\n{log}"
            ) from None

    started = time.monotonic()
    await client.connect(proxy.url, transports=[transport], auth={"stream": uuid.uuid4().hex})
    emitter_task = asyncio.create_task(emitter())
    stalls = drops = attempts = effective = 0
    try:
        await client.emit("start", {"every": SEQ_EVERY_MS, "batch": 1})
        await rec.until(lambda: len(received) >= 20, what="the stream to start")

        while effective < CUTS:
            attempts += 1
            assert attempts <= 3 * CUTS, f"only {effective} of {attempts} cuts broke the connection"
            await until(lambda n=effective: rec.count("connect") == n + 1, f"reconnect #{effective}")
            await asyncio.sleep(rng.uniform(0.03, 0.12))  # let both streams flow a while
            if rng.random() < 0.06:
                stalls += 1
                await proxy.astall(STALL)
                await asyncio.sleep(STALL + 0.1)  # the stall is the fault: live through it
            disconnects, mark = rec.count("disconnect"), len(received)
            assert await proxy.acut() >= 1, "the cut found no connection"
            # Over polling a cut between two requests breaks nothing: the next request
            # simply opens a new TCP connection, on the same Engine.IO session. Such a cut
            # is recognised by the stream going on without a disconnect.
            await until(
                lambda d=disconnects, m=mark: rec.count("disconnect") > d or len(received) >= m + 25,
                "the cut to take effect or be shrugged off",
            )
            if rec.count("disconnect") == disconnects:
                continue
            effective += 1
            if rng.random() < 0.15:
                drops += 1
                await proxy.adrop(0.2)  # the first reconnection attempts are refused

        await until(lambda: rec.count("connect") == CUTS + 1, "the last reconnect")
        stop_emitting.set()
        await emitter_task
        await until(lambda: len(acked) + len(ack_errors) >= emitted, "every up acked", timeout=30)
        sent = (await client.call("stop", timeout=10))["sent"]
        await until(lambda: len(received) >= sent, "every seq received", timeout=30)
        stats = await client.call("stats", timeout=10)
    finally:
        stop_emitting.set()
        await asyncio.gather(emitter_task, return_exceptions=True)
        await client.disconnect()
    elapsed = time.monotonic() - started

    missing_down = sorted(set(range(sent)) - set(received))
    dup_down = len(received) - len(set(received))
    missing_up = sorted(set(range(emitted)) - set(acked))
    print(
        f"\n[cuts {transport}] {effective} cuts survived ({attempts} cuts made, {proxy.stats.cut} connections reset, "
        f"{stalls} stalls of {STALL * 1000:.0f} ms, {drops} refusal windows, "
        f"{proxy.stats.refused} connections refused, {rec.count('reconnect_error')} failed reconnection attempts) "
        f"in {elapsed:.1f} s\n"
        f"  server->client: {sent} sent, {len(received)} received, {len(missing_down)} lost, "
        f"{dup_down} duplicated, in order: {received == sorted(received)}\n"
        f"  client->server: {emitted} emitted, {stats['raw']} arrivals, {stats['unique']} unique, "
        f"{emitted - stats['unique']} lost, {stats['dups']} raw duplicates (retries, removed by the server's dedup), "
        f"{stats['outOfOrder']} out of order\n"
        f"  recovery: {sum(recovered_flags[1:])}/{len(recovered_flags) - 1} reconnections recovered "
        f"(server: {stats['recovered']} of {stats['connections'] - 1}, {stats['staleRestores']} stale restores)"
    )

    # Every fault happened.
    assert effective == CUTS and proxy.stats.cuts == attempts
    if transport == "websocket":
        assert attempts == CUTS  # one connection, always busy: every cut breaks it
    assert rec.count("disconnect") == CUTS + 1  # + the final client disconnect
    if transport == "websocket":
        assert stats["staleRestores"] == 0  # a cut websocket is noticed by the server at once
    # server -> client: exactly once, in order (recovery replays what the cuts lost).
    assert sent > 1000
    assert missing_down == [] and dup_down == 0
    assert received == list(range(sent))
    # client -> server: every event acked, none given up, none lost or reordered.
    assert ack_errors == []
    assert missing_up == [] and len(acked) == emitted
    assert stats["unique"] == emitted and stats["lastUnique"] == emitted - 1
    assert stats["outOfOrder"] == 0
    assert stats["raw"] == emitted + stats["dups"]
    # Recovery worked every time, on both sides.
    assert len(recovered_flags) == CUTS + 1
    assert all(recovered_flags[1:]), recovered_flags
    assert stats["recovered"] == CUTS and stats["connections"] == CUTS + 1
