"""Fixtures of the fault-injection tests.

* ``stream_server``: tests/faults/stream_server.js (Node socket.io 4.8.4, connection state
  recovery on, pingInterval/pingTimeout 1000 ms), module-scoped.
* ``proxy_to(port)``: a started :class:`~faults.proxy.Proxy` in front of a port, closed at teardown.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from peers.launcher import ServerHandle, ensure_node_modules

from .proxy import Proxy

STREAM_SERVER = Path(__file__).resolve().parent / "stream_server.js"


class ScriptHandle(ServerHandle):
    """A ServerHandle (start/stop/kill/pause/restart) for a Node script of this folder."""

    def __init__(self, script: Path, options: dict[str, Any]) -> None:
        super().__init__("node", options)
        self.script = script

    def _command(self, port: int) -> list[str]:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not on PATH")
        args = [f"--{k.replace('_', '-')}={v}" for k, v in {**self.options, "port": port}.items()]
        return [node, str(self.script), *args]


def start_script(script: Path, **options: Any) -> ScriptHandle:
    ensure_node_modules()
    handle = ScriptHandle(script, options)
    handle._start(0)
    return handle


@pytest.fixture(scope="module")
def stream_server() -> Iterator[ScriptHandle]:
    handle = start_script(STREAM_SERVER, ping_interval=1000, ping_timeout=1000)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def proxy_to() -> Iterator[Callable[[int], Proxy]]:
    proxies: list[Proxy] = []

    def start(port: int) -> Proxy:
        proxy = Proxy(port).start()
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        proxy.close()
