"""Start and control the test peers: the official Node server and python-socketio's server.

Both peers implement the same contract (see ``node/server.js`` and ``python_server.py``). Typical use::

    handle = start_server("node", ping_interval=2000, recovery=True)
    ...  # connect to handle.url
    handle.pause(); handle.resume()  # SIGSTOP / SIGCONT: a dead-but-connected server
    handle.restart()                 # a fresh process on the same port
    handle.stop()

Keyword options become ``--kebab-case=value`` arguments: ``True`` is a bare flag, ``False``/``None``
are left out and lists are joined with commas (``transports=["polling", "websocket"]``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Literal

__all__ = ["NODE_DIR", "PYTHON_SERVER", "ServerHandle", "ServerStartError", "ensure_node_modules", "start_server"]

PEERS_DIR = Path(__file__).resolve().parent
NODE_DIR = PEERS_DIR / "node"
PYTHON_SERVER = PEERS_DIR / "python_server.py"
START_TIMEOUT = 20.0
Kind = Literal["node", "python"]

# Written into node_modules once `npm ci` succeeded; its mtime is compared with package-lock.json.
_STAMP = ".sio-notebook-npm-ci"


class ServerStartError(RuntimeError):
    """The peer exited, or did not print its ``listening`` line in time."""


def ensure_node_modules() -> None:
    """Run ``npm ci`` in tests/peers/node unless node_modules is newer than package-lock.json.

    A lock file (in the temp dir, keyed on the folder) serialises parallel callers such as
    pytest-xdist workers: the second one waits and then finds node_modules up to date.
    """
    lock = NODE_DIR / "package-lock.json"
    stamp = NODE_DIR / "node_modules" / _STAMP

    def fresh() -> bool:
        return stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime

    if fresh():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not on PATH: the Node test peer needs Node 20 and npm")
    key = hashlib.sha1(str(NODE_DIR).encode()).hexdigest()[:12]
    lock_path = Path(tempfile.gettempdir()) / f"sio-notebook-npm-ci-{key}.lock"
    with open(lock_path, "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            if fresh():
                return
            result = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=NODE_DIR, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600,
            )
            if result.returncode != 0:
                raise RuntimeError(f"npm ci failed in {NODE_DIR}:\n{result.stdout}\n{result.stderr}")
            stamp.touch()
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _arguments(options: dict[str, Any]) -> list[str]:
    args = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        elif value is None or value is False:
            continue
        elif isinstance(value, (list, tuple)):
            args.append(f"{flag}={','.join(map(str, value))}")
        else:
            args.append(f"{flag}={value}")
    return args


class ServerHandle:
    """A running peer process. ``url`` is ``http://127.0.0.1:PORT``."""

    def __init__(self, kind: Kind, options: dict[str, Any]) -> None:
        self.kind: Kind = kind
        self.options = dict(options)
        self.port: int = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._stderr = None
        self._output: list[str] = []

    # Public API

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM (after SIGCONT, in case it is paused), then SIGKILL if it does not exit."""
        if not self.running:
            return
        self._signal(signal.SIGCONT)
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL: the server vanishes without closing anything cleanly."""
        if self.running:
            self._signal(signal.SIGKILL)
            self.process.wait(5)

    def pause(self) -> None:
        """SIGSTOP: connections stay open but nothing is answered (no pings either)."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after ``pause()``."""
        self._signal(signal.SIGCONT)

    def restart(self, **options: Any) -> ServerHandle:
        """Stop the process if it runs, then start it again on the same port (options may be changed)."""
        self.stop()
        self.options.update(options)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self._start(self.port)
                return self
            except ServerStartError as exc:  # the port may still be held a moment by the old process
                if "EADDRINUSE" not in str(exc) and "address already in use" not in str(exc).lower():
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stderr_text(self) -> str:
        """Everything the current process wrote to stderr so far."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<ServerHandle {self.kind} {self.url} {state}>"

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Private methods

    def _command(self, port: int) -> list[str]:
        args = _arguments({**self.options, "port": port})
        if self.kind == "node":
            node = shutil.which("node")
            if node is None:
                raise RuntimeError("node is not on PATH: the Node test peer needs Node 20")
            return [node, str(NODE_DIR / "server.js"), *args]
        if self.kind == "python":
            return [sys.executable, str(PYTHON_SERVER), *args]
        raise ValueError(f"unknown server kind {self.kind!r} (expected 'node' or 'python')")

    def _signal(self, signum: int) -> None:
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signum)

    def _start(self, port: int) -> None:
        if self._stderr is not None:
            self._stderr.close()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - kept for error reports after the peer exits; closed on restart
        self._output = []
        # stdin is a pipe we never write to: when this process dies the peer sees EOF and exits.
        self.process = subprocess.Popen(
            self._command(port), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            cwd=PEERS_DIR, start_new_session=True,
        )
        ready = threading.Event()
        process = self.process
        found: list[int] = []

        def read_stdout() -> None:  # keeps draining stdout so the peer can never block on it
            for raw in process.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self._output.append(line)
                if line.startswith("listening ") and not found:
                    found.append(int(line.split()[1]))
                    ready.set()
            ready.set()

        threading.Thread(target=read_stdout, name=f"{self.kind}-peer-stdout", daemon=True).start()
        ready.wait(START_TIMEOUT)
        if found and self.process.poll() is None:
            self.port = found[0]
            return
        running = self.process.poll() is None
        self.kill()
        why = "did not print 'listening <port>' in time" if running else "exited"
        raise ServerStartError(
            f"{self.kind} peer {why} (exit code {self.process.returncode}): "
            f"{' '.join(self._command(port))}\nstdout: {self._output}\nstderr:\n{self.stderr_text()}"
        )


def start_server(kind: Kind, **options: Any) -> ServerHandle:
    """Start a peer (``"node"`` or ``"python"``) and wait up to 20 s until it listens.

    Options: ``port`` (0 picks a free one), ``ping_interval``/``ping_timeout`` (ms),
    ``max_http_buffer_size``, ``transports`` (list), and Node-only ``recovery`` (bool) and
    ``parser`` (``"msgpack"``). Raises ServerStartError with the peer's stderr if it fails.
    """
    if kind == "node":
        ensure_node_modules()
    port = int(options.pop("port", 0))
    handle = ServerHandle(kind, options)
    handle._start(port)
    return handle
