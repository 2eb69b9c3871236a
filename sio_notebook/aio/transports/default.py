"""Which transports a client gets when ``transport_opener`` names none: the platform's.

Kept apart from the seam (the protocols) because it is the one module that knows every
opener; each opener's module is imported only here, and only when chosen, so neither
aiohttp nor Pyodide's ``js`` module is needed where it cannot exist.
"""

from __future__ import annotations

import sys

from .seam import TransportOpener

__all__ = ["default_opener"]


def default_opener() -> TransportOpener:
    """The browser's ``WebSocket``/``fetch`` in Pyodide (emscripten), aiohttp's everywhere else."""
    if sys.platform == "emscripten":
        from .browser import BROWSER_TRANSPORTS

        return BROWSER_TRANSPORTS
    from .aiohttp_io import AIOHTTP_TRANSPORTS

    return AIOHTTP_TRANSPORTS
