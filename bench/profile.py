"""Profile sio_notebook's hot paths: ``.venv/bin/python bench/profile.py [--n 300000]``.

Starts bench/server.js, runs bench/worker.py (sio_notebook AsyncClient) for

* ``recv``: websocket receive of a ``tick`` flood with a plain handler (benchmark row 1),
* ``emit``: ``emit('inc')`` N times then ``call('get-count')`` (row 3),
* ``ack``:  sequential ``call('echo', i)`` (row 4),

each under py-spy (sampling from outside the process, 1 kHz; needs ``pip install py-spy``),
and writes bench/results/PROFILE.md: per scenario, the functions with the most *own* time
(where the CPU actually is) and the most *inclusive* time (what they and their callees cost),
as percentages of the samples in which the client was busy (not waiting in select()). Imports and
connection set-up are left out (stacks under the import machinery or ``connect``).
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from run import BenchServer, load_launcher  # noqa: E402

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")
SKIP = ("_find_and_load", "lib_connect", "RawWS.open", "AsyncClient.connect", "_call_with_frames_removed")


def short(file: str) -> str:
    for marker in ("site-packages/", "/lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return file.replace(str(ROOT) + "/", "")


IDLE = ("EpollSelector.select", "PollSelector.select", "SelectSelector.select")


def aggregate(raw: str) -> tuple[int, int, collections.Counter, collections.Counter, collections.Counter]:
    """(busy samples, idle samples, own, inclusive, own by area); idle = the loop waiting in select()."""
    idle = 0
    own: collections.Counter = collections.Counter()
    incl: collections.Counter = collections.Counter()
    by_area: collections.Counter = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        if any(s in stack for s in SKIP):
            continue
        n = int(count)
        frames = []
        for part in stack.split(";"):
            m = FRAME.match(part)
            if m:
                frames.append(f"{m['func']} ({short(m['file'])})")
        if not frames:
            continue
        if frames[-1].startswith(IDLE):
            idle += n
            continue
        total += n
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
        leaf = frames[-1]
        area = ("sio_notebook" if "sio_notebook/" in leaf else "aiohttp" if "aiohttp/" in leaf
                else "asyncio" if "asyncio/" in leaf else "json" if "json/" in leaf
                else "benchmark handler" if "worker.py" in leaf else "other")
        by_area[area] += n
    return total, idle, own, incl, by_area


def profile(scenario: dict, server: BenchServer, rate: int, out_dir: Path, keep: bool) -> str:
    spec = {**scenario, "url": server.url, "server_pid": server.pid, "reps": 1, "client": "sio"}
    pyspy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if pyspy is None:
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as tmp:
        raw_path = Path(tmp.name)
    cmd = [pyspy, "record", "-r", str(rate), "-f", "raw", "-o", str(raw_path), "--",
           sys.executable, str(BENCH / "worker.py"), json.dumps(spec)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    result_line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), "")
    raw = raw_path.read_text() if raw_path.exists() else ""
    if keep:  # py-spy's collapsed stacks (MBs), for flamegraph tools
        (out_dir / f"profile-{scenario['name']}.folded").write_text(raw)
    raw_path.unlink(missing_ok=True)
    total, idle, own, incl, by_area = aggregate(raw)
    lines = [f"## {scenario['name']}: {scenario['title']}", ""]
    if result_line:
        res = json.loads(result_line[7:])
        rep = (res.get("reps") or [{}])[0]
        shown = {k: round(v, 1) for k, v in rep.items() if isinstance(v, (int, float))}
        lines += [f"Measured under the profiler: `{json.dumps(shown)}`", ""]
    if not total:
        return "\n".join(lines + ["(no samples: " + proc.stderr[-500:] + ")", ""])
    lines += [f"{total:,} busy samples (+{idle:,} with the event loop idle in select(), left out of the "
              "percentages). Own time by area (leaf frame): "
              + ", ".join(f"{a} {100 * c / total:.1f}%" for a, c in by_area.most_common()), ""]
    lines += ["| own % | function (file) |", "|---:|---|"]
    lines += [f"| {100 * c / total:.1f} | `{f}` |" for f, c in own.most_common(25)]
    lines += ["", "| inclusive % | function (file) |", "|---:|---|"]
    shown = [(f, c) for f, c in incl.most_common(60) if not f.startswith(("<module>", "main (", "run (", "Runner.run",
                                                                             "BaseEventLoop.run_", "run_reps", "main.<locals>"))]
    lines += [f"| {100 * c / total:.1f} | `{f}` |" for f, c in shown[:30]]
    lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300_000, help="events for recv (emit uses n/2, ack n/100)")
    parser.add_argument("--rate", type=int, default=1000, help="py-spy samples per second")
    parser.add_argument("--out", default=str(BENCH / "results"))
    parser.add_argument("--keep-stacks", action="store_true",
                        help="also write OUT/profile-*.folded (py-spy collapsed stacks, for flamegraph tools)")
    args = parser.parse_args()
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    load_launcher().ensure_node_modules()
    scenarios = [
        {"name": "recv", "title": f"websocket receive, plain handler, {args.n:,} events", "scenario": "recv",
         "transport": "websocket", "handler": "plain", "n": args.n, "warmup": 1000, "budget": 120},
        {"name": "emit", "title": f"emit('inc') x {args.n // 2:,} then call('get-count')", "scenario": "emit",
         "n": args.n // 2, "warmup": 1000, "budget": 120},
        {"name": "ack", "title": f"{args.n // 100:,} sequential call('echo', i)", "scenario": "ack",
         "n": args.n // 100, "warmup": 100, "budget": 60},
    ]
    server = BenchServer()
    sections = []
    try:
        for sc in scenarios:
            print(f"profiling {sc['name']} ...", flush=True)
            sections.append(profile(sc, server, args.rate, out_dir, args.keep_stacks))
    finally:
        server.stop()
    intro = __doc__.split("\n\n", 1)[1].split("\n\n")[1]
    text = "# sio_notebook hot-path profiles (py-spy)\n\n" + intro + "\n\n" + "\n".join(sections)
    (out_dir / "PROFILE.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
