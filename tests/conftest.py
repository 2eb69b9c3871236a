"""Shared fixtures: the test peers (official Node socket.io server and python-socketio's server).

Session-scoped servers are shared by many tests, so never pause, kill or restart them: use
``server_factory`` for that, or when a test needs its own options (short heartbeats, small buffers).

Fixtures:

* ``node_server`` / ``python_server``: ServerHandle, pingInterval 2000 ms / pingTimeout 2000 ms.
* ``node_recovery_server``: Node with connectionStateRecovery (``--recovery``), same heartbeat.
* ``server``: parametrized over ``node`` and ``python``, one of the two handles above.
* ``transports``: parametrized ``websocket`` / ``polling`` / ``upgrade``, giving
  ``["websocket"]``, ``["polling"]`` and ``["polling", "websocket"]``.
* ``server_factory(kind, **options) -> ServerHandle``: fresh servers, stopped at teardown.

The python peer advertises pingInterval truncated to whole seconds (python-engineio), so give it
whole-second heartbeats; tests/peers/python_server.py lists every way it differs from Node.

A ServerHandle has ``.url`` (``http://127.0.0.1:PORT``), ``.port``, ``.kind``, ``.process``,
``.stop()``, ``.kill()``, ``.pause()``, ``.resume()`` and ``.restart()``; see tests/peers/launcher.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:  # pytest's default import mode already puts it there
    sys.path.insert(0, _TESTS_DIR)  # makes tests/peers importable as `peers`
from peers.launcher import ServerHandle, start_server  # noqa: E402

#: Heartbeat of the shared servers: short enough that ping/pong traffic happens during tests.
SHARED_OPTIONS: dict[str, Any] = {"ping_interval": 2000, "ping_timeout": 2000}

ServerFactory = Callable[..., ServerHandle]


def _shared(kind: str, **options: Any) -> Iterator[ServerHandle]:
    handle = start_server(kind, **SHARED_OPTIONS, **options)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="session")
def node_server() -> Iterator[ServerHandle]:
    """The official Node socket.io 4.8.4 server with the default parser, no recovery."""
    yield from _shared("node")


@pytest.fixture(scope="session")
def python_server() -> Iterator[ServerHandle]:
    """python-socketio's AsyncServer on aiohttp."""
    yield from _shared("python")


@pytest.fixture(scope="session")
def node_recovery_server() -> Iterator[ServerHandle]:
    """The Node server with connectionStateRecovery {maxDisconnectionDuration: 120000, skipMiddlewares: true}."""
    yield from _shared("node", recovery=True)


@pytest.fixture(params=["node", "python"])
def server(request: pytest.FixtureRequest) -> ServerHandle:
    """Each shared server in turn (test ids ``[node]`` and ``[python]``)."""
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture(
    params=[["websocket"], ["polling"], ["polling", "websocket"]],
    ids=["websocket", "polling", "upgrade"],
)
def transports(request: pytest.FixtureRequest) -> list[str]:
    """The client's transports: websocket only, polling only, or polling upgraded to websocket."""
    return list(request.param)


@pytest.fixture
def server_factory() -> Iterator[ServerFactory]:
    """``server_factory(kind, **options)`` starts a private server; all are stopped at teardown.

    Options are those of ``start_server``: ``port``, ``ping_interval``, ``ping_timeout`` (ms),
    ``max_http_buffer_size``, ``transports``, and Node-only ``recovery`` and ``parser="msgpack"``.
    """
    handles: list[ServerHandle] = []

    def factory(kind: str, **options: Any) -> ServerHandle:
        handle = start_server(kind, **options)
        handles.append(handle)
        return handle

    yield factory
    for handle in handles:
        handle.stop()
