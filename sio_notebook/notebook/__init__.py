"""Jupyter layer of sio_notebook: ``%sio`` magics, live widgets and event captures.

Install with the ``notebook`` extra (``pip install 'sio-notebook[notebook]'``), then in a
notebook::

    %load_ext sio_notebook
    %sio connect http://127.0.0.1:5055        # binds `sio` (an AsyncClient), shows its status
    cap = %sio capture tick                   # live table; cap.df is a pandas DataFrame
    await cap.wait_for(20, timeout=30)
    await sio.call("echo", {"x": 1})          # the client API is async and awaitable in cells
    %sio form                                 # emit form with ack results

How it runs: the client is an ``AsyncClient`` running as tasks on the kernel's own
event loop. Its handlers run between cells (or while a cell ``await``s), never racing
cell code; nothing patches asyncio and nest_asyncio is not used. Magics schedule work
and return at once; results show up in widgets and can be awaited. While a cell blocks
synchronously (``time.sleep``), the client is frozen too and catches up afterwards.
Emits made while connecting or reconnecting are buffered by the client and sent once
connected, so a notebook runs top to bottom, even an emit in the same cell as
``%sio connect`` (the client is ``connecting`` as soon as the magic returns, through
``AsyncClient.start_connect``). Connecting again under the same name replaces the old
connection cleanly.

Python API (the magics are thin wrappers around it):

* :func:`connect(url, name="sio", ...) <sio_notebook.notebook.connections.connect>`:
  create and connect a client in a task; replaces a connection of the same name.
  :func:`wait_connected(client, timeout) <sio_notebook.notebook.connections.wait_connected>`
  awaits the connection.
* :func:`capture(client, "tick", ..., namespace=None, max_rows=100_000)
  <sio_notebook.notebook.capture.capture>` returns a :class:`Capture`: a ring buffer
  filled through ``client.on_any``, with ``.df``, ``len()``, ``.count``, ``.dropped``,
  ``.clear()``, ``.stop()``/``.start()``, ``await .wait_for(n, timeout)``,
  ``.to_csv()``/``.to_parquet()``. It displays as its live table.
* :class:`StatusWidget(client) <sio_notebook.notebook.widgets.StatusWidget>`: live
  connection state and counters.
* :class:`EventTable(capture, rows=100, max_fps=4)
  <sio_notebook.notebook.widgets.EventTable>`: the newest rows, escaped, with count,
  rate and drops; pause and clear buttons.
* :class:`EmitForm(client) <sio_notebook.notebook.widgets.EmitForm>`: event, namespace,
  JSON payload, wait-for-ack with timeout, results with ack values and round-trip time.
* :class:`Pending`: what ``%sio emit`` / ``%sio call`` return; displays one live line,
  ``await`` gives the ack value.

The widget classes need ipywidgets (and IPython); :class:`Capture` alone needs neither
(pandas only when ``.df`` is read).
"""

from __future__ import annotations

from typing import Any

from .capture import Capture, CapturedEvent, capture
from .connections import (
    Connection,
    connect,
    disconnect,
    get_connection,
    list_connections,
    started,
    wait_connected,
)

__all__ = [
    "Capture",
    "CapturedEvent",
    "Connection",
    "EmitForm",
    "EventTable",
    "Pending",
    "StatusWidget",
    "capture",
    "connect",
    "disconnect",
    "get_connection",
    "list_connections",
    "load_ipython_extension",
    "started",
    "unload_ipython_extension",
    "wait_connected",
]

_WIDGETS = ("EmitForm", "EventTable", "Pending", "StatusWidget")


def __getattr__(name: str) -> Any:
    # The widgets import ipywidgets: load them on first use, with a clear error if missing.
    if name in _WIDGETS:
        try:
            from . import widgets
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                f"sio_notebook.notebook.{name} needs the notebook extra: pip install 'sio-notebook[notebook]' ({exc})"
            ) from exc
        return getattr(widgets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext sio_notebook``: register the ``%sio`` / ``%%sio`` magics (idempotent)."""
    from .magics import SioMagics

    ipython.register_magics(SioMagics)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext sio_notebook``: remove the magics. Connections are left running
    (``%reload_ext`` keeps them); use ``%sio disconnect`` to close one."""
    from .magics import SioMagics

    registry = ipython.magics_manager.registry
    registry.pop(SioMagics.__name__, None)
    for kind in ("line", "cell"):
        ipython.magics_manager.magics[kind].pop("sio", None)
