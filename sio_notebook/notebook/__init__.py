"""Jupyter layer of sio_notebook: ``%sio`` magics, live views and event captures.

Install with the ``notebook`` extra (``pip install 'sio-notebook[notebook]'``), then in a
notebook::

    %load_ext sio_notebook
    %sio connect http://127.0.0.1:5055        # binds `sio` (an AsyncClient), shows its status
    cap = %sio capture tick                   # live event log; cap.frames()["tick"] is a DataFrame
    await cap.wait_for(20, timeout=30)
    await sio.call("echo", {"x": 1})          # the client API is async and awaitable in cells
    %sio form                                 # emit form with ack results

How it runs: the client is an ``AsyncClient`` running as tasks on the kernel's own
event loop. Its handlers run between cells (or while a cell ``await``s), never racing
cell code; nothing patches asyncio and nest_asyncio is not used. Magics schedule work
and return at once; results show up in the views and can be awaited. Emits made while
connecting or reconnecting are buffered by the client and sent once connected (the
views say "queued" until then).

Views are plain HTML outputs updated in place (:mod:`.live`), so a saved notebook, a
headless run (nbclient, papermill) and ``nbconvert --to html`` show their last state;
in Voilà and marimo, which drop display updates, the same HTML lives in an anywidget
(:mod:`.frontends`). The inputs (the log's filter bar, the emit form) are anywidgets
everywhere. Views made from a connection's name follow it across re-connects.

Python API (everything the magics do; :mod:`.actions`; marimo has no magics):

* :func:`status`, :func:`connection_list`, :func:`emit`, :func:`call`, :func:`capture`,
  :func:`log`, :func:`plot`, :func:`form` (``%sio status`` ... ``%sio form``);
* :func:`frontend` / :func:`set_frontend`: the frontend the views are made for
  (Jupyter, Voilà or marimo; detected, or set by ``SIO_NOTEBOOK_FRONTEND``).

* :func:`connect(url, name="sio", ...) <sio_notebook.notebook.connections.connect>`,
  :func:`wait_connected`, :func:`disconnect`, :func:`get_connection`.
* :func:`capture(client, "tick", ..., outgoing=False, lifecycle=False)
  <sio_notebook.notebook.recording.capture.capture>` returns a :class:`Capture`: a ring buffer
  with ``.frames()``, ``.df``, ``len()``, ``.count``, ``.dropped``, ``.pause()``/``.resume()``,
  ``.clear()``, ``.stop()``/``.start()``, ``await .wait_for(n, timeout)``,
  ``.to_csv()``/``.to_parquet()``. It displays as its event log.
* Proving (:mod:`.prove`): ``await expect(sio, "tick", where={...}, within=5)`` (raises
  :class:`ExpectationFailed`, an AssertionError), :func:`latency` of acks and of reply
  events, :func:`asyncapi` (a contract inferred from a capture) and :func:`conform` (live
  checks against one); the last two need the ``prove`` extra.
* :func:`rows_to_dataframe` / :func:`rows_to_frames` (:mod:`.frames`): rows to DataFrames.
* :func:`mock_server(source, port=0, speed=None) <sio_notebook.mock.server.mock_server>`: a
  Socket.IO server that plays a capture or a Parquet dataset back (:mod:`sio_notebook.mock`).
* :class:`StatusWidget`, :class:`EventTable` (alias :class:`EventLog`),
  :class:`EmitForm`, :class:`Pending`: the views (:mod:`.widgets` lists them).

The views need IPython or marimo, the inputs and the Voilà/marimo views anywidget;
:class:`Capture` alone needs neither (pandas only when a frame is built).
"""

from __future__ import annotations

from typing import Any

# The mock server is not a notebook view (it lives in sio_notebook/mock); nb re-exports it
# so that a notebook can serve what it captured. Importing it imports no python-socketio.
from ..mock import mock_server
from .actions import ConnectionList, call, capture, connection_list, emit, form, log, plot, status
from .connections import (
    Connection,
    connect,
    disconnect,
    get_connection,
    list_connections,
    started,
    wait_connected,
)
from .frontends.detect import frontend, set_frontend

# The proving tools (prove/): nb.expect, nb.latency (acks and reply events), nb.asyncapi, nb.conform.
from .prove import Checker, ExpectationFailed, asyncapi, conform, expect, latency
from .recording.capture import Capture, CapturedEvent
from .recording.frames import rows_to_dataframe, rows_to_frames
from .views.chart import LiveChart

__all__ = [
    "Capture",
    "Checker",
    "CapturedEvent",
    "Connection",
    "ConnectionList",
    "EmitForm",
    "EventLog",
    "EventTable",
    "ExpectationFailed",
    "LiveChart",
    "Pending",
    "StatusWidget",
    "call",
    "capture",
    "asyncapi",
    "conform",
    "connect",
    "connection_list",
    "disconnect",
    "expect",
    "emit",
    "form",
    "frontend",
    "get_connection",
    "latency",
    "list_connections",
    "load_ipython_extension",
    "mock_server",
    "log",
    "plot",
    "rows_to_dataframe",
    "rows_to_frames",
    "set_frontend",
    "started",
    "status",
    "unload_ipython_extension",
    "wait_connected",
]

# Each view in its own module: only the form and the log's control bar need anywidget.
_WIDGETS = {
    "EmitForm": "views.form",
    "EventLog": "views.log",
    "EventTable": "views.log",
    "Pending": "views.pending",
    "StatusWidget": "views.status",
}


def __getattr__(name: str) -> Any:
    # The views import IPython (the inputs anywidget): load them on first use, with a clear
    # error if missing.
    if name in _WIDGETS:
        import importlib

        try:
            module = importlib.import_module(f".{_WIDGETS[name]}", __name__)
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                f"sio_notebook.notebook.{name} needs the notebook extra: pip install 'sio-notebook[notebook]' ({exc})"
            ) from exc
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _need_shell(ipython: Any, what: str) -> None:
    # marimo and scripts have no IPython shell (get_ipython() is None there): say what to
    # use instead rather than fail with an AttributeError on None.
    if ipython is None or not hasattr(ipython, "register_magics"):
        raise TypeError(
            f"{what} needs an IPython shell, got {ipython!r} (get_ipython() is None outside IPython, "
            "e.g. in marimo or a script): there, use the Python API instead, e.g. "
            "`import sio_notebook.notebook as nb; sio = nb.connect(URL)`"
        )


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext sio_notebook``: register the ``%sio`` / ``%%sio`` magics (idempotent),
    the hook that pushes the views' final states at the end of each cell, the input
    transformer that makes a ``%sio expect`` line wait (:mod:`.autoawait`), and a hook
    that keeps a re-run ``%load_ext sio_notebook`` cell quiet."""
    _need_shell(ipython, "load_ipython_extension()")
    from . import autoawait
    from .magics import SioMagics
    from .views.live import install_hook

    ipython.register_magics(SioMagics)
    install_hook(ipython)
    autoawait.install(ipython)  # a plain `%sio expect` line waits, as `await nb.expect` does
    if _quiet_reload not in ipython.events.callbacks["pre_run_cell"]:
        ipython.events.register("pre_run_cell", _quiet_reload)


def _quiet_reload(info: Any) -> None:
    # IPython prints "The sio_notebook extension is already loaded" when a cell with
    # %load_ext runs again. Loading is idempotent, so let it load again, silently.
    if "load_ext" in (getattr(info, "raw_cell", "") or ""):
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            for name in ("sio_notebook", "sio_notebook.notebook"):
                shell.extension_manager.loaded.discard(name)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext sio_notebook``: remove the magics. Connections are left running
    (``%reload_ext`` keeps them); use ``%sio disconnect`` to close one."""
    _need_shell(ipython, "unload_ipython_extension()")
    from . import autoawait
    from .magics import SioMagics
    from .views.live import uninstall_hook

    uninstall_hook(ipython)
    autoawait.uninstall(ipython)
    if _quiet_reload in ipython.events.callbacks["pre_run_cell"]:
        ipython.events.unregister("pre_run_cell", _quiet_reload)
    registry = ipython.magics_manager.registry
    registry.pop(SioMagics.__name__, None)
    for kind in ("line", "cell"):
        ipython.magics_manager.magics[kind].pop("sio", None)
