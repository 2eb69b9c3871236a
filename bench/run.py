"""sio_notebook's benchmark suite: ``.venv/bin/python bench/run.py [--quick]``.

In one run on one machine it starts the official Node socket.io server (bench/server.js, on the
node_modules of tests/peers/node) and measures the same scenarios through

* **sio_notebook** (``AsyncClient``; ``Client`` for the thread scenario),
* **python-socketio** (``AsyncClient``; ``Client``),
* **raw**: a bare aiohttp WebSocket loop speaking just enough Engine.IO/Socket.IO to connect,
  answer pings and ``json.loads`` each ``42[...]`` (the floor for Python on this stack; the
  thread scenario's floor is the same loop on websocket-client).

Every (scenario, client) runs in its own fresh interpreter (bench/worker.py): a warm-up, then
3 measured repetitions, of which the median is reported. Results go to bench/results/RESULTS.md
(markdown table, targets, PASS/MISS, machine header), bench/results/chart.png (the ratios) and
bench/results/results.json (every repetition, for digging); the table is also printed.

Options: ``--quick`` (smaller counts, under 2 minutes), ``--only recv_ws,emit,...`` (a subset of
scenarios, see SCENARIOS), ``--out DIR``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORKER = BENCH / "worker.py"
NODE_DIR = ROOT / "tests" / "peers" / "node"

CLIENTS = ("sio", "psio", "raw")
LABEL = {"sio": "sio_notebook", "psio": "python-socketio", "raw": "raw aiohttp"}


# ====================================================================== the server


def load_launcher() -> Any:
    """tests/peers/launcher.py (for ensure_node_modules), imported by path: tests/ is no package."""
    spec = importlib.util.spec_from_file_location("sio_bench_launcher", ROOT / "tests" / "peers" / "launcher.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


class BenchServer:
    """``node bench/server.js`` on 127.0.0.1; stdin is a pipe, so it exits with us."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise SystemExit("node is not on PATH: the benchmark peer is the Node socket.io server")
        self.process = subprocess.Popen(
            [node, str(BENCH / "server.js")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=BENCH,
            start_new_session=True,
        )
        line = self._readline(20)
        if not line.startswith("listening "):
            self.stop()
            raise SystemExit(f"bench/server.js did not start: {line!r} {self.process.stderr.read().decode()[:2000]}")
        self.port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.pid = self.process.pid

    def _readline(self, timeout: float) -> str:
        out: list[str] = []
        reader = threading.Thread(target=lambda: out.append(self.process.stdout.readline().decode()), daemon=True)
        reader.start()
        reader.join(timeout)
        return out[0].strip() if out else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


# ====================================================================== scenarios


@dataclass
class Job:
    key: str  # row key
    client: str  # column: sio, psio, raw, sio_sync, ..., sio_cap (sio with a capture attached)
    spec: dict[str, Any]
    timeout: float = 120.0


def plan_sizes(quick: bool) -> dict[str, int]:
    if quick:
        return {"recv_ws": 10_000, "recv_poll": 10_000, "emit": 10_000, "ack": 300, "bin_echo": 10,
                "bin_recv": 20, "sync": 2_000, "many": 200, "capture": 200_000, "parquet": 200_000,
                "chart_cells": 20, "replay": 20_000, "reps": 3}
    return {"recv_ws": 200_000, "recv_poll": 100_000, "emit": 100_000, "ack": 2_000, "bin_echo": 100,
            "bin_recv": 200, "sync": 20_000, "many": 1_000, "capture": 1_000_000, "parquet": 1_000_000,
            "chart_cells": 40, "replay": 100_000, "reps": 3}


SCENARIOS = ("recv_ws", "recv_ws_coro", "recv_poll", "emit", "ack", "binary", "sync", "many", "capture",
             "parquet", "chart_answer", "replay")


def build_jobs(sizes: dict[str, int], only: set[str] | None) -> list[list[Job]]:
    """Groups of jobs; each group is run ``reps`` rounds, every client once per round.

    Interleaving the clients (sio, psio, raw, sio, psio, raw, ...) instead of running one
    client's repetitions back to back spreads whatever else loads the machine over all of them.
    Every job is one fresh worker process: a warm-up, then one measured repetition.
    """
    groups: dict[str, list[Job]] = {}

    def add(group: str, key: str, client: str, spec: dict[str, Any]) -> None:
        if only is None or group in only:
            groups.setdefault(group, []).append(Job(key, client, spec))

    def rate_budget(n: int, slowest_rate: float) -> float:
        return max(20.0, n / slowest_rate * 2.5)

    n = sizes["recv_ws"]
    for c in CLIENTS:
        add("recv_ws", "recv_ws", c, {"scenario": "recv", "transport": "websocket", "handler": "plain",
                                      "n": n, "warmup": min(n // 10, 5000), "budget": rate_budget(n, 4000)})
    if only is None or "capture" in only:  # the same flood with a notebook capture attached, same rounds
        add("recv_ws" if only is None or "recv_ws" in only else "capture", "recv_ws", "sio_cap",
            {"scenario": "recv", "transport": "websocket", "handler": "plain", "capture": True, "kind": "sio",
             "n": n, "warmup": min(n // 10, 5000), "budget": rate_budget(n, 4000)})
    for c in CLIENTS:
        add("recv_ws_coro", "recv_ws_coro", c, {"scenario": "recv", "transport": "websocket", "handler": "coro",
                                                "n": n, "warmup": min(n // 10, 5000), "budget": rate_budget(n, 4000)})
    n = sizes["recv_poll"]
    for c in CLIENTS:
        add("recv_poll", "recv_poll", c, {"scenario": "recv", "transport": "polling", "handler": "plain",
                                          "n": n, "warmup": min(n // 10, 5000), "budget": rate_budget(n, 4000)})
    n = sizes["emit"]
    for c in CLIENTS:
        add("emit", "emit", c, {"scenario": "emit", "n": n, "warmup": min(n // 10, 5000), "budget": rate_budget(n, 4000)})
    for c in CLIENTS:
        add("ack", "ack", c, {"scenario": "ack", "n": sizes["ack"], "warmup": sizes["ack"] // 10, "budget": 30.0})
    for c in CLIENTS:
        add("binary", "bin_echo", c, {"scenario": "binary", "mode": "echo", "size": 1_000_000,
                                      "n": sizes["bin_echo"], "warmup": 3, "budget": 15.0})
        add("binary", "bin_recv", c, {"scenario": "binary", "mode": "recv", "size": 1_000_000,
                                      "n": sizes["bin_recv"], "warmup": 3, "budget": 15.0})
    n = sizes["sync"]
    for c in ("sio_sync", "psio_sync", "raw_sync"):
        add("sync", "sync", c, {"scenario": "sync_recv", "n": n, "warmup": min(n // 10, 2000), "budget": rate_budget(n, 800)})
    for c in CLIENTS:
        add("many", "many", c, {"scenario": "many", "n": sizes["many"], "budget": 120.0})
    add("capture", "capture", "sio", {"scenario": "capture", "n": sizes["capture"], "warmup": sizes["capture"] // 10,
                                      "df_rows": 100_000, "budget": 60.0})
    # The notebook data layer (issue 11; bench/notebook_data.py): sio_notebook only.
    add("parquet", "parquet", "sio", {"scenario": "parquet", "n": sizes["parquet"], "warmup": sizes["parquet"] // 10,
                                      "budget": 60.0})
    add("chart_answer", "chart_answer", "sio", {"scenario": "chart_answer", "n": sizes["chart_cells"], "warmup": 5,
                                                "seconds": 6.0, "rate": 50_000, "budget": 90.0})
    add("replay", "replay", "sio", {"scenario": "replay", "n": sizes["replay"], "warmup": sizes["replay"] // 10,
                                    "budget": 60.0})
    ordered = [groups[name] for name in SCENARIOS if name in groups]
    for group in ordered:
        for job in group:
            job.spec["reps"] = 1  # one measured repetition per process; the rounds repeat it
            job.spec["client"] = job.spec.pop("kind", job.client)
            job.timeout = job.spec["budget"] * 2 + 60
    return ordered


def run_worker(job: Job, server: BenchServer, merged: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run one worker process; its repetitions and failures are appended to ``merged``."""
    spec = {**job.spec, "url": server.url, "server_pid": server.pid}
    if merged is None:
        merged = {"reps": [], "failures": []}
    try:
        proc = subprocess.run(
            [sys.executable, str(WORKER), json.dumps(spec)], cwd=ROOT, capture_output=True, text=True,
            timeout=job.timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    except subprocess.TimeoutExpired:
        merged["failures"].append({"reason": f"worker timed out after {job.timeout:.0f} s"})
        return merged
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        merged["failures"].append({"reason": f"worker exited {proc.returncode}: {' | '.join(tail)[:300]}"})
        return merged
    result = json.loads(lines[-1][7:])
    if "na" in result:
        merged.clear()
        merged.update({"na": result["na"], "reps": [], "failures": []})
        return merged
    merged["reps"] += result.get("reps", [])
    merged["failures"] += result.get("failures", [])
    if "warmup_failure" in result:
        merged.setdefault("warmup_failures", []).append(result["warmup_failure"])
    return merged


# ====================================================================== results


def median_of(result: dict[str, Any] | None, key: str) -> float | None:
    if not result or not result.get("reps"):
        return None
    values = [r[key] for r in result["reps"] if r.get(key) is not None]
    return statistics.median(values) if values else None


@dataclass
class Row:
    key: str
    title: str
    unit: str
    higher_better: bool
    values: dict[str, Any]  # client -> number | None
    notes: dict[str, str]  # client -> text shown instead of / next to the number
    target: str = "—"
    verdict: str = ""
    ratio_psio: float | None = None
    ratio_raw: float | None = None
    target_psio: tuple[str, float] | None = None  # (">=" | "<=", value): for the chart
    target_raw: tuple[str, float] | None = None


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "events/s":
        return f"{value:,.0f}"
    if unit in ("MB/s", "µs", "KiB", "ms", "MiB"):
        return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    if unit == "s":
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return f"{value:.3g}"


def ratio_text(value: float | None) -> str:
    """Three significant digits, so a ratio next to a threshold (0.704 vs 0.7) reads right."""
    return "—" if value is None else f"{value:.3g}x"


def failure_note(result: dict[str, Any] | None) -> str:
    if result is None:
        return "not run"
    if "na" in result:
        return "n/a"
    fails = result.get("failures", [])
    if not fails:
        return ""
    first = fails[0]
    reason = first.get("reason", "failed")
    if reason == "connection dropped":
        events = [f.get("events", 0) for f in fails if f.get("reason") == "connection dropped"]
        why = first.get("disconnect_reason")
        got = ", ".join(str(e) for e in events)
        runs = len(fails) + len(result.get("reps", []))
        return f"failed: connection dropped ({why}) after {got} events ({len(fails)} of {runs} runs)"
    total = len(fails) + len(result.get("reps", []))
    reasons = "; ".join(dict.fromkeys(f.get("reason", "failed") for f in fails))
    error = f" — {first['first_error']}" if first.get("first_error") else ""
    return f"failed {len(fails)} of {total} runs: {reasons}{error}"


def make_rows(results: dict[tuple[str, str], dict[str, Any]], sizes: dict[str, int]) -> list[Row]:
    rows: list[Row] = []

    def row(key: str, title: str, unit: str, metric: str, higher: bool, clients=CLIENTS, names=None) -> Row:
        names = names or dict(zip(CLIENTS, clients, strict=False))
        values, notes = {}, {}
        for col, client in names.items():
            res = results.get((key, client))
            values[col] = median_of(res, metric)
            notes[col] = failure_note(res)
        r = Row(key, title, unit, higher, values, notes)
        if values.get("sio") is not None and values.get("psio"):
            r.ratio_psio = values["sio"] / values["psio"]
        if values.get("sio") is not None and values.get("raw"):
            r.ratio_raw = values["sio"] / values["raw"]
        rows.append(r)
        return r

    def verdict(r: Row, checks: list[bool | None]) -> None:
        res = results.get((r.key, "sio_sync" if r.key == "sync" else "sio")) or {}
        failed, total = len(res.get("failures", [])), len(res.get("failures", [])) + len(res.get("reps", []))
        if any(c is None for c in checks):
            r.verdict = "n/a" if r.values.get("sio") is None else "MISS (incomplete)"
        else:
            r.verdict = "PASS" if all(checks) else "MISS"
        if failed and r.verdict != "n/a":
            r.verdict = f"MISS (sio_notebook failed {failed} of {total} runs)"

    n = sizes["recv_ws"]
    if ("recv_ws", "sio") in results:
        r = row("recv_ws", f"1. receive, websocket, plain handler ({n:,} events)", "events/s", "rate", True)
        r.target = "≥ 3x python-socketio and ≥ 0.8x raw"
        r.target_psio, r.target_raw = (">=", 3.0), (">=", 0.8)
        verdict(r, [None if r.ratio_psio is None else r.ratio_psio >= 3,
                    None if r.ratio_raw is None else r.ratio_raw >= 0.8])
    if ("recv_ws_coro", "sio") in results:
        r = row("recv_ws_coro", f"1b. receive, websocket, coroutine handler ({n:,} events)", "events/s", "rate", True)
    if ("recv_poll", "sio") in results:
        r = row("recv_poll", f"2. receive, polling only ({sizes['recv_poll']:,} events)", "events/s", "rate", True)
        r.target = "≥ 3x python-socketio"
        r.target_psio = (">=", 3.0)
        if r.values["sio"] is not None and r.values["psio"] is None and r.notes["psio"].startswith("failed"):
            r.verdict = "PASS (python-socketio cannot complete)"
        else:
            verdict(r, [None if r.ratio_psio is None else r.ratio_psio >= 3])
    if ("emit", "sio") in results:
        r = row("emit", f"3. emit throughput ({sizes['emit']:,} `inc`, confirmed by `get-count`)", "events/s", "rate", True)
        r.target = "≥ 2x python-socketio"
        r.target_psio = (">=", 2.0)
        verdict(r, [None if r.ratio_psio is None else r.ratio_psio >= 2])
    if ("ack", "sio") in results:
        r = row("ack", f"4. ack round trip p50 ({sizes['ack']:,} sequential `call('echo', i)`)", "µs", "p50_us", False)
        r.target = "≤ 0.7x python-socketio"
        r.target_psio = ("<=", 0.7)
        verdict(r, [None if r.ratio_psio is None else r.ratio_psio <= 0.7])
        row("ack", "4b. ack round trip p99", "µs", "p99_us", False)
    if ("bin_echo", "sio") in results:
        row("bin_echo", f"5. binary 1 MB echo with ack, both ways ({sizes['bin_echo']} round trips)", "MB/s", "mb_s", True)
        row("bin_recv", f"5b. binary 1 MB receive via `bin-big` ({sizes['bin_recv']} calls)", "MB/s", "mb_s", True)
    if ("sync", "sio_sync") in results:
        r = row("sync", f"6. thread `Client` receive, websocket ({sizes['sync']:,} events)", "events/s", "rate", True,
                names={"sio": "sio_sync", "psio": "psio_sync", "raw": "raw_sync"})
        r.target = "≥ 4x python-socketio `Client`"
        r.target_psio = (">=", 4.0)
        verdict(r, [None if r.ratio_psio is None else r.ratio_psio >= 4])
    if ("many", "sio") in results:
        m = sizes["many"]
        r = row("many", f"7. {m:,} AsyncClients: time to connect all", "s", "connect_s", False)
        r.target = "≤ 1.0x python-socketio"
        r.target_psio = ("<=", 1.0)
        verdict(r, [None if r.ratio_psio is None else r.ratio_psio <= 1.0])
        r = row("many", f"7b. {m:,} AsyncClients: memory per connection (RSS delta / {m:,})", "KiB", "kib_per_conn", False)
        r.target = "≤ 1.0x python-socketio"
        r.target_psio = ("<=", 1.0)
        verdict(r, [None if r.ratio_psio is None else r.ratio_psio <= 1.0])
    if ("capture", "sio") in results:
        res = results[("capture", "sio")]
        r = Row("capture", f"8. notebook capture: ingest into the buffer ({sizes['capture']:,} listener calls)",
                "events/s", True, {"sio": median_of(res, "ingest_rate"), "psio": None, "raw": None},
                {"sio": failure_note(res), "psio": "", "raw": ""})
        r.target = "≥ 100,000 events/s"
        r.verdict = "n/a" if r.values["sio"] is None else ("PASS" if r.values["sio"] >= 100_000 else "MISS")
        rows.append(r)
        rows.append(Row("capture_df", "8b. notebook capture: build `.df` of 100,000 rows", "s", False,
                        {"sio": median_of(res, "df_seconds"), "psio": None, "raw": None},
                        {"sio": failure_note(res), "psio": "", "raw": ""}))
    if ("recv_ws", "sio_cap") in results:
        res = results[("recv_ws", "sio_cap")]
        base = next((x.values["sio"] for x in rows if x.key == "recv_ws"), None)
        r = Row("recv_ws_cap", f"8c. receive, websocket, plain handler + `capture(\"tick\")` ({sizes['recv_ws']:,} events)",
                "events/s", True, {"sio": median_of(res, "rate"), "psio": None, "raw": None},
                {"sio": failure_note(res), "psio": "", "raw": ""})
        if r.values["sio"] and base:
            r.target = f"(info: {r.values['sio'] / base:.2f}x of row 1's sio_notebook)"
        rows.append(r)
    rows += notebook_data_rows(results, sizes)
    return rows


def notebook_data_rows(results: dict[tuple[str, str], dict[str, Any]], sizes: dict[str, int]) -> list[Row]:
    """Rows 9-11: capture to Parquet, kernel answer time under a charted flood, replay (sio_notebook only)."""
    rows: list[Row] = []

    def single(key: str, title: str, unit: str, metric: str, higher: bool, target: str = "—",
               passes: Any = None) -> None:
        res = results.get((key, "sio"))
        if res is None:
            return
        value = median_of(res, metric)
        r = Row(key, title, unit, higher, {"sio": value, "psio": None, "raw": None},
                {"sio": failure_note(res), "psio": "", "raw": ""}, target=target)
        if passes is not None:
            r.verdict = "n/a" if value is None else ("PASS" if passes(value) else "MISS")
        rows.append(r)

    n = sizes.get("parquet", 0)
    single("parquet", f"9. capture to Parquet: ingest, max_rows=1,000 ({n:,} events, until the last file is written)",
           "events/s", "ingest_rate", True, "≥ 100,000 events/s", lambda v: v >= 100_000)
    single("parquet", "9b. capture to Parquet: peak RSS above the start", "MiB", "rss_peak_delta_mib", False,
           "≤ 50 MiB", lambda v: v <= 50)
    single("chart_answer", "10. kernel answer time of `1 + 1` while a live chart follows a 50,000 events/s flood "
           "(median)", "ms", "answer_p50_ms", False, "< 50 ms", lambda v: v < 50)
    single("chart_answer", "10b. the same, p90", "ms", "answer_p90_ms", False)
    single("replay", f"11. replay, speed=None ({sizes.get('replay', 0):,} `inc`, confirmed by `get-count`)",
           "events/s", "rate", True)
    return rows


def machine_info(server: BenchServer | None, quick: bool, elapsed: float | None) -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass

    def version(dist: str) -> str:
        try:
            from importlib.metadata import version as v

            return v(dist)
        except Exception:  # noqa: BLE001
            return "not installed"

    def npm_version(name: str) -> str:
        try:
            return json.loads((NODE_DIR / "node_modules" / name / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            return "?"

    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip() if shutil.which("node") else "?"
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "sio_notebook"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return [
        f"- **Date**: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}"
        + (f" ({'quick' if quick else 'full'} run, {elapsed:.0f} s)" if elapsed is not None else ""),
        f"- **CPU**: {cpu}, {os.cpu_count()} cores{mem}; {platform.system()} {platform.release()}",
        f"- **Python** {platform.python_version()} ({platform.python_implementation()}); "
        f"aiohttp {version('aiohttp')}, python-socketio {version('python-socketio')}, "
        f"python-engineio {version('python-engineio')}, websocket-client {version('websocket-client')}",
        f"- **Server**: Node {node}, socket.io {npm_version('socket.io')} (engine.io {npm_version('engine.io')}, "
        f"ws {npm_version('ws')}), bench/server.js on 127.0.0.1 (one process, shared by all runs)",
        f"- **sio_notebook** {version('sio-notebook')} at git {git or '?'}"
        + (" + uncommitted changes in sio_notebook/" if dirty else ""),
    ]


def render_markdown(rows: list[Row], header: list[str], sizes: dict[str, int], results: dict, quick: bool) -> str:
    out = ["# sio_notebook benchmark results", "", *header, ""]
    out += [
        f"Each cell is the median of {sizes['reps']} repetitions. Every repetition is a fresh interpreter "
        "(bench/worker.py) that warms up first and then measures once; the clients of a scenario are "
        "interleaved round by round (sio, psio, raw, sio, psio, raw, ...). Ratios are sio_notebook / "
        "python-socketio and sio_notebook / raw aiohttp; for µs, s and KiB lower is better, so the "
        "targets there are ≤.",
        "",
        "| Scenario | Unit | sio_notebook | python-socketio | raw aiohttp | sio/psio | sio/raw | Target | Result |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        cells = []
        for c in CLIENTS:
            v, note = r.values.get(c), r.notes.get(c, "")
            cell = fmt(v, r.unit) if v is not None else (note or "—")
            if v is not None and note:
                cell += f" ({note})"
            cells.append(cell)
        rp = ratio_text(r.ratio_psio)
        rr = ratio_text(r.ratio_raw)
        out.append(f"| {r.title} | {r.unit} | {' | '.join(cells)} | {rp} | {rr} | {r.target} | {r.verdict or '—'} |")
    out += ["", "## Details", ""]
    out += [
        "- Flood: the server emits `tick` `{\"i\": i}` 500 at a time, yielding to its event loop in between "
        "(`chunk` option of bench/server.js), so it streams while the client reads; the clock runs from the "
        "`flood` emit to the last `tick` handled. Clients connect with `reconnection=False`.",
        "- Row 1b, raw column: the raw loop starts one task per event for a coroutine handler (what both "
        "libraries must do so that a handler may `await sio.call(...)`).",
        "- Row 2: python-engineio's payload decoder refuses polling responses of more than 16 packets "
        "(`Payload.max_decode_packets`), and the Node server flushes its whole buffer in one response, so "
        "python-socketio's client drops the connection at the first burst.",
        "- Row 6, raw column: the same minimal loop on websocket-client (thread, blocking recv). "
        "python-socketio's `Client` starts one thread per received message.",
        "- Row 7: each repetition in a fresh process: one warm-up connection, then all clients connected at "
        "once (`asyncio.gather`, websocket only, one aiohttp session per client as both libraries do by "
        "default); memory is the VmRSS delta after `gc.collect()`, divided by the number of clients.",
        "- Row 8: the capture's `on_any` listener called directly in a loop inside a running event loop "
        "(no network), then `.df` over 100,000 rows of `{\"i\": i}`; row 8c is a real flood with the capture "
        "attached.",
        "- Rows 9-11 (bench/notebook_data.py, sio_notebook only): 9 feeds a `capture(..., max_rows=1000)` with a "
        "`ParquetSink` through its listener (realistic `{i, symbol, price}` payloads, the loop yielding every "
        "20,000 events); the clock stops when `close()` has written the last file; RSS is sampled every 20,000 "
        "events, after a warm-up in the same process. 10 is a real ipykernel (jupyter_client) connected to "
        "bench/server.js, following bursts of 5,000 `tick` every 100 ms (50,000 events/s) with a live chart "
        "displayed, while the benchmark sends `1 + 1` cells one after another for 6 s. 11 replays rows as `inc` "
        "with `speed=None`; the clock stops at the `get-count` answer (= N).",
        "",
        "CPU accounting (medians): client CPU per event (all threads of the client process) and how busy "
        "the Node server was during the measurement (1.00 = one full core: the server, not the client, "
        "is then the limit).",
        "",
        "| Scenario | Client | client CPU µs/event | client busy | server busy |",
        "|---|---|---:|---:|---:|",
    ]
    for (key, client), res in results.items():
        cpu = median_of(res, "client_cpu_us_per_event")
        if cpu is None:
            continue
        busy, sbusy = median_of(res, "client_busy"), median_of(res, "server_busy")
        out.append(f"| {key} | {client} | {cpu:.1f} | {busy:.2f} | {'—' if sbusy is None else f'{sbusy:.2f}'} |")
    out += ["", "The same CPU cost side by side (client CPU µs per event, medians; the ratio is how many times "
            "less CPU sio_notebook spends per event, so it is comparable to the wall-clock ratios above but "
            "does not depend on how much of a core each process got):", "",
            "| Scenario | sio_notebook | python-socketio | raw | psio/sio | raw/sio |", "|---|---:|---:|---:|---:|---:|"]
    for key, cols in (("recv_ws", CLIENTS), ("recv_ws_coro", CLIENTS), ("recv_poll", CLIENTS), ("emit", CLIENTS),
                      ("sync", ("sio_sync", "psio_sync", "raw_sync"))):
        cpu = [median_of(results.get((key, c)), "client_cpu_us_per_event") for c in cols]
        if cpu[0] is None:
            continue
        cells = ["—" if v is None else f"{v:.1f}" for v in cpu]
        rp = ratio_text(cpu[1] / cpu[0]) if cpu[1] else "—"
        rr = ratio_text(cpu[2] / cpu[0]) if cpu[2] else "—"
        out.append(f"| {key} | {' | '.join(cells)} | {rp} | {rr} |")
    out += ["", "Repetitions (every measured value, in order):", ""]
    for (key, client), res in results.items():
        if "na" in res:
            out.append(f"- {key} / {client}: {res['na']}")
            continue
        units = {"rate": "events/s", "p50_us": "µs", "mb_s": "MB/s", "connect_s": "s", "ingest_rate": "events/s",
                 "answer_p50_ms": "ms"}
        metric = next((m for m in units if res["reps"] and m in res["reps"][0]), None)
        vals = ", ".join(fmt(r[metric], units[metric]) for r in res["reps"]) if metric else "no successful run"
        if metric == "p50_us":
            extra = "; p99 " + ", ".join(fmt(r["p99_us"], "µs") for r in res["reps"])
        extra = extra if metric == "p50_us" else ""
        if metric == "connect_s":
            extra = "; KiB/conn " + ", ".join(f"{r['kib_per_conn']:.1f}" for r in res["reps"])
        if key == "parquet" and res["reps"]:
            extra = "; peak RSS delta MiB " + ", ".join(f"{r['rss_peak_delta_mib']:.1f}" for r in res["reps"])
        if key == "chart_answer" and res["reps"]:
            extra = "; p90 ms " + ", ".join(f"{r['answer_p90_ms']:.1f}" for r in res["reps"]) + "; events/frames " + \
                ", ".join(f"{r['events']:,}/{r['frames']}" for r in res["reps"])
        fails = "; failures: " + "; ".join(f"{f.get('reason')}" + (f" after {f['events']} events" if "events" in f else "")
                                            for f in res["failures"]) if res["failures"] else ""
        out.append(f"- {key} / {client}: {metric or 'result'} = {vals}{extra}{fails}")
    out.append("")
    return "\n".join(out)


def render_chart(rows: list[Row], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if r.ratio_psio is not None or r.ratio_raw is not None]
    if not rows:
        return
    fig, axes = plt.subplots(1, 2, figsize=(15, 0.55 * len(rows) + 2.2), sharey=True)
    labels = [r.title.split(" (")[0] for r in rows]
    y = list(range(len(rows)))[::-1]
    for ax, attr, tattr, name in ((axes[0], "ratio_psio", "target_psio", "sio_notebook / python-socketio"),
                                  (axes[1], "ratio_raw", "target_raw", "sio_notebook / raw aiohttp floor")):
        for yi, r in zip(y, rows, strict=False):
            v = getattr(r, attr)
            if v is None:
                other = r.notes.get("psio" if attr == "ratio_psio" else "raw", "")
                if other.startswith("failed"):
                    ax.text(0.11, yi, f"{LABEL['psio' if attr == 'ratio_psio' else 'raw']} {other.split(' (')[0]}",
                            va="center", fontsize=8, color="#d1495b")
                continue
            target = getattr(r, tattr)
            ok = None if target is None else (v >= target[1] if target[0] == ">=" else v <= target[1])
            color = "#9aa5b1" if ok is None else ("#2e9d5b" if ok else "#d1495b")
            ax.barh(yi, v, color=color, height=0.6)
            ax.text(v * 1.04, yi, ratio_text(v) + ("  (lower is better)" if not r.higher_better else ""),
                    va="center", fontsize=8)
            if target is not None:
                ax.plot([target[1], target[1]], [yi - 0.4, yi + 0.4], color="black", lw=2)
                ax.text(target[1], yi + 0.36, f"{'≥' if target[0] == '>=' else '≤'}{target[1]:g}", fontsize=7,
                        ha="center", va="bottom")
        ax.axvline(1.0, color="#555", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("ratio (log scale); black tick = target; green = PASS, red = MISS, grey = no target")
        ax.set_xlim(0.1, 100)
    axes[0].set_yticks(y)
    axes[0].set_yticklabels(labels, fontsize=8)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ====================================================================== main


def loadavg() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def wait_for_idle(limit: float) -> None:
    deadline = time.monotonic() + limit
    while loadavg() >= 1.0 and time.monotonic() < deadline:
        print(f"waiting for the machine to settle (load average {loadavg():.2f})", flush=True)
        time.sleep(min(10.0, max(0.1, deadline - time.monotonic())))


def summarize(res: dict[str, Any], reps_before: int, failures_before: int) -> str:
    if "na" in res:
        return res["na"]
    new = res["reps"][reps_before:]
    if new:
        return ", ".join(f"{k}={v:,.1f}" for k, v in new[-1].items() if isinstance(v, (int, float)) and k in
                         ("rate", "p50_us", "p99_us", "mb_s", "connect_s", "kib_per_conn", "ingest_rate", "df_seconds",
                          "rss_peak_delta_mib", "answer_p50_ms", "answer_p90_ms"))
    return "; ".join(f.get("reason", "?") + (f" after {f['events']} events" if "events" in f else "")
                     for f in res["failures"][failures_before:])



def write_outputs(out_dir: Path, rows: list[Row], header: list[str], sizes: dict[str, int],
                  results: dict[tuple[str, str], dict[str, Any]], quick: bool) -> str:
    markdown = render_markdown(rows, header, sizes, results, quick)
    (out_dir / "RESULTS.md").write_text(markdown)
    render_chart(rows, out_dir / "chart.png", f"sio_notebook benchmark ratios ({'quick' if quick else 'full'} run)")
    return markdown


def render_only(out_dir: Path) -> int:
    data = json.loads((out_dir / "results.json").read_text())
    results = {(r["key"], r["client"]): {k: v for k, v in r.items() if k not in ("key", "client")}
               for r in data["results"]}
    rows = make_rows(results, data["sizes"])
    markdown = write_outputs(out_dir, rows, data.get("header", []), data["sizes"], results, data["quick"])
    print(markdown.split("## Details")[0])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts: about 2 minutes")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SCENARIOS)}")
    parser.add_argument("--out", default=str(BENCH / "results"), help="output folder (default bench/results)")
    parser.add_argument("--render", action="store_true",
                        help="measure nothing: rebuild RESULTS.md and chart.png from OUT/results.json")
    parser.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                        help="first wait up to SECONDS for the 1-minute load average to drop below 1")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    if only and only - set(SCENARIOS):
        parser.error(f"unknown scenarios {sorted(only - set(SCENARIOS))}; choose from {','.join(SCENARIOS)}")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.render:
        return render_only(out_dir)

    if args.wait_idle > 0:
        wait_for_idle(args.wait_idle)
    started = time.perf_counter()
    load = [loadavg()]
    load_launcher().ensure_node_modules()
    sizes = plan_sizes(args.quick)
    groups = build_jobs(sizes, only)
    server = BenchServer()
    results: dict[tuple[str, str], dict[str, Any]] = {}
    try:
        # Warm the server's JIT so the first client measured does not pay for it.
        warm = Job("warm", "raw", {"scenario": "recv", "transport": "websocket", "handler": "plain", "client": "raw",
                                   "n": sizes["recv_ws"] // 4, "warmup": 1000, "reps": 1, "budget": 60.0}, timeout=120)
        run_worker(warm, server)
        for group in groups:
            for round_no in range(sizes["reps"]):
                for job in group:
                    res = results.setdefault((job.key, job.client), {"reps": [], "failures": []})
                    if "na" in res:
                        continue
                    t = time.perf_counter()
                    print(f"[{t - started:6.1f}s] {job.key:<12} {job.client:<9} #{round_no + 1}", end=" ", flush=True)
                    before = (len(res["reps"]), len(res["failures"]))
                    run_worker(job, server, res)
                    print(f"({time.perf_counter() - t:4.1f}s) {summarize(res, *before)}", flush=True)
        load.append(loadavg())
    finally:
        server.stop()
    elapsed = time.perf_counter() - started
    rows = make_rows(results, sizes)
    header = machine_info(server, args.quick, elapsed)
    header.append(f"- **Load average** (1 min) at start / end: {load[0]:.2f} / {load[-1]:.2f} — other processes "
                  "compete for the cores when this is above ~1, and the numbers are noisier")
    markdown = write_outputs(out_dir, rows, header, sizes, results, args.quick)
    (out_dir / "results.json").write_text(json.dumps(
        {"sizes": sizes, "quick": args.quick, "elapsed_s": elapsed, "header": header,
         "results": [{"key": k, "client": c, **v} for (k, c), v in results.items()]}, indent=1))
    print()
    print(markdown.split("## Details")[0])
    print(f"wrote {out_dir / 'RESULTS.md'}, {out_dir / 'chart.png'}, {out_dir / 'results.json'} in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
