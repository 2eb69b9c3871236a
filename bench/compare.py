"""Compare commits on the same machine, in one run: ``.venv/bin/python bench/compare.py BASE [BASE...]``.

Checks that a change did not slow the client down (issue 12: "benchmarks in the same
run show no regression against the commit before"). Each commit given is checked out
in a temporary git worktree; then bench/run.py runs from each tree in turn, round after
round (``--rounds``), so that a change of the machine's load hits every tree alike. The
working tree (``HEAD`` plus uncommitted changes) is always one of them.

Reported per scenario and tree: client CPU per event (µs) for the rate scenarios, and
KiB per connection for ``many``. The *minimum* over all repetitions is the estimate
(on a shared machine noise only ever adds time); the first quartile is shown beside it.
python-socketio and raw aiohttp run in the same rounds: their numbers do not depend on
our code, so they show how much of a difference is the machine.

Options: ``--rounds N`` (3), ``--only`` (``recv_ws,recv_poll,emit,many``), ``--quick``,
``--out DIR`` (``bench/results/compare``: ``COMPARE.md`` and every run's output).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
NODE_MODULES = Path("tests") / "peers" / "node" / "node_modules"


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def add_worktree(rev: str, parent: Path) -> Path:
    tree = parent / rev.replace("/", "_")
    git("worktree", "add", "--detach", "-f", str(tree), rev)
    # A copy, not a symlink: bench/run.py may `npm ci` there, which empties the folder first.
    if (ROOT / NODE_MODULES).is_dir():
        shutil.copytree(ROOT / NODE_MODULES, tree / NODE_MODULES, symlinks=True)
    return tree


def run_bench(tree: Path, out: Path, only: str, quick: bool) -> dict[str, object]:
    cmd = [sys.executable, "bench/run.py", "--only", only, "--out", str(out)] + (["--quick"] if quick else [])
    with open(out.with_suffix(".log"), "w") as log:
        subprocess.run(cmd, cwd=tree, check=True, stdout=log, stderr=subprocess.STDOUT, timeout=1800)
    return json.loads((out / "results.json").read_text())


def summarise(runs: dict[str, list[dict[str, object]]]) -> list[str]:
    samples: dict[tuple[str, str], dict[str, list[float]]] = {}
    for label, results in runs.items():
        for result in results:
            for res in result["results"]:  # type: ignore[attr-defined]
                metric = "kib_per_conn" if res["key"] == "many" else "client_cpu_us_per_event"
                for rep in res["reps"]:
                    if metric in rep:
                        samples.setdefault((res["key"], res["client"]), {}).setdefault(label, []).append(rep[metric])
    labels = list(runs)
    base = labels[0]
    lines = [
        "| scenario | client | " + " | ".join(f"{lab} min (q1)" for lab in labels)
        + " | " + " | ".join(f"{lab}/{base}" for lab in labels[1:]) + " |",
        "|---|---|" + "---:|" * (2 * len(labels) - 1),
    ]
    for (key, client), by_tree in sorted(samples.items()):
        unit = "KiB/conn" if key == "many" else "µs/event"
        cells, mins = [], {}
        for lab in labels:
            values = sorted(by_tree.get(lab, []))
            if not values:
                cells.append("–")
                continue
            mins[lab] = values[0]
            q1 = statistics.quantiles(values, n=4)[0] if len(values) > 1 else values[0]
            cells.append(f"{values[0]:.2f} ({q1:.2f}) {unit}, n={len(values)}")
        ratios = [f"{mins[lab] / mins[base]:.3f}" if lab in mins and base in mins else "–" for lab in labels[1:]]
        lines.append(f"| {key} | {client} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("revs", nargs="+", help="commits to compare with the working tree (the first is the baseline)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="recv_ws,recv_poll,emit,many")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(BENCH / "results" / "compare"))
    args = parser.parse_args()
    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    head = git("rev-parse", "--short", "HEAD") + ("+changes" if git("status", "--porcelain", "--", "sio_notebook") else "")
    with tempfile.TemporaryDirectory(prefix="sio-compare-") as tmp:
        trees = {git("rev-parse", "--short", rev): add_worktree(rev, Path(tmp)) for rev in args.revs}
        trees[head] = ROOT
        runs: dict[str, list[dict[str, object]]] = {label: [] for label in trees}
        try:
            for round_no in range(1, args.rounds + 1):
                for label, tree in trees.items():
                    print(f"round {round_no}/{args.rounds}: {label}", flush=True)
                    runs[label].append(run_bench(tree, out / f"{label}-{round_no}", args.only, args.quick))
        finally:
            for tree in trees.values():
                if tree != ROOT:
                    git("worktree", "remove", "--force", str(tree))
    table = summarise(runs)
    text = "\n".join([
        f"# Same-run comparison: {', '.join(trees)}",
        "",
        f"`bench/compare.py {' '.join(args.revs)} --rounds {args.rounds} --only {args.only}"
        f"{' --quick' if args.quick else ''}`: every tree once per round, {args.rounds} rounds; each run "
        "repeats each scenario (bench/run.py). Minimum over all repetitions, first quartile in brackets; "
        "the ratios compare minimums with the first tree. python-socketio (psio) and raw aiohttp (raw) "
        "do not depend on our code: their spread is the machine's.",
        "",
        *table,
        "",
    ])
    (out / "COMPARE.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
