"""The transports, one module per job (see ARCHITECTURE.md):

* :mod:`.seam`: what the engine needs of a transport (protocols); imports neither
  aiohttp nor JavaScript;
* :mod:`.default`: which opener a platform gets (imports the chosen one lazily);
* :mod:`.aiohttp_io`: HTTP long-polling and WebSocket on aiohttp (native Python);
* :mod:`.browser`: the same over the browser's ``fetch`` and ``WebSocket`` (Pyodide,
  JupyterLite).
"""

from __future__ import annotations

from .default import default_opener
from .seam import PollingLike, Transport, TransportOpener, WebSocketLike, opener_errors, uses_http_session

__all__ = [
    "PollingLike",
    "Transport",
    "TransportOpener",
    "WebSocketLike",
    "default_opener",
    "opener_errors",
    "uses_http_session",
]
