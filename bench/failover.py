"""Failover time behind HAProxy: SIGKILL the worker a client is on, time until it is connected again.

Issue 17 §2. A fresh cluster per trial (tests/cluster/launcher.py: Redis, Node socket.io workers
sharing the Redis adapter, HAProxy with ``balance roundrobin``, ``cookie SERVERID insert
indirect nocache``, health checks, ``option redispatch``, two retries). The client connects
through the sticky front door with the default transports (polling, upgraded to WebSocket),
asks which worker it is on, that worker is SIGKILLed, and the clock runs from the kill to the
client's next ``connect`` event. Every client keeps its default reconnection delays (1 s,
randomisation 0.5), so the times include that wait: the same for every client. ``--delay 0.05``
sets a short delay with no randomisation, which leaves the balancer's part of the time.

    .venv/bin/python bench/failover.py --client sio_notebook --host localhost --trials 10
    .venv/bin/python bench/failover.py --client python-socketio --host 127.0.0.1 --trials 10

``--client sio_notebook`` runs the sio_notebook that Python imports: to measure another
commit, put its tree first on PYTHONPATH (``PYTHONPATH=/path/to/other/tree``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from cluster.launcher import start_cluster  # noqa: E402


def one_trial(client_kind: str, host: str, workers: int, delay: float | None, users_session: bool) -> float:
    if client_kind == "python-socketio":
        import socketio
    else:
        import sio_notebook as socketio
    with start_cluster(workers) as cluster:
        options: dict[str, object] = {} if delay is None else {"reconnection_delay": delay, "randomization_factor": 0}
        if users_session:
            import requests

            options["http_session"] = requests.Session()
        client = socketio.Client(**options)
        connected = threading.Event()
        client.on("connect", connected.set)
        client.connect(cluster.sticky_url(host), wait_timeout=10)
        try:
            deadline = time.monotonic() + 10
            while client.transport() != "websocket":  # the upgrade (no event reports it)
                if time.monotonic() > deadline:
                    raise RuntimeError("no upgrade to WebSocket within 10 s")
                time.sleep(0.01)
            name = client.call("whoami", timeout=5)
            connected.clear()
            start = time.monotonic()
            cluster.kill(name)
            if not connected.wait(30):
                raise RuntimeError("no reconnection within 30 s")
            took = time.monotonic() - start
            again = client.call("whoami", timeout=5)
            assert again != name, (again, name)
            return took
        finally:
            client.disconnect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--client", choices=["sio_notebook", "python-socketio"], default="sio_notebook")
    parser.add_argument("--host", default="localhost", help="how the client names the balancer (localhost, 127.0.0.1)")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--delay", type=float, default=None,
                        help="reconnection_delay with no randomisation (default: each client's own, 1 s +-50%%)")
    parser.add_argument("--requests-session", action="store_true",
                        help="give the client http_session=requests.Session() (its jar keeps cookies of names)")
    args = parser.parse_args()
    times = []
    for _ in range(args.trials):
        try:
            times.append(one_trial(args.client, args.host, args.workers, args.delay, args.requests_session))
        except Exception as exc:  # noqa: BLE001 - a failed trial is reported, not hidden
            print(f"trial failed: {type(exc).__name__}: {exc}", flush=True)
            continue
        print(f"{times[-1]:.2f} s", flush=True)
    if times:
        where = ""
        if args.client == "sio_notebook":
            where = "sio_notebook from " + str(Path(__import__("sio_notebook").__file__).parent)
        delay = "default delay" if args.delay is None else f"delay {args.delay} s"
        if args.requests_session:
            delay += ", requests.Session"
        print(f"{args.client} via {args.host}, {delay}, {len(times)}/{args.trials} trials: min {min(times):.2f} s, "
              f"median {statistics.median(times):.2f} s, max {max(times):.2f} s {where}")


if __name__ == "__main__":
    main()
