"""A real cluster for the tests: Redis, Node socket.io workers sharing the Redis adapter, HAProxy.

Everything is started here, on 127.0.0.1 and free ports, and stopped by ``Cluster.stop()``::

    with start_cluster(workers=2) as cluster:
        cluster.sticky_url   # http://127.0.0.1:P: `cookie SERVERID insert indirect nocache`
        cluster.plain_url    # http://127.0.0.1:Q: the same workers, no stickiness at all
        cluster.kill("w1")   # SIGKILL one worker, as a crash would

HAProxy's configuration is what issue 17 tried as a new user would (``balance roundrobin``,
the SERVERID cookie) plus what a production setup has: health checks, ``option redispatch``
and two retries. The binaries are Debian's ``haproxy`` and ``redis-server``; when one is
missing, :func:`require_binaries` fails (CI must run these tests) or skips outside CI.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CLUSTER_DIR = Path(__file__).resolve().parent
NODE_DIR = CLUSTER_DIR / "node"
START_TIMEOUT = 20.0
BINARIES = ("haproxy", "redis-server")
_STAMP = ".sio-installed"


def require_binaries() -> None:
    """Fail loudly in CI (CI=true) if HAProxy or Redis is missing; skip, saying so, elsewhere."""
    missing = [name for name in BINARIES if shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin") is None]
    if not missing:
        return
    message = f"the cluster tests need Debian's {' and '.join(missing)} (apt-get install haproxy redis-server)"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def ensure_node_modules() -> None:
    """``npm ci`` in tests/cluster/node unless it is up to date with package-lock.json."""
    lock, stamp = NODE_DIR / "package-lock.json", NODE_DIR / "node_modules" / _STAMP
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not on PATH: the cluster's Node workers need Node 20 and npm")
    result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"npm ci failed in {NODE_DIR}:\n{result.stdout}\n{result.stderr}")
    stamp.touch()


def free_port() -> int:
    """A TCP port nothing listens on now (for the programs that cannot take port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited ({process.returncode}):\n{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)  # polling a port that has no event to await
    raise RuntimeError(f"{what} did not listen on {port} within {START_TIMEOUT} s:\n{log.read_text(errors='replace')}")


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    port: int


@dataclass
class Cluster:
    """The running processes and the two front doors (see the module docstring)."""

    directory: Path
    sticky_port: int = 0
    plain_port: int = 0
    workers: dict[str, Worker] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def sticky_url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.sticky_port}"

    def plain_url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.plain_port}"

    def kill(self, name: str) -> None:
        """SIGKILL a worker: no close frame, no FIN from socket.io, as a crash."""
        worker = self.workers[name]
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait(5)

    def stop(self) -> None:
        """Everything, newest first (HAProxy, the workers, then Redis)."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
            if process.stdin is not None:
                process.stdin.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def spawn(self, args: list[str], log_name: str, cwd: Path | None = None) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.directory / log_name
        with open(log, "wb") as out:
            process = subprocess.Popen(args, cwd=cwd, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process, log


HAPROXY_CONFIG = """\
global
    maxconn 256

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 60s
    retries 2
    option redispatch

frontend sticky
    bind 127.0.0.1:{sticky_port}
    default_backend sticky_workers

frontend plain
    bind 127.0.0.1:{plain_port}
    default_backend plain_workers

backend sticky_workers
    balance roundrobin
    cookie SERVERID insert indirect nocache
{sticky_servers}

backend plain_workers
    balance roundrobin
{plain_servers}
"""


def haproxy_config(sticky_port: int, plain_port: int, workers: dict[str, int]) -> str:
    """The HAProxy configuration for ``workers`` (name -> port)."""
    sticky = "\n".join(f"    server {n} 127.0.0.1:{p} cookie {n} check" for n, p in workers.items())
    plain = "\n".join(f"    server {n} 127.0.0.1:{p} check" for n, p in workers.items())
    return HAPROXY_CONFIG.format(sticky_port=sticky_port, plain_port=plain_port, sticky_servers=sticky, plain_servers=plain)


def _start_worker(cluster: Cluster, name: str, redis_url: str) -> Worker:
    process, log = cluster.spawn(["node", "worker.js", f"--name={name}", f"--redis={redis_url}"], f"{name}.log", NODE_DIR)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if text.startswith("listening "):
            return Worker(name, process, int(text.split()[1]))
        if process.poll() is not None:
            break
        time.sleep(0.05)  # the worker's one line; a file has no event to await
    raise RuntimeError(f"worker {name} did not start:\n{log.read_text(errors='replace')}")


@contextlib.contextmanager
def start_cluster(workers: int = 2) -> Iterator[Cluster]:
    """Redis, ``workers`` Node workers (``w1``, ``w2``, ...) and HAProxy; all stopped on exit."""
    require_binaries()
    ensure_node_modules()
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="sio-cluster-")))
    try:
        redis_port = free_port()
        redis, log = cluster.spawn(
            [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(cluster.directory)], "redis.log")
        _wait_for_port(redis_port, redis, "redis-server", log)
        for i in range(1, workers + 1):
            worker = _start_worker(cluster, f"w{i}", f"redis://127.0.0.1:{redis_port}")
            cluster.workers[worker.name] = worker
        cluster.sticky_port, cluster.plain_port = free_port(), free_port()
        config = cluster.directory / "haproxy.cfg"
        config.write_text(haproxy_config(cluster.sticky_port, cluster.plain_port,
                                         {w.name: w.port for w in cluster.workers.values()}))
        haproxy_bin = shutil.which("haproxy", path=os.environ.get("PATH", "") + ":/usr/sbin") or "haproxy"
        haproxy, log = cluster.spawn([haproxy_bin, "-db", "-f", str(config)], "haproxy.log")
        _wait_for_port(cluster.sticky_port, haproxy, "haproxy", log)
        _wait_for_port(cluster.plain_port, haproxy, "haproxy", log)
        yield cluster
    finally:
        cluster.stop()
