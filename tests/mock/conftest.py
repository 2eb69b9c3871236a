"""The session the mock tests serve: recorded from the official Node server, then that server is stopped.

``recorded`` is a Parquet dataset written by a capture with outgoing rows (``outgoing=True``),
made by our AsyncClient against a private Node socket.io 4.8.4 peer (tests/peers/node):

* on ``/``: the peer's ``auth`` and ``handshake`` events, a plain emit (``message`` ->
  ``message-back``), calls of ``echo`` with three different payloads (one of them binary, one
  of two arguments) and a ``flood`` call that makes the server send five binary ``tick``
  events and ``flood-done``;
* on ``/custom``: ``auth``, ``handshake`` and one ``echo`` call.

The calls go through :class:`~sio_notebook.notebook.views.pending.Pending` (what ``%sio call`` uses),
so the capture records their acks. The peer is stopped before any test runs: every mock
test serves the dataset with no original server running.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from peers.launcher import start_server

from sio_notebook import AsyncClient
from sio_notebook.notebook import Capture, capture
from sio_notebook.notebook.views.pending import Pending

NODE_DIR = Path(__file__).resolve().parent / "node"

#: The calls made while recording, in order: (namespace, event, data). A tuple is several arguments.
CALLS: list[tuple[str, str, Any]] = [
    ("/", "echo", {"x": 1}),
    ("/", "echo", {"x": 2, "tags": ["a", "b"]}),
    ("/", "echo", b"\x00\x01\xfe\xff"),
    ("/", "echo", ("two", 2)),
    ("/", "flood", {"count": 5, "binary": True, "size": 8}),
    ("/custom", "echo", {"where": "custom"}),
]


async def _record(url: str, path: Path) -> None:
    client = AsyncClient()
    cap = capture(client, outgoing=True, path=path)
    try:
        await client.connect(url, namespaces=["/", "/custom"], transports=["websocket"])
        await client.emit("message", "hi")
        for namespace, event, data in CALLS:
            await Pending(client, "call", event, data, namespace=namespace, timeout=5)
        # flood-done comes before flood's ack; message-back before echo's: everything the
        # server sends is in once the last ack is (one connection, in order)
        await cap.wait_for(len(cap), timeout=5)
    finally:
        cap.stop()  # flushes the dataset
        cap.store.close()
        await client.disconnect()


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The recorded dataset (see the module docstring); its Node server is already stopped."""
    path = tmp_path_factory.mktemp("mock") / "session.parquet"
    node = start_server("node")
    try:
        asyncio.run(_record(node.url, path))
    finally:
        node.stop()
    return path


@pytest.fixture(scope="session")
def recorded_capture(recorded: Path) -> Capture:
    """The dataset read back (what the mock serves), to compare the clients' view with."""
    return Capture.load(recorded)


def expected_events(cap: Capture, namespace: str = "/") -> list[tuple[str, tuple[Any, ...]]]:
    """The server events recorded on ``namespace``, in order."""
    return [(row.event, row.args) for row in cap if row.direction == "in" and row.namespace == namespace]


def from_js(value: Any) -> Any:
    """Undo client.js's JSON form of bytes ({"$bytes": hex})."""
    if isinstance(value, list):
        return [from_js(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return bytes.fromhex(value["$bytes"])
        return {k: from_js(v) for k, v in value.items()}
    return value


@pytest.fixture(scope="session")
def js_client() -> Iterator[Any]:
    """``js_client(config) -> dict``: runs tests/mock/node/client.js (socket.io-client 4.8.4)."""
    node = shutil.which("node")
    assert node, "Node is needed for the JS client tests"
    if not (NODE_DIR / "node_modules" / ".sio-installed").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True)
        (NODE_DIR / "node_modules" / ".sio-installed").touch()

    def run(config: dict[str, Any]) -> dict[str, Any]:
        done = subprocess.run(
            [node, str(NODE_DIR / "client.js"), json.dumps(config)], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr + done.stdout
        result: dict[str, Any] = from_js(json.loads(done.stdout.strip().splitlines()[-1]))
        return result

    yield run
