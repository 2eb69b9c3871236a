"""One benchmark measurement in a fresh interpreter: ``python bench/worker.py '<json spec>'``.

bench/run.py starts one of these per (scenario, client), so that clients never share an
interpreter, an event loop, imported modules or heap. The spec is a JSON object::

    {"scenario": "recv", "client": "sio", "url": "http://127.0.0.1:PORT", "n": 200000,
     "warmup": 20000, "reps": 3, "budget": 60, ...scenario options}

The worker runs a warm-up, then ``reps`` measured repetitions, and prints one line
``RESULT <json>`` with every repetition's numbers (run.py takes the medians). Every loop
is bounded in count and in time: a repetition that runs out of time is reported with
what it got (``ok: false`` and the reason), never waited on forever.

Clients:

* ``sio``  - sio_notebook.AsyncClient (``sio_sync``: sio_notebook.Client, threads);
* ``psio`` - python-socketio's AsyncClient (``psio_sync``: socketio.Client);
* ``raw``  - a bare aiohttp loop that speaks just enough Engine.IO 4 / Socket.IO 5:
  open, ``40``, answer pings, ``json.loads`` every ``42[...]`` (the floor for Python on
  this stack); ``raw_sync`` does the same with websocket-client, in one thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import resource
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

logging.disable(logging.CRITICAL)  # python-socketio logs every drop; we report drops ourselves

PATH = "/socket.io/"
BLOB_PLACEHOLDER = '{"_placeholder":true,"num":0}'


class Failed(Exception):
    """A repetition that could not complete (time budget, dropped connection...)."""

    def __init__(self, reason: str, **info: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.info = info


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


SERVER_PID = 0  # set from the spec: the Node server, whose CPU time is sampled around each measurement
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def server_cpu_s() -> float:
    """CPU seconds (user + system) the bench server has used so far; 0 if unknown."""
    if not SERVER_PID:
        return 0.0
    try:
        with open(f"/proc/{SERVER_PID}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def meter() -> tuple[float, float]:
    return time.process_time(), server_cpu_s()


def metered(start: tuple[float, float], n: int, seconds: float) -> dict[str, Any]:
    """The rate plus where the CPU went: client CPU per event and the server's busy fraction."""
    cpu, server = time.process_time() - start[0], server_cpu_s() - start[1]
    out = {"rate": n / seconds, "seconds": seconds, "client_cpu_us_per_event": cpu / n * 1e6,
           "client_busy": cpu / seconds}
    if SERVER_PID:
        out["server_busy"] = server / seconds
    return out


def ws_url(url: str) -> str:
    return url.replace("http://", "ws://", 1) + PATH + "?EIO=4&transport=websocket"


# ====================================================================== library async clients


def make_async_client(kind: str) -> Any:
    if kind == "sio":
        import sio_notebook

        return sio_notebook.AsyncClient(reconnection=False)
    if kind == "psio":
        import socketio

        return socketio.AsyncClient(reconnection=False)
    raise ValueError(kind)


async def lib_connect(client: Any, url: str, transports: list[str]) -> None:
    await client.connect(url, transports=transports, wait_timeout=30)


class Counter:
    """The benchmark handler: count ticks, finish at ``target``. Same for every client."""

    def __init__(self, target: int, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.n = 0
        self.target = target
        self.loop = loop
        self.done: Any = loop.create_future() if loop else threading.Event()
        self.dropped: str | None = None
        self.t_drop = 0.0

    def finish(self) -> None:
        if self.loop is not None:
            if not self.done.done():
                self.done.set_result(None)
        else:
            self.done.set()

    def plain(self, data: Any) -> None:
        self.n += 1
        if self.n == self.target:
            self.finish()

    async def coro(self, data: Any) -> None:
        self.n += 1
        if self.n == self.target:
            self.finish()

    def on_disconnect(self, *args: Any) -> None:
        if self.dropped is None and self.n < self.target:
            self.dropped = str(args[0]) if args else "disconnected"
            self.t_drop = time.perf_counter()
            self.finish()


async def lib_recv_once(kind: str, url: str, transports: list[str], n: int, handler: str,
                        chunk: int, budget: float, capture: bool = False) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    client = make_async_client(kind)
    counter = Counter(n, loop)
    client.on("tick", counter.coro if handler == "coro" else counter.plain)
    client.on("disconnect", counter.on_disconnect)
    cap = None
    if capture:
        from sio_notebook.notebook import capture as make_capture

        cap = make_capture(client, "tick", max_rows=100_000)
    await lib_connect(client, url, transports)
    try:
        m0 = meter()
        t0 = time.perf_counter()
        await client.emit("flood", {"count": n, "chunk": chunk})
        try:
            await asyncio.wait_for(asyncio.shield(counter.done), budget)
        except asyncio.TimeoutError:
            raise Failed(f"timed out after {budget:.0f} s", events=counter.n) from None
        t1 = time.perf_counter()
        if counter.dropped is not None:
            elapsed = counter.t_drop - t0
            raise Failed("connection dropped", events=counter.n, disconnect_reason=counter.dropped,
                         rate_before_drop=counter.n / elapsed if elapsed > 0 else None)
        out = metered(m0, n, t1 - t0)
        if cap is not None:
            out["captured"] = cap.count
        return out
    finally:
        if client.connected:
            await asyncio.wait_for(client.disconnect(), 10)


# ====================================================================== the raw aiohttp floor


class RawWS:
    """Just enough Engine.IO 4 / Socket.IO 5 over an aiohttp WebSocket."""

    def __init__(self) -> None:
        self.session: Any = None
        self.ws: Any = None
        self.next_id = 0

    async def open(self, url: str) -> None:
        import aiohttp

        self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(ws_url(url), max_msg_size=0)
        first = await self.ws.receive(10)
        if not isinstance(first.data, str) or first.data[:1] != "0":
            raise Failed(f"no Engine.IO open packet: {first!r}")
        await self.ws.send_str("40")
        while True:
            text = await self.text()  # Engine.IO "4" already stripped: "0{sid}" is the CONNECT reply
            if text.startswith("0"):
                return

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.session is not None:
            await self.session.close()

    async def text(self) -> str:
        """Next Socket.IO text message (pings answered on the way)."""
        import aiohttp

        while True:
            msg = await self.ws.receive()
            if msg.type is aiohttp.WSMsgType.TEXT:
                data = msg.data
                if data == "2":
                    await self.ws.send_str("3")
                    continue
                if data[:1] == "4":
                    return data[1:]
                continue
            if msg.type is aiohttp.WSMsgType.BINARY:
                raise Failed("unexpected binary frame")
            raise Failed(f"websocket closed ({msg.type})")

    async def binary(self) -> bytes:
        import aiohttp

        msg = await self.ws.receive()
        if msg.type is not aiohttp.WSMsgType.BINARY:
            raise Failed(f"expected a binary frame, got {msg.type}")
        return msg.data

    async def call(self, payload_json: str) -> str:
        """Send ``42<id>[...]`` and return the JSON of the matching ``43<id>``."""
        ack = self.next_id
        self.next_id += 1
        await self.ws.send_str(f"42{ack}{payload_json}")
        prefix = f"3{ack}"
        while True:
            text = await self.text()
            if text.startswith(prefix) and text[len(prefix)] == "[":
                return text[len(prefix):]


async def raw_ws_recv_once(url: str, n: int, handler: str, chunk: int, budget: float) -> dict[str, Any]:
    import aiohttp

    loop = asyncio.get_running_loop()
    counter = Counter(n, loop)
    plain, coro = counter.plain, counter.coro
    loads = json.loads
    raw = RawWS()
    await raw.open(url)
    ws = raw.ws
    text_type = aiohttp.WSMsgType.TEXT
    tasks: set[asyncio.Task[Any]] = set()
    try:
        m0 = meter()
        t0 = time.perf_counter()
        await ws.send_str('42["flood",' + json.dumps({"count": n, "chunk": chunk}) + "]")
        deadline = t0 + budget
        receive = ws.receive

        async def reader() -> None:
            received = 0  # ticks read (coroutine handlers may not have run yet)
            while received < n:
                msg = await receive()
                if msg.type is not text_type:
                    raise Failed(f"websocket closed ({msg.type})", events=counter.n)
                data = msg.data
                if data[:2] == "42":
                    event = loads(data[2:])
                    if event[0] == "tick":
                        received += 1
                        if handler == "coro":
                            task = loop.create_task(coro(event[1]))
                            tasks.add(task)
                            task.add_done_callback(tasks.discard)
                        else:
                            plain(event[1])
                elif data == "2":
                    await ws.send_str("3")

        await asyncio.wait_for(reader(), budget)
        await asyncio.wait_for(asyncio.shield(counter.done), max(0.01, deadline - time.perf_counter()))
        t1 = time.perf_counter()
        return metered(m0, n, t1 - t0)
    except asyncio.TimeoutError:
        raise Failed(f"timed out after {budget:.0f} s", events=counter.n) from None
    finally:
        await raw.close()


async def raw_polling_recv_once(url: str, n: int, handler: str, chunk: int, budget: float) -> dict[str, Any]:
    """Long-polling: GET loop, records split on \\x1e, each 42 json.loads'ed."""
    import aiohttp

    loop = asyncio.get_running_loop()
    counter = Counter(n, loop)
    loads = json.loads
    base = url + PATH + "?EIO=4&transport=polling"
    async with aiohttp.ClientSession() as session:
        async with session.get(base) as resp:
            body = await resp.text()
        info = json.loads(body.split("\x1e")[0][1:])
        sid_url = f"{base}&sid={info['sid']}"

        async def post(text: str) -> None:
            async with session.post(sid_url, data=text.encode(), headers={"Content-Type": "text/plain;charset=UTF-8"}) as r:
                await r.read()

        await post("40")
        connected = False
        while not connected:  # until the CONNECT reply
            async with session.get(sid_url) as resp:
                body = await resp.text()
            connected = any(rec.startswith("40") for rec in body.split("\x1e"))
        m0 = meter()
        t0 = time.perf_counter()
        deadline = t0 + budget
        await post('42["flood",' + json.dumps({"count": n, "chunk": chunk}) + "]")
        plain = counter.plain
        while counter.n < n:
            if time.perf_counter() > deadline:
                raise Failed(f"timed out after {budget:.0f} s", events=counter.n)
            async with session.get(sid_url, timeout=aiohttp.ClientTimeout(total=budget)) as resp:
                body = await resp.text()
            for record in body.split("\x1e"):
                if record[:2] == "42":
                    event = loads(record[2:])
                    if event[0] == "tick":
                        plain(event[1])
                elif record == "2":
                    await post("3")
        t1 = time.perf_counter()
        out = metered(m0, n, t1 - t0)
        await post("1")
        return out


# ====================================================================== emit, acks, binary


async def lib_emit_once(kind: str, url: str, n: int, budget: float) -> dict[str, Any]:
    client = make_async_client(kind)
    await lib_connect(client, url, ["websocket"])
    try:
        await client.call("reset-count", timeout=10)
        m0 = meter()
        t0 = time.perf_counter()
        deadline = t0 + budget
        for i in range(n):
            await client.emit("inc")
            if not i & 1023 and time.perf_counter() > deadline:
                raise Failed(f"timed out after {budget:.0f} s", events=i)
        count = await client.call("get-count", timeout=max(1, deadline - time.perf_counter()))
        t1 = time.perf_counter()
        if count != n:
            raise Failed(f"server counted {count} of {n}")
        return metered(m0, n, t1 - t0)
    finally:
        if client.connected:
            await asyncio.wait_for(client.disconnect(), 10)


async def raw_emit_once(url: str, n: int, budget: float) -> dict[str, Any]:
    raw = RawWS()
    await raw.open(url)
    try:
        await raw.call('["reset-count"]')
        m0 = meter()
        t0 = time.perf_counter()
        deadline = t0 + budget
        send = raw.ws.send_str
        for i in range(n):
            await send('42["inc"]')
            if not i & 1023 and time.perf_counter() > deadline:
                raise Failed(f"timed out after {budget:.0f} s", events=i)
        count = json.loads(await asyncio.wait_for(raw.call('["get-count"]'), max(1, deadline - time.perf_counter())))[0]
        t1 = time.perf_counter()
        if count != n:
            raise Failed(f"server counted {count} of {n}")
        return metered(m0, n, t1 - t0)
    finally:
        await raw.close()


def percentiles(samples_ns: list[int]) -> dict[str, float]:
    s = sorted(samples_ns)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] / 1000.0  # noqa: E731 - microseconds
    return {"p50_us": pick(0.50), "p99_us": pick(0.99), "mean_us": statistics.fmean(s) / 1000.0, "calls": len(s)}


async def ack_once(kind: str, url: str, n: int, budget: float, client: Any = None) -> dict[str, Any]:
    clock = time.perf_counter_ns
    samples: list[int] = []
    deadline = time.perf_counter() + budget
    if kind == "raw":
        for i in range(n):
            t = clock()
            reply = await client.call(f'["echo",{i}]')  # the caller bounds the whole loop in time
            samples.append(clock() - t)
            if reply != f"[{i}]":
                raise Failed(f"bad echo {reply!r}")
            if time.perf_counter() > deadline:
                break
    else:
        for i in range(n):
            t = clock()
            reply = await client.call("echo", i, timeout=10)
            samples.append(clock() - t)
            if reply != i:
                raise Failed(f"bad echo {reply!r}")
            if time.perf_counter() > deadline:
                break
    return percentiles(samples)


async def binary_once(kind: str, client: Any, mode: str, size: int, n: int, budget: float) -> dict[str, Any]:
    """``echo``: send ``size`` bytes, get them back (MB/s counts both ways); ``recv``: bin-big."""
    blob = bytes(i % 256 for i in range(256)) * (size // 256) + bytes(i % 256 for i in range(size % 256))
    t0 = time.perf_counter()
    deadline = t0 + budget
    done = 0
    for _ in range(n):
        if kind == "raw":
            if mode == "echo":
                ack = client.next_id
                client.next_id += 1
                await client.ws.send_str(f"451-{ack}[\"echo\",{BLOB_PLACEHOLDER}]")
                await client.ws.send_bytes(blob)
            else:
                ack = client.next_id
                client.next_id += 1
                await client.ws.send_str(f'42{ack}["bin-big",{{"size":{size}}}]')
            while True:  # the caller bounds the whole loop in time
                text = await client.text()
                if text.startswith(f"61-{ack}["):
                    break
            json.loads(text[len(f"61-{ack}"):])
            got = await client.binary()
        else:
            if mode == "echo":
                got = await client.call("echo", blob, timeout=30)
            else:
                got = await client.call("bin-big", {"size": size}, timeout=30)
        if len(got) != size:
            raise Failed(f"got {len(got)} bytes, expected {size}")
        done += 1
        if time.perf_counter() > deadline:
            break
    elapsed = time.perf_counter() - t0
    moved = done * size * (2 if mode == "echo" else 1)
    return {"mb_s": moved / elapsed / 1e6, "round_trips": done, "seconds": elapsed}


# ====================================================================== thread (sync) clients


def sync_recv_once(kind: str, url: str, n: int, chunk: int, budget: float) -> dict[str, Any]:
    counter = Counter(n)
    if kind == "raw_sync":
        import websocket  # websocket-client

        ws = websocket.create_connection(ws_url(url), timeout=30)
        try:
            if not ws.recv().startswith("0"):
                raise Failed("no open packet")
            ws.send("40")
            while not ws.recv().startswith("40"):
                pass
            loads = json.loads
            m0 = meter()
            t0 = time.perf_counter()
            deadline = t0 + budget
            ws.send('42["flood",' + json.dumps({"count": n, "chunk": chunk}) + "]")
            plain = counter.plain
            while counter.n < n:
                data = ws.recv()
                if data[:2] == "42":
                    event = loads(data[2:])
                    if event[0] == "tick":
                        plain(event[1])
                elif data == "2":
                    ws.send("3")
                if time.perf_counter() > deadline:
                    raise Failed(f"timed out after {budget:.0f} s", events=counter.n)
            t1 = time.perf_counter()
            return metered(m0, n, t1 - t0)
        finally:
            ws.close()
    if kind == "sio_sync":
        import sio_notebook

        cls = getattr(sio_notebook, "Client", None)
        if cls is None:
            raise Failed("n/a: sio_notebook.Client does not exist yet")
        client = cls(reconnection=False)
    else:
        import socketio

        client = socketio.Client(reconnection=False)
    client.on("tick", counter.plain)
    client.on("disconnect", counter.on_disconnect)
    client.connect(url, transports=["websocket"], wait_timeout=30)
    try:
        m0 = meter()
        t0 = time.perf_counter()
        client.emit("flood", {"count": n, "chunk": chunk})
        if not counter.done.wait(budget):
            raise Failed(f"timed out after {budget:.0f} s", events=counter.n)
        t1 = time.perf_counter()
        if counter.dropped is not None:
            raise Failed("connection dropped", events=counter.n, disconnect_reason=counter.dropped)
        return metered(m0, n, t1 - t0)
    finally:
        with contextlib.suppress(Exception):  # the measurement is done; a failing close must not hide it
            client.disconnect()


# ====================================================================== 1,000 clients


async def many_once(kind: str, url: str, n: int, budget: float) -> dict[str, Any]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n * 4 + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard != resource.RLIM_INFINITY else want, hard))

    async def open_one() -> Any:
        if kind == "raw":
            raw = RawWS()
            await raw.open(url)
            return raw
        client = make_async_client(kind)
        await lib_connect(client, url, ["websocket"])
        return client

    async def close_one(c: Any) -> None:
        if kind == "raw":
            await c.close()
        elif c.connected:
            await c.disconnect()

    # Warm-up: one connection, so lazily imported modules and caches are not counted.
    c = await open_one()
    await close_one(c)
    await asyncio.sleep(0.2)
    gc.collect()
    before = rss_kib()
    t0 = time.perf_counter()
    results = await asyncio.wait_for(asyncio.gather(*(open_one() for _ in range(n)), return_exceptions=True), budget)
    t1 = time.perf_counter()
    clients = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    await asyncio.sleep(0.5)  # let the connect events and handshakes settle
    gc.collect()
    after = rss_kib()
    ok = len(clients)
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(close_one(c) for c in clients), return_exceptions=True), 60)
    out = {
        "connect_s": t1 - t0,
        "kib_per_conn": (after - before) / max(ok, 1),
        "rss_before_kib": before,
        "rss_after_kib": after,
        "connected": ok,
    }
    if errors:
        out["errors"] = len(errors)
        out["first_error"] = f"{type(errors[0]).__name__}: {errors[0]}"
        raise Failed(f"{len(errors)} of {n} connections failed", **out)
    return out


# ====================================================================== notebook capture


async def capture_once(n: int, df_rows: int) -> dict[str, Any]:
    try:
        from sio_notebook.notebook import capture
    except Exception as exc:  # noqa: BLE001 - any import failure means 'not there yet'
        raise Failed(f"n/a: sio_notebook.notebook.recording.capture is not importable ({type(exc).__name__}: {exc})") from None
    import sio_notebook

    client = sio_notebook.AsyncClient()
    cap = capture(client, "tick", max_rows=100_000)
    listeners = getattr(client, "_any_in", None)
    listener = getattr(cap, "_listener", None) or (listeners[-1] if listeners else None)
    if listener is None:
        raise Failed("n/a: cannot find the capture's on_any listener")
    args = ({"i": 1},)
    t0 = time.perf_counter()
    for _ in range(n):  # a burst inside the loop, as a flood delivers it
        listener("/", "tick", args)
    t1 = time.perf_counter()
    await asyncio.sleep(0)
    ingest = n / (t1 - t0)
    # .df over df_rows realistic rows ({"i": i} payloads).
    cap.clear()
    for i in range(df_rows):
        listener("/", "tick", ({"i": i},))
    await asyncio.sleep(0)
    t2 = time.perf_counter()
    frame = cap.df
    t3 = time.perf_counter()
    if len(frame) != min(df_rows, 100_000):
        raise Failed(f".df has {len(frame)} rows, expected {min(df_rows, 100_000)}")
    cap.stop()
    return {"ingest_rate": ingest, "df_seconds": t3 - t2, "df_rows": len(frame), "columns": list(frame.columns)}


# ====================================================================== driver


def run_reps(fn, warm, reps: int, budget_total: float) -> dict[str, Any]:
    """Warm-up once, then ``reps`` repetitions; stop early when the process budget is spent."""
    start = time.perf_counter()
    out: dict[str, Any] = {"reps": [], "failures": []}
    try:
        warm()
    except Failed as exc:
        if exc.reason.startswith("n/a"):
            return {"na": exc.reason}
        out["warmup_failure"] = {"reason": exc.reason, **exc.info}
    for _ in range(reps):
        if time.perf_counter() - start > budget_total:
            out["failures"].append({"reason": "process time budget spent"})
            break
        try:
            out["reps"].append(fn())
        except Failed as exc:
            if exc.reason.startswith("n/a"):
                return {"na": exc.reason}
            out["failures"].append({"reason": exc.reason, **exc.info})
    return out


def main() -> None:
    global SERVER_PID
    spec = json.loads(sys.argv[1])
    SERVER_PID = int(spec.get("server_pid", 0))
    scenario, kind, url = spec["scenario"], spec["client"], spec.get("url", "")
    n, warm_n, reps = spec.get("n", 0), spec.get("warmup", 0), spec.get("reps", 3)
    budget = spec.get("budget", 60.0)  # per repetition
    total = spec.get("total", budget * (reps + 1))
    chunk = spec.get("chunk", 500)

    def arun(coro_fn):
        return lambda: asyncio.run(coro_fn())

    if scenario == "recv":
        transport, handler = spec["transport"], spec.get("handler", "plain")
        capture = spec.get("capture", False)
        if kind == "raw":
            once = raw_ws_recv_once if transport == "websocket" else raw_polling_recv_once
            job = lambda m: arun(lambda: once(url, m, handler, chunk, budget))  # noqa: E731
        else:
            job = lambda m: arun(lambda: lib_recv_once(kind, url, [transport], m, handler, chunk, budget, capture))  # noqa: E731
        result = run_reps(job(n), job(warm_n), reps, total)
    elif scenario == "emit":
        job = (lambda m: arun(lambda: raw_emit_once(url, m, budget))) if kind == "raw" else (
            lambda m: arun(lambda: lib_emit_once(kind, url, m, budget)))
        result = run_reps(job(n), job(warm_n), reps, total)
    elif scenario in ("ack", "binary"):
        # One connection per process: connect, warm up, measure reps times.
        async def session() -> dict[str, Any]:
            if kind == "raw":
                client = RawWS()
                await client.open(url)
            else:
                client = make_async_client(kind)
                await lib_connect(client, url, ["websocket"])
            try:
                def make(m):
                    if scenario == "ack":
                        return lambda: ack_once(kind, url, m, budget, client)
                    return lambda: binary_once(kind, client, spec["mode"], spec["size"], m, budget)

                out: dict[str, Any] = {"reps": [], "failures": []}
                try:
                    await asyncio.wait_for(make(warm_n)(), budget + 30)
                except Failed as exc:
                    out["warmup_failure"] = {"reason": exc.reason, **exc.info}
                except asyncio.TimeoutError:
                    out["warmup_failure"] = {"reason": f"timed out after {budget + 30:.0f} s"}
                    return out
                for _ in range(reps):
                    try:
                        out["reps"].append(await asyncio.wait_for(make(n)(), budget + 30))
                    except Failed as exc:
                        out["failures"].append({"reason": exc.reason, **exc.info})
                    except asyncio.TimeoutError:
                        out["failures"].append({"reason": f"timed out after {budget + 30:.0f} s"})
                        break
                return out
            finally:
                if kind == "raw":
                    await client.close()
                elif client.connected:
                    await client.disconnect()

        result = asyncio.run(session())
    elif scenario == "sync_recv":
        job = lambda m: (lambda: sync_recv_once(kind, url, m, chunk, budget))  # noqa: E731
        result = run_reps(job(n), job(warm_n), reps, total)
    elif scenario == "many":
        # One repetition per process (clean memory numbers); run.py starts several.
        try:
            result = {"reps": [asyncio.run(many_once(kind, url, n, budget))], "failures": []}
        except Failed as exc:
            result = {"reps": [], "failures": [{"reason": exc.reason, **exc.info}]}
    elif scenario == "capture":
        result = run_reps(arun(lambda: capture_once(n, spec.get("df_rows", 100_000))),
                          arun(lambda: capture_once(warm_n, 1000)), reps, total)
    elif scenario in ("parquet", "chart_answer", "replay"):
        import notebook_data as nd  # bench/notebook_data.py: the notebook data layer (issue 11)

        def guard(fn):
            def run_one():
                try:
                    return fn()
                except nd.Failed as exc:
                    raise Failed(exc.reason, **exc.info) from None
            return run_one

        if scenario == "parquet":
            job = lambda m: guard(arun(lambda: nd.parquet_once(m)))  # noqa: E731
        elif scenario == "replay":
            job = lambda m: guard(arun(lambda: nd.replay_once(url, m)))  # noqa: E731
        else:
            job = lambda m: guard(lambda: nd.chart_answer_once(url, spec.get("seconds", 6.0), m, spec.get("rate", 50_000)))  # noqa: E731
        result = run_reps(job(n), job(warm_n), reps, total)
    else:
        raise SystemExit(f"unknown scenario {scenario!r}")
    result["pid"] = os.getpid()
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
