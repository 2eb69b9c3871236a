"""sio_notebook: a Socket.IO client for asyncio, threads and Jupyter.

``import sio_notebook as socketio`` runs code written for python-socketio's client.
"""

from __future__ import annotations

from typing import Any

from . import exceptions
from ._version import __version__
from .aio import AsyncClient, AsyncClientNamespace, ClientStatus, Reason
from .aio.simple import AsyncSimpleClient
from .sync import Client, ClientNamespace
from .sync.simple import SimpleClient

__all__ = [
    "AsyncClient",
    "AsyncClientNamespace",
    "AsyncSimpleClient",
    "Client",
    "ClientNamespace",
    "SimpleClient",
    "ClientStatus",
    "Reason",
    "exceptions",
    "__version__",
    "load_ipython_extension",
    "unload_ipython_extension",
]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext sio_notebook``: register the ``%sio`` magics."""
    from .notebook import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .notebook import unload_ipython_extension as unload

    unload(ipython)
